"""Jobs that ran out of attempts, for admins: see them, queue them again or discard them."""
