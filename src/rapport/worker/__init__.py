"""Durable jobs: queued in the writer's transaction, claimed by the worker when due."""
