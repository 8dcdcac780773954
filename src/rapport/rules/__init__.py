"""Rules: when an event, a time or a count happens and conditions hold, do actions (docs/rules.md)."""
