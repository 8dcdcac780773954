"""The agent workspace's pages: read models that combine domains (a conversation with its customer, a customer with
their conversations, search across both) and the views that serve them. It may import every domain; no domain
imports it."""
