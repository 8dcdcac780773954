"""The macros pages: the list with uses and reopen rate, the editor (errors beside their field), the picker."""

from __future__ import annotations

from sqlalchemy import func, select

from rapport.models import Macro
from tests.conftest import World, inbound
from tests.macros.helpers import BASE, conversation, make


def test_the_list_shows_uses_and_reopen_rate_and_the_editor_saves(client, world, signed_in, db):
    cid = conversation(client, world)
    made = make(client, world.agent_token, name="Parcel late", body="Hi {{ customer.first_name }}")
    client.post(f"{BASE}/{made['id']}/apply", json={"conversation_id": cid}, headers=World.auth(world.agent_token))
    page = client.get("/macros")
    assert page.status_code == 200 and "Parcel late" in page.text and "Reopened within 7 days" in page.text
    assert '<td class="num">1</td>' in page.text and "0 (0%)" in page.text
    form = {
        "csrf_token": signed_in, "name": "Refund issued", "visibility": "personal", "body": "Dear {{ customer.name }}",
        "priority": "low", "add_tags": "refund, billing", "fields": "",
    }  # fmt: skip
    r = client.post("/macros/new", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    with db.read() as s:
        row = s.scalars(select(Macro).where(Macro.name == "Refund issued")).one()
        assert row.changes == {"priority": "low", "add_tags": ["billing", "refund"]}
    editor = client.get(f"/macros/{row.id}")
    assert editor.status_code == 200 and "Dear {{ customer.name }}" in editor.text
    r = client.post(f"/macros/{row.id}", data={**form, "name": "Refund done"}, follow_redirects=False)
    assert r.status_code == 303
    r = client.post(f"/macros/{row.id}/delete", data={"csrf_token": signed_in}, follow_redirects=False)
    assert r.status_code == 303


def test_an_unknown_placeholder_in_the_form_is_shown_beside_the_field_and_nothing_is_saved(
    client, world, signed_in, db
):
    form = {"csrf_token": signed_in, "name": "Bad", "visibility": "personal", "body": "Hi {{ customer.shoe_size }}"}
    r = client.post("/macros/new", data=form, follow_redirects=False)
    assert r.status_code == 422 and "customer.shoe_size" in r.text and 'id="macro-body-error"' in r.text
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Macro)) == 0


def test_the_conversation_composer_carries_the_picker_and_a_shared_macro_is_read_only_to_an_agent(
    client, world, signed_in
):
    cid = conversation(client, world)
    page = client.get(f"/conversations/{cid}")
    assert page.status_code == 200
    assert f'data-macro-picker data-conversation="{cid}"' in page.text and "/static/macros.js" in page.text
    shared = make(client, world.sup_token, name="Everyone's", visibility="shared")
    view = client.get(f"/macros/{shared['id']}")
    assert view.status_code == 200 and "Only supervisors and admins change this macro." in view.text
    assert f'action="/macros/{shared["id"]}"' not in view.text
    # The picker's calls: the list and the preview through the API with the session cookie.
    assert [m["name"] for m in client.get(BASE).json()] == ["Everyone's"]
    preview = client.get(f"{BASE}/{shared['id']}/preview", params={"conversation_id": cid})
    assert preview.status_code == 200 and preview.json()["reply"]["text"] == "Hi Jo"


def test_sorting_by_reopen_rate_puts_weak_macros_first(client, world, signed_in):
    h = World.auth(world.agent_token)
    make(client, world.agent_token, name="A fine one", body="Hello")
    weak = make(client, world.agent_token, name="Weak one", body="Solved?", changes={"status": "solved"})
    cid = conversation(client, world)
    assert client.post(f"{BASE}/{weak['id']}/apply", json={"conversation_id": cid}, headers=h).status_code == 201
    inbound(
        client, world.agent_token, world.email_inbox.id, "jocustomer@customer.test", "not fixed", conversation_id=cid
    )
    by_name = client.get("/macros").text
    assert by_name.index("A fine one") < by_name.index("Weak one")
    weak_first = client.get("/macros", params={"sort": "reopened"}).text
    assert weak_first.index("Weak one") < weak_first.index("A fine one") and "1 (100%)" in weak_first
    assert client.get("/macros", params={"sort": "nonsense"}).status_code == 200
