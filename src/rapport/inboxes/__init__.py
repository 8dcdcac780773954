"""Inboxes: the places customers reach us (a mailbox, a widget, a number, the API)."""
