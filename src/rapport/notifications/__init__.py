"""In-app notifications: assigned to me, mentioned, customer replied; a live unread badge and a page."""
