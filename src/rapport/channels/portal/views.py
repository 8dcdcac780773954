"""The customer portal's pages: the web form, sign-in by emailed link, the customer's own conversations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse

from rapport.channels.portal import service
from rapport.channels.portal import surveys as portal_surveys
from rapport.channels.portal.web import (
    SESSION_COOKIE,
    PortalRoute,
    check_form_token,
    check_session_token,
    client_ip,
    render,
)
from rapport.config import get_settings
from rapport.conversations.attachments import IncomingFile
from rapport.kit.problems import Invalid, TooManyRequests, Unauthorized
from rapport.kit.schema import Id, Int, Str
from rapport.web.deps import DB, PUBLIC, requires

router = APIRouter(prefix="/portal", route_class=PortalRoute, include_in_schema=False, dependencies=[requires(PUBLIC)])
Text = Annotated[Str, Form(max_length=200_000)]


def _who(request: Request, session) -> service.CustomerSession:
    who = service.current(session, request.cookies.get(SESSION_COOKIE))
    if who is None:
        raise Unauthorized("Sign in to see your conversations.")
    return who


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


@router.get("")
def home(request: Request, session: DB):
    """Signed-in customers go to their conversations; everyone else to the request form."""
    signed_in = service.current(session, request.cookies.get(SESSION_COOKIE)) is not None
    return _see_other("/portal/conversations" if signed_in else "/portal/new")


@router.get("/new")
def new_request(request: Request):
    """The web form."""
    return render(request, "portal/new.html", values={}, errors=[])


@router.post("/new")
def submit_request(
    request: Request,
    session: DB,
    csrf_token: Text = "",
    name: Text = "",
    email: Text = "",
    subject: Text = "",
    message: Text = "",
    attachment: Annotated[UploadFile | None, File()] = None,
):
    """Receive the form: a conversation in the portal inbox, then a thank-you page."""
    check_form_token(request, csrf_token)
    file = None
    if attachment is not None and attachment.filename:
        file = IncomingFile(attachment.filename, attachment.file.read(), attachment.content_type)
    values = {"name": name, "email": email, "subject": subject, "message": message}
    try:
        received = service.submit_request(
            session, service.Request(name, email, subject, message, file), ip=client_ip(request)
        )
    except (Invalid, TooManyRequests) as problem:
        # Shown on the form with what was typed, so nothing is lost (a refused request stored nothing).
        errors = problem.extra.get("errors") or [{"field": "email", "message": problem.detail}]
        page = render(request, "portal/new.html", status=problem.status, values=values, errors=errors)
        return _retry_after(page, problem)
    return _see_other(f"/portal/new/sent?ref={received.conversation_id}")


def _retry_after(page, problem):
    if problem.extra.get("retry_after"):
        page.headers["Retry-After"] = str(problem.extra["retry_after"])
    return page


@router.get("/new/sent")
def request_sent(request: Request, ref: Int | None = None):
    """Thanks, with the conversation's number."""
    return render(request, "portal/sent.html", ref=ref)


@router.get("/sign-in")
def sign_in_page(request: Request):
    """Ask for an email address to send a sign-in link to."""
    return render(request, "portal/sign_in.html", email=request.query_params.get("email", "")[:320], error=None)


@router.post("/sign-in")
def sign_in_request(request: Request, session: DB, csrf_token: Text = "", email: Text = ""):
    """Queue a link when the address is a customer's verified one; the answer reads the same either way."""
    check_form_token(request, csrf_token)
    try:
        service.request_link(session, email, ip=client_ip(request))
    except (Invalid, TooManyRequests) as problem:
        page = render(request, "portal/sign_in.html", status=problem.status, email=email, error=problem.detail)
        return _retry_after(page, problem)
    return render(request, "portal/link_sent.html", minutes=get_settings().portal_link_minutes)


@router.get("/sign-in/{token}")
def open_link(request: Request, token: str, session: DB):
    """Show a button that signs in (opening a link changes nothing: mail scanners open links too)."""
    state = service.link_state(session, token[:200])
    if state.state != "valid":
        return render(request, "portal/link_invalid.html", status=410, state=state.state, email=state.email)
    return render(request, "portal/link.html", token=token)


@router.post("/sign-in/{token}")
def use_link(request: Request, token: str, session: DB, csrf_token: Text = ""):
    """Spend the link, start the customer's session, and show their conversations."""
    check_form_token(request, csrf_token)
    try:
        who = service.use_link(session, token[:200])
    except Invalid as problem:
        state = problem.extra.get("state", "unknown")
        email = service.link_state(session, token[:200]).email
        return render(request, "portal/link_invalid.html", status=410, state=state, email=email)
    response = _see_other("/portal/conversations")
    settings = get_settings()
    response.set_cookie(
        SESSION_COOKIE,
        who.cookie,
        max_age=settings.portal_session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/portal",
    )
    return response


@router.get("/conversations")
def my_conversations(request: Request, session: DB):
    """The signed-in customer's conversations."""
    who = _who(request, session)
    convs = service.conversations(session, who)
    return render(
        request, "portal/conversations.html", conversations=convs, csrf_token=who.csrf_token, signed_in=True,
        surveys=portal_surveys.open_surveys(session, who),
    )  # fmt: skip


@router.get("/conversations/{conversation_id}")
def my_conversation(request: Request, conversation_id: Id, session: DB):
    """One of the customer's conversations: their messages and our replies, with a reply form."""
    who = _who(request, session)
    conv, messages = service.conversation(session, who, conversation_id)
    return render(
        request,
        "portal/conversation.html",
        conversation=conv,
        messages=messages,
        csrf_token=who.csrf_token,
        signed_in=True,
        error=None,
        surveys=portal_surveys.open_surveys(session, who, conv.id),
    )


@router.post("/surveys/{request_id}")
def answer_survey(request: Request, request_id: Id, session: DB, csrf_token: Text = "", score: Text = ""):
    """One tap on an open survey's first question (a re-answer updates it); thanks, with the page for the rest."""
    who = _who(request, session)
    check_session_token(who.csrf_token, csrf_token)
    if not score.isdigit() or len(score) > 2:
        raise Invalid("Choose one of the answers offered.", errors=[{"field": "score"}])
    fresh = portal_surveys.answer(session, who, request_id, int(score), client=client_ip(request))
    return render(
        request, "portal/survey_thanks.html", csrf_token=who.csrf_token, signed_in=True,
        rest=f"/survey/{request_id}/{fresh}",
    )  # fmt: skip


@router.post("/conversations/{conversation_id}/reply")
def reply(request: Request, conversation_id: Id, session: DB, csrf_token: Text = "", message: Text = ""):
    """The customer's reply; it may land in a follow-up conversation when this one is closed."""
    who = _who(request, session)
    check_session_token(who.csrf_token, csrf_token)
    received = service.reply(session, who, conversation_id, message)
    return _see_other(f"/portal/conversations/{received.conversation_id}#latest")


@router.post("/sign-out")
def sign_out(request: Request, session: DB, csrf_token: Text = ""):
    """End the session and forget the cookie."""
    who = _who(request, session)
    check_session_token(who.csrf_token, csrf_token)
    service.sign_out(session, who)
    response = _see_other("/portal/sign-in")
    response.delete_cookie(SESSION_COOKIE, path="/portal")
    return response
