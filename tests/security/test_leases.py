"""Leases are short and renewed by a heartbeat: a crash delays work by one lease, a live worker keeps its work.

Time is the controllable clock (frozen_clock); no test waits on the wall clock.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from rapport.channels.email import fetcher
from rapport.channels.email.imap import ImapClient
from rapport.models import Job, Message
from rapport.worker import queue
from rapport.worker.runner import Heartbeat, run_due
from tests.channels.email.conftest import deliver, dovecot, inbox, mail_user  # noqa: F401  (fixtures)
from tests.channels.email.mails import mail


def _job(db) -> int:
    with db.write() as s:
        queue.enqueue(s, "test.nothing", {})
    with db.read() as s:
        return s.query(Job.id).scalar()


def test_a_job_whose_worker_died_is_claimed_again_after_the_lease(db, settings, frozen_clock):
    job_id = _job(db)
    with db.write() as s:
        assert [j.id for j in queue.claim(s, limit=10, owner="dead-worker")] == [job_id]
    # The process is killed: no heartbeat. Before the lease ends nobody may take it; right after, another worker does.
    frozen_clock[0] += timedelta(seconds=settings.job_lease_seconds - 1)
    with db.write() as s:
        assert queue.claim(s, limit=10, owner="other") == []
    frozen_clock[0] += timedelta(seconds=2)
    with db.write() as s:
        assert [j.id for j in queue.claim(s, limit=10, owner="other")] == [job_id]
    assert settings.job_lease_seconds <= 60  # seconds, not the five minutes a crash used to cost


def test_a_live_job_renewed_by_its_heartbeat_is_not_taken(db, settings, frozen_clock):
    job_id = _job(db)
    with db.write() as s:
        queue.claim(s, limit=10, owner="live-worker")
    beat = Heartbeat(db, "live-worker", [job_id], interval=settings.job_lease_seconds / 3)
    for _ in range(6):  # two leases long, a beat every third of a lease
        frozen_clock[0] += timedelta(seconds=settings.job_lease_seconds / 3)
        assert beat.beat() == 1
        with db.write() as s:
            assert queue.claim(s, limit=10, owner="other") == []
    # Its heartbeat stops (the process died): one lease later the job is someone else's.
    frozen_clock[0] += timedelta(seconds=settings.job_lease_seconds + 1)
    with db.write() as s:
        assert [j.id for j in queue.claim(s, limit=10, owner="other")] == [job_id]
    assert beat.beat() == 0  # the old owner learns it no longer holds it


def test_the_lease_is_the_named_setting(db, settings, frozen_clock):
    settings.job_lease_seconds = 7
    job_id = _job(db)
    with db.write() as s:
        queue.claim(s, limit=10, owner="a")
    with db.read() as s:
        assert s.get(Job, job_id).due_at == frozen_clock[0] + timedelta(seconds=7)


def test_run_due_claims_under_its_owner_and_finishes(db, frozen_clock):
    from rapport.worker import runner

    ran = []
    runner.HANDLERS["test.nothing"] = lambda session, payload: ran.append(payload)
    try:
        _job(db)
        assert run_due(db, owner="me") == 1 and ran == [{}]
    finally:
        runner.HANDLERS.pop("test.nothing", None)


def test_a_mailbox_lease_of_a_crashed_fetcher_passes_on_after_the_lease(db, world, settings, frozen_clock):
    inbox_id = world.email_inbox.id
    assert fetcher._lease(db, inbox_id, "INBOX", "crashed")
    frozen_clock[0] += timedelta(seconds=settings.email_lease_seconds - 1)
    assert not fetcher._lease(db, inbox_id, "INBOX", "standby")
    frozen_clock[0] += timedelta(seconds=2)
    assert fetcher._lease(db, inbox_id, "INBOX", "standby")
    assert settings.email_lease_seconds <= 60


def test_a_watcher_renews_its_mailbox_lease_between_idles(settings):
    # IDLE is cut into slices of a third of the lease, so the lease is renewed before anyone may take it.
    watcher = fetcher.MailboxWatcher(None, 1)
    assert watcher.idle_slice() <= settings.email_lease_seconds / 3


def test_mail_that_arrives_during_a_pass_is_fetched_before_the_watcher_idles(
    db,
    inbox,  # noqa: F811
    dovecot,  # noqa: F811
    mail_user,  # noqa: F811
    monkeypatch,
):
    deliver(dovecot, mail_user, mail(subject="Before the pass"))
    real_ingest, arrived = fetcher.ingest, []

    def ingest_while_more_arrives(*args, **kwargs):
        outcomes = real_ingest(*args, **kwargs)
        if not arrived:
            deliver(dovecot, mail_user, mail(subject="During the pass"))
            arrived.append(True)
        return outcomes

    stored_at_first_idle = []

    def first_idle(self, seconds, stopping):
        with db.read() as s:
            stored_at_first_idle.append(s.scalar(select(func.count()).select_from(Message)))
        watcher.stop()
        return False

    monkeypatch.setattr(fetcher, "ingest", ingest_while_more_arrives)
    monkeypatch.setattr(ImapClient, "idle", first_idle)
    watcher = fetcher.MailboxWatcher(db, inbox.id)
    watcher.start()
    watcher.join(timeout=60)
    assert not watcher.is_alive()
    # Both mails were stored before the watcher went to IDLE: the one that came during the pass waited for no IDLE.
    assert stored_at_first_idle == [2]
