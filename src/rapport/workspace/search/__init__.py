"""The workspace's search pages."""
