"""The built-in rule actions. Each changes the conversation through the domain that owns what it changes (status
through the lifecycle writer, fields through the conversations service, notifications, webhooks), so that domain's
own events and hooks (service targets, notifications) follow as for a person's change."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.orm import Session

from rapport.config import get_settings
from rapport.conversations import service as conversations
from rapport.conversations.service import Changes
from rapport.events.outbox import record
from rapport.kit import ratelimit
from rapport.kit.problems import Invalid, NotFound, TooManyRequests
from rapport.models.enums import Priority, Status
from rapport.rules import repository, templates
from rapport.rules.context import Run
from rapport.rules.vocabulary import register_action
from rapport.webhooks import service as webhooks

TAG_CHARS = 64
Key = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_]+$")


class Params(BaseModel):
    """The base of every action's parameters: no unknown keys, frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class StatusParams(Params):
    """The status to move to (through the lifecycle)."""

    status: Status


class PriorityParams(Params):
    """The priority to set."""

    priority: Priority


class TeamParams(Params):
    """The team to hand the conversation to (null: no team)."""

    team_id: int | None = Field(ge=1)


class AssigneeParams(Params):
    """The agent to assign (null: unassign)."""

    agent_id: int | None = Field(ge=1)


class TagParams(Params):
    """Tags to add and to remove."""

    add: list[str] = Field(default_factory=list, max_length=20)
    remove: list[str] = Field(default_factory=list, max_length=20)

    @field_validator("add", "remove")
    @classmethod
    def _tags(cls, tags: list[str]) -> list[str]:
        for tag in tags:
            if not tag.strip() or len(tag) > TAG_CHARS:
                raise ValueError(f"a tag is 1 to {TAG_CHARS} characters")
        return tags


class CategoryParams(Params):
    """The category (by name) to set; null clears it."""

    category: str | None = Field(max_length=100)


class FieldsParams(Params):
    """Custom field values to set (by key)."""

    values: dict[str, str | int | float | bool | None] = Field(min_length=1, max_length=20)


class TextParams(Params):
    """A text with placeholders (a note or a reply)."""

    text: str

    @field_validator("text")
    @classmethod
    def _text(cls, text: str) -> str:
        return templates.check(text)


class NotifyParams(Params):
    """Agents and teams to tell, and what to tell them."""

    agent_ids: list[int] = Field(default_factory=list, max_length=50)
    team_ids: list[int] = Field(default_factory=list, max_length=20)
    text: str = Field(default="", max_length=300)

    @field_validator("agent_ids", "team_ids")
    @classmethod
    def _ids(cls, ids: list[int]) -> list[int]:
        if any(i < 1 for i in ids):
            raise ValueError("ids are positive whole numbers")
        return ids


class WebhookParams(Params):
    """The outgoing webhook endpoint to call."""

    endpoint_id: int = Field(ge=1)


def _change(run: Run, changes: Changes) -> None:
    conversations.update(run.session, run.actor, run.conversation_id, changes)


def _check_team(session: Session, p: TeamParams) -> None:
    if p.team_id is not None and not repository.team_exists(session, p.team_id):
        raise Invalid(f"There is no team {p.team_id}.", errors=[{"field": "params.team_id", "message": "no such team"}])


def _check_agent(session: Session, p: AssigneeParams) -> None:
    if p.agent_id is not None and not repository.agent_active(session, p.agent_id):
        raise Invalid(f"There is no active agent {p.agent_id}.", errors=[{"field": "params.agent_id"}])


def _check_notify(session: Session, p: NotifyParams) -> None:
    if not (p.agent_ids or p.team_ids):
        raise Invalid("Say whom to notify: agent_ids, team_ids or both.", errors=[{"field": "params.agent_ids"}])
    for team_id in p.team_ids:
        _check_team(session, TeamParams(team_id=team_id))
    for agent_id in p.agent_ids:
        _check_agent(session, AssigneeParams(agent_id=agent_id))


def _check_endpoint(session: Session, p: WebhookParams) -> None:
    if not webhooks.endpoint_exists(session, p.endpoint_id):
        raise Invalid(f"There is no webhook endpoint {p.endpoint_id}.", errors=[{"field": "params.endpoint_id"}])


def set_status(run: Run, p: StatusParams) -> str:
    """Move the conversation to a status (the lifecycle decides whether it may)."""
    _change(run, Changes(status=p.status))
    return f"set the status to {p.status.value.replace('_', ' ')}"


def set_priority(run: Run, p: PriorityParams) -> str:
    """Set the priority."""
    _change(run, Changes(priority=p.priority))
    return f"set the priority to {p.priority.value}"


def set_team(run: Run, p: TeamParams) -> str:
    """Hand the conversation to a team (a team deleted since the rule was saved fails the run)."""
    if p.team_id is not None and not repository.team_exists(run.session, p.team_id):
        raise NotFound(f"There is no team {p.team_id} any more; edit the rule.")
    _change(run, Changes(team_id=p.team_id))
    return f"moved it to team #{p.team_id}" if p.team_id else "removed the team"


def set_assignee(run: Run, p: AssigneeParams) -> str:
    """Assign an agent (or nobody)."""
    _change(run, Changes(assignee_id=p.agent_id))
    return f"assigned agent #{p.agent_id}" if p.agent_id else "unassigned it"


def tags(run: Run, p: TagParams) -> str:
    """Add and remove tags."""
    _change(run, Changes(add_tags=list(p.add), remove_tags=list(p.remove)))
    said = [f"added the tag {t}" for t in p.add] + [f"removed the tag {t}" for t in p.remove]
    return ", ".join(said) or "changed no tags"


def set_category(run: Run, p: CategoryParams) -> str:
    """Set or clear the category."""
    _change(run, Changes(category=p.category))
    return f"set the category to {p.category}" if p.category else "cleared the category"


def set_fields(run: Run, p: FieldsParams) -> str:
    """Set custom field values (checked by their definitions)."""
    current = repository.custom_fields(run.session, run.conversation_id)
    _change(run, Changes(fields={**current, **p.values}))
    return "set " + ", ".join(f"{k} to {v}" for k, v in p.values.items())


def add_note(run: Run, p: TextParams) -> str:
    """Add an internal note (placeholders filled in)."""
    text = templates.fill(p.text, repository.placeholders(run.session, run.conversation_id, run.rule.name))
    conversations.add_note(run.session, run.actor, run.conversation_id, text=text)
    return "added an internal note"


def reply(run: Run, p: TextParams) -> str:
    """Reply to the customer, unless their message was automatic or they had their share of automatic replies."""
    refused = may_reply(run)
    if refused:
        return refused
    text = templates.fill(p.text, repository.placeholders(run.session, run.conversation_id, run.rule.name))
    conversations.reply(run.session, run.actor, run.conversation_id, text=text)
    return "replied to the customer"


def may_reply(run: Run) -> str | None:
    """None when a rule may write to this customer now (and counts it); else why not, noted on the run.

    Never to an automatic message (an auto-reply, a bounce, a report, a mailing), and at most
    RAPPORT_RULES_REPLIES_PER_CUSTOMER_PER_HOUR automatic replies to one customer.
    """
    automatic = repository.latest_inbound_is_automatic(run.session, run.conversation_id)
    if automatic:
        run.notes.append(f"no reply: {automatic}")
        return f"sent no reply ({automatic})"
    settings = get_settings()
    key = ratelimit.Key(
        "rules:reply",
        f"customer:{run.customer_id}",
        settings.rules_replies_per_customer_per_hour,
        "RAPPORT_RULES_REPLIES_PER_CUSTOMER_PER_HOUR",
        "automatic replies to this customer",
    )
    try:
        ratelimit.spend(run.session, key)
    except TooManyRequests as exc:
        run.notes.append(f"no reply: {exc.detail}")
        return f"sent no reply (the limit of {key.limit} automatic replies per customer per hour, {key.setting})"
    return None


def notify(run: Run, p: NotifyParams) -> str:
    """Tell agents (and every active member of the teams) about the conversation, in their notifications."""
    agents = repository.active_agents(run.session, p.agent_ids, p.team_ids)
    for agent_id in agents:
        record(run.session, "rule.notified", run.actor, conversation_id=run.conversation_id,
               customer_id=run.customer_id, rule_id=run.rule.rule_id, rule=run.rule.name, agent_id=agent_id,
               text=p.text)  # fmt: skip
    return f"notified {len(agents)} agent{'s' if len(agents) != 1 else ''}"


def call_webhook(run: Run, p: WebhookParams) -> str:
    """Send the conversation's event to an outgoing webhook endpoint (after commit, by the delivery job)."""
    called = record(run.session, "rule.webhook_called", run.actor, conversation_id=run.conversation_id,
                    customer_id=run.customer_id, rule_id=run.rule.rule_id, rule=run.rule.name,
                    endpoint_id=p.endpoint_id, version=run.rule.number)  # fmt: skip
    webhooks.send_event(run.session, p.endpoint_id, called.id, called.name)
    return f"called webhook endpoint #{p.endpoint_id}"


def _tags_words(p: TagParams) -> str:
    said = [*(f"add the tag {t}" for t in p.add), *(f"remove the tag {t}" for t in p.remove)]
    return ", ".join(said) or "change no tags"


def _notify_words(p: NotifyParams) -> str:
    return "notify " + ", ".join([*(f"agent #{a}" for a in p.agent_ids), *(f"team #{t}" for t in p.team_ids)])


def _fields_words(p: FieldsParams) -> str:
    return "set " + ", ".join(f"{k} to {v}" for k, v in p.values.items())


def _team_words(p: TeamParams) -> str:
    return f"move it to team #{p.team_id}" if p.team_id else "remove the team"


def _assignee_words(p: AssigneeParams) -> str:
    return f"assign agent #{p.agent_id}" if p.agent_id else "unassign it"


def _category_words(p: CategoryParams) -> str:
    return f"set the category to {p.category}" if p.category else "clear the category"


def _words(text: str):
    return lambda p: text


register_action("set_status", StatusParams, set_status, label="Set status",
                describe=lambda p: f"set the status to {p.status.value.replace('_', ' ')}")  # fmt: skip
register_action("set_priority", PriorityParams, set_priority, label="Set priority",
                describe=lambda p: f"set the priority to {p.priority.value}")  # fmt: skip
register_action("set_team", TeamParams, set_team, check=_check_team, label="Set team", describe=_team_words)
register_action("set_assignee", AssigneeParams, set_assignee, check=_check_agent, label="Assign",
                describe=_assignee_words)  # fmt: skip
register_action("tags", TagParams, tags, label="Add or remove tags", describe=_tags_words)
register_action("set_category", CategoryParams, set_category, label="Set category", describe=_category_words)
register_action("set_fields", FieldsParams, set_fields, label="Set custom fields", describe=_fields_words)
register_action("add_note", TextParams, add_note, label="Add internal note", describe=_words("add an internal note"))
register_action("reply", TextParams, reply, label="Reply to the customer", sends=True,
                describe=_words("reply to the customer"))  # fmt: skip
register_action("notify", NotifyParams, notify, check=_check_notify, label="Notify agents or teams",
                describe=_notify_words)  # fmt: skip
register_action("webhook", WebhookParams, call_webhook, check=_check_endpoint, label="Call a webhook",
                describe=lambda p: f"call webhook endpoint #{p.endpoint_id}")  # fmt: skip
