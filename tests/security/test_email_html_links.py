"""Links that run the sender's code (data:text/html, javascript:, vbscript:, any data: link) never survive sanitising,
however they are written; inline raster images (data:image/png …) stay as images' sources, SVG does not.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from rapport.channels.email.pipeline import RawMail, ingest
from rapport.kit.html import sanitize
from rapport.models import Message
from tests.channels.email.mails import mail
from tests.conftest import World

HOSTILE = [
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<a href=" DATA:text/html,x">x</a>',
    '<a href="&#x64;ata:text/html,x">x</a>',
    '<a href="d&#x09;ata:text/html,x">x</a>',
    '<a href="data:image/png;base64,iVBORw0KGgo=">x</a>',  # an image, but as a link it opens a page of its own
    '<a href="javascript:alert(1)">x</a>',
    '<a href="java&#x09;script:alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    '<img src="data:text/html,x">',
]


@pytest.mark.parametrize("html", HOSTILE)
@pytest.mark.parametrize("remote_images", [False, True])
def test_script_capable_urls_are_removed(html, remote_images):
    out = sanitize(html, allow_remote_images=remote_images).lower()
    assert "href" not in out and "src" not in out, out


def test_inline_raster_images_are_kept():
    png = '<img src="data:image/png;base64,iVBORw0KGgo=">'
    assert sanitize(png) == png
    assert sanitize('<a href="https://example.com/">x</a>').startswith('<a href="https://example.com/"')


def test_through_the_inbound_paths(db, world, client):
    html = "<p>Hi</p>" + "".join(HOSTILE)
    (outcome,) = ingest(db, world.email_inbox.id, [RawMail(mail(html=html), source="test")])
    body = {"inbox_id": world.api_inbox.id, "sender": {"kind": "email", "address": "jo@customer.test"}, "html": html}
    r = client.post("/api/v1/messages/inbound", json=body, headers=World.auth(world.agent_token))
    assert r.status_code == 201, r.text
    with db.read() as s:
        ids = [outcome.message_id, r.json()["message_id"]]
        stored = list(s.scalars(select(Message.body_html).where(Message.id.in_(ids))))
    assert len(stored) == 2
    for body_html in stored:
        assert "Hi" in body_html and "data:" not in body_html.lower() and "script:" not in body_html.lower()
