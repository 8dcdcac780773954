"""Every mail of the shared corpus (CPython, flanker and mail-parser test mails) through the fetcher's pipeline."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from rapport.models import Attachment, EmailReceipt, Message
from tests import shared_data
from tests.channels.email.conftest import receive

CORPUS = shared_data.shared_dir() / shared_data.EMAIL_CORPUS


def _is_mail(path: Path) -> bool:
    name = path.name
    return path.suffix in (".eml", ".mbox") or name.startswith(("msg_", "mail_"))


MAILS = sorted(p for p in CORPUS.rglob("*") if p.is_file() and _is_mail(p)) if CORPUS.is_dir() else []
# Without the corpus, one placeholder case that is skipped with the reason (or fails on CI).
CASES = [pytest.param(p, id=str(p.relative_to(CORPUS))) for p in MAILS] or [pytest.param(None, id="corpus-absent")]


def test_the_corpus_is_there():
    shared_data.require(shared_data.EMAIL_CORPUS)
    assert len(MAILS) >= 80, f"expected the shared mail corpus at {CORPUS}"


@pytest.mark.parametrize("path", CASES)
def test_corpus_mail_becomes_a_message_or_is_quarantined(db, bare_inbox, path: Path | None):
    shared_data.require(shared_data.EMAIL_CORPUS)
    assert path is not None, f"the shared mail corpus at {CORPUS} holds no mail"
    (outcome,) = receive(db, bare_inbox.id, path.read_bytes())
    assert outcome.outcome in ("message", "quarantined"), outcome
    with db.read() as s:
        receipt = s.scalars(select(EmailReceipt)).one()
        if outcome.outcome == "message":
            message = s.get(Message, outcome.message_id)
            files = s.scalars(select(Attachment).where(Attachment.message_id == message.id)).all()
            assert message.body_text or message.body_html or files
            assert receipt.message_id == message.id
        else:
            assert receipt.reason and receipt.detail
