"""Survey definitions (admins keep them; every change of questions or rules is a new version) and the reads of
requests and answers (agents)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rapport.calendars import service as calendars
from rapport.config import get_settings
from rapport.events.outbox import record
from rapport.kernel.permissions import Actor, authorize
from rapport.kit.clock import now
from rapport.kit.problems import Conflict, Invalid, NotFound
from rapport.models import Customer, Survey, SurveyAnswer, SurveyRequest, SurveyVersion
from rapport.surveys import events, questions
from rapport.surveys.schemas import Question, Rules


def translated(q: Question, stored: dict, i: int) -> dict:
    """A question's translations as stored: labels, when given, one per point; reasons one per reason."""
    points = len(questions.scale(q.kind, stored.get("points")))
    out = {}
    for language, t in q.translations.items():
        field = f"questions.{i}.translations.{language}"
        if t.labels and len(t.labels) != points:
            raise Invalid(f"The {language} labels of {q.key} name each of its {points} points, in order.",
                          errors=[{"field": field}])  # fmt: skip
        if t.options and len(t.options) != len(stored.get("options", [])):
            raise Invalid(f"The {language} reasons of {q.key} translate each reason, in order.",
                          errors=[{"field": field}])  # fmt: skip
        out[language] = t.model_dump(exclude_defaults=True)
    return out


def checked(items: list[Question], rules: Rules) -> tuple[list[dict], dict]:
    """Questions and rules as stored, after what a schema cannot say: unique keys, a scale for each kind, limits."""
    settings = get_settings()
    if len(items) > settings.survey_max_questions:
        raise Invalid(
            f"A survey asks at most {settings.survey_max_questions} questions (RAPPORT_SURVEY_MAX_QUESTIONS).",
            errors=[{"field": "questions"}],
        )
    keys = [q.key for q in items]
    if len(set(keys)) != len(keys):
        raise Invalid("Each question needs its own key.", errors=[{"field": "questions"}])
    if not questions.scored(items[0].kind):
        raise Invalid(
            "The first question must be answered on a scale (it is the one-click answer in the mail).",
            errors=[{"field": "questions.0.kind"}],
        )
    stored = []
    for i, q in enumerate(items):
        out = {"key": q.key, "kind": q.kind, "prompt": q.prompt}
        if q.kind == questions.CSAT:
            out["points"] = q.points or 5
        elif q.points is not None:
            raise Invalid(f"Only a CSAT question has points ({q.key}).", errors=[{"field": f"questions.{i}.points"}])
        if q.kind == questions.REASON:
            if not q.options:
                raise Invalid(f"A reason pick-list needs reasons ({q.key}).", errors=[{"field": f"questions.{i}"}])
            if len(q.options) > settings.survey_max_reasons:
                raise Invalid(
                    f"A pick-list offers at most {settings.survey_max_reasons} reasons (RAPPORT_SURVEY_MAX_REASONS).",
                    errors=[{"field": f"questions.{i}.options"}],
                )
            if len(set(q.options)) != len(q.options):
                raise Invalid(f"Each reason is listed once ({q.key}).", errors=[{"field": f"questions.{i}.options"}])
            out["options"] = list(q.options)
        elif q.options:
            raise Invalid(f"Only a reason pick-list has options ({q.key}).", errors=[{"field": f"questions.{i}"}])
        if q.translations:
            out["translations"] = translated(q, out, i)
        stored.append(out)
    if rules.expiry_days > settings.survey_max_expiry_days:
        raise Invalid(
            f"A survey link works at most {settings.survey_max_expiry_days} days (RAPPORT_SURVEY_MAX_EXPIRY_DAYS).",
            errors=[{"field": "rules.expiry_days"}],
        )
    return stored, rules.model_dump(mode="json")


def _calendar(session: Session, rules: dict) -> None:
    if rules.get("calendar_id") is not None:
        try:
            calendars.get(session, rules["calendar_id"])
        except NotFound:
            raise Invalid(
                f"There is no calendar {rules['calendar_id']}.", errors=[{"field": "rules.calendar_id"}]
            ) from None


def _unique(session: Session, name: str, survey_id: int | None = None) -> None:
    if not name.strip() or len(name) > 100 or "\x00" in name:
        raise Invalid("A survey needs a name of 1 to 100 characters.", errors=[{"field": "name"}])
    query = select(Survey.id).where(func.lower(Survey.name) == name.lower())
    if survey_id is not None:
        query = query.where(Survey.id != survey_id)
    if session.scalar(query) is not None:
        raise Conflict(f"A survey named '{name}' exists already.", errors=[{"field": "name"}])


def _version(session: Session, actor: Actor, survey: Survey, items: list[dict], rules: dict) -> SurveyVersion:
    number = session.scalar(select(func.max(SurveyVersion.number)).where(SurveyVersion.survey_id == survey.id)) or 0
    version = SurveyVersion(
        survey_id=survey.id, number=number + 1, questions=items, rules=rules,
        created_by_id=actor.id if actor.kind == "agent" else None, created_at=now(),
    )  # fmt: skip
    session.add(version)
    session.flush()
    survey.current_version_id = version.id
    return version


def listed(session: Session) -> list[Survey]:
    """Every survey by name."""
    return list(session.scalars(select(Survey).order_by(Survey.name)))


def get(session: Session, survey_id: int) -> Survey:
    """One survey; NotFound when there is none."""
    row = session.get(Survey, survey_id)
    if row is None:
        raise NotFound(f"There is no survey {survey_id}.")
    return row


def version(session: Session, version_id: int | None) -> SurveyVersion | None:
    """One version by id."""
    return session.get(SurveyVersion, version_id) if version_id else None


def create(
    session: Session, actor: Actor, *, name: str, questions: list[Question], rules: Rules, active: bool = True
) -> Survey:
    """A new survey with its first version (admins)."""
    authorize(actor, "admin")
    items, stored_rules = checked(questions, rules)
    _calendar(session, stored_rules)
    _unique(session, name)
    stamp = now()
    row = Survey(name=name, active=active, created_at=stamp, updated_at=stamp)
    session.add(row)
    session.flush()
    _version(session, actor, row, items, stored_rules)
    record(session, events.CREATED.name, actor, object="survey", object_id=row.id, fields={"name": name})
    return row


def update(
    session: Session,
    actor: Actor,
    survey_id: int,
    *,
    name: str | None = None,
    active: bool | None = None,
    questions: list[Question] | None = None,
    rules: Rules | None = None,
) -> Survey:
    """Rename, switch on or off, or give a survey new questions or rules (a new version; requests keep theirs)."""
    authorize(actor, "admin")
    row = get(session, survey_id)
    current = version(session, row.current_version_id)
    changed: dict = {}
    if questions is not None or rules is not None:
        items = questions if questions is not None else [Question(**q) for q in current.questions]
        new_rules = rules if rules is not None else Rules(**current.rules)
        stored, stored_rules = checked(items, new_rules)
        _calendar(session, stored_rules)
        if stored != current.questions or stored_rules != current.rules:
            changed["version"] = _version(session, actor, row, stored, stored_rules).number
    if name is not None and name != row.name:
        _unique(session, name, row.id)
        row.name = changed["name"] = name
    if active is not None and active != row.active:
        row.active = changed["active"] = active
    if changed:
        row.updated_at = now()
        session.flush()
        record(session, events.UPDATED.name, actor, object="survey", object_id=row.id, fields=changed)
    return row


def delete(session: Session, actor: Actor, survey_id: int) -> None:
    """Delete a survey never sent; one with requests is switched off instead (its answers stay), else Conflict."""
    authorize(actor, "admin")
    row = get(session, survey_id)
    if session.scalar(select(SurveyRequest.id).where(SurveyRequest.survey_id == row.id).limit(1)) is not None:
        raise Conflict(
            f"The survey '{row.name}' has requests and answers; switch it off (active: false) to stop sending it."
        )
    session.delete(row)
    session.flush()
    record(session, events.DELETED.name, actor, object="survey", object_id=survey_id, fields={"name": row.name})


def requests_of(session: Session, actor: Actor, conversation_id: int) -> list[tuple[SurveyRequest, list]]:
    """A conversation's survey requests with their answers (agents)."""
    authorize(actor, "conversations.read")
    rows = list(
        session.scalars(
            select(SurveyRequest).where(SurveyRequest.conversation_id == conversation_id).order_by(SurveyRequest.id)
        )
    )
    return [(r, answers_of(session, r.id)) for r in rows]


def request(session: Session, actor: Actor, request_id: int) -> tuple[SurveyRequest, list]:
    """One survey request with its answers (agents)."""
    authorize(actor, "conversations.read")
    row = session.get(SurveyRequest, request_id)
    if row is None:
        raise NotFound(f"There is no survey request {request_id}.")
    return row, answers_of(session, row.id)


def answers_of(session: Session, request_id: int) -> list[SurveyAnswer]:
    """A request's answers in question order of storage."""
    return list(
        session.scalars(select(SurveyAnswer).where(SurveyAnswer.request_id == request_id).order_by(SurveyAnswer.id))
    )


def language_of_customer(session: Session, customer_id: int) -> str | None:
    """The customer's language code from their profile (None: the survey's own words)."""
    return session.scalar(select(Customer.language).where(Customer.id == customer_id))
