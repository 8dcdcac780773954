"""After answering: the thanks page's offers, set per survey version (`help_url`, `help_label`, `offer_callback`).

A callback request goes on the conversation as an internal note the team sees (with an event), once per request;
what the customer types is bounded, reduced to plain text, and spends the per-client answer budget.
"""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from rapport.conversations import service as conversations
from rapport.events.outbox import record
from rapport.kernel.permissions import SYSTEM
from rapport.kit import ratelimit
from rapport.kit.clock import now
from rapport.kit.problems import Invalid, NotFound
from rapport.surveys import events
from rapport.surveys.answers import Opened, _text, answer_keys, open_link
from rapport.surveys.schedule import ANSWERED

PHONE = re.compile(r"^[0-9+()\-. ]{0,40}$")


def offers(opened: Opened) -> dict:
    """What the thanks page offers: a help article (its address and words) and whether a callback can be asked."""
    rules = opened.version.rules or {}
    return {
        "help_url": rules.get("help_url") or None,
        "help_label": rules.get("help_label") or "Read our help article",
        "callback": bool(rules.get("offer_callback")),
        "callback_done": opened.request.callback_requested_at is not None,
    }


def request_callback(session: Session, request_id: int, token: str, form: dict[str, str], *, client: str) -> None:
    """Record the customer's callback request (the number to call and when suits them) as a note on the
    conversation, once; a second request changes nothing."""
    opened = open_link(session, request_id, token, lock=True)
    row = opened.request
    if row.state != ANSWERED or not offers(opened)["callback"]:
        raise NotFound("This survey offers no callback.")
    ratelimit.spend(session, *answer_keys(client))
    if row.callback_requested_at is not None:
        return
    phone = (form.get("phone") or "").strip()
    if not PHONE.match(phone):
        raise Invalid("A phone number has at most 40 digits, spaces and + ( ) - .", errors=[{"field": "phone"}])
    when = _text(form.get("when") or "", "when") or ""
    lines = ["The customer asked for a callback on the survey's thanks page."]
    lines += [f"Number: {phone}" if phone else "Number: the one we have for them."]
    if when:
        lines.append(f"When / about: {when}")
    conversations.add_note(session, SYSTEM, row.conversation_id, text="\n".join(lines))
    row.callback_requested_at = row.updated_at = now()
    session.flush()
    record(
        session, events.CALLBACK.name, SYSTEM, conversation_id=row.conversation_id, customer_id=row.customer_id,
        request_id=row.id, survey_id=row.survey_id, version_id=row.version_id, channel=row.channel,
    )  # fmt: skip
