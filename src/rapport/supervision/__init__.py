"""The supervisor console: a live board of queues, waits, the human queue and agents' load; reassign from it."""
