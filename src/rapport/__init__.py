"""Rapport: an open-source customer service experience platform."""

__version__ = "0.1.0"
