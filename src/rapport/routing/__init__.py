"""Routing: who should take a conversation, and how long a customer waits for a person."""
