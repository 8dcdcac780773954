"""CLI commands for bulk data: demo, import, export (registered on the `rapport` Typer app)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the bulk-data commands to `app`."""
