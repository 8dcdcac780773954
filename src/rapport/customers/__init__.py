"""Customers: identities, profiles and merging."""
