"""Scheduling on solve by the send rules, withdrawal on reopen, sending through the real SMTP server, expiry."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rapport.conversations import service as conversations
from rapport.models.enums import Status
from rapport.surveys.schedule import no_reply, sampled, send_key
from rapport.worker import scheduler
from rapport.worker.runner import run_due
from tests.surveys.conftest import agent_actor, events_named, make_survey, opt_out, requests_of, solved


def test_solving_schedules_the_survey_after_the_delay(db, world, frozen_clock):
    make_survey(db)
    conv = solved(db, world)
    (req,) = requests_of(db, conv)
    assert req.state == "scheduled" and req.channel == "email" and req.target == "jo@customer.test"
    assert req.due_at == frozen_clock[0] + timedelta(minutes=10)
    assert [e.name for e in events_named(db, "survey.")][-1] == "survey.scheduled"


def test_the_delay_counts_business_time_on_the_calendar(db, world, frozen_clock):
    from tests.sla.conftest import office_calendar

    with db.write() as s:
        cal = office_calendar(s)
    frozen_clock[0] = frozen_clock[0].replace(hour=16, minute=30)  # Monday 16:30, office hours end at 17:00
    make_survey(db, delay_minutes=60, calendar_id=cal)
    (req,) = requests_of(db, solved(db, world))
    assert req.due_at == frozen_clock[0].replace(hour=9, minute=30) + timedelta(days=1)


def test_the_send_rules_decide_who_is_surveyed(db, world, frozen_clock):
    make_survey(db, min_messages=3)
    assert requests_of(db, solved(db, world)) == []  # two messages only
    assert not no_reply("ana@example.com") and no_reply("no-reply@shop.test") and no_reply("MAILER-DAEMON@x.test")
    assert sampled(1, 1, 100) and not sampled(1, 1, 0)


def test_no_reply_by_a_person_means_no_survey(db, world, frozen_clock):
    make_survey(db)
    assert requests_of(db, solved(db, world, reply=False)) == []


def test_no_reply_addresses_are_never_surveyed(db, world, frozen_clock):
    make_survey(db)
    assert requests_of(db, solved(db, world, address="noreply@shop.test")) == []


def test_an_opted_out_customer_is_never_sent_one(db, world, frozen_clock, smtp_server):
    make_survey(db)
    conv = solved(db, world)
    opt_out(db, "jo@customer.test")  # after scheduling: the send checks again
    run_due(db)
    frozen_clock[0] += timedelta(minutes=11)
    run_due(db)
    run_due(db)
    (req,) = requests_of(db, conv)
    assert req.state == "withdrawn" and "opted out" in req.reason and req.sent_at is None
    assert smtp_server.messages == []
    # And a later conversation of theirs is not even scheduled.
    assert requests_of(db, solved(db, world)) == []


def test_cooldown_skips_a_customer_surveyed_lately(db, world, frozen_clock):
    make_survey(db, cooldown_days=30)
    assert len(requests_of(db, solved(db, world))) == 1
    frozen_clock[0] += timedelta(days=1)
    assert requests_of(db, solved(db, world)) == []
    frozen_clock[0] += timedelta(days=30)
    assert len(requests_of(db, solved(db, world))) == 1


def test_reopening_withdraws_and_solving_again_reschedules(db, world, frozen_clock):
    make_survey(db)
    conv = solved(db, world)
    with db.write() as s:
        conversations.update(s, agent_actor(world), conv, conversations.Changes(status=Status.open))
    (req,) = requests_of(db, conv)
    assert req.state == "withdrawn" and req.reason == "the conversation reopened"
    with db.read() as s:
        assert scheduler.find(s, send_key(req.id)) is None  # the send job went with it
    with db.write() as s:
        conversations.update(s, agent_actor(world), conv, conversations.Changes(status=Status.solved))
    (req,) = requests_of(db, conv)  # the same row: once per conversation
    assert req.state == "scheduled"


def test_due_survey_is_mailed_through_smtp_and_expires(db, world, frozen_clock, smtp_server):
    make_survey(db, expiry_days=3)
    conv = solved(db, world)
    frozen_clock[0] += timedelta(minutes=10)
    run_due(db)  # the survey: the mail is queued
    run_due(db)  # the system mailer sends it
    (req,) = requests_of(db, conv)
    assert req.state == "sent" and req.expires_at == req.sent_at + timedelta(days=3) and req.token_hash
    (mail,) = smtp_server.messages
    assert mail["To"] == "jo@customer.test" and f"#{conv}" in mail["Subject"]
    body = mail.get_payload(decode=True).decode()
    assert f"/survey/{req.id}/rsv_" in body and "?score=5" in body and "?score=1" in body
    assert "survey.sent" in [e.name for e in events_named(db, "survey.")]
    frozen_clock[0] += timedelta(days=3)
    run_due(db)
    (req,) = requests_of(db, conv)
    assert req.state == "expired" and req.due_at is None
    assert events_named(db, "survey.")[-1].name == "survey.expired"


def test_mails_per_address_are_limited(db, world, frozen_clock, smtp_server, settings):
    settings.survey_mails_per_address_per_day = 1
    make_survey(db, cooldown_days=0)
    first, second = solved(db, world), solved(db, world)
    frozen_clock[0] += timedelta(minutes=10)
    run_due(db)
    states = sorted(r.state for c in (first, second) for r in requests_of(db, c))
    assert states == ["sent", "withdrawn"]
    (held,) = [r for c in (first, second) for r in requests_of(db, c) if r.state == "withdrawn"]
    assert "RAPPORT_SURVEY_MAILS_PER_ADDRESS_PER_DAY" in held.reason


def test_many_customers_are_not_held_by_the_per_client_mail_limit(db, world, frozen_clock, settings):
    settings.mail_per_client_per_hour = 2
    make_survey(db)
    convs = [solved(db, world, address=f"c{i}@customer.test") for i in range(4)]
    frozen_clock[0] += timedelta(minutes=10)
    run_due(db)
    assert [r.state for c in convs for r in requests_of(db, c)] == ["sent"] * 4


def test_merging_a_solved_conversation_away_withdraws_its_survey(db, world, frozen_clock):
    from rapport.conversations.merge import merge
    from rapport.kernel.permissions import Actor

    make_survey(db, cooldown_days=0)
    source, target = solved(db, world), solved(db, world)
    with db.write() as s:
        merge(s, Actor(kind="agent", id=world.admin.id, name="Ada", role="admin"), source, target)
    (req,) = requests_of(db, source)
    assert req.state == "withdrawn" and req.reason == "the conversation was merged"
    assert [r.state for r in requests_of(db, target)] == ["scheduled"]


def test_a_survey_with_requests_is_switched_off_not_deleted(db, world, frozen_clock):
    from rapport.kernel.permissions import SYSTEM
    from rapport.kit.problems import Conflict
    from rapport.surveys import service

    survey_id = make_survey(db)
    solved(db, world)
    with db.write() as s, pytest.raises(Conflict, match="switch it off"):
        service.delete(s, SYSTEM, survey_id)
    with db.write() as s:
        service.update(s, SYSTEM, survey_id, active=False)
    assert requests_of(db, solved(db, world, address="kim@customer.test")) == []  # switched off: not scheduled


def test_a_link_in_the_received_mail_answers_in_one_tap(db, world, frozen_clock, smtp_server, client):
    import re

    make_survey(db)
    conv = solved(db, world)
    frozen_clock[0] += timedelta(minutes=10)
    run_due(db)
    run_due(db)
    (mail,) = smtp_server.messages
    body = mail.get_payload(decode=True).decode()
    link = re.search(r"Very good: (http://\S+)", body).group(1)
    path = link.split("://", 1)[1].split("/", 1)[1]
    page = client.get(f"/{path}")
    assert page.status_code == 200 and 'name="q_csat" value="5" checked' in page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = client.post(f"/{path.split('?')[0]}", data={"csrf_token": csrf, "q_csat": "5"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("/thanks")
    (req,) = requests_of(db, conv)
    assert req.state == "answered"
