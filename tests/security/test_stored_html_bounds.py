"""HTML over the bounds (RAPPORT_MAX_HTML_DEPTH, RAPPORT_MAX_HTML_CHARS) is never parsed: not from an import, and not
when a page shows a message stored before the bounds existed."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from rapport.models import Message
from rapport.transfer.records import RecordError, message
from tests.conftest import inbound
from tests.web.pages.conftest import sign_in_as


def _deep(depth: int, word: str) -> str:
    return "<div>" * depth + word + "</div>" * depth


def test_an_imported_message_too_deep_is_refused_naming_the_setting(settings):
    settings.max_html_depth = 20
    with pytest.raises(RecordError, match="RAPPORT_MAX_HTML_DEPTH"):
        message(
            {"html": _deep(50, "x"), "direction": "inbound", "created_at": "2026-05-01T09:30:00Z"}, "c1", "imp", 100_000
        )
    assert message(
        {"html": _deep(10, "fine"), "direction": "inbound", "created_at": "2026-05-01T09:30:00Z"}, "c1", "imp", 100_000
    ).html


def test_a_stored_message_over_the_bounds_shows_its_text(client, db, world, settings):
    got = inbound(client, world.agent_token, world.api_inbox.id, address="old@example.net", text="TEXTMARK")
    with db.write() as s:
        s.execute(update(Message).where(Message.id == got["message_id"]).values(body_html=_deep(60, "HTMLMARK")))
    settings.max_html_depth = 20
    client.follow_redirects = False
    sign_in_as(client, "alex@example.com", "agent password 1")
    page = client.get(f"/conversations/{got['conversation_id']}")
    assert page.status_code == 200
    assert "TEXTMARK" in page.text and "HTMLMARK" not in page.text
