"""Full-text search over messages, conversation subjects and customers."""
