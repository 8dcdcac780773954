"""The workspace's conversations pages."""
