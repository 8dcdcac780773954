"""What the API says about a job: never its payload (a system mail's text carries sign-in links)."""

from __future__ import annotations

from datetime import datetime

from rapport.kit.schema import Out


class JobOut(Out):
    """A job: its kind and key, state, attempts, last error and times."""

    id: int
    kind: str
    key: str | None
    state: str
    attempts: int
    max_attempts: int
    last_error: str | None
    due_at: datetime
    created_at: datetime

    @classmethod
    def of(cls, job) -> JobOut:
        """The view of a Job row (its `dedupe_key` is the key)."""
        return cls.model_validate(
            {**{f: getattr(job, f) for f in cls.model_fields if f != "key"}, "key": job.dedupe_key}
        )
