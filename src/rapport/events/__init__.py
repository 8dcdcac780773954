"""Event types (declared by each domain's events.py), the recording function, the after-commit bus and consumers."""
