"""Domain-free helpers: clock, cursors, HTML sanitising, secrets, attachment storage."""
