"""Answers sent at once from one address (a shared office address, a flood) all complete: recording waits on the
client's rate budget lock, which another answer holds until its commit; done on the event loop, that wait froze the
worker process for good on PostgreSQL (bench/surveys.py recorded no answer at all at concurrency 4)."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from rapport.models import Job, SurveyRequest
from rapport.surveys.send import send as send_now
from tests.browser.conftest import server  # noqa: F401  (the real uvicorn server fixture)
from tests.surveys.conftest import make_survey, requests_of, solved

ANSWERS = 12


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _links(db, world, frozen_clock) -> list[str]:
    make_survey(db)
    out = []
    for n in range(ANSWERS):
        (req,) = requests_of(db, solved(db, world, address=f"c{n}@crowd.test"))
        frozen_clock[0] = max(frozen_clock[0], req.due_at)
        with db.write() as s:
            assert send_now(s, req.id) == "sent"
            text = s.scalar(select(Job.payload).where(Job.dedupe_key == f"survey:{req.id}"))["text"]
        out.append(re.search(rf"/survey/{req.id}/rsv_[A-Za-z0-9_-]+", text).group(0))
    return out


def _answer(base: str, path: str) -> int:
    request = urllib.request.Request(
        base + path, data=b"csrf_token=same&q_csat=4", method="POST",
        headers={"Cookie": "rapport_survey_csrf=same", "Content-Type": "application/x-www-form-urlencoded"},
    )  # fmt: skip
    try:
        with urllib.request.build_opener(_NoRedirect).open(request, timeout=20) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_answers_sent_at_once_from_one_address_all_complete(db, world, frozen_clock, server):  # noqa: F811
    paths = _links(db, world, frozen_clock)
    with ThreadPoolExecutor(ANSWERS) as pool:
        statuses = list(pool.map(lambda p: _answer(server, p), paths, timeout=60))
    assert statuses == [303] * ANSWERS
    with db.read() as s:
        states = list(s.scalars(select(SurveyRequest.state)))
    assert states == ["answered"] * ANSWERS
