"""The admin form of a survey: fields in, questions and send rules out (checked by the same schemas as the API),
and a stored version back into fields. No JSON is typed: one row per question, one field per rule."""

from __future__ import annotations

from pydantic import ValidationError

from rapport.config import get_settings
from rapport.kit.problems import Invalid
from rapport.surveys import questions as kinds
from rapport.surveys.schemas import Question, Rules

CHANNELS = [
    ("email", "Email: a link for each point"),
    ("sms", "SMS: reply with a number"),
    ("whatsapp", "WhatsApp: reply with a number"),
    ("chat", "Chat widget: the first question's points as buttons"),
    ("portal", "Portal: mailed, and answered in the customer's portal"),
    ("phone", "Phone: the keypad right after a call a person answered"),
]
RULE_FIELDS = ("delay_minutes", "min_messages", "cooldown_days", "sample_percent", "expiry_days")
KIND_NAMES = {
    kinds.CSAT: "Satisfaction (CSAT)",
    kinds.NPS: "Recommend (NPS 0–10, with a reason)",
    kinds.CES: "Effort (CES 2.0, 1–7)",
    kinds.EXPECTATIONS: "Expectations (failed, met, exceeded)",
    kinds.CHOOSE_AGAIN: "Would you choose us again",
    kinds.REASON: "Reason pick-list",
    kinds.TEXT: "Free text",
}


def rows() -> int:
    """How many question rows the form offers (the most a survey may ask)."""
    return get_settings().survey_max_questions


def questions_from(form: dict[str, str]) -> list[Question]:
    """The questions the rows name, in order; a row without a kind is left out. Invalid names the row's field."""
    out: list[Question] = []
    seen: dict[str, int] = {}
    for i in range(rows()):
        kind = form.get(f"q{i}_kind", "").strip()
        if not kind:
            continue
        seen[kind] = seen.get(kind, 0) + 1
        key = kind if seen[kind] == 1 else f"{kind}_{seen[kind]}"
        prompt = form.get(f"q{i}_prompt", "").strip() or kinds.DEFAULT_PROMPTS.get(kind, "")
        values: dict = {"key": key, "kind": kind, "prompt": prompt}
        if kind == kinds.CSAT:
            points = (form.get(f"q{i}_points") or "5").strip()
            values["points"] = int(points) if points.isdigit() and len(points) < 4 else points
        if kind == kinds.REASON:
            values["options"] = [line.strip() for line in form.get(f"q{i}_options", "").splitlines() if line.strip()]
        values["translations"] = translations_from(form.get(f"q{i}_translations", ""), kind)
        try:
            out.append(Question.model_validate(values))
        except ValidationError as exc:
            error = exc.errors()[0]
            field = {
                "kind": "kind",
                "prompt": "prompt",
                "points": "points",
                "options": "options",
                "translations": "translations",
            }.get(str(error["loc"][0]) if error["loc"] else "", "kind")
            raise Invalid(
                f"Question {i + 1}: {error['msg']}.", errors=[{"field": f"q{i}_{field}", "message": error["msg"]}]
            ) from None
    if not out:
        raise Invalid("A survey asks at least one question.", errors=[{"field": "q0_kind"}])
    return out


def translations_from(text: str, kind: str) -> dict:
    """Translation lines (`de: Prompt | label; label; …`) as the schema's translations (the labels are a reason
    pick-list's reasons, or a scale's point labels, in order)."""
    out: dict = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        language, _, rest = line.partition(":")
        prompt, _, labels = rest.partition("|")
        names = [label.strip() for label in labels.split(";") if label.strip()]
        entry: dict = {"prompt": prompt.strip()}
        if names:
            entry["options" if kind == kinds.REASON else "labels"] = names
        out[language.strip().lower()] = entry
    return out


def translations_text(translations: dict) -> str:
    """Stored translations as the form's lines."""
    lines = []
    for language, t in translations.items():
        names = t.get("labels") or t.get("options") or []
        lines.append(f"{language}: {t['prompt']}" + (f" | {'; '.join(names)}" if names else ""))
    return "\n".join(lines)


def _number(text: str) -> int | str:
    """A typed whole number as an int; anything else as typed, for the schema to name."""
    text = text.strip()
    return int(text) if text.isdigit() and len(text) < 10 else text


def rules_from(form: dict[str, str]) -> Rules:
    """The send rules the fields say (a pydantic ValidationError names the field)."""
    values: dict = {name: _number(form.get(name, "")) for name in RULE_FIELDS}
    values["calendar_id"] = _number(form.get("calendar_id", "")) or None
    values["require_person_reply"] = form.get("require_person_reply") == "yes"
    values["channels"] = [c for c in form.get("channels", "").split(",") if c]
    values["help_url"] = form.get("help_url", "").strip() or None
    values["help_label"] = form.get("help_label", "").strip()
    values["offer_callback"] = form.get("offer_callback") == "yes"
    return Rules.model_validate(values)


def fields_of(name: str, active: bool, questions: list[dict], rules: dict) -> dict[str, str]:
    """A survey's version as the form's fields."""
    form = {"name": name, "active": "yes" if active else ""}
    for i, q in enumerate(questions):
        form[f"q{i}_kind"], form[f"q{i}_prompt"] = q["kind"], q["prompt"]
        form[f"q{i}_points"] = str(q.get("points") or 5)
        form[f"q{i}_options"] = "\n".join(q.get("options") or [])
        form[f"q{i}_translations"] = translations_text(q.get("translations") or {})
    for key in RULE_FIELDS:
        form[key] = str(rules.get(key, ""))
    form["calendar_id"] = str(rules.get("calendar_id") or "")
    form["require_person_reply"] = "yes" if rules.get("require_person_reply", True) else ""
    form["channels"] = ",".join(rules.get("channels", ["email"]))
    form["help_url"], form["help_label"] = rules.get("help_url") or "", rules.get("help_label") or ""
    form["offer_callback"] = "yes" if rules.get("offer_callback") else ""
    return form


def field_of(error_field: str) -> str:
    """The form field a service error names (`questions.2.options` is row 2's reasons; `rules.x` is `x`)."""
    if error_field.startswith("questions."):
        parts = error_field.split(".")
        row = parts[1] if len(parts) > 1 and parts[1].isdigit() else "0"
        return f"q{row}_{parts[2] if len(parts) > 2 else 'kind'}"
    return error_field.removeprefix("rules.")
