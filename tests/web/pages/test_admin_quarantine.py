"""Admin pages for quarantined mail: the list with reasons, one mail's headers (never its HTML), the raw download."""

from __future__ import annotations

from rapport.channels.email.pipeline import RawMail, ingest
from tests.channels.email.mails import mail

EVIL = mail(
    frm="robot@customer.test",
    subject="Out of office <script>alert(1)</script>",
    html='<p onclick="steal()">Hi<img src="https://tracker.example/p.gif"><script>alert(2)</script></p>',
    headers={"Auto-Submitted": "auto-replied", "X-Note": "<b>bold</b>"},
)


def _quarantine(db, world, *raws: bytes) -> list[int]:
    from sqlalchemy import select

    from rapport.models import EmailReceipt

    ingest(db, world.email_inbox.id, [RawMail(r, source="test") for r in raws])
    with db.read() as s:
        return list(
            s.scalars(select(EmailReceipt.id).where(EmailReceipt.outcome == "quarantined").order_by(EmailReceipt.id))
        )


def test_the_empty_list_says_what_will_appear(client, admin_csrf):
    page = client.get("/admin/quarantine")
    assert page.status_code == 200 and "No mail is quarantined" in page.text


def test_the_list_shows_reason_sender_subject_and_filters(client, admin_csrf, db, world):
    anonymous, auto = _quarantine(db, world, b"Subject: who?\r\n\r\nhello\r\n", EVIL)
    page = client.get("/admin/quarantine").text
    assert "Automatic reply" in page and "robot@customer.test" in page and "No sender" in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.index(f"/admin/quarantine/{auto}") < page.index(f"/admin/quarantine/{anonymous}")  # newest first
    only = client.get("/admin/quarantine?reason=no_sender").text
    assert f"/admin/quarantine/{anonymous}" in only and f"/admin/quarantine/{auto}" not in only
    none = client.get(f"/admin/quarantine?reason=loop&inbox_id={world.email_inbox.id}").text
    assert "No quarantined mail matches these filters" in none


def test_one_page_at_a_time(client, admin_csrf, db, world, monkeypatch):
    from rapport.channels import views

    monkeypatch.setattr(views, "PAGE_SIZE", 1)
    first, second = _quarantine(db, world, b"Subject: one\r\n\r\nx\r\n", b"Subject: two\r\n\r\ny\r\n")
    page = client.get("/admin/quarantine").text
    assert f"/admin/quarantine/{second}" in page and f"/admin/quarantine/{first}" not in page
    older = page.split('href="/admin/quarantine?reason=&amp;inbox_id=&amp;cursor=')[1].split('"')[0]
    rest = client.get(f"/admin/quarantine?cursor={older}").text
    assert f"/admin/quarantine/{first}" in rest and f"/admin/quarantine/{second}" not in rest
    assert client.get("/admin/quarantine?cursor=garbage").status_code == 422


def test_one_mail_shows_headers_and_parts_never_its_html(client, admin_csrf, db, world):
    (receipt,) = _quarantine(db, world, EVIL)
    page = client.get(f"/admin/quarantine/{receipt}")
    assert page.status_code == 200
    text = page.text
    assert "Automatic reply" in text and "Auto-Submitted" in text and "auto-replied" in text
    assert "&lt;b&gt;bold&lt;/b&gt;" in text and "<b>bold</b>" not in text
    assert "text/html" in text and "text/plain" in text
    for unsafe in ("steal()", "tracker.example", "alert(2)", "<script>alert"):
        assert unsafe not in text
    assert f'href="/admin/quarantine/{receipt}/raw"' in text


def test_the_raw_download_is_an_attachment_with_safe_headers(client, admin_csrf, db, world):
    (receipt,) = _quarantine(db, world, EVIL)
    r = client.get(f"/admin/quarantine/{receipt}/raw")
    assert r.status_code == 200 and r.content == EVIL
    assert r.headers["content-type"].startswith("message/rfc822")
    assert r.headers["content-disposition"] == f'attachment; filename="quarantined-{receipt}.eml"'
    assert r.headers["x-content-type-options"] == "nosniff"
    policies = r.headers.get_list("content-security-policy")
    assert "sandbox" in policies and any("default-src 'self'" in p for p in policies)
    assert client.get(f"/admin/quarantine/{receipt + 100}/raw").status_code == 404


def test_a_mail_whose_bytes_are_gone_still_shows_its_record(client, admin_csrf, db, world, settings):
    from rapport.kit import blobs
    from rapport.models import EmailReceipt

    (receipt,) = _quarantine(db, world, b"Subject: gone\r\n\r\nx\r\n")
    with db.read() as s:
        digest = s.get(EmailReceipt, receipt).raw_sha256
    blobs.blob_path(settings.mail_dir, digest).unlink()
    page = client.get(f"/admin/quarantine/{receipt}")
    assert page.status_code == 200 and "missing from the data directory" in page.text
    assert client.get(f"/admin/quarantine/{receipt}/raw").status_code == 404


def test_agents_cannot_list_view_or_download(client, signed_in, db, world):
    (receipt,) = _quarantine(db, world, EVIL)
    for url in ("/admin/quarantine", f"/admin/quarantine/{receipt}", f"/admin/quarantine/{receipt}/raw"):
        r = client.get(url)
        assert r.status_code == 403 and EVIL not in r.content
