"""The solve guard: a running playbook that says so keeps its conversation from being solved or closed until its
required steps are done, unless a supervisor overrode it (recorded). And a closed conversation's running playbooks
are cancelled. Both are registered with the conversation lifecycle, so conversations never imports playbooks."""

from __future__ import annotations

from sqlalchemy.orm import Session

from rapport.conversations.lifecycle import hooks
from rapport.conversations.lifecycle.core import Lifecycle
from rapport.kernel.permissions import Actor
from rapport.kit.problems import Conflict
from rapport.models.enums import Status
from rapport.playbooks import service

ENDED = frozenset({Status.solved.value, Status.closed.value})
CLOSED = Status.closed.value


@hooks.guard("playbooks")
def solve_guard(session: Session, actor: Actor, before: Lifecycle, after: Lifecycle) -> None:
    """Refuse solving (or closing) while a guarding playbook has required steps open."""
    if after.status not in ENDED or before.status in ENDED or before.id is None:
        return
    found = service.blocking(session, before.id)
    if found:
        what = "; ".join(f"{name}: {', '.join(titles)}" for name, titles in found)
        raise Conflict(
            f"Conversation #{before.id} cannot be {after.status} while required playbook steps are open ({what}). "
            "Complete them, or ask a supervisor to override.",
            open_steps=[{"playbook": name, "steps": titles} for name, titles in found],
        )


@hooks.register("playbooks")
def on_close(session: Session, steps: list[hooks.Step]) -> None:
    """Cancel what still runs on a conversation that was closed (an override let it close with steps open)."""
    for step in steps:
        if step.imported or step.after is None or step.before is None:
            continue
        if step.after.status == CLOSED and step.before.status != CLOSED:
            service.close_with_conversation(session, step.conversation_id)
