"""Playbook templates: admins create them and add versions (never edited); every check is done before any write."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rapport.calendars import service as calendars
from rapport.categories import service as categories
from rapport.config import get_settings
from rapport.conversations import fields
from rapport.events.outbox import record
from rapport.kernel.permissions import Actor, authorize
from rapport.kit.clock import now
from rapport.kit.problems import Conflict, Invalid, NotFound
from rapport.models import PlaybookTemplate, PlaybookVersion, Team
from rapport.playbooks import events
from rapport.playbooks.schemas import TemplateIn, TemplatePatch, VersionIn

DAY = 86_400


def _field(loc: tuple) -> str:
    return ".".join(str(p) for p in loc) or "body"


def checked(content: dict[str, Any], model: type[VersionIn] = VersionIn) -> VersionIn:
    """A version's content (or a whole template's) validated, shape then limits that are settings; Invalid naming
    each bad field (`steps.0.offset_seconds`)."""
    try:
        version = model.model_validate(content)
    except ValidationError as exc:
        errors = [{"field": _field(e["loc"]), "message": e["msg"]} for e in exc.errors()]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
        raise Invalid(f"The playbook has invalid fields: {detail}.", errors=errors) from None
    settings = get_settings()
    if len(version.steps) > settings.playbook_max_steps:
        raise Invalid(
            f"A playbook has at most {settings.playbook_max_steps} steps (RAPPORT_PLAYBOOK_MAX_STEPS).",
            errors=[{"field": "steps", "message": "too many steps"}],
        )
    ceiling = settings.playbook_max_offset_days * DAY
    for i, step in enumerate(version.steps):
        if step.offset_seconds is not None and step.offset_seconds > ceiling:
            raise Invalid(
                f"Step {i + 1} is due more than {settings.playbook_max_offset_days} days after its start "
                "(RAPPORT_PLAYBOOK_MAX_OFFSET_DAYS).",
                errors=[{"field": f"steps.{i}.offset_seconds", "message": "offset too large"}],
            )
    return version


def _references(session: Session, version: VersionIn) -> dict:
    """Check what the version names exists (teams, calendar, categories); the match as stored."""
    for i, step in enumerate(version.steps):
        if step.owner == "team" and session.get(Team, step.team_id) is None:
            raise Invalid(
                f"Step {i + 1} is owned by team #{step.team_id}, which does not exist.",
                errors=[{"field": f"steps.{i}.team_id", "message": "unknown team"}],
            )
    if version.calendar_id is not None:
        calendars.get(session, version.calendar_id)  # NotFound names the calendar
    wanted = []
    for i, name in enumerate(version.match.categories):
        found = categories.by_name(session, name)
        if found is None:
            raise Invalid(
                f"No category is named '{name}'.", errors=[{"field": f"match.categories.{i}", "message": "unknown"}]
            )
        wanted.append(found.name)
    tags = sorted({t.strip().lower().replace(" ", "-") for t in version.match.tags})
    return {"categories": sorted(set(wanted)), "tags": tags, "fields": _field_matches(session, version.match.fields)}


def _field_matches(session: Session, matches: list) -> list[dict]:
    """Each field match with its value as the field's definition reads it (the number 3, not the text "3")."""
    kinds = {d.key: d.kind for d in fields.definitions(session)}
    stored = []
    for i, match in enumerate(matches):
        if match.key not in kinds:
            raise Invalid(
                f"No custom field has the key '{match.key}'.",
                errors=[{"field": f"match.fields.{i}.key", "message": "unknown"}],
            )
        value = fields.from_text(kinds[match.key], match.value.strip())
        try:
            fields.check_values(session, {match.key: value})
        except Invalid as exc:
            raise Invalid(
                f"Field match {i + 1}: {exc.detail}",
                errors=[{"field": f"match.fields.{i}.value", "message": "invalid"}],
            ) from None
        stored.append({"key": match.key, "value": value})
    return stored


def _stored_steps(version: VersionIn) -> list[dict]:
    steps = []
    for step in version.steps:
        item = step.model_dump(mode="json")
        if step.owner != "team":
            item["team_id"] = None
        if step.owner != "role":
            item["role"] = None
        if step.evidence != "field":
            item["field"] = None
        steps.append(item)
    return steps


def _add_version(session: Session, actor: Actor, template: PlaybookTemplate, version: VersionIn, match: dict):
    number = (
        session.scalar(select(func.max(PlaybookVersion.number)).where(PlaybookVersion.template_id == template.id)) or 0
    )
    row = PlaybookVersion(
        template_id=template.id, number=number + 1, description=version.description, steps=_stored_steps(version),
        match=match, blocks_solve=version.blocks_solve, calendar_id=version.calendar_id,
        created_by_id=actor.id if actor.kind == "agent" else None, created_at=now(),
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row


def _unique(session: Session, name: str, template_id: int | None = None) -> None:
    found = session.scalar(select(PlaybookTemplate.id).where(func.lower(PlaybookTemplate.name) == name.lower()))
    if found is not None and found != template_id:
        raise Conflict(f"A playbook named '{name}' exists already.", errors=[{"field": "name"}])


def create(session: Session, actor: Actor, content: dict[str, Any]) -> PlaybookTemplate:
    """A new template with its first version (admins); `content` is a TemplateIn as a dict."""
    authorize(actor, "admin")
    version = checked(content, TemplateIn)
    match = _references(session, version)
    name = version.name
    _unique(session, name)
    stamp = now()
    template = PlaybookTemplate(name=name, active=version.active, created_at=stamp, updated_at=stamp)
    session.add(template)
    session.flush()
    _add_version(session, actor, template, version, match)
    record(session, events.TEMPLATE_CREATED.name, actor, object="playbook_template", object_id=template.id,
           fields={"name": name, "version": 1})  # fmt: skip
    return template


def revise(session: Session, actor: Actor, template_id: int, content: dict[str, Any]) -> PlaybookVersion:
    """Add a version to a template (admins); running playbooks keep the version they started on."""
    authorize(actor, "admin")
    template = get(session, template_id)
    version = checked(content)
    match = _references(session, version)
    row = _add_version(session, actor, template, version, match)
    template.updated_at = now()
    record(session, events.TEMPLATE_UPDATED.name, actor, object="playbook_template", object_id=template.id,
           fields={"version": row.number})  # fmt: skip
    return row


def update(session: Session, actor: Actor, template_id: int, patch: TemplatePatch) -> PlaybookTemplate:
    """Rename a template or switch it on or off (admins)."""
    authorize(actor, "admin")
    template = get(session, template_id)
    changed = {}
    if patch.name is not None and patch.name != template.name:
        _unique(session, patch.name, template.id)
        template.name = changed["name"] = patch.name
    if patch.active is not None and patch.active != template.active:
        template.active = changed["active"] = patch.active
    if changed:
        template.updated_at = now()
        record(session, events.TEMPLATE_UPDATED.name, actor, object="playbook_template", object_id=template.id,
               fields=changed)  # fmt: skip
    return template


def get(session: Session, template_id: int) -> PlaybookTemplate:
    """One template; NotFound naming it."""
    row = session.get(PlaybookTemplate, template_id)
    if row is None:
        raise NotFound(f"Playbook template #{template_id} does not exist.")
    return row


def listed(session: Session, *, active_only: bool = False) -> list[PlaybookTemplate]:
    """Every template by name."""
    query = select(PlaybookTemplate).order_by(PlaybookTemplate.name)
    if active_only:
        query = query.where(PlaybookTemplate.active)
    return list(session.scalars(query))


def versions(session: Session, template_id: int) -> list[PlaybookVersion]:
    """A template's versions, newest first."""
    query = select(PlaybookVersion).where(PlaybookVersion.template_id == template_id)
    return list(session.scalars(query.order_by(PlaybookVersion.number.desc())))


def latest(session: Session, template_id: int) -> PlaybookVersion:
    """A template's newest version (what a new run starts on)."""
    return versions(session, template_id)[0]


def latest_of(session: Session, template_ids: list[int]) -> dict[int, PlaybookVersion]:
    """The newest version of each template (one query)."""
    if not template_ids:
        return {}
    newest = (
        select(PlaybookVersion.template_id, func.max(PlaybookVersion.number).label("n"))
        .where(PlaybookVersion.template_id.in_(template_ids))
        .group_by(PlaybookVersion.template_id)
        .subquery()
    )
    query = select(PlaybookVersion).join(
        newest, (PlaybookVersion.template_id == newest.c.template_id) & (PlaybookVersion.number == newest.c.n)
    )
    return {v.template_id: v for v in session.scalars(query)}
