"""Playbook templates and runs through the service: versions, business-time due times, evidence, skip, cancel,
the overdue job, attaching by tag and the customer answering a "wait for customer" step."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from rapport.conversations import fields
from rapport.conversations import service as conversations
from rapport.conversations.service import Changes
from rapport.events.consumers import run_consumers
from rapport.kernel.permissions import SYSTEM, Actor
from rapport.kit.problems import Conflict, Forbidden, Invalid
from rapport.models import Event, Job, PlaybookTemplate, PlaybookVersion
from rapport.models.enums import FieldKind, Role
from rapport.playbooks import service, tasks, templates  # noqa: F401  (tasks registers the due-time job)
from rapport.worker.runner import run_due
from tests.playbooks.conftest import damaged_delivery, make_template, run_of, steps
from tests.sla.conftest import write_in


def agent(world, user=None) -> Actor:
    """An agent of the Support team acting through a browser session."""
    user = user or world.agent
    return Actor(kind="agent", id=user.id, role=Role(user.role), name=user.name, team_ids=frozenset({world.team.id}))


def names(db, conversation_id: int) -> list[str]:
    """The conversation's playbook events in log order."""
    with db.read() as s:
        query = select(Event.name).where(Event.conversation_id == conversation_id, Event.name.like("playbook.%"))
        return list(s.scalars(query.order_by(Event.id)))


def start(db, world, conversation_id, template_id, actor=None) -> int:
    """Start the template on the conversation; the run's id."""
    with db.write() as s:
        return service.start(s, conversation_id, template_id, by=actor or agent(world), reason="by hand").id


def test_a_new_version_leaves_running_playbooks_on_theirs(db, world, template_id, conversation_id):
    run_id = start(db, world, conversation_id, template_id)
    changed = damaged_delivery(world.team.id)
    del changed["name"]
    changed["steps"] = changed["steps"][:1]
    with db.write() as s:
        assert templates.revise(s, SYSTEM, template_id, changed).number == 2
    with db.read() as s:
        assert [v.number for v in templates.versions(s, template_id)] == [2, 1]
        assert s.get(PlaybookVersion, run_of(db, run_id).version_id).number == 1
    assert len(steps(db, run_id)) == 3


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"offset_seconds": -60}, "steps.0.offset_seconds"),
        ({"owner": "team", "team_id": 999}, "steps.0.team_id"),
        ({"offset_seconds": 400 * 86_400}, "steps.0.offset_seconds"),
        ({"owner": "role"}, "steps.0"),
        ({"evidence": "field"}, "steps.0"),
    ],
)
def test_a_bad_step_is_refused_naming_its_field_and_nothing_is_written(db, world, change, field):
    content = damaged_delivery(world.team.id)
    content["steps"][0].update(change)
    with db.write() as s, pytest.raises(Invalid) as refused:
        templates.create(s, SYSTEM, content)
    assert field in [e["field"] for e in refused.value.extra["errors"]]
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(PlaybookTemplate)) == 0
        assert s.scalar(select(func.count()).select_from(PlaybookVersion)) == 0


def test_an_offset_over_the_ceiling_names_the_setting(db, world):
    content = damaged_delivery(world.team.id)
    content["steps"][1]["offset_seconds"] = 366 * 86_400
    with db.write() as s, pytest.raises(Invalid, match="RAPPORT_PLAYBOOK_MAX_OFFSET_DAYS"):
        templates.create(s, SYSTEM, content)


def test_due_times_count_business_hours_from_the_start_and_from_the_step_before(
    db, world, template_id, conversation_id, frozen_clock
):
    frozen_clock[0] = datetime(2026, 11, 6, 16, 0, tzinfo=UTC)  # Friday, an hour before closing
    run_id = start(db, world, conversation_id, template_id)
    first, second, third = steps(db, run_id)
    assert first.due_at == datetime(2026, 11, 9, 10, 0, tzinfo=UTC)  # 1 h on Friday, 1 h on Monday
    assert second.due_at is None and third.due_at is None  # its clock starts when the first step ends
    with db.read() as s:
        assert s.scalar(select(Job.due_at).where(Job.dedupe_key == f"playbook_step:{first.id}")) == first.due_at
    frozen_clock[0] = datetime(2026, 11, 9, 9, 30, tzinfo=UTC)
    with db.write() as s:
        note = conversations.add_note(s, agent(world), conversation_id, text="Asked for photos.")
        service.complete_step(s, agent(world), run_id, 0, message_id=note.id)
    first, second, _ = steps(db, run_id)
    assert first.state == "done" and first.evidence == {"kind": "note", "message_id": note.id}
    assert second.due_at == datetime(2026, 11, 9, 13, 30, tzinfo=UTC)
    with db.read() as s:  # done: its due-time job is gone
        assert s.scalar(select(Job.id).where(Job.dedupe_key == f"playbook_step:{first.id}")) is None


def test_a_step_is_not_done_without_its_evidence(db, world, template_id, conversation_id):
    run_id = start(db, world, conversation_id, template_id)
    with db.write() as s:
        reply = conversations.reply(s, agent(world), conversation_id, text="Could you send photos?")
    for given in ({}, {"message_id": reply.id}, {"message_id": 10_000}):
        with db.write() as s, pytest.raises(Invalid) as refused:
            service.complete_step(s, agent(world), run_id, 0, **given)
        assert refused.value.extra["errors"][0]["field"] == "message_id"
    with db.write() as s:  # the note written with the step is its evidence
        service.complete_step(s, agent(world), run_id, 0, note="Photos requested by phone.")
    with db.write() as s:
        service.complete_step(s, agent(world), run_id, 1)
    with db.write() as s, pytest.raises(Invalid, match="claim_number"):
        service.complete_step(s, agent(world), run_id, 2)
    assert steps(db, run_id)[2].state == "open"


def test_an_optional_step_is_skipped_with_a_reason_and_the_run_completes(db, world, template_id, conversation_id):
    run_id = start(db, world, conversation_id, template_id)
    with db.write() as s, pytest.raises(Conflict, match="required"):
        service.skip_step(s, agent(world), run_id, 0, reason="no need")
    with db.write() as s:
        service.complete_step(s, agent(world), run_id, 0, note="Asked for photos.")
        service.complete_step(s, agent(world), run_id, 1)
    with db.write() as s, pytest.raises(Invalid):
        service.skip_step(s, agent(world), run_id, 2, reason="  ")
    with db.write() as s:
        service.skip_step(s, agent(world), run_id, 2, reason="The courier already paid.")
    run = run_of(db, run_id)
    assert run.state == "completed" and run.ended_by_id == world.agent.id
    assert names(db, conversation_id) == [
        "playbook.started", "playbook.step_completed", "playbook.step_completed", "playbook.step_skipped",
        "playbook.completed",
    ]  # fmt: skip


def test_a_team_step_belongs_to_its_team(db, world, template_id, conversation_id):
    run_id = start(db, world, conversation_id, template_id)
    outsider = Actor(kind="agent", id=world.agent2.id, role=Role.agent, name="Bo")
    with db.write() as s:
        service.complete_step(s, agent(world), run_id, 0, note="Asked for photos.")
    with db.write() as s, pytest.raises(Forbidden, match="its team"):
        service.complete_step(s, outsider, run_id, 1)
    with db.write() as s:
        service.complete_step(s, agent(world), run_id, 1)


def test_an_overdue_step_is_recorded_once_at_its_instant(db, world, template_id, conversation_id, frozen_clock):
    run_id = start(db, world, conversation_id, template_id)
    frozen_clock[0] += timedelta(hours=2) - timedelta(seconds=1)
    assert run_due(db) == 0
    frozen_clock[0] += timedelta(seconds=1)
    assert run_due(db) == 1
    first = steps(db, run_id)[0]
    assert first.overdue_at == frozen_clock[0]
    with db.write() as s:
        assert service.fire_overdue(s, first.id) is False  # a second delivery records nothing
    assert names(db, conversation_id).count("playbook.step_overdue") == 1
    with db.read() as s:
        board = service.overdue(s, agent(world, world.supervisor), limit=10)
    assert board["count"] == 1 and board["items"][0]["title"] == "Ask for photos of the damage"
    with db.write() as s:
        service.complete_step(s, agent(world), run_id, 0, note="Photos in.")
    with db.read() as s:
        assert service.overdue(s, agent(world, world.supervisor), limit=10)["count"] == 0


def test_cancelling_drops_the_due_times(db, world, template_id, conversation_id, frozen_clock):
    run_id = start(db, world, conversation_id, template_id)
    with db.write() as s, pytest.raises(Invalid):
        service.cancel(s, agent(world), run_id, reason="")
    with db.write() as s:
        service.cancel(s, agent(world), run_id, reason="Customer withdrew the complaint")
    frozen_clock[0] += timedelta(days=3)
    assert run_due(db) == 0
    assert run_of(db, run_id).state == "cancelled"
    with db.write() as s, pytest.raises(Conflict):
        service.complete_step(s, agent(world), run_id, 0, note="too late")


def test_starting_twice_keeps_one_run(db, world, template_id, conversation_id):
    assert start(db, world, conversation_id, template_id) == start(db, world, conversation_id, template_id)


def test_a_tag_named_by_a_template_attaches_it_once(db, world, template_id, conversation_id):
    run_consumers(db)  # the consumers start at the present
    with db.write() as s:
        conversations.update(s, agent(world), conversation_id, Changes(add_tags=["Damaged"]))
    run_consumers(db)
    run_consumers(db)
    with db.read() as s:
        runs = service.runs_of(s, conversation_id)
    assert [(r.template_id, r.reason) for r in runs] == [(template_id, "matched #damaged")]
    assert runs[0].started_by_id is None


def test_the_customer_answers_a_wait_for_customer_step(db, world, conversation_id, office, frozen_clock):
    run_consumers(db)  # the consumers start at the present
    content = damaged_delivery(world.team.id, office, name="Account compromise", match={})
    content["steps"] = [
        {"title": "Ask the customer to confirm their identity", "action": "wait_for_customer"},
        {"title": "Reset the password", "owner": "role", "role": "supervisor"},
    ]
    run_id = start(db, world, conversation_id, make_template(db, content))
    frozen_clock[0] += timedelta(minutes=1)
    write_in(db, world, "It's me, date of birth 1 May", conversation_id=conversation_id)
    run_consumers(db)
    first, second = steps(db, run_id)
    assert first.state == "done" and first.evidence["kind"] == "message"
    with db.write() as s, pytest.raises(Forbidden, match="supervisor"):
        service.complete_step(s, agent(world), run_id, 1)
    with db.write() as s:
        service.complete_step(s, agent(world, world.supervisor), run_id, 1)
    assert run_of(db, run_id).state == "completed"


def test_a_field_value_named_by_a_template_attaches_it(db, world, conversation_id):
    with db.write() as s:
        fields.define(
            s, SYSTEM, key="claim_type", label="Claim type", kind=FieldKind.select, options=["courier", "shop"]
        )
        fields.define(s, SYSTEM, key="damage_value", label="Damage value", kind=FieldKind.number)
    content = damaged_delivery(world.team.id, name="Courier claim")
    content["match"] = {"fields": [{"key": "claim_type", "value": "courier"}, {"key": "damage_value", "value": "500"}]}
    template_id = make_template(db, content)
    with db.read() as s:
        stored = templates.latest_of(s, [template_id])[template_id].match["fields"]
    assert stored == [{"key": "claim_type", "value": "courier"}, {"key": "damage_value", "value": 500}]
    run_consumers(db)
    with db.write() as s:  # another value, then a field no template names: nothing starts
        conversations.update(s, agent(world), conversation_id, Changes(fields={"claim_type": "shop"}))
    run_consumers(db)
    with db.read() as s:
        assert service.runs_of(s, conversation_id) == []
    with db.write() as s:
        conversations.update(s, agent(world), conversation_id, Changes(fields={"damage_value": 500}))
    run_consumers(db)
    with db.read() as s:
        assert [r.reason for r in service.runs_of(s, conversation_id)] == ["matched damage_value = 500"]


@pytest.mark.parametrize(
    ("match", "field"),
    [
        ({"key": "nope", "value": "x"}, "match.fields.0.key"),
        ({"key": "claim_type", "value": "pigeon"}, "match.fields.0.value"),
    ],
)
def test_a_field_match_names_a_defined_field_and_a_value_it_takes(db, world, match, field):
    with db.write() as s:
        fields.define(s, SYSTEM, key="claim_type", label="Claim type", kind=FieldKind.select, options=["courier"])
    content = damaged_delivery(world.team.id) | {"match": {"fields": [match]}}
    with pytest.raises(Invalid) as refused, db.write() as s:
        templates.create(s, SYSTEM, content)
    assert refused.value.extra["errors"][0]["field"] == field
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(PlaybookTemplate)) == 0
