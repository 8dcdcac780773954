"""One condition language for "conversations where …": a validated tree, an SQL compiler and an evaluator.

`model` parses and serialises trees, `sql` compiles them to a where-clause, `evaluate` decides one conversation
in memory. Saved views, the API's list filters and rules all speak it (docs/conditions.md).
"""
