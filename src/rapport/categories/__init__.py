"""Categories: the admin-managed list of kinds of matter a conversation is filed under."""
