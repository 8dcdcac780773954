"""Runs as pages and the API show them: each step as its template version says it and as it stands."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from rapport.models import PlaybookRun, PlaybookTemplate, PlaybookVersion
from rapport.playbooks import service


def runs(session: Session, rows: list[PlaybookRun]) -> list[dict]:
    """RunOut dicts for some runs (three queries whatever their number)."""
    if not rows:
        return []
    version_ids = {r.version_id for r in rows}
    versions = {v.id: v for v in session.scalars(select(PlaybookVersion).where(PlaybookVersion.id.in_(version_ids)))}
    names = dict(
        session.execute(
            select(PlaybookTemplate.id, PlaybookTemplate.name).where(
                PlaybookTemplate.id.in_({r.template_id for r in rows})
            )
        ).all()
    )
    steps = service.steps_of(session, [r.id for r in rows])
    out = []
    for run in rows:
        version = versions[run.version_id]
        items = []
        for step in steps[run.id]:
            spec = version.steps[step.position]
            items.append(
                {
                    "id": step.id,
                    "position": step.position,
                    "title": spec["title"],
                    "owner": spec.get("owner", "assignee"),
                    "team_id": spec.get("team_id"),
                    "role": spec.get("role"),
                    "required": spec.get("required", True),
                    "evidence": spec.get("evidence", "none"),
                    "field": spec.get("field"),
                    "action": spec.get("action"),
                    "state": step.state,
                    "due_at": step.due_at,
                    "overdue_at": step.overdue_at,
                    "done_at": step.done_at,
                    "done_by_id": step.done_by_id,
                    "proof": step.evidence,
                    "skip_reason": step.skip_reason,
                }
            )
        out.append(
            {
                "id": run.id,
                "conversation_id": run.conversation_id,
                "template_id": run.template_id,
                "name": names.get(run.template_id, ""),
                "version": version.number,
                "state": run.state,
                "blocks_solve": run.blocks_solve,
                "reason": run.reason,
                "started_at": run.started_at,
                "started_by_id": run.started_by_id,
                "ended_at": run.ended_at,
                "cancel_reason": run.cancel_reason,
                "override_by_id": run.override_by_id,
                "override_at": run.override_at,
                "override_reason": run.override_reason,
                "steps": items,
            }
        )
    return out
