"""Admin pages for custom fields: list, define (key, label, type, options), change the label, options, required."""

from __future__ import annotations

import re

from sqlalchemy import select

from rapport.models import FieldDefinition


def _field(db, key: str) -> FieldDefinition | None:
    with db.read() as s:
        return s.scalar(select(FieldDefinition).where(FieldDefinition.key == key))


def test_the_empty_list_says_what_to_do(client, admin_csrf):
    page = client.get("/admin/fields")
    assert page.status_code == 200 and "No custom fields yet" in page.text


def test_defining_a_choice_field_and_changing_it(client, admin_csrf, db):
    form = {"csrf_token": admin_csrf, "label": "Product", "key": "product", "kind": "select",
            "options": "Kettle\r\nToaster\r\n\r\n", "required": "on"}  # fmt: skip
    r = client.post("/admin/fields", data=form)
    assert r.status_code == 303, r.text
    field = _field(db, "product")
    assert field.options == ["Kettle", "Toaster"] and field.required and field.kind == "select"
    page = client.get("/admin/fields").text
    assert "Added the field" in page and "Kettle, Toaster" in page and "Choice from a list" in page
    url = f"/admin/fields/{field.id}"
    assert 'name="options"' in client.get(url).text
    r = client.post(url, data={"csrf_token": admin_csrf, "label": "Product line", "options": "Kettle\nToaster\nOven"})
    assert r.status_code == 303
    field = _field(db, "product")
    assert field.label == "Product line" and field.options == ["Kettle", "Toaster", "Oven"] and not field.required
    r = client.post(url, data={"csrf_token": admin_csrf, "label": "Product line", "options": ""})
    assert r.status_code == 422 and re.search(r'id="field-options-error">A select field needs', r.text)
    assert _field(db, "product").options == ["Kettle", "Toaster", "Oven"]


def test_a_bad_key_and_a_duplicate_are_named_next_to_the_key(client, admin_csrf, db):
    form = {"csrf_token": admin_csrf, "label": "Order", "key": "Order Number", "kind": "text"}
    r = client.post("/admin/fields", data=form)
    assert r.status_code == 422 and re.search(r'id="field-key-error">Field key', r.text)
    assert 'value="Order Number"' in r.text  # what was typed stays in the form
    assert client.post("/admin/fields", data={**form, "key": "order_number"}).status_code == 303
    r = client.post("/admin/fields", data={**form, "key": "order_number"})
    assert r.status_code == 422 and re.search(r'id="field-key-error">A field with key', r.text)
    r = client.post("/admin/fields", data={**form, "key": "size", "kind": "select", "options": ""})
    assert r.status_code == 422 and re.search(r'id="field-options-error">A select field needs', r.text)
    assert _field(db, "size") is None


def test_agents_cannot_define_fields(client, signed_in, db):
    r = client.post("/admin/fields", data={"csrf_token": signed_in, "label": "X", "key": "x", "kind": "text"})
    assert r.status_code == 403 and _field(db, "x") is None
