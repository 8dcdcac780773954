"""receive_inbound: every channel's way in. Find the customer, thread the message, append, record.

Messages are received in batches (a batch of one is the simple case): every step is one statement for the
whole batch, so a busy inbox costs a handful of statements per batch instead of a dozen per message. Each
message is checked before anything is written; a message that fails gets its own problem and the rest go on.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from rapport.conversations.inbound_plan import Plan, plan_batch
from rapport.conversations.inbound_types import Inbound, Received
from rapport.conversations.inbound_write import write_batch
from rapport.kernel.permissions import Actor
from rapport.kit.problems import Problem

__all__ = ["Inbound", "Received", "receive_batch", "receive_inbound"]


def receive_inbound(session: Session, actor: Actor, msg: Inbound) -> Received:
    """Store one inbound message; raises the message's problem if it was refused."""
    outcome = receive_batch(session, [(actor, msg)])[0]
    if isinstance(outcome, Problem):
        raise outcome
    return outcome


def receive_batch(session: Session, items: list[tuple[Actor, Inbound]]) -> list[Received | Problem]:
    """Store many inbound messages in the caller's transaction; one outcome per item, in order."""
    plan: Plan = plan_batch(session, items)
    write_batch(session, plan)
    return [p.outcome for p in plan.items]
