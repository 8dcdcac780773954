"""Request and response shapes of the chat API."""

from __future__ import annotations

from pydantic import Field

from rapport.conversations.schemas import AttachmentIn
from rapport.kit.schema import In


class VisitorIn(In):
    """Start a chat; the name is optional."""

    name: str | None = Field(default=None, max_length=200)


class ChatMessageIn(In):
    """A visitor's message: text and/or files (base64, within the core's attachment limits)."""

    text: str | None = None
    attachments: list[AttachmentIn] = []


class PersonIn(In):
    """Ask for a person, optionally with a message."""

    text: str | None = None


class EmailIn(In):
    """Give an email address: to see earlier conversations, or to continue this one by email."""

    email: str = Field(max_length=320)
    continue_by_email: bool = False


class TypingIn(In):
    """The visitor is typing or stopped."""

    state: str = Field(pattern="^(typing|idle)$")


class CodeIn(In):
    """The confirmation code mailed to the address the visitor gave."""

    code: str = Field(min_length=1, max_length=32)


class SurveyAnswerIn(In):
    """One tap on the first question of the visitor's open survey: its request and the point chosen."""

    request_id: int = Field(ge=1, le=2**53)
    score: int = Field(ge=0, le=10)
