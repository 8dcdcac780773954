"""Outgoing webhooks: endpoints subscribe to event types; each delivery is signed, sent by the worker, logged."""
