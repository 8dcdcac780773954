"""Event-name registry, typed payloads, the recording function and the after-commit bus."""
