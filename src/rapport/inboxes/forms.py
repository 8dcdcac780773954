"""The inbox settings form: which inputs each channel's settings have, and turning them into settings and back.

The form's inputs are named after the settings they hold (`settings.imap.host`), so the channel validators'
errors (`settings.imap.host: …`) land next to their input. Secrets are never put into the page: the form starts
from the masked settings the API shows, and a secret input left empty sends the mask back, which the service
turns into the stored value (channels.check_settings). The checking itself is the channel's, never this file's.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass

from rapport.kernel.channels import SECRET_MASK, mask_secrets
from rapport.kit.problems import Invalid

SECURITY = (
    ("tls", "TLS (port 993 or 465)"),
    ("starttls", "STARTTLS (port 143 or 587)"),
    ("plain", "None (only to this machine)"),
)
PRIVATE = (
    ("", "No: public addresses only"),
    ("true", "Yes: this server is on our own network (loopback or private addresses)"),
)
UNVERIFIED = (
    ("new_conversation", "Opens a new conversation flagged 'unverified sender'"),
    ("quarantine", "Goes to the quarantine, with the reason"),
)
IVR_MENU_EXAMPLE = (
    '{"prompt": "What is your call about?", "options": [\n'
    '  {"digit": "1", "label": "orders", "action": "queue", "say": "Orders it is."}]}'
)


@dataclass(frozen=True)
class Input:
    """One input: where its value goes in the settings, its label, and how it is typed.

    kind: `text`, `number`, `secret` (never shown; empty keeps the stored one), `select`, `lines` (a list, one per
    line) or `json` (a nested object, such as the IVR menu).
    """

    path: str
    label: str
    kind: str = "text"
    hint: str = ""
    placeholder: str = ""
    options: tuple[tuple[str, str], ...] = ()
    default: object = None

    @property
    def name(self) -> str:
        """The form field's name."""
        return f"settings.{self.path}"

    @property
    def id(self) -> str:
        """The input's HTML id."""
        return "s-" + self.path.replace(".", "-").replace("_", "-")


@dataclass(frozen=True)
class Section:
    """A fieldset; with a `key`, its inputs live under settings[key], which is dropped when they are all empty."""

    legend: str
    inputs: tuple[Input, ...]
    key: str | None = None
    hint: str = ""

    @property
    def name(self) -> str:
        """Where errors about the section as a whole are filed."""
        return f"settings.{self.key}" if self.key else "settings"


def _server(key: str, port: int, security: str) -> tuple[Input, ...]:
    return (
        Input(f"{key}.host", "Server", hint="Such as mail.example.com."),
        Input(f"{key}.port", "Port", "number", placeholder=str(port), hint=f"Empty: {port}."),
        Input(f"{key}.security", "Encryption", "select", options=SECURITY, default=security),
        Input(f"{key}.username", "User name", hint="Often the full mail address."),
        Input(f"{key}.password", "Password", "secret"),
        Input(
            f"{key}.allow_private",
            "Private network",
            "select",
            options=PRIVATE,
            hint="Rapport refuses servers on loopback or private addresses unless allowed here.",
        ),
    )


TWILIO = Section(
    "Twilio",
    (
        Input("account_sid", "Account SID", hint="AC followed by 32 characters, from the Twilio console."),
        Input("auth_token", "Auth token", "secret"),
        Input("phone_number", "Phone number", placeholder="+14155550100", hint="In international form."),
        Input("messaging_service_sid", "Messaging Service SID", hint="Optional: MG…; replies then go through it."),
    ),
)
FORMS: dict[str, tuple[Section, ...]] = {
    "email": (
        Section(
            "Receive: IMAP mailbox",
            (
                *_server("imap", 993, "tls"),
                Input("imap.mailbox", "Mailbox", placeholder="INBOX", hint="Empty: INBOX."),
                Input("imap.move_to", "Move fetched mail to", hint="Optional; without it, mail is marked read."),
            ),
            key="imap",
            hint="Leave the server empty to fetch nothing.",
        ),
        Section(
            "Send replies: SMTP",
            _server("smtp", 587, "starttls"),
            key="smtp",
            hint="Leave the server empty and replies cannot be sent.",
        ),
        Section(
            "Replies",
            (Input("from_name", "Sender name", hint="Replies come from 'Agent via <this>'; empty: the inbox's name."),),
        ),
        Section(
            "Sender authentication",
            (
                Input(
                    "trusted_authserv_ids",
                    "Trusted receiving servers (authserv-id)",
                    "lines",
                    placeholder="mx.example.com",
                    hint="One per line: the name your mail server writes first in its Authentication-Results "
                    "header. Only its verdict (DMARC, else aligned SPF or DKIM) is believed; empty: senders are "
                    "not checked.",
                ),
                Input(
                    "unverified_sender",
                    "A mail whose sender is not authenticated",
                    "select",
                    options=UNVERIFIED,
                    default="new_conversation",
                ),
            ),
            hint="A mail that fails never joins an existing conversation, and replies never follow an unknown "
            "Reply-To unless the agent confirms it.",
        ),
    ),
    "sms": (TWILIO,),
    "phone": (
        TWILIO,
        Section(
            "Phone menu (IVR)",
            (
                Input("ivr.greeting", "Greeting", placeholder="Thank you for calling."),
                Input("ivr.language", "Language", placeholder="en-US", hint="Such as en-US or de-DE."),
                Input(
                    "ivr.menu",
                    "Menu",
                    "json",
                    placeholder=IVR_MENU_EXAMPLE,
                    hint="JSON: a prompt and options 1–9, each with a label and an action (queue, message or menu "
                    "with its own menu, two levels at most); 0 always reaches a person.",
                ),
            ),
            key="ivr",
            hint="Leave it all empty for the default greeting and menu.",
        ),
    ),
    "whatsapp": (
        Section(
            "WhatsApp Cloud API",
            (
                Input("phone_number_id", "Phone number ID", hint="Digits, from WhatsApp > API Setup at Meta."),
                Input("access_token", "Access token", "secret"),
                Input("app_secret", "App secret", "secret", hint="Checks that webhooks come from Meta."),
                Input("verify_token", "Verify token", "secret", hint="Any string; give Meta the same one."),
                Input("graph_version", "Graph API version", placeholder="v21.0", hint="Empty: v21.0."),
            ),
        ),
    ),
    "chat": (
        Section(
            "Chat widget",
            (
                Input(
                    "public_key", "Public key", hint="8–100 letters, digits, _ or -; it names the inbox in the widget."
                ),
                Input(
                    "allowed_origins",
                    "Sites that may embed it",
                    "lines",
                    placeholder="https://shop.example",
                    hint="One origin per line, such as https://shop.example; * allows any site.",
                ),
            ),
        ),
        Section(
            "Widget colours",
            (
                Input(
                    "theme.accent",
                    "Accent colour",
                    placeholder="#2456c7",
                    hint="The button and your visitor's messages, as #rgb or #rrggbb. Empty: #2456c7.",
                ),  # fmt: skip
                Input(
                    "theme.text",
                    "Text on the accent",
                    placeholder="#ffffff",
                    hint="Must contrast with the accent at 4.5:1 or more (WCAG AA). Empty: #ffffff.",
                ),  # fmt: skip
            ),
            key="theme",
            hint="Leave both empty for Rapport's own colours.",
        ),
    ),
}


def sections(channel: str) -> tuple[Section, ...]:
    """The settings form of a channel (empty for channels with nothing to set, such as the portal)."""
    return FORMS.get(channel, ())


def _get(data: dict, path: str):
    for part in path.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def _put(data: dict, path: str, value) -> None:
    *parents, last = path.split(".")
    for part in parents:
        data = data.setdefault(part, {})
    data[last] = value


def _drop(data: dict, path: str) -> None:
    *parents, last = path.split(".")
    for part in parents:
        data = data.get(part) if isinstance(data, dict) else None
    if isinstance(data, dict):
        data.pop(last, None)


@dataclass(frozen=True)
class Shown:
    """What a settings form shows: each input's value (secrets never), which secrets are stored, and which were
    typed into a form that comes back with errors (they must be typed again)."""

    values: dict[str, object]
    stored: frozenset[str]
    retype: frozenset[str] = frozenset()


def shown(channel: str, settings: dict | None, submitted: dict[str, str] | None = None) -> Shown:
    """The form's values: what was just submitted (when re-shown with errors), else the stored settings."""
    masked = mask_secrets(settings or {})
    values: dict[str, object] = {}
    stored, retype = set(), set()
    for section in sections(channel):
        for field in section.inputs:
            current = _get(masked, field.path)
            if field.kind == "secret":
                values[field.name] = ""  # never shown, not even what was just typed
                if current:
                    stored.add(field.name)
                if submitted and submitted.get(field.name):
                    retype.add(field.name)
            elif submitted is not None:
                values[field.name] = submitted.get(field.name, "")
            elif field.kind == "json":
                values[field.name] = json.dumps(_compact(current), indent=2, ensure_ascii=False) if current else ""
            elif field.kind == "lines":
                values[field.name] = "\n".join(map(str, current or []))
            elif field.kind == "select":
                # a stored flag (allow_private) shows as its option "true"
                values[field.name] = "true" if current is True else (current or field.default or "")
            else:
                values[field.name] = "" if current is None else str(current)
    return Shown(values, frozenset(stored), frozenset(retype))


def settings_from(channel: str, form: dict[str, str], previous: dict | None) -> dict:
    """The settings a submitted form asks for, on top of the stored ones (their secrets masked).

    Keys the form does not show (such as a CA file) stay as they were; an input left empty removes its key; a
    section whose inputs are all empty is removed. Raises Invalid for input that is not even of its kind (JSON).
    """
    result = copy.deepcopy(mask_secrets(previous or {}))
    for section in sections(channel):
        filled = False
        for field in section.inputs:
            raw = str(form.get(field.name, "")).strip()
            if field.kind != "select" and raw:
                filled = True
            value = _value(field, raw)
            if value is None:
                if not (field.kind == "secret" and _get(result, field.path) == SECRET_MASK):
                    _drop(result, field.path)
            else:
                _put(result, field.path, value)
        if not filled and section.key:
            result.pop(section.key, None)
        elif not filled:  # stored secrets go too: emptying every input disconnects the channel
            for field in section.inputs:
                _drop(result, field.path)
    return result


def _compact(value):
    # The stored IVR carries every default (null, []); the form shows what was chosen.
    if isinstance(value, dict):
        return {k: _compact(v) for k, v in value.items() if v not in (None, [], {})}
    if isinstance(value, list):
        return [_compact(v) for v in value]
    return value


def _value(field: Input, raw: str):
    if field.kind == "lines":
        return [line.strip() for line in raw.splitlines() if line.strip()]
    if not raw:
        return None
    if field.kind == "number":
        try:
            return int(raw)
        except ValueError:
            return raw  # the channel's validator says what is wrong with it
    if field.kind == "json":
        try:
            return json.loads(raw)
        except json.JSONDecodeError as exc:
            raise Invalid(
                f"{field.label} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno}).",
                errors=[{"field": field.name, "message": f"This is not valid JSON: {exc.msg} at line {exc.lineno}."}],
            ) from None
    return raw


def place(channel: str, errors: dict[str, str]) -> dict[str, str]:
    """Errors by the input (or section) they belong to: a nested error goes to the input holding it, with its path."""
    names = [f.name for s in sections(channel) for f in s.inputs] + [s.name for s in sections(channel)]
    placed: dict[str, str] = {}
    for key, message in errors.items():
        owner = max((n for n in names if key == n or key.startswith(n + ".")), key=len, default=None)
        if owner is None:  # not a setting (the name, the team …), or a setting the form does not show
            placed.setdefault(key if not key.startswith("settings") else "form", message)
            continue
        inner = key[len(owner) + 1 :]
        placed.setdefault(owner, f"{_where(inner)}: {message}" if inner else message)
    return placed


def _where(path: str) -> str:
    # "options.1.digit" -> "options › 2 › digit": positions counted from 1, as people count.
    return " › ".join(str(int(p) + 1) if p.isdigit() else p for p in path.split("."))
