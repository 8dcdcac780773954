"""The customer's survey page (no sign-in: the link is the credential): open a link with a point preselected,
confirm with one tap (a POST with the page's anonymous CSRF token), thanks page; refused links say what to do.

Following a mailed link records nothing (no state change on GET): it opens the page with the point chosen, and the
"Send" button records it. Pages carry a strict CSP with no script at all and only our own stylesheets.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from rapport.config import get_settings
from rapport.kit.problems import Forbidden, Invalid, NotFound, Problem
from rapport.kit.schema import Id
from rapport.surveys import answers, questions, service
from rapport.surveys import thanks as offers
from rapport.web.deps import DB, PUBLIC, client_address, requires

TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parents[1] / "web" / "templates")
CSRF_COOKIE = "rapport_survey_csrf"
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
MAX_FIELDS = 120  # a survey's questions (RAPPORT_SURVEY_MAX_QUESTIONS ≤ 50), each with a reason, and the token


class SurveyRoute(APIRoute):
    """Problems become readable pages (not problem+json), and every response gets the security headers."""

    def get_route_handler(self) -> Callable:
        """Wrap FastAPI's handler."""
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                response = await original(request)
            except answers.LinkRefused as refused:
                response = _page(request, "surveys/refused.html", status=refused.status, state=refused.state,
                                 detail=refused.detail)  # fmt: skip
            except Problem as problem:
                response = _page(request, "surveys/refused.html", status=problem.status, state="problem",
                                 detail=problem.detail)  # fmt: skip
                if problem.extra.get("retry_after"):
                    response.headers["Retry-After"] = str(problem.extra["retry_after"])
            except RequestValidationError:
                response = _page(request, "surveys/refused.html", status=404, state="invalid",
                                 detail=answers.LinkRefused("invalid").detail)  # fmt: skip
            return _secure(response)

        return handler


router = APIRouter(prefix="/survey", route_class=SurveyRoute, include_in_schema=False, dependencies=[requires(PUBLIC)])


def _secure(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"  # the link's token is in the URL: never pass it on
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _page(request: Request, template: str, status: int = 200, **context) -> HTMLResponse:
    token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
    response = TEMPLATES.TemplateResponse(
        request,
        template,
        {**context, "csrf_token": token, "text_max": get_settings().survey_text_max_chars},
        status_code=status,
    )
    if not request.cookies.get(CSRF_COOKIE):
        response.set_cookie(
            CSRF_COOKIE, token, httponly=True, samesite="strict", secure=get_settings().secure_cookies, path="/survey"
        )
    return response


def _check_csrf(request: Request, submitted: str) -> None:
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not cookie or not submitted or not hmac.compare_digest(cookie.encode(), submitted.encode()):
        raise Forbidden("This form's security token is missing or out of date; reload the page and send it again.")


def _items(opened: answers.Opened, chosen: dict[str, str], language: str | None = None) -> list[dict]:
    """The questions as the template shows them (in the customer's language where translated), each with its
    points and what is chosen now."""
    out = []
    for asked in opened.version.questions:
        q = questions.localised(asked, language)
        item = {**q, "field": f"q_{q['key']}", "chosen": chosen.get(f"q_{q['key']}", "")}
        item["points"] = [{"value": str(p.score), "label": p.label} for p in questions.points_of(q)]
        item["reason"] = chosen.get(f"q_{q['key']}_reason", "")
        out.append(item)
    return out


def _language(session, opened: answers.Opened) -> str | None:
    """The customer's language (their profile's), for the questions' translations."""
    return service.language_of_customer(session, opened.request.customer_id)


def _saved(session, request_id: int) -> dict[str, str]:
    chosen: dict[str, str] = {}
    for a in service.answers_of(session, request_id):
        if a.score is not None:
            chosen[f"q_{a.question}"] = str(a.score)
            if a.text:
                chosen[f"q_{a.question}_reason"] = a.text
        elif a.choice is not None:
            chosen[f"q_{a.question}"] = a.choice
        elif a.text:
            chosen[f"q_{a.question}"] = a.text
    return chosen


async def _posted(request: Request) -> dict[str, str]:
    """A survey form's text fields (bounded in number, no files), once its CSRF token matches the cookie's."""
    form = await request.form(max_fields=MAX_FIELDS, max_files=0)
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    _check_csrf(request, values.get("csrf_token", ""))
    return values


@router.get("/{request_id}/{token}")
def survey_page(request: Request, request_id: Id, token: str, session: DB):
    """The survey: a point from the mail preselected (nothing is recorded until the customer sends)."""
    opened = answers.open_link(session, request_id, token)
    chosen = _saved(session, request_id)
    first = opened.version.questions[0]
    score = request.query_params.get("score", "")
    if score.lstrip("-").isdigit() and questions.in_range(first["kind"], first.get("points"), int(score)):
        chosen[f"q_{first['key']}"] = str(int(score))
    return _page(
        request, "surveys/page.html", items=_items(opened, chosen, _language(session, opened)),
        action=f"/survey/{request_id}/{token}",
        answered=opened.request.state == "answered", errors={}, opt_out=f"/survey/{request_id}/{token}/opt-out",
    )  # fmt: skip


@router.post("/{request_id}/{token}")
async def send_answers(request: Request, request_id: Id, token: str, session: DB):
    """Record the answers (a re-answer within the window updates them) and go to the thanks page."""
    values = await _posted(request)
    try:
        # On a worker thread, not the event loop: recording waits on a lock held until another answer's commit
        # (the client's rate budget), and that commit needs the loop; waiting on the loop would freeze the process.
        fresh = await run_in_threadpool(
            answers.record_answers, session, request_id, token, values, client=client_address(request)
        )
    except Invalid as problem:
        opened = answers.open_link(session, request_id, token)
        errors = {e.get("field"): problem.detail for e in problem.extra.get("errors", [])}
        return _page(
            request, "surveys/page.html", status=problem.status,
            items=_items(opened, values, _language(session, opened)),
            action=f"/survey/{request_id}/{token}", answered=opened.request.state == "answered", errors=errors,
            opt_out=f"/survey/{request_id}/{token}/opt-out",
        )  # fmt: skip
    return RedirectResponse(f"/survey/{request_id}/{fresh}/thanks", status_code=303)


@router.post("/{request_id}/{token}/opt-out")
async def opt_out(request: Request, request_id: Id, token: str, session: DB):
    """No more surveys for this customer (their answers so far stay)."""
    await _posted(request)
    await run_in_threadpool(answers.opt_out, session, request_id, token, client=client_address(request))
    return _page(request, "surveys/opted_out.html")


@router.get("/{request_id}/{token}/thanks")
def thanks(request: Request, request_id: Id, token: str, session: DB):
    """Thanks, with a link to change the answers while the survey is open."""
    opened = answers.open_link(session, request_id, token)
    if opened.request.state != "answered":
        raise NotFound("There is no answer to thank you for yet.")
    return _thanks(request, opened, request_id, token)


def _thanks(request: Request, opened: answers.Opened, request_id: int, token: str, status: int = 200, **extra):
    return _page(
        request, "surveys/thanks.html", status=status, change=f"/survey/{request_id}/{token}",
        opt_out=f"/survey/{request_id}/{token}/opt-out", callback_action=f"/survey/{request_id}/{token}/callback",
        **offers.offers(opened), **extra,
    )  # fmt: skip


@router.post("/{request_id}/{token}/callback")
async def callback(request: Request, request_id: Id, token: str, session: DB):
    """The customer asks to be called back (a note on the conversation the team sees); thanks again."""
    values = await _posted(request)
    try:
        # On a worker thread, as the answers are: spending the client's budget may wait on another answer's commit.
        await run_in_threadpool(
            offers.request_callback, session, request_id, token, values, client=client_address(request)
        )
    except Invalid as problem:
        opened = answers.open_link(session, request_id, token)
        return _thanks(request, opened, request_id, token, status=problem.status, callback_error=problem.detail)
    return _thanks(request, answers.open_link(session, request_id, token), request_id, token)
