"""Surveys in and out of the API: definitions (questions and send rules), requests and their answers.

What JSON Schema cannot say (a pick-list needs reasons, keys are unique, the limits set in config.py) the service
checks and names (surveys.service.checked).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from rapport.kit.schema import Id, In, Out

Kind = Literal["csat", "nps", "ces", "expectations", "choose_again", "reason", "text"]
Key = Annotated[str, Field(pattern="^[a-z][a-z0-9_]{0,31}$", examples=["csat"])]
Prompt = Annotated[str, Field(min_length=1, max_length=300)]
Reason = Annotated[str, Field(min_length=1, max_length=100)]
Name = Annotated[str, Field(min_length=1, max_length=100)]
# A help article: an https address (a host with a dot, no user info, no spaces, control characters or backslashes)
# or a path of this site ("/help/x", never "//host"). So never javascript:, data:, http: or another host by //.
_HOST = r"[^\s\x00-\x1f/@\\?#]+\.[^\s\x00-\x1f/@\\?#]+"
HELP_URL = rf"^(https://{_HOST}([/?#][^\s\x00-\x1f\\]*)?|/([^/\s\x00-\x1f\\][^\s\x00-\x1f\\]*)?)$"


Language = Annotated[str, Field(pattern="^[a-z]{2,3}(-[a-z0-9]{2,8})?$", examples=["de", "pt-br"])]
Label = Annotated[str, Field(min_length=1, max_length=100)]


class Translation(In):
    """A question in another language: its prompt, and (optionally) the scale's labels or the reasons, in order."""

    prompt: Prompt
    labels: Annotated[list[Label], Field(max_length=11)] = []
    options: Annotated[list[Reason], Field(max_length=100)] = []


class Question(In):
    """One question: `key` names its answers; `points` is the CSAT scale (2, 3 or 5); `options` a pick-list's;
    `translations` by language code (lower case, as the customer's profile names it: `de`, `pt-br`)."""

    key: Key
    kind: Kind
    prompt: Prompt
    points: Literal[2, 3, 5] | None = None
    options: Annotated[list[Reason], Field(max_length=100)] = []
    translations: Annotated[dict[Language, Translation], Field(max_length=40)] = {}


class Rules(In):
    """When a survey is sent after a conversation is solved, and how long its link works.

    `delay_minutes` counts business minutes on `calendar_id` (none: every minute counts); `sample_percent` of the
    conversations that qualify are surveyed; a customer surveyed within `cooldown_days` is not surveyed again.
    A survey is asked at most once per conversation (always), in the channel the conversation is in, if `channels`
    lists it: by email a link per point, by SMS or WhatsApp "reply with a number" (and the link for the rest), in the
    chat widget the first question's points as buttons; a portal conversation's survey is mailed (as by email) and
    shown in the customer's portal, answered there; `phone` asks by the IVR keypad right after a call a person
    answered.
    """

    delay_minutes: Annotated[int, Field(ge=0, le=43_200)] = 60
    calendar_id: Id | None = None
    require_person_reply: bool = True
    min_messages: Annotated[int, Field(ge=0, le=1000)] = 2
    cooldown_days: Annotated[int, Field(ge=0, le=365)] = 30
    sample_percent: Annotated[int, Field(ge=0, le=100)] = 100
    expiry_days: Annotated[
        int, Field(ge=1, le=365, json_schema_extra={"x-rapport-maximum": "survey_max_expiry_days"})
    ] = 7
    channels: Annotated[
        list[Literal["email", "sms", "whatsapp", "chat", "portal", "phone"]], Field(min_length=1, max_length=6)
    ] = ["email"]
    # After answering: the thanks page may link a help article (https, or a path on this site) and offer a callback.
    help_url: Annotated[str, Field(max_length=500, pattern=HELP_URL)] | None = None
    help_label: Annotated[str, Field(max_length=100)] = ""
    offer_callback: bool = False


class SurveyIn(In):
    """A new survey with its first version."""

    name: Name
    active: bool = True
    questions: Annotated[list[Question], Field(min_length=1, max_length=50)]
    rules: Rules = Rules()


class SurveyPatch(In):
    """A change: a new name or active flag; new questions or rules make a new version."""

    name: Name | None = None
    active: bool | None = None
    questions: Annotated[list[Question], Field(min_length=1, max_length=50)] | None = None
    rules: Rules | None = None


class VersionOut(Out):
    """One version of a survey."""

    id: int
    number: int
    questions: list[dict]
    rules: dict
    created_at: datetime


class SurveyOut(Out):
    """A survey and the version in force."""

    id: int
    name: str
    active: bool
    version: VersionOut | None
    created_at: datetime
    updated_at: datetime


class AnswerOut(Out):
    """One question's answer."""

    question: str
    kind: str
    score: int | None
    choice: str | None
    text: str | None
    updated_at: datetime


class RequestOut(Out):
    """A survey request of one conversation, with its answers."""

    id: int
    survey_id: int
    version_id: int
    conversation_id: int
    customer_id: int
    channel: str
    state: str
    reason: str
    due_at: datetime | None
    sent_at: datetime | None
    answered_at: datetime | None
    expires_at: datetime | None
    created_at: datetime
    answers: list[AnswerOut] = []


class HoldIn(In):
    """Mark a conversation "don't survey", optionally saying why (the withdrawn surveys' reason names it)."""

    reason: Annotated[str, Field(max_length=200)] = ""


class HoldOut(Out):
    """Whether a conversation is marked "don't survey", why, by whom (an agent, or a macro they applied)."""

    held: bool
    reason: str = ""
    agent_id: int | None = None
    macro_id: int | None = None
    created_at: datetime | None = None
