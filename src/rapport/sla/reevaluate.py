"""Re-evaluation: when what a policy's condition reads changes, or a policy does, the conversation's policy is
matched again; if another one applies now, the old clocks are withdrawn and the new policy's start from the
conversation's own instants (created, waiting since, asked for a person), and sla.applied says why.

A conversation's change is handled by the `sla` consumer, off the request's path. A policy edit re-evaluates every
active conversation, a batch per job (`sla.reevaluate_all`), never in the request.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from rapport.events.consumers import consumer
from rapport.kit.clock import now
from rapport.models import Conversation
from rapport.models.enums import ACTIVE_STATUSES
from rapport.sla import facts as conversation_facts
from rapport.sla import policies
from rapport.sla.plan import ACTIVE
from rapport.sla.runtime import Run
from rapport.worker import scheduler
from rapport.worker.runner import handler

# The conversation changes a policy's condition can read, and how the timeline says why the policy changed.
REASONS = {
    "conversation.priority_changed": "priority changed",
    "conversation.team_changed": "team changed",
    "conversation.category_changed": "category changed",
    "conversation.tags_changed": "tags changed",
    "conversation.fields_changed": "fields changed",
    "conversation.assigned": "assignee changed",
    "conversation.subject_changed": "subject changed",
}
POLICY_EVENTS = ("sla_policy.created", "sla_policy.updated")
POLICY_CHANGED = "policies changed"
BATCH = 500  # conversations re-evaluated per job after a policy edit
JOB = "sla.reevaluate_all"


def rematch(session: Session, reasons: Mapping[int, str], at: datetime | None = None) -> list[int]:
    """Match each active conversation's policy again; apply the new one where it changed. Returns those changed."""
    run = Run(session, at)
    ids = set(reasons)
    run.load(ids)
    snaps = conversation_facts.snapshots(session, ids)
    facts = conversation_facts.facts(session, ids)
    changed = []
    for conversation_id in sorted(ids):
        snap, fact = snaps.get(conversation_id), facts.get(conversation_id)
        if snap is None or fact is None or fact.status not in ACTIVE:
            continue
        match = policies.first_match(run.policies, snap)
        if run.apply_policy(conversation_id, match, fact, reasons[conversation_id]):
            changed.append(conversation_id)
    run.flush()
    return changed


@consumer("sla", wants=(*REASONS, *POLICY_EVENTS))
def on_changes(session: Session, events: list[Row]) -> None:
    """Re-match the conversations whose matched fields changed; queue a re-evaluation of all after a policy edit."""
    reasons: dict[int, str] = {}
    policy_event = None
    for event in events:
        if event.name in POLICY_EVENTS:
            policy_event = event.id
        elif event.conversation_id:
            reasons[event.conversation_id] = REASONS[event.name]
    if reasons:
        rematch(session, reasons)
    if policy_event is not None:
        scheduler.schedule(session, JOB, f"{JOB}:{policy_event}:0", now(), {"event_id": policy_event, "after_id": 0})


def active_after(session: Session, after_id: int, limit: int | None = None) -> list[int]:
    """The next active, unmerged conversations by id after `after_id` (BATCH of them)."""
    limit = limit or BATCH
    query = (
        select(Conversation.id)
        .where(
            Conversation.id > after_id,
            Conversation.status.in_([s.value for s in ACTIVE_STATUSES]),
            Conversation.merged_into_id.is_(None),
        )
        .order_by(Conversation.id)
        .limit(limit)
    )
    return list(session.scalars(query))


@handler(JOB)
def reevaluate_all(session: Session, payload: dict) -> None:
    """One batch of active conversations matched again after a policy edit; the next batch is its own job."""
    ids = active_after(session, payload["after_id"])
    if ids:
        rematch(session, dict.fromkeys(ids, POLICY_CHANGED))
    if len(ids) == BATCH:
        key = f"{JOB}:{payload['event_id']}:{ids[-1]}"
        scheduler.schedule(session, JOB, key, now(), {"event_id": payload["event_id"], "after_id": ids[-1]})
