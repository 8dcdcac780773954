"""Conversations: inbound threading, replies, notes, changes, merging, listing."""
