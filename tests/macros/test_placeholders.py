"""Placeholders: names found, unknown ones refused by name, values filled once and as plain text."""

from __future__ import annotations

import pytest

from rapport.kit.problems import Invalid
from rapport.macros import placeholders


def test_names_and_fallbacks():
    text = "Hi {{customer.first_name|there}}, #{{ conversation.number }} {{ customer.first_name }}"
    assert placeholders.names(text) == ["customer.first_name", "conversation.number"]
    assert placeholders.render(text, {"customer.first_name": "", "conversation.number": "7"}) == "Hi there, #7 "
    assert placeholders.render(text, {"customer.first_name": "Jo", "conversation.number": "7"}) == "Hi Jo, #7 Jo"


def test_a_value_is_inserted_once_as_text_never_read_as_a_placeholder():
    filled = placeholders.render("{{ customer.name }} / {{ agent.name }}", {
        "customer.name": "{{ agent.name }} <b>x</b>", "agent.name": "Alex",
    })  # fmt: skip
    assert filled == "{{ agent.name }} <b>x</b> / Alex"


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("Hi {{ customer.nickname }}", "customer.nickname"),
        ("{{ field.order_no }}", "field.order_no"),
        ("Hi {{ customer.name", "{{ customer.name"),
        ("Hi {{ customer name }}", "{{ customer name }}"),
        ("odd }} here", "}} here"),
    ],
)
def test_unknown_or_malformed_placeholders_are_refused_by_name(text, named):
    with pytest.raises(Invalid) as caught:
        placeholders.check(text, where="body", field_keys=["plan"])
    assert caught.value.extra["placeholder"] == named
    assert caught.value.extra["errors"][0]["field"] == "body"


def test_known_ones_and_defined_fields_pass():
    placeholders.check(
        "{{ customer.email | you }} {{ field.plan }} {{ team.name }} {{ inbox.name }}",
        where="note",
        field_keys=["plan"],
    )
    assert placeholders.first_name("  Jo  Customer ") == "Jo" and placeholders.first_name("") == ""


def test_matching_is_bounded_on_a_long_hostile_text():
    text = "{{ " + "a" * 100_000 + " {{ | " * 10_000
    with pytest.raises(Invalid):
        placeholders.check(text, where="body", field_keys=[])
