"""Events become notifications: an event consumer, so the writer's path (the inbound intake above all) pays nothing.

The consumer is handed a batch of committed events in id order, in one transaction that also advances its cursor:
`conversation.assigned` notifies the new assignee, `agent.mentioned` the agent named, `conversation.woke` (back from
snooze, unless the customer's message woke it) the assignee or, unassigned, the team's members, `kudos.given` the
agent credited, and `message.received` the conversation's assignee (as of that message when the batch shows the
assignment, otherwise the current one). Nobody is notified of their own action. Replies collapse: while an agent has
an unread "customer replied" about a conversation, further replies update that row (count, latest text, time)
instead of adding rows.
Each agent who got something hears of it once per batch through `notification.created`, pushed to `agent:<id>`
after the commit.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Row
from sqlalchemy.orm import Session

from rapport.events.consumers import consumer
from rapport.events.outbox import record_many
from rapport.events.registry import notification_kinds
from rapport.kernel.permissions import SYSTEM
from rapport.kit.clock import now
from rapport.notifications import repository

SNIPPET_CHARS = 140
SUBJECT_CHARS = 80
NAME_CHARS = 60
SPACE = re.compile(r"\s+")


@dataclass
class Draft:
    """A notification to insert (the same fields as the row), or the unread row a reply joins."""

    agent_id: int
    kind: str
    conversation_id: int
    event_id: int
    actor_kind: str
    actor_id: int | None
    actor_name: str
    summary: str
    count: int
    created_at: datetime
    updated_at: datetime
    id: int | None = None  # set for a stored unread row that replies join


def _kinds(session: Session | None = None) -> dict[str, str]:
    # Event name -> notification kind, as each event type declares it (`notifies`); asked at run time, so the
    # declaring domains need not be imported before this module.
    return notification_kinds()


@consumer("notifications", wants=_kinds)
def notify(session: Session, events: list[Row]) -> None:
    """Turn a batch of events into notifications, with a fixed number of queries however large the batch."""
    kinds = _kinds()
    wanted = [e for e in events if e.name in kinds and e.conversation_id]
    if not wanted:
        return
    convs = repository.conversations(session, {e.conversation_id for e in wanted})
    woken = [convs[e.conversation_id] for e in wanted if kinds[e.name] == "woke" and e.conversation_id in convs]
    teams = repository.team_members(session, {c.team_id for c in woken if c.assignee_id is None and c.team_id})
    targets = [(e, agent_id) for e, agent_id in _recipients(wanted, convs, kinds, teams) if agent_id]
    if not targets:
        return
    names = repository.agent_names(session, {e.actor_id for e, _ in targets if e.actor_kind == "agent"})
    # Twice the snippet: runs of whitespace collapse before it is cut.
    texts = repository.message_texts(
        session, {e.message_id for e, _ in targets if e.message_id}, chars=SNIPPET_CHARS * 2
    )
    stamp, drafts, joined, touched = now(), [], {}, Counter()
    stored = repository.unread_replies(
        session, {(a, e.conversation_id) for e, a in targets if kinds[e.name] == "customer_replied"}
    )
    replies = {
        (a, c): Draft(a, "customer_replied", c, r.event_id, "customer", None, "", "", r.times, stamp, stamp, r.id)
        for (a, c), r in stored.items()
    }
    for e, agent_id in targets:
        conv, kind = convs[e.conversation_id], kinds[e.name]
        text = _short(texts.get(e.message_id, ""), SNIPPET_CHARS)
        if kind == "customer_replied":
            customer = _short(conv.customer_name, NAME_CHARS) or "The customer"
            row = replies.get((agent_id, conv.id))
            if row is None:
                row = Draft(agent_id, kind, conv.id, e.id, "customer", e.customer_id, customer, "", 0, stamp, stamp)
                replies[(agent_id, conv.id)] = row
                drafts.append(row)
            elif row.event_id >= e.id:
                continue  # already counted: this batch is being handed over again
            elif row.id is not None:
                joined[row.id] = row
            row.count += 1
            row.event_id, row.updated_at = e.id, stamp
            row.summary = (
                f"{customer} replied on {_topic(conv)}: “{text}”"
                if row.count == 1
                else f"{customer} replied {row.count} times on {_topic(conv)}; latest: “{text}”"
            )
        else:
            actor = _short(names.get(e.actor_id, ""), NAME_CHARS) or "Rapport"
            if kind == "assigned":
                summary = f"{actor} assigned you {_topic(conv)}"
            elif kind == "woke":
                summary = f"{_topic(conv)} is back from snooze" + (
                    f" ({actor} unsnoozed it)" if e.payload.get("by") == "agent" else ""
                )
            elif kind == "rule":
                said = _short(e.payload.get("text") or "", SNIPPET_CHARS)
                rule = _short(e.payload.get("rule") or "", NAME_CHARS)
                summary = f"Rule “{rule}” on {_topic(conv)}" + (f": {said}" if said else "")
            elif kind == "kudos":
                said = _short(e.payload.get("summary") or "", SNIPPET_CHARS)
                summary = f"Kudos from a customer on {_topic(conv)}" + (f": {said}" if said else "")
            else:
                summary = f"{actor} mentioned you on {_topic(conv)}: “{text}”"
            drafts.append(
                Draft(agent_id, kind, conv.id, e.id, e.actor_kind, e.actor_id, actor, summary, 1, stamp, stamp)
            )
        touched[agent_id] += 1
    repository.insert(session, [_fields(d, exclude="id") for d in drafts])
    repository.update_replies(session, [_fields(d) for d in joined.values()])
    told = [("notification.created", SYSTEM, {}, {"agent_id": a, "count": n}) for a, n in sorted(touched.items())]
    record_many(session, told)  # one statement however many agents


def _fields(draft: Draft, exclude: str = "") -> dict:
    return {k: v for k, v in vars(draft).items() if k != exclude}


def _recipients(events: list[Row], convs: dict[int, Row], kinds: dict[str, str], teams: dict[int, list[int]]):
    """(event, agent to notify or None), following assignments made within the batch; a conversation back from
    snooze tells its assignee, or every member of its team when nobody is assigned (not when the customer's own
    message woke it: that message tells them)."""
    assignee = {cid: row.assignee_id for cid, row in convs.items()}
    seen: set[int] = set()
    for e in events:  # the first assignment in the batch says who held each conversation before it
        if kinds[e.name] == "assigned" and e.conversation_id not in seen:
            seen.add(e.conversation_id)
            assignee[e.conversation_id] = e.payload.get("from")
    for e in events:
        if e.conversation_id not in convs:
            continue
        if kinds[e.name] == "assigned":
            assignee[e.conversation_id] = target = e.payload.get("to")
        elif kinds[e.name] in ("mentioned", "rule", "kudos"):  # a rule and kudos name the agent they tell
            target = e.payload.get("agent_id")
        elif kinds[e.name] == "woke":
            if e.payload.get("by") == "customer":
                continue
            target = assignee.get(e.conversation_id)
            if target is None:
                for member in teams.get(convs[e.conversation_id].team_id, ()):
                    yield e, None if e.actor_kind == "agent" and e.actor_id == member else member
                continue
        else:
            target = assignee.get(e.conversation_id)
        mine = e.actor_kind == "agent" and e.actor_id == target
        yield e, None if mine else target  # nobody is told of their own action


def _topic(conv: Row) -> str:
    subject = _short(conv.subject or "", SUBJECT_CHARS)
    return f"#{conv.id} “{subject}”" if subject else f"#{conv.id}"


def _short(text: str | None, limit: int) -> str:
    text = SPACE.sub(" ", text or "").strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
