"""REST routes for surveys: admins keep the definitions (a change of questions or rules is a new version); agents
read a conversation's survey requests and their answers."""

from __future__ import annotations

from fastapi import APIRouter, Response

from rapport.kernel.permissions import authorize
from rapport.kit.schema import Id
from rapport.surveys import holds, service
from rapport.surveys.schemas import (
    AnswerOut,
    HoldIn,
    HoldOut,
    RequestOut,
    SurveyIn,
    SurveyOut,
    SurveyPatch,
    VersionOut,
)
from rapport.web.deps import DB, Me, requires

router = APIRouter(tags=["surveys"])


def _out(session, row) -> SurveyOut:
    version = service.version(session, row.current_version_id)
    return SurveyOut(
        id=row.id, name=row.name, active=row.active, created_at=row.created_at, updated_at=row.updated_at,
        version=VersionOut.model_validate(version) if version else None,
    )  # fmt: skip


def _request(row, answers) -> RequestOut:
    out = RequestOut.model_validate(row)
    out.answers = [AnswerOut.model_validate(a) for a in answers]
    return out


@router.get("/surveys", dependencies=[requires("read")], response_model=list[SurveyOut])
def list_surveys(session: DB, actor: Me):
    """Every survey by name, with the version in force."""
    authorize(actor, "directory.read")
    return [_out(session, row) for row in service.listed(session)]


@router.get("/surveys/{survey_id:int}", dependencies=[requires("read")], response_model=SurveyOut)
def get_survey(survey_id: Id, session: DB, actor: Me):
    """One survey with the version in force."""
    authorize(actor, "directory.read")
    return _out(session, service.get(session, survey_id))


@router.post("/surveys", dependencies=[requires("admin")], response_model=SurveyOut, status_code=201)
def create_survey(body: SurveyIn, session: DB, actor: Me):
    """Add a survey with its first version (admins)."""
    row = service.create(session, actor, name=body.name, active=body.active, questions=body.questions, rules=body.rules)
    return _out(session, row)


@router.patch("/surveys/{survey_id:int}", dependencies=[requires("admin")], response_model=SurveyOut)
def patch_survey(survey_id: Id, body: SurveyPatch, session: DB, actor: Me):
    """Rename or switch a survey on or off; new questions or rules make a new version (admins)."""
    plain = body.model_dump(exclude_unset=True, exclude={"questions", "rules"})
    row = service.update(session, actor, survey_id, **plain, questions=body.questions, rules=body.rules)
    return _out(session, row)


@router.delete("/surveys/{survey_id:int}", dependencies=[requires("admin")], status_code=204)
def delete_survey(survey_id: Id, session: DB, actor: Me):
    """Delete a survey never sent (one with answers is switched off instead) (admins)."""
    service.delete(session, actor, survey_id)
    return Response(status_code=204)


@router.get(
    "/conversations/{conversation_id:int}/surveys", dependencies=[requires("read")], response_model=list[RequestOut]
)
def conversation_surveys(conversation_id: Id, session: DB, actor: Me):
    """A conversation's survey requests, each with its state and answers."""
    return [_request(row, answers) for row, answers in service.requests_of(session, actor, conversation_id)]


@router.get("/surveys/requests/{request_id:int}", dependencies=[requires("read")], response_model=RequestOut)
def get_request(request_id: Id, session: DB, actor: Me):
    """One survey request with its answers."""
    return _request(*service.request(session, actor, request_id))


def _hold(row) -> HoldOut:
    if row is None:
        return HoldOut(held=False)
    return HoldOut(
        held=True, reason=row.reason, agent_id=row.agent_id, macro_id=row.macro_id, created_at=row.created_at
    )


@router.get("/conversations/{conversation_id:int}/survey-hold", dependencies=[requires("read")], response_model=HoldOut)
def get_hold(conversation_id: Id, session: DB, actor: Me):
    """Whether the conversation is marked "don't survey"."""
    return _hold(holds.get(session, actor, conversation_id))


@router.put(
    "/conversations/{conversation_id:int}/survey-hold", dependencies=[requires("write")], response_model=HoldOut
)
def put_hold(conversation_id: Id, body: HoldIn, session: DB, actor: Me):
    """Mark the conversation "don't survey": its unanswered surveys are withdrawn and none is sent while it is set."""
    return _hold(holds.set_hold(session, actor, conversation_id, reason=body.reason))


@router.delete("/conversations/{conversation_id:int}/survey-hold", dependencies=[requires("write")], status_code=204)
def delete_hold(conversation_id: Id, session: DB, actor: Me):
    """Allow surveys on the conversation again (from its next solve)."""
    holds.clear_hold(session, actor, conversation_id)
    return Response(status_code=204)
