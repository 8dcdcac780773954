"""The workspace's customers pages."""
