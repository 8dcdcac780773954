"""Other packages extend the rule vocabulary without editing the engine: an action registered from outside is checked
on save, run by the engine with the same guarantees, and listed; its name cannot be taken twice."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ConfigDict, Field

from rapport.conversations import service as conversations
from rapport.rules import vocabulary
from rapport.rules.context import Run
from rapport.rules.vocabulary import register_action
from tests.conftest import World
from tests.rules.conftest import action, events, make_rule, write_in


class Stamp(BaseModel):
    """A test action's parameters."""

    model_config = ConfigDict(extra="forbid")
    word: str = Field(min_length=1, max_length=20)


def stamp(run: Run, p: Stamp) -> str:
    """Note the word on the conversation, through the conversations service."""
    conversations.add_note(run.session, run.actor, run.conversation_id, text=f"Stamped: {p.word}")
    return f"stamped {p.word}"


@pytest.fixture
def stamped():
    """The `stamp` action registered as another package would, for one test."""
    register_action("stamp", Stamp, stamp, describe=lambda p: f"stamp {p.word}", label="Stamp")
    yield
    vocabulary.ACTIONS.pop("stamp")


def test_an_action_from_another_package_runs_like_the_built_in_ones(db, world, work, stamped, client):
    listed = client.get("/api/v1/rules/vocabulary", headers=World.auth(world.admin_token)).json()
    assert "stamp" in {a["name"] for a in listed["actions"]}
    make_rule(db, "Stamp it", {"events": ["message.received"], "actions": [action("stamp", word="seen")]})
    work()
    conversation_id = write_in(db, world)
    work()
    [executed] = events(db, conversation_id, "rule.executed")
    assert executed.payload["actions"] == ["stamped seen"]
    assert len(events(db, conversation_id, "note.added")) == 1


def test_its_parameters_are_checked_on_save_and_its_name_is_taken_once(client, world, stamped):
    body = {"name": "Bad stamp", "kind": "event",
            "definition": {"events": ["message.received"], "actions": [action("stamp", word="")]}}  # fmt: skip
    r = client.post("/api/v1/rules", json=body, headers=World.auth(world.admin_token))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "definition.actions.0.params.word"
    with pytest.raises(ValueError, match="already registered"):
        register_action("stamp", Stamp, stamp, describe=lambda p: "again")
