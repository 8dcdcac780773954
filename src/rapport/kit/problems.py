"""Typed errors that carry an HTTP status; rendered once as RFC 9457 application/problem+json."""

from __future__ import annotations

from typing import Any


class Problem(Exception):
    """A failure a person can act on: a status, a short title and a specific detail."""

    status = 400
    title = "Bad request"
    slug = "bad-request"

    def __init__(self, detail: str, **extra: Any):
        super().__init__(detail)
        self.detail = detail
        self.extra = extra

    def to_dict(self, instance: str | None = None) -> dict[str, Any]:
        """The problem+json body."""
        body = {
            "type": f"https://rapport.dev/problems/{self.slug}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        body.update(self.extra)
        return body


class BadRequest(Problem):
    """The request could not be understood."""


class Unauthorized(Problem):
    """No valid credentials."""

    status, title, slug = 401, "Not signed in", "unauthorized"


class Forbidden(Problem):
    """The caller's role or token scope does not allow this."""

    status, title, slug = 403, "Not allowed", "forbidden"


class NotFound(Problem):
    """An id that does not exist (or that the caller may not see)."""

    status, title, slug = 404, "Not found", "not-found"


class Conflict(Problem):
    """The request clashes with the current state (an illegal transition, a duplicate)."""

    status, title, slug = 409, "Conflict", "conflict"


class TooLarge(Problem):
    """A body or attachment over a configured limit; the detail names the setting."""

    status, title, slug = 413, "Too large", "too-large"


class Invalid(Problem):
    """Well-formed but invalid input; `errors` lists each field."""

    status, title, slug = 422, "Invalid input", "invalid"


class TooManyRequests(Problem):
    """A rate limit was hit; the detail names the setting."""

    status, title, slug = 429, "Too many requests", "rate-limited"
