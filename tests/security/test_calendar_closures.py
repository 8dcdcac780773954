"""The calendar's closure forms change business time: only admins may post them, and only with the CSRF token."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from rapport.calendars import closures, service
from rapport.kernel.permissions import SYSTEM
from rapport.models import CalendarVersion
from tests.calendars.helpers import OFFICE
from tests.conftest import sign_in_as

ADD = {"closure_label": "Stock-take", "closure_start": "2026-12-04"}
START, END = datetime(2026, 12, 3, 23, tzinfo=UTC), datetime(2026, 12, 4, 23, tzinfo=UTC)


def _office_with_a_closure(db, frozen_clock) -> int:
    with db.write() as s:
        cid = service.create(s, SYSTEM, name="Office", spec=OFFICE).id
        closures.add(s, SYSTEM, cid, start=START, end=END, label="Stock-take")
    return cid


def _versions(db) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(CalendarVersion))


def test_closures_are_posted_only_by_admins(client, world, db, frozen_clock):
    cid = _office_with_a_closure(db, frozen_clock)
    csrf = sign_in_as(client, "alex@example.com", "agent password 1", next="/inbox", page="/inbox/all")
    remove = {"start": START.isoformat(), "end": END.isoformat()}
    for path, data in (("closures", {**ADD, "closure_start": "2026-12-14"}), ("closures/remove", remove)):
        r = client.post(f"/admin/calendars/{cid}/{path}", data={"csrf_token": csrf, **data}, follow_redirects=False)
        assert r.status_code == 403, path
    assert _versions(db) == 2


def test_closures_are_posted_only_with_the_csrf_token(client, world, db, frozen_clock):
    cid = _office_with_a_closure(db, frozen_clock)
    sign_in_as(client, "ada@example.com", "correct horse battery")
    remove = {"start": START.isoformat(), "end": END.isoformat()}
    for path, data in (("closures", {**ADD, "closure_start": "2026-12-14"}), ("closures/remove", remove)):
        for token in ({}, {"csrf_token": "forged"}):
            r = client.post(f"/admin/calendars/{cid}/{path}", data={**token, **data}, follow_redirects=False)
            assert r.status_code == 403, (path, token)
    assert _versions(db) == 2
