"""Surveys: what a customer is asked after a conversation is solved, when, in which channel, and what they said."""
