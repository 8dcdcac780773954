"""The rules consumer: after commit, hand each event to the enabled rules (durable and idempotent, in log order)."""

from __future__ import annotations

from sqlalchemy import Row
from sqlalchemy.orm import Session

from rapport.events.consumers import consumer
from rapport.rules import engine, repository


@consumer("rules", wants=engine.wanted)
def on_events(session: Session, rows: list[Row]) -> None:
    """Run the rules that react to each event, each event in the cycle and at the depth its causes give it."""
    rules = engine.active(session)
    if not rules:
        return
    caused = repository.caused(session, [r.id for r in rows])
    for row in rows:
        cycle, depth = caused.get(row.id, (row.id, 0))
        engine.handle(session, rules, engine.of_row(row), cycle, depth)
