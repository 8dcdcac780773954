"""URLs a provider hands over (Twilio's MMS media and its redirects, the media URL Meta's Graph API answers with)
pass the SSRF guard at every hop; an inbox's private-network allowance covers its own api_base, no other host.

DNS is the edge faked here: a made-up name resolves to loopback, where a listener records any connection.
"""

from __future__ import annotations

from sqlalchemy import func, select

from rapport.models import Attachment, Message
from tests.channels.twilio.conftest import ACCOUNT, post
from tests.channels.twilio.test_sms import sms
from tests.channels.whatsapp.conftest import media_message, post_signed


def _count(db, model) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_a_twilio_media_redirect_to_another_host_gets_no_private_allowance(
    client, db, sms_inbox, fake_twilio, dns, listener
):
    port, seen = listener
    dns["cdn.evil.test"] = ["127.0.0.1"]
    url = fake_twilio.add_media(ACCOUNT, b"GIF89a", "image/gif")
    fake_twilio.redirects[url[len(fake_twilio.url) :]] = f"http://cdn.evil.test:{port}/latest/meta-data/"
    r = post(client, f"/channels/twilio/sms/{sms_inbox.id}/inbound", sms(sms_inbox.id, NumMedia="1", MediaUrl0=url))
    assert r.status_code == 502, r.text
    assert "loopback" in r.json()["detail"] and "MediaUrl0" in r.json()["detail"]
    assert seen == []  # nothing connected: refused before the request
    assert _count(db, Message) == 0  # not acknowledged: Twilio retries the webhook


def test_a_twilio_media_redirect_on_its_own_host_is_followed_with_credentials(client, db, sms_inbox, fake_twilio):
    data = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
    real = fake_twilio.add_media(ACCOUNT, data, "image/png")
    hop = f"/2010-04-01/Accounts/{ACCOUNT}/Messages/MM{'0' * 32}/Media/ME{'1' * 32}"
    fake_twilio.redirects[hop] = real
    params = sms(sms_inbox.id, NumMedia="1", MediaUrl0=fake_twilio.url + hop, MediaContentType0="image/png")
    assert post(client, f"/channels/twilio/sms/{sms_inbox.id}/inbound", params).status_code == 200
    assert fake_twilio.media_gets == 1 and _count(db, Attachment) == 1


def test_twilio_media_redirect_loops_end(client, db, sms_inbox, fake_twilio):
    hop = f"/2010-04-01/Accounts/{ACCOUNT}/Messages/MM{'2' * 32}/Media/ME{'3' * 32}"
    fake_twilio.redirects[hop] = fake_twilio.url + hop
    r = post(client, f"/channels/twilio/sms/{sms_inbox.id}/inbound", sms(sms_inbox.id, NumMedia="1",
                                                                          MediaUrl0=fake_twilio.url + hop))  # fmt: skip
    assert r.status_code == 502 and "redirected more than" in r.json()["detail"]


def test_a_graph_media_url_on_another_host_is_not_fetched_nor_given_the_token(
    client, db, wa_inbox, graph, dns, listener
):
    port, seen = listener
    dns["lookaside.evil.test"] = ["127.0.0.1"]
    graph.media_base = f"http://lookaside.evil.test:{port}"
    graph.add_media("4242", b"\xff\xd8\xff" + b"\0" * 16, "image/jpeg")
    r = post_signed(client, media_message("wamid.SSRF", "image", {"id": "4242", "mime_type": "image/jpeg"}))
    assert r.status_code >= 400
    assert "loopback" in r.json()["detail"]
    assert seen == []  # no connection, so the access token went nowhere
    assert _count(db, Message) == 0


def test_a_graph_media_url_that_is_not_http_is_refused(client, db, wa_inbox, graph):
    graph.media_base = "file://"
    graph.add_media("4343", b"data", "image/jpeg")
    r = post_signed(client, media_message("wamid.FILE", "image", {"id": "4343", "mime_type": "image/jpeg"}))
    assert r.status_code >= 400 and "not an http(s) URL" in r.json()["detail"]
    assert _count(db, Message) == 0
