"""Playbooks started and moved by what happens on a conversation (the consumer in `tasks` calls these)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from rapport.kernel.permissions import SYSTEM, Actor
from rapport.kit.problems import Problem
from rapport.models import PlaybookRun, PlaybookVersion
from rapport.playbooks import service, templates


def by_match(
    session: Session,
    conversation_id: int,
    *,
    categories: Iterable[str] = (),
    tags: Iterable[str] = (),
    fields: Mapping[str, object] | None = None,
    since: datetime,
) -> list[PlaybookRun]:
    """Start every active template whose newest version matches one of the categories, tags or field values just
    set (once per event: a run of that template started at or after `since` means this event was handled already)."""
    wanted_categories = {c.lower() for c in categories}
    wanted_tags = {t.lower() for t in tags}
    values = fields or {}
    active = templates.listed(session, active_only=True)
    newest = templates.latest_of(session, [t.id for t in active])
    started = []
    for template in active:
        match = newest[template.id].match or {}
        hit = [c for c in match.get("categories", []) if c.lower() in wanted_categories]
        hit += [f"#{t}" for t in match.get("tags", []) if t.lower() in wanted_tags]
        hit += [f"{m['key']} = {m['value']}" for m in match.get("fields", []) if _same(values, m["key"], m["value"])]
        if not hit or _handled(session, conversation_id, template.id, since):
            continue
        try:
            with session.begin_nested():
                started.append(
                    service.start(session, conversation_id, template.id, by=SYSTEM, reason=f"matched {hit[0]}")
                )
        except Problem:
            continue  # a conversation at its playbook limit, or gone: the others still start
    return started


def _same(values: Mapping[str, object], key: str, wanted: object) -> bool:
    """Whether the field was just set to the wanted value (text compared without case; true is not 1)."""
    if key not in values:
        return False
    got = values[key]
    if isinstance(got, str) and isinstance(wanted, str):
        return got.strip().lower() == wanted.strip().lower()
    if isinstance(got, bool) or isinstance(wanted, bool):
        return got is wanted
    return got == wanted


def _handled(session: Session, conversation_id: int, template_id: int, since: datetime) -> bool:
    query = select(PlaybookRun.id).where(
        PlaybookRun.conversation_id == conversation_id,
        PlaybookRun.template_id == template_id,
        PlaybookRun.started_at >= since,
    )
    return session.scalar(query.limit(1)) is not None


def customer_answered(session: Session, actor: Actor, conversation_id: int, message_id: int, at: datetime) -> int:
    """Complete each running playbook's current step when it waits for the customer and the message (sent at `at`)
    came after the step became current; how many were completed."""
    done = 0
    for run in service.runs_of(session, conversation_id, states=(service.RUNNING,)):
        version = session.get(PlaybookVersion, run.version_id)
        steps = service.steps_of(session, [run.id])[run.id]
        current = next((s for s in steps if s.state == service.OPEN), None)
        if current is None or version.steps[current.position].get("action") != "wait_for_customer":
            continue
        became_current = steps[current.position - 1].updated_at if current.position else run.started_at
        if became_current > at:
            continue  # an older message, handed over again: it answers nothing asked since
        service.customer_step(session, actor, run, version, steps, current, message_id)
        done += 1
    return done
