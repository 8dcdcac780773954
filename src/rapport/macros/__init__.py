"""Macros: canned replies with placeholders and field changes, personal, team or shared, with their measures."""
