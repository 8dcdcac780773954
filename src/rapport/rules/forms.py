"""The rule editor's form: rows of tests and actions (no JSON typing) to and from a rule's definition.

A test row is a field, an operator and a value typed as a person would (a list as "a, b"); an action row is an
action and its value ("+vip, -spam" for tags, "agent:3, team:1" for whom to notify, "key=value" for fields) with a
text for notes, replies and notifications. The definition it makes is checked like any other (rules.definition).
"""

from __future__ import annotations

import re
from typing import Any

from rapport.conditions.fields import FIELDS, LIST_OPS, NO_VALUE_OPS, lookup
from rapport.kit.problems import Invalid
from rapport.rules import vocabulary

TEST_ROWS = 8
ACTION_ROWS = 6
TEXT_ACTIONS = {"add_note", "reply"}
VALUE_HINTS = {
    "set_status": "new, open, pending, on_hold, solved or closed",
    "set_priority": "low, normal, high or urgent",
    "set_team": "a team's number (empty: no team)",
    "set_assignee": "an agent's number (empty: unassign)",
    "tags": "+tag to add, -tag to remove, such as +vip, -spam",
    "set_category": "a category's name (empty: clear it)",
    "set_fields": "key=value pairs, such as plan=gold, region=eu",
    "notify": "agent:<number> and team:<number>, such as agent:3, team:1",
    "webhook": "the webhook endpoint's number",
}
OPERATOR_WORDS = {
    "eq": "is", "ne": "is not", "in": "is one of", "not_in": "is none of", "has": "has", "has_not": "has not",
    "has_any": "has any of", "has_none": "has none of", "since": "since", "before": "before", "is_set": "is set",
    "is_not_set": "is not set", "contains": "contains", "not_contains": "does not contain", "matches": "matches",
    "not_matches": "does not match", "open": "is open (calendar number)", "closed": "is closed (calendar number)",
}  # fmt: skip
_ID = re.compile(r"^\d{1,18}$")


def field_choices() -> list[tuple[str, str]]:
    """The fields a test row offers (custom fields and attributes are typed as field.<key> / attribute.<key>)."""
    open_ended = [("field.", "custom field (field.<key>)"), ("attribute.", "customer attribute (attribute.<key>)"),
                  ("event.", "event detail (event.<key>)")]  # fmt: skip
    return [("", "Choose…"), *((n, n.replace("_", " ")) for n in FIELDS), *open_ended]


def operator_choices() -> list[tuple[str, str]]:
    """Every operator, in words."""
    return [("", "Choose…"), *OPERATOR_WORDS.items()]


def action_choices() -> list[tuple[str, str]]:
    """Every registered action, by label."""
    return [("", "Choose…"), *((n, vocabulary.action(n).label) for n in vocabulary.action_names())]


def blank() -> dict:
    """An empty editor."""
    return {"name": "", "kind": "event", "events": [], "cascade": False, "match": "all",
            "tests": [{"field": "", "key": "", "op": "", "value": ""} for _ in range(TEST_ROWS)],
            "actions": [{"type": "", "value": "", "text": ""} for _ in range(ACTION_ROWS)],
            "delay_minutes": "", "delay_business": False, "delay_calendar": "",
            "count_per": "customer", "count_window": "", "count_mode": "nth", "count_n": "", "days": "7"}  # fmt: skip


def read(raw) -> dict:
    """The editor's fields from a submitted form (a multi-dict)."""
    form = blank()
    for key in ("name", "kind", "match", "delay_minutes", "delay_calendar", "count_per", "count_window",
                "count_mode", "count_n", "days"):  # fmt: skip
        form[key] = (raw.get(key) or "").strip() or form[key]
    form["events"] = [e for e in raw.getlist("events") if e]
    form["cascade"] = raw.get("cascade") == "on"
    form["delay_business"] = raw.get("delay_business") == "on"
    for i, row in enumerate(form["tests"]):
        row.update({k: (raw.get(f"test-{i}-{k}") or "").strip() for k in row})
    for i, row in enumerate(form["actions"]):
        row.update({k: (raw.get(f"action-{i}-{k}") or "").strip() for k in ("type", "value")})
        row["text"] = raw.get(f"action-{i}-text") or ""
    return form


def to_definition(form: dict) -> dict:
    """The definition the form asks for (checked afterwards by rules.definition); Invalid names a row it cannot read."""
    tests = [_test(i, row) for i, row in enumerate(form["tests"]) if row["field"]]
    out: dict[str, Any] = {
        "events": form["events"],
        "conditions": {form["match"] if form["match"] in ("all", "any") else "all": tests} if tests else None,
        "actions": [_action(i, row) for i, row in enumerate(form["actions"]) if row["type"]],
        "cascade": form["cascade"],
    }
    if form["kind"] == "time":
        calendar = form["delay_calendar"]
        out["delay"] = {"minutes": _number(form["delay_minutes"], "delay_minutes", "the wait in minutes"),
                        "business": form["delay_business"],
                        "calendar_id": int(calendar) if _ID.match(calendar) else None}  # fmt: skip
    if form["kind"] == "count":
        window = form["count_window"]
        out["count"] = {"per": form["count_per"],
                        "window_days": _number(window, "count_window", "the days counted") if window else None,
                        form["count_mode"] if form["count_mode"] in ("nth", "every") else "nth":
                            _number(form["count_n"], "count_n", "the count")}  # fmt: skip
    return out


def _number(text: str, field: str, what: str) -> int:
    if not _ID.match(text or ""):
        raise Invalid(f"Enter {what} as a whole number.", errors=[{"field": field, "message": f"Enter {what}."}])
    return int(text)


def _test(i: int, row: dict) -> dict:
    name = row["field"] + row["key"] if row["field"].endswith(".") else row["field"]
    spec = lookup(name)
    if spec is None:
        message = f"Choose a field for test {i + 1} (and its key for field., attribute. or event.)."
        raise Invalid(message, errors=[{"field": f"test-{i}", "message": message}])
    op = row["op"]
    if op in NO_VALUE_OPS:
        return {"field": name, "op": op}
    text = row["value"]
    if op in LIST_OPS:
        return {"field": name, "op": op, "value": [_typed(spec.kind, v.strip()) for v in text.split(",") if v.strip()]}
    return {"field": name, "op": op, "value": _typed(spec.kind, text)}


def _typed(kind: str, text: str) -> Any:
    if kind in ("id", "calendar") and _ID.match(text):
        return int(text)
    if kind == "bool" and text.lower() in ("true", "yes", "false", "no"):
        return text.lower() in ("true", "yes")
    return text


def _action(i: int, row: dict) -> dict:
    kind, value, text = row["type"], row["value"], row["text"]
    params: dict[str, Any]
    if kind in TEXT_ACTIONS:
        params = {"text": text}
    elif kind == "set_status":
        params = {"status": value}
    elif kind == "set_priority":
        params = {"priority": value}
    elif kind in ("set_team", "set_assignee"):
        key = "team_id" if kind == "set_team" else "agent_id"
        params = {key: int(value) if _ID.match(value) else (value or None)}
    elif kind == "tags":
        items = [v.strip() for v in value.split(",") if v.strip()]
        params = {"add": [v.lstrip("+") for v in items if not v.startswith("-")],
                  "remove": [v[1:] for v in items if v.startswith("-")]}  # fmt: skip
    elif kind == "set_category":
        params = {"category": value or None}
    elif kind == "set_fields":
        pairs = [p.split("=", 1) for p in value.split(",") if p.strip()]
        params = {"values": {k.strip(): v.strip() for k, v in (p for p in pairs if len(p) == 2)}}
    elif kind == "notify":
        items = [v.strip() for v in value.split(",") if v.strip()]
        params = {"agent_ids": [int(v[6:]) for v in items if v.startswith("agent:") and _ID.match(v[6:])],
                  "team_ids": [int(v[5:]) for v in items if v.startswith("team:") and _ID.match(v[5:])],
                  "text": text[:300]}  # fmt: skip
    elif kind == "webhook":
        params = {"endpoint_id": int(value) if _ID.match(value) else value}
    elif (only := _single_parameter(kind)) and "=" not in value:  # e.g. a macro's or a playbook's id
        params = {only: int(value) if _ID.match(value) else value}
    else:  # an action another package added: its parameters as key=value pairs
        pairs = [p.split("=", 1) for p in value.split(",") if "=" in p]
        params = {k.strip(): v.strip() for k, v in pairs}
    return {"type": kind, "params": params}


def _single_parameter(kind: str) -> str | None:
    """The name of an action's only parameter (its value is typed alone in the editor), else None."""
    found = vocabulary.action(kind)
    fields = list(found.params.model_fields) if found is not None else []
    return fields[0] if len(fields) == 1 else None


def from_definition(name: str, kind: str, stored: dict) -> dict:
    """The editor filled in from a stored definition (a new version starts from the current one)."""
    form = blank()
    form.update(name=name, kind=kind, events=list(stored.get("events", [])), cascade=bool(stored.get("cascade")))
    condition = stored.get("conditions") or {}
    match = "any" if "any" in condition else "all"
    tests = condition.get(match, [condition] if "field" in condition else [])
    form["match"] = match
    for row, test in zip(form["tests"], [t for t in tests if "field" in t], strict=False):
        field = test["field"]
        prefix = next((p for p in ("field.", "attribute.", "event.") if field.startswith(p)), None)
        row.update(field=prefix or field, key=field[len(prefix) :] if prefix else "", op=test["op"],
                   value=_shown(test.get("value")))  # fmt: skip
    for row, spec in zip(form["actions"], stored.get("actions", []), strict=False):
        row.update(type=spec["type"], **_action_fields(spec["type"], spec.get("params") or {}))
    if delay := stored.get("delay"):
        form.update(delay_minutes=str(delay["minutes"]), delay_business=delay.get("business", False),
                    delay_calendar=str(delay.get("calendar_id") or ""))  # fmt: skip
    if count := stored.get("count"):
        mode = "every" if count.get("every") else "nth"
        form.update(count_per=count["per"], count_window=str(count.get("window_days") or ""), count_mode=mode,
                    count_n=str(count.get(mode)))  # fmt: skip
    return form


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_shown(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _action_fields(kind: str, p: dict) -> dict:
    if kind in TEXT_ACTIONS:
        return {"value": "", "text": p.get("text", "")}
    if kind == "tags":
        return {"value": ", ".join([*(f"+{t}" for t in p.get("add", [])), *(f"-{t}" for t in p.get("remove", []))])}
    if kind == "set_fields":
        return {"value": ", ".join(f"{k}={v}" for k, v in (p.get("values") or {}).items())}
    if kind == "notify":
        who = [*(f"agent:{a}" for a in p.get("agent_ids", [])), *(f"team:{t}" for t in p.get("team_ids", []))]
        return {"value": ", ".join(who), "text": p.get("text", "")}
    if kind in ("set_status", "set_priority", "set_category"):
        return {"value": str(next(iter(p.values()), "") or "")}
    if kind in ("set_team", "set_assignee", "webhook"):
        return {"value": str(next(iter(p.values()), "") or "")}
    if _single_parameter(kind) and len(p) == 1:
        return {"value": str(next(iter(p.values())))}
    return {"value": ", ".join(f"{k}={v}" for k, v in p.items())}


def form_errors(messages: dict[str, str]) -> dict[str, str]:
    """Error messages by editor part: a definition's path (definition.actions.2.params…) to the row it is about."""
    out: dict[str, str] = {}
    for path, message in messages.items():
        parts = path.split(".")
        if parts[0] != "definition":
            out.setdefault(path, message)
        elif len(parts) > 2 and parts[1] == "actions" and parts[2].isdigit():
            out.setdefault(f"action-{parts[2]}", message)
        else:
            out.setdefault({"events": "events", "conditions": "tests", "delay": "delay", "count": "count"}
                           .get(parts[1] if len(parts) > 1 else "", "form"), message)  # fmt: skip
    return out
