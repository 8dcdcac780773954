"""The demo generator: the promised organisation, deterministic, streamed through the bulk importer."""

from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from typer.testing import CliRunner

from rapport.cli import app
from rapport.cli_data import register
from rapport.demo import DEMO_EMAIL, generate, records
from rapport.kit import clock
from rapport.models import Agent, Conversation, Customer, Inbox, Message, Team
from rapport.models.enums import Channel
from rapport.transfer.importer import import_file
from tests.transfer.helpers import check_event_payloads, search_messages

NOW = datetime(2026, 11, 2, 12, tzinfo=UTC)


def test_generate_loads_the_promised_organisation(db):
    report = generate(db, conversations=400, customers=80, now=NOW)
    assert report.error_count == 0 and report.aborted is None
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Team)) == 3
        roles = Counter(s.scalars(select(Agent.role)))
        assert roles == {"admin": 1, "supervisor": 3, "agent": 21}
        assert s.scalar(select(Agent.role).where(Agent.email == DEMO_EMAIL)) == "admin"
        assert set(s.scalars(select(Inbox.channel))) == {c.value for c in Channel}
        assert s.scalar(select(func.count()).select_from(Customer)) == 80
        assert s.scalar(select(func.count()).where(Customer.vip.is_(True))) >= 1
        convs = s.execute(select(Conversation.status, Conversation.channel, Conversation.created_at)).all()
        directions = Counter(s.scalars(select(Message.direction)))
    assert len(convs) == 400
    assert {c.channel for c in convs} == {c.value for c in Channel}
    assert min(c.created_at for c in convs) >= NOW - timedelta(days=190)
    old = Counter(c.status for c in convs if c.created_at < NOW - timedelta(days=30))
    recent = Counter(c.status for c in convs if c.created_at > NOW - timedelta(days=3))
    assert old["closed"] / sum(old.values()) > 0.8
    assert recent["closed"] < sum(recent.values()) / 2
    assert {"inbound", "outbound", "note"} <= set(directions)
    assert check_event_payloads(db) > sum(directions.values())
    assert search_messages(db, "refund")


def test_same_seed_same_records_and_the_message_total_is_steered():
    one = list(records(conversations=200, customers=40, messages=1000, now=NOW, seed=7))
    two = list(records(conversations=200, customers=40, messages=1000, now=NOW, seed=7))
    other = list(records(conversations=200, customers=40, messages=1000, now=NOW, seed=8))
    assert one == two and one != other
    messages = sum(len(r["messages"]) for r in one if r["type"] == "conversation")
    assert 950 <= messages <= 1050


def test_every_conversation_opens_with_a_message_whatever_the_steering_asks():
    # At this instant the steering toward the total asked a new conversation for no message at all (demo-0000297).
    made = records(conversations=300, customers=60, seed=1, now=datetime(2026, 12, 8, 0, 9, tzinfo=UTC))
    conversations = [r for r in made if r["type"] == "conversation"]
    assert len(conversations) == 300
    assert all(r["messages"] and r["messages"][0]["direction"] == "inbound" for r in conversations)


def test_writing_a_file_then_importing_it_gives_the_same_data(db, tmp_path):
    counts = generate(out=tmp_path / "demo.jsonl", conversations=150, customers=30, now=NOW)
    assert counts["conversation"] == 150 and counts["customer"] == 30
    report = import_file(db, tmp_path / "demo.jsonl")
    assert report.counts["message.created"] == counts["message"] and report.error_count == 0


def test_demo_command_loads_once_and_prints_the_login(tmp_path, monkeypatch):
    monkeypatch.delenv("RAPPORT_DATABASE_URL", raising=False)
    monkeypatch.setenv("RAPPORT_DATA_DIR", str(tmp_path / "demo"))  # the command sets it; this restores it after
    register(app)
    runner = CliRunner()
    args = ["demo", "--data-dir", str(tmp_path / "demo"), "--conversations", "60", "--customers", "20", "--no-serve"]
    # A Wednesday noon: the demo's latest message is then within the two days that count as fresh (on a Monday
    # morning it can be Friday's, whatever the code does).
    wednesday = datetime(2026, 11, 4, 12, 0, tzinfo=UTC)
    clock.set_clock(lambda: wednesday)
    try:
        first = runner.invoke(app, args)
        assert first.exit_code == 0, first.output
        assert DEMO_EMAIL in first.output and "rapport-demo" in first.output
        second = runner.invoke(app, args)
        assert second.exit_code == 0 and "already loaded" in second.output and "load it again" not in second.output
        clock.set_clock(lambda: wednesday + timedelta(days=30))  # a month later, its dates are stale
        later = runner.invoke(app, args)
    finally:
        clock.set_clock(None)
    assert later.exit_code == 0 and "to load it again with today's" in " ".join(later.output.split())


def test_demo_traffic_writes_in_as_a_demo_customer_with_the_demos_own_wording(db):
    from rapport.demo.traffic import Traffic

    generate(db, conversations=120, customers=30, now=NOW)
    with db.read() as s:
        known = set(s.scalars(select(Customer.id)))
    traffic = Traffic(db, every=1, seed=3)
    received = [traffic.send_one() for _ in range(12)]
    with db.read() as s:
        rows = s.execute(
            select(Message.body_text, Message.channel, Conversation.channel.label("origin"), Customer.name)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .join(Customer, Customer.id == Message.customer_id)
            .where(Message.id.in_([r.message_id for r in received]))
        ).all()
    assert len(rows) == 12 and all(r.body_text and r.body_text.strip() for r in rows)
    assert len({r.body_text for r in rows}) == 12  # varied: no two customers send the same words
    assert {r.channel for r in rows} <= {"email", "sms", "whatsapp"} and all(r.name for r in rows)
    returning = [r for r in received if r.customer_id in known]
    assert 6 <= len(returning) < 12  # mostly the demo's own customers, and someone new now and then
