"""The lifecycle hook: what each change to a conversation does to its clocks, in the change's own transaction.

A new conversation gets the first policy it matches (sla.applied); a customer's message, a reply by a person,
a status move, a request for a person and its answer, and a merge each become a plan signal. Notes never meet a
target, and neither does a reply that is not a person's (an automatic one, by the system).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from rapport.conversations.lifecycle import hooks
from rapport.conversations.lifecycle.core import MergedAway, Move, Received, Sent
from rapport.kit.clock import now
from rapport.sla import policies
from rapport.sla.plan import (
    CustomerWrote,
    Facts,
    HumanAnswered,
    HumanAsked,
    PersonReplied,
    Signal,
    StatusMoved,
    Withdrawn,
)
from rapport.sla.reevaluate import rematch
from rapport.sla.runtime import Run, in_force

NEW_CONVERSATION = "new conversation"
IMPORTED = "imported"


def signals(step: hooks.Step) -> list[Signal]:
    """The plan signals one lifecycle step makes, in the order they apply."""
    change, after = step.change, step.after
    at = change.at
    if isinstance(change, MergedAway):
        return [Withdrawn(at)]
    moves: list[Signal] = [
        StatusMoved(at, e.payload["from_"], e.payload["to"])
        for e in step.events
        if e.name == "conversation.status_changed"
    ]
    out: list[Signal] = []
    if isinstance(change, Received):
        if step.created_at is None:  # a new conversation's first message is what the policy applies to
            out += moves
            out.append(CustomerWrote(at, after.status, replied=step.before.first_reply_at is not None))
    elif isinstance(change, Sent):
        # The reply first: it meets a first reply before a move to solved would cancel it.
        if change.by_agent:
            out.append(PersonReplied(at, after.status))
        out += moves
    elif isinstance(change, Move):
        out += moves
    for event in step.events:
        if event.name == "conversation.human_requested":
            out.append(HumanAsked(at, after.status))
        elif event.name == "conversation.human_answered":
            out.append(HumanAnswered(at))
    return out


@hooks.register("sla")
def on_lifecycle(session: Session, steps: list[hooks.Step]) -> None:
    """Carry the clocks of every conversation the steps touched (a batch: one read and one write for all)."""
    imported = [s.conversation_id for s in steps if s.imported]
    if imported:
        # History written as it was: the policy matching the conversation as it stands starts its clocks from the
        # conversation's own instants, as re-evaluation does.
        if in_force(session, now()):
            rematch(session, dict.fromkeys(imported, IMPORTED))
        steps = [s for s in steps if not s.imported]
        if not steps:
            return
    run = Run(session)
    created = {s.conversation_id for s in steps if s.created_at is not None}
    existing = {s.conversation_id for s in steps} - created
    in_force_now, any_open = run.survey(existing)
    if not in_force_now:
        # No policy applies to anything new; only clocks already running can move.
        if not any_open:
            return
        created = set()
    # A conversation this batch created has no tags, policy or clocks yet: its snapshot is all there is to read,
    # read with the others' policy and deadline.
    snaps = run.load(existing, created)
    for step in steps:
        if step.conversation_id not in run.convs:
            continue
        if step.created_at is not None and step.conversation_id in snaps:
            match = policies.first_match(run.policies, snaps[step.conversation_id])
            if match is not None:
                after = step.after
                facts = Facts(
                    status=after.status,
                    created_at=step.created_at,
                    first_reply_at=after.first_reply_at,
                    human_requested_at=after.human_requested_at,
                )
                run.apply_policy(step.conversation_id, match, facts, NEW_CONVERSATION)
        for signal in signals(step):
            run.signal(step.conversation_id, signal)
    run.flush()
