"""The playbook pages: the admin list and editor (steps, versions, errors beside their fields), the checklist on
the conversation page (start, complete with a note, skip, cancel, override) and its guard on the status form."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from rapport.models import PlaybookRun, PlaybookTemplate, PlaybookVersion
from rapport.playbooks import service
from tests.conftest import SUPERVISOR_PASSWORD, sign_in_as
from tests.playbooks.conftest import steps

ADMIN = ("ada@example.com", "correct horse battery")
AGENT = ("alex@example.com", "agent password 1")


@pytest.fixture(autouse=True)
def no_redirects(request):
    """Page tests look at each redirect themselves."""
    if "client" in request.fixturenames:
        request.getfixturevalue("client").follow_redirects = False


def editor(csrf: str, **extra) -> dict:
    """A filled editor: two steps, the second owned by a role and due 4 business hours after the first."""
    return {
        "csrf_token": csrf, "name": "Refund over limit", "description": "Refunds above an agent's authority.",
        "active": "on", "blocks_solve": "on", "calendar_id": "", "categories": "", "tags": "refund-large",
        "steps.0.title": "Write down the order and amount", "steps.0.owner": "assignee", "steps.0.offset_hours": "1",
        "steps.0.offset_from": "start", "steps.0.evidence": "note", "steps.0.required": "on",
        "steps.1.title": "Supervisor approves the refund", "steps.1.owner": "role", "steps.1.role": "supervisor",
        "steps.1.offset_hours": "4", "steps.1.offset_from": "previous", "steps.1.evidence": "none",
        "steps.1.required": "on", **extra,
    }  # fmt: skip


def count(db, model) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_an_admin_adds_a_template_then_a_version(client, world, db):
    sign_in_as(client, *AGENT, next="/inbox", page="/inbox/all")
    assert client.get("/admin/playbooks").status_code == 403
    client.cookies.clear()
    csrf = sign_in_as(client, *ADMIN)
    assert "No playbooks yet" in client.get("/admin/playbooks").text
    assert 'href="/admin/playbooks"' in client.get("/admin").text
    no_token = {k: v for k, v in editor(csrf).items() if k != "csrf_token"}
    assert client.post("/admin/playbooks/new", data=no_token).status_code == 403
    r = client.post("/admin/playbooks/new", data=editor(csrf))
    assert r.status_code == 303 and re.match(r"^/admin/playbooks/\d+$", r.headers["location"])
    page = client.get(r.headers["location"])
    assert (
        page.status_code == 200 and 'value="Supervisor approves the refund"' in page.text and "Version 1" in page.text
    )
    r = client.post(r.headers["location"], data=editor(csrf, **{"steps.1.offset_hours": "8", "name": "Large refund"}))
    assert r.status_code == 303
    with db.read() as s:
        versions = list(s.scalars(select(PlaybookVersion).order_by(PlaybookVersion.number)))
        assert s.scalar(select(PlaybookTemplate.name)) == "Large refund"
    assert [v.steps[1]["offset_seconds"] for v in versions] == [4 * 3600, 8 * 3600]
    assert "Large refund" in client.get("/admin/playbooks").text


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"steps.1.offset_hours": "-2"}, "steps.1.offset_hours"),
        ({"steps.1.offset_hours": "soon"}, "steps.1.offset_hours"),
        ({"steps.1.owner": "team", "steps.1.team_id": "999"}, "steps.1.team_id"),
    ],
)
def test_a_bad_step_is_shown_beside_its_field_and_nothing_is_saved(client, world, db, change, field):
    csrf = sign_in_as(client, *ADMIN)
    r = client.post("/admin/playbooks/new", data=editor(csrf, **change))
    assert r.status_code == 422
    index = field.split(".")[1]
    assert re.search(rf'name="{re.escape(field)}"[^>]*aria-invalid="true"', r.text), r.text
    assert f'id="s{index}-' in r.text and "Nothing was saved" in r.text
    assert count(db, PlaybookTemplate) == 0 and count(db, PlaybookVersion) == 0


@pytest.fixture
def conversation_id(client, world, db, frozen_clock) -> int:
    """A conversation from Jo and the refund template (made through the editor)."""
    from tests.conftest import inbound

    csrf = sign_in_as(client, *ADMIN)
    assert client.post("/admin/playbooks/new", data=editor(csrf)).status_code == 303
    client.cookies.clear()
    return inbound(client, world.agent_token, world.email_inbox.id, text="Refund me 900 EUR")["conversation_id"]


def test_the_checklist_starts_completes_with_a_note_and_guards_solving(client, world, db, conversation_id):
    csrf = sign_in_as(client, *AGENT, next="/inbox", page="/inbox/all")
    panel = client.get(f"/conversations/{conversation_id}/panel")
    assert f'hx-get="/conversations/{conversation_id}/playbooks"' in panel.text
    shown = client.get(f"/conversations/{conversation_id}/playbooks")
    assert "No playbook runs" in shown.text and "Refund over limit" in shown.text
    base = f"/conversations/{conversation_id}/playbooks"
    r = client.post(base, data={"csrf_token": csrf, "template_id": "1"}, headers={"HX-Request": "true"})
    assert r.status_code == 200 and "Started the playbook Refund over limit" in r.text
    assert "Solving waits for" in r.text and "Allow solving" not in r.text  # an agent cannot override
    with db.read() as s:
        run_id = s.scalar(select(PlaybookRun.id))
    empty = client.post(
        f"{base}/{run_id}/steps/0", data={"csrf_token": csrf, "note": " "}, headers={"HX-Request": "true"}
    )
    assert empty.status_code == 422 and "The note is empty" in empty.text
    done = client.post(
        f"{base}/{run_id}/steps/0",
        data={"csrf_token": csrf, "note": "Order 1234, 900 EUR"},
        headers={"HX-Request": "true"},
    )
    assert done.status_code == 200 and "Completed step 1" in done.text
    assert steps(db, run_id)[0].state == "done"
    refused = client.post(f"{base}/{run_id}/steps/1", data={"csrf_token": csrf}, headers={"HX-Request": "true"})
    assert refused.status_code == 422 and "belongs to the role" in refused.text
    status = client.post(
        f"/conversations/{conversation_id}/actions", data={"csrf_token": csrf, "status": "solved"},
        headers={"HX-Request": "true"},
    )  # fmt: skip
    assert "required playbook steps are open" in status.text
    with db.read() as s:
        assert s.get(service.Conversation, conversation_id).status != "solved"


def test_a_supervisor_overrides_with_a_reason(client, world, db, conversation_id, supervisor_csrf):
    base = f"/conversations/{conversation_id}/playbooks"
    client.post(base, data={"csrf_token": supervisor_csrf, "template_id": "1"})
    with db.read() as s:
        run_id = s.scalar(select(PlaybookRun.id))
    shown = client.get(base)
    assert "Allow solving with steps open" in shown.text
    none = client.post(f"{base}/{run_id}/override", data={"csrf_token": supervisor_csrf, "reason": ""},
                       headers={"HX-Request": "true"})  # fmt: skip
    assert none.status_code == 422
    r = client.post(f"{base}/{run_id}/override", data={"csrf_token": supervisor_csrf, "reason": "Refund already paid"})
    assert r.status_code == 303 and r.headers["location"] == f"/conversations/{conversation_id}"
    assert "Refund already paid" in client.get(base).text
    assert SUPERVISOR_PASSWORD  # the fixture signed in with it


def test_skip_and_cancel_from_the_checklist(client, world, db, conversation_id, frozen_clock):
    csrf = sign_in_as(client, *AGENT, next="/inbox", page="/inbox/all")
    base = f"/conversations/{conversation_id}/playbooks"
    client.post(base, data={"csrf_token": csrf, "template_id": "1"})
    with db.read() as s:
        run_id = s.scalar(select(PlaybookRun.id))
    skip = client.post(f"{base}/{run_id}/steps/0", data={"csrf_token": csrf, "action": "skip", "reason": "x"},
                       headers={"HX-Request": "true"})  # fmt: skip
    assert skip.status_code == 422 and "required" in skip.text
    cancel = client.post(f"{base}/{run_id}/cancel", data={"csrf_token": csrf, "reason": "Wrong playbook"},
                         headers={"HX-Request": "true"})  # fmt: skip
    assert cancel.status_code == 200 and "Cancelled: Wrong playbook" in cancel.text


def test_the_editor_takes_field_matches_one_a_line_and_names_a_bad_one(client, world, db):
    from rapport.conversations import fields
    from rapport.kernel.permissions import SYSTEM
    from rapport.models.enums import FieldKind

    with db.write() as s:
        fields.define(s, SYSTEM, key="claim_type", label="Claim type", kind=FieldKind.select, options=["courier"])
    csrf = sign_in_as(client, *ADMIN)
    for bad in ("claim_type courier", "claim_type = pigeon", "nope = 1"):
        r = client.post("/admin/playbooks/new", data=editor(csrf, fields=bad))
        assert r.status_code == 422, bad
        assert re.search(r'name="fields"[^>]*aria-invalid="true"', r.text), bad
    assert count(db, PlaybookTemplate) == 0
    r = client.post("/admin/playbooks/new", data=editor(csrf, fields="claim_type = courier\n"))
    assert r.status_code == 303
    page = client.get(r.headers["location"]).text
    assert ">claim_type = courier</textarea>" in page
    assert "claim_type = courier</span>" in client.get("/admin/playbooks").text
