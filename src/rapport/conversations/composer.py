"""What the composer adds to a reply: formatting, email signatures and Cc/Bcc addresses.

An agent writes the composer's markup (kit/markup.py); a reply keeps it as sanitised HTML (the timeline, a mail's
HTML part) and as plain text (a mail's text part, SMS, WhatsApp and chat, which show no formatting). An email reply
ends with the signatures that apply — the agent's own, then the inbox's — unless the agent turns one off for that
reply; other channels never get one. Cc and Bcc addresses are validated one by one (a line break or any control
character is refused as a header injection), bounded in number (RAPPORT_MAX_MAIL_RECIPIENTS), and each is counted
against the per-address mail limit (RAPPORT_MAIL_PER_ADDRESS_PER_HOUR) when the reply is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.errors import MessageDefect
from email.headerregistry import Address

from sqlalchemy.orm import Session

from rapport.config import get_settings
from rapport.customers.identities import normalise
from rapport.kernel.permissions import Actor
from rapport.kit import markup, ratelimit
from rapport.kit.markup import Formatted
from rapport.kit.problems import Invalid
from rapport.models import Agent, Inbox

SIGNATURE_KINDS = ("personal", "inbox")
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SEPARATORS = re.compile(r"[,;]")
SIGNATURE_DELIMITER = "-- "  # RFC 3676: mail programs recognise the signature below it


@dataclass(frozen=True)
class Signature:
    """One signature that applies to an email reply: whose (`kind`), its words for the composer, both forms."""

    kind: str
    label: str
    source: str
    formatted: Formatted


def signatures(session: Session, actor: Actor, inbox_id: int | None) -> list[Signature]:
    """The signatures an email reply by `actor` from inbox `inbox_id` ends with: the agent's, then the inbox's."""
    found: list[Signature] = []
    agent = session.get(Agent, actor.id) if actor.kind == "agent" else None
    if agent is not None and agent.signature:
        found.append(Signature("personal", "Your signature", agent.signature, markup.render(agent.signature)))
    inbox = session.get(Inbox, inbox_id) if inbox_id else None
    if inbox is not None and inbox.signature:
        found.append(Signature("inbox", f"{inbox.name}'s signature", inbox.signature, markup.render(inbox.signature)))
    return found


def sign(html: str | None, text: str, chosen: list[Signature]) -> tuple[str | None, str]:
    """`html` and `text` with the chosen signatures below the signature delimiter (unchanged when none)."""
    if not chosen:
        return html, text
    sig_text = "\n\n".join(s.formatted.text for s in chosen)
    sig_html = "".join(s.formatted.html for s in chosen)
    signed_text = f"{text.rstrip()}\n\n{SIGNATURE_DELIMITER}\n{sig_text}" if text.strip() else sig_text
    signed_html = f"{html or ''}<p>{SIGNATURE_DELIMITER}</p>{sig_html}"
    return signed_html, signed_text


def split_addresses(raw: str) -> list[str]:
    """The addresses typed into a Cc or Bcc field: separated by commas or semicolons (blank ones dropped)."""
    return [part.strip(" \t") for part in _SEPARATORS.split(raw or "") if part.strip(" \t")]


def check_addresses(values: list[str] | None, *, field: str) -> list[str]:
    """Each address validated and normalised (lower case), duplicates dropped; Invalid names the field and address.

    A line break or other control character anywhere is refused: it would end the header and start another.
    """
    out: list[str] = []
    for value in values or []:
        shown = _CONTROLS.sub("?", value)[:320]
        if _CONTROLS.search(value):
            raise Invalid(
                f"The {field} address '{shown}' contains a line break or control character "
                "(refused: header injection).",
                errors=[{"field": field}],
            )
        try:
            address = normalise("email", value)
            Address(addr_spec=address)
        except (Invalid, ValueError, IndexError, MessageDefect):
            raise Invalid(f"'{shown}' is not an email address ({field}).", errors=[{"field": field}]) from None
        if address not in out:
            out.append(address)
    return out


def recipients(
    session: Session, actor: Actor, cc: list[str] | None, bcc: list[str] | None
) -> tuple[list[str], list[str]]:
    """Cc and Bcc of an email reply, checked, bounded and counted per address (nothing counted when one is refused)."""
    cc = check_addresses(cc, field="cc")
    bcc = [a for a in check_addresses(bcc, field="bcc") if a not in cc]
    limit = get_settings().max_mail_recipients
    if len(cc) + len(bcc) > limit:
        raise Invalid(
            f"A reply may have at most {limit} Cc and Bcc addresses together; this one has {len(cc) + len(bcc)} "
            "(RAPPORT_MAX_MAIL_RECIPIENTS).",
            errors=[{"field": "cc"}],
        )
    if cc or bcc:
        client = f"{actor.kind}:{actor.id}"
        # Only the per-address budget: the agent is known and chose each address; a mail bomb needs many mails
        # to one address, which this refuses (429 naming RAPPORT_MAIL_PER_ADDRESS_PER_HOUR).
        ratelimit.spend(session, *(ratelimit.mail_keys(a, client)[0] for a in cc + bcc))
    return cc, bcc
