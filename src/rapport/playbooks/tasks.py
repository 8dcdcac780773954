"""Playbook work off the request path: the step due-time job, and the consumer that attaches playbooks when a
conversation gets a category, tag or field value they name and completes a "wait for customer" step when the customer
writes."""

from __future__ import annotations

from sqlalchemy.orm import Session

from rapport.conversations import events as conversation_events
from rapport.events.registry import Changed
from rapport.events.typed import Consumer, Delivered
from rapport.kernel.permissions import SYSTEM
from rapport.playbooks import attach, service
from rapport.worker.runner import handler

RUNNING = "playbooks.running"  # session.info: the batch's conversations that may have a step waiting for the customer


def _prepare(session: Session, rows: list) -> list:
    """Before a batch: which of its customers' conversations run a playbook (one statement for the batch). Those the
    batch itself tags or categorises may start one on the way, so they count as running. The customer's messages
    in conversations running none are not handed out (most of a busy log: nothing waits for them)."""
    received = conversation_events.MESSAGE_RECEIVED.name
    wrote = {r.conversation_id for r in rows if r.name == received}
    starts = {r.conversation_id for r in rows if r.name != received}
    running = session.info[RUNNING] = service.running_among(session, {i for i in wrote if i} - starts) | starts
    return [r for r in rows if r.name != received or r.conversation_id in running]


playbooks = Consumer("playbooks", prepare=_prepare)


@handler(service.DUE_JOB)
def step_due(session: Session, payload: dict) -> None:
    """A step's due time has come: record it overdue if it is still open."""
    service.fire_overdue(session, payload["step_id"])


@playbooks.on(conversation_events.CATEGORY_CHANGED)
def category_changed(session: Session, event: Delivered[Changed]) -> None:
    """Start the playbooks whose newest version names the conversation's new category."""
    if event.conversation_id and event.payload.to:
        attach.by_match(session, event.conversation_id, categories=[str(event.payload.to)], since=event.occurred_at)


@playbooks.on(conversation_events.TAGS_CHANGED)
def tags_changed(session: Session, event: Delivered) -> None:
    """Start the playbooks whose newest version names a tag the conversation just got."""
    if event.conversation_id and event.payload.added:
        attach.by_match(session, event.conversation_id, tags=list(event.payload.added), since=event.occurred_at)


@playbooks.on(conversation_events.FIELDS_CHANGED)
def fields_changed(session: Session, event: Delivered) -> None:
    """Start the playbooks whose newest version names a custom field value the conversation was just given."""
    values = {
        key: change[1] for key, change in event.payload.changes.items() if len(change) == 2 and change[1] is not None
    }
    if event.conversation_id and values:
        attach.by_match(session, event.conversation_id, fields=values, since=event.occurred_at)


@playbooks.on(conversation_events.MESSAGE_RECEIVED)
def message_received(session: Session, event: Delivered) -> None:
    """The customer wrote: a current "wait for customer" step is done, the message its evidence."""
    running = session.info.get(RUNNING)
    if running is not None and event.conversation_id not in running:
        return  # no playbook runs there: nothing waits for the customer
    if event.conversation_id and event.message_id:
        attach.customer_answered(session, SYSTEM, event.conversation_id, event.message_id, event.occurred_at)
