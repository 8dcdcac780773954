"""Rule actions that hand the work to another plan: apply a macro, start a playbook.

An internal task is a playbook of one step: its owner (assignee, team or role), its due time in business hours and
the evidence it needs are the step's, and it shows on the conversation's checklist and, when late, on the
supervisor board. So "every 10th conversation of a VIP → a personal thank-you task" starts such a playbook.
"""

from __future__ import annotations

from pydantic import Field
from sqlalchemy.orm import Session

from rapport.kernel.permissions import SYSTEM
from rapport.kit.problems import Invalid, NotFound
from rapport.macros import apply as macros
from rapport.macros import service as macro_service
from rapport.playbooks import service as playbooks
from rapport.playbooks import templates as playbook_templates
from rapport.rules.actions import Params, may_reply
from rapport.rules.context import Run
from rapport.rules.vocabulary import register_action


class MacroParams(Params):
    """The macro to apply (a shared or a team one: a personal macro is its owner's alone)."""

    macro_id: int = Field(ge=1)


class PlaybookParams(Params):
    """The playbook template to start (its newest version)."""

    template_id: int = Field(ge=1)


def _check_macro(session: Session, p: MacroParams) -> None:
    try:
        macro = macro_service.get(session, SYSTEM, p.macro_id)
    except NotFound:
        raise Invalid(f"There is no macro {p.macro_id}.", errors=[{"field": "params.macro_id"}]) from None
    if macro.visibility == "personal":
        raise Invalid(
            f"The macro '{macro.name}' is personal (its owner's alone); a rule applies shared or team macros.",
            errors=[{"field": "params.macro_id"}],
        )


def _check_playbook(session: Session, p: PlaybookParams) -> None:
    try:
        template = playbook_templates.get(session, p.template_id)
    except NotFound:
        raise Invalid(f"There is no playbook {p.template_id}.", errors=[{"field": "params.template_id"}]) from None
    if not template.active:
        raise Invalid(f"The playbook '{template.name}' is switched off.", errors=[{"field": "params.template_id"}])


def apply_macro(run: Run, p: MacroParams) -> str:
    """Apply the macro as an agent would; one that replies obeys the rules' reply limits (else nothing is done)."""
    macro = macro_service.get(run.session, run.actor, p.macro_id)
    if macro.body.strip():
        refused = may_reply(run)
        if refused:
            return f"applied no macro: {refused}"
    macros.apply(run.session, run.actor, p.macro_id, run.conversation_id)
    return f"applied the macro '{macro.name}'"


def start_playbook(run: Run, p: PlaybookParams) -> str:
    """Start the playbook on the conversation (the running one stays when it already runs there)."""
    started = playbooks.start(run.session, run.conversation_id, p.template_id, by=run.actor, reason=run.rule.name)
    return f"started the playbook '{playbook_templates.get(run.session, started.template_id).name}'"


register_action("apply_macro", MacroParams, apply_macro, check=_check_macro, label="Apply a macro", sends=True,
                describe=lambda p: f"apply macro #{p.macro_id}")  # fmt: skip
register_action("start_playbook", PlaybookParams, start_playbook, check=_check_playbook,
                label="Start a playbook or task", describe=lambda p: f"start playbook #{p.template_id}")  # fmt: skip
