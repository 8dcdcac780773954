"""Workspace pages of the customers domain: the customer list and search, the profile, editing and merging."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request

from rapport.customers import directory, merging
from rapport.customers.directory import IDENTITY_ICONS, IDENTITY_LABELS
from rapport.kit.problems import Invalid
from rapport.kit.schema import Id, Int
from rapport.web.deps import DB
from rapport.web.pages import Page, WorkspaceRoute, is_htmx, redirect, render
from rapport.workspace.conversations.page import CHANNEL_ICONS
from rapport.workspace.customers import profile

router = APIRouter(route_class=WorkspaceRoute, include_in_schema=False)
ICONS = {"identity_icons": IDENTITY_ICONS, "identity_labels": IDENTITY_LABELS, "icons": CHANNEL_ICONS}
# What an htmx request for the list wants, by its target: the results (a new search) or the next rows.
LIST_FRAGMENTS = {"customer-results": "customers/_results.html", "customer-rows": "customers/_more.html"}


def _target(request: Request) -> str:
    return request.headers.get("hx-target", "") if is_htmx(request) else ""


def _errors(problem: Invalid) -> dict[str, str]:
    return {e["field"]: e.get("message", problem.detail) for e in problem.extra.get("errors", [])}


@router.get("/customers")
def customer_list(request: Request, session: DB, viewer: Page, q: str = "", cursor: str = ""):
    """Recently active customers, or the ones matching the search; htmx asks for the results or the next rows."""
    try:
        found = directory.listing(session, viewer.actor, q=q, cursor=cursor or None)
    except Invalid as problem:
        found, error, status = directory.Directory(q, [], None, bool(q.strip())), problem.detail, 422
    else:
        error, status = "", 200
    template = LIST_FRAGMENTS.get(_target(request), "customers/list.html")
    return render(request, template, viewer, status=status, found=found, q=q, error=error, **ICONS)


@router.get("/customers/{customer_id}")
def customer_profile(request: Request, session: DB, viewer: Page, customer_id: Id):
    """The profile; a merged customer's address leads to the customer it became."""
    data = profile.load(session, viewer.actor, customer_id)
    if data.customer.id != customer_id:
        return redirect(f"/customers/{data.customer.id}", f"Customer {customer_id} was merged into this one.")
    return render(
        request,
        "customers/profile.html",
        viewer,
        p=data,
        form=profile.form_values(data.customer),
        errors={},
        merge_refusal=merging.refusal(viewer.actor),
        **ICONS,
    )


@router.get("/customers/{customer_id}/conversations")
def more_conversations(request: Request, session: DB, viewer: Page, customer_id: Id, cursor: str = ""):
    """The next page of the customer's conversations (rows appended by htmx)."""
    page = profile.conversations(session, viewer.actor, customer_id, cursor=cursor or None)
    return render(
        request, "customers/_conversations.html", viewer, conversations=page, customer_id=customer_id, **ICONS
    )


@router.get("/customers/{customer_id}/timeline")
def more_timeline(request: Request, session: DB, viewer: Page, customer_id: Id, before: Int | None = None):
    """The next page of the customer's timeline (entries appended by htmx)."""
    page = profile.timeline(session, viewer.actor, customer_id, before=before)
    return render(request, "customers/_timeline.html", viewer, timeline=page, customer_id=customer_id)


@router.post("/customers/{customer_id}")
async def save_profile(request: Request, session: DB, viewer: Page, customer_id: Id):
    """Save the profile form; a wrong value is named next to its field."""
    form = {k: str(v) for k, v in (await request.form()).items() if k != "csrf_token"}
    try:
        customer = profile.edit(session, viewer.actor, customer_id, form)
    except Invalid as problem:
        template = "customers/_details.html" if is_htmx(request) else "customers/profile.html"
        data = profile.load(session, viewer.actor, customer_id)
        context = {"p": data, "form": form, "errors": _errors(problem), "merge_refusal": merging.refusal(viewer.actor)}
        return render(request, template, viewer, status=422, **context, **ICONS)
    if not is_htmx(request):
        return redirect(f"/customers/{customer.id}", "Profile saved.")
    session.flush()
    data = profile.load(session, viewer.actor, customer.id)
    form = profile.form_values(data.customer)
    return render(request, "customers/_details.html", viewer, p=data, form=form, errors={}, notice="Saved.", **ICONS)


@router.get("/customers/{customer_id}/merge")
def merge_page(request: Request, session: DB, viewer: Page, customer_id: Id, q: str = "", other: Int | None = None):
    """Pick the customer to merge with (htmx asks for the matches alone), or confirm a merge with `other`."""
    if other is not None:
        plan = merging.plan(session, viewer.actor, customer_id, other)
        return render(request, "customers/merge.html", viewer, plan=plan, **ICONS)
    try:
        rows, error = merging.candidates(session, viewer.actor, customer_id, q=q), ""
    except Invalid as problem:
        rows, error = [], problem.detail
    context = {"rows": rows, "q": q, "error": error, "customer_id": customer_id, **ICONS}
    if _target(request) == "merge-candidates":
        return render(request, "customers/_candidates.html", viewer, **context)
    data = profile.load(session, viewer.actor, customer_id)
    return render(request, "customers/pick.html", viewer, p=data, **context)


@router.post("/customers/{customer_id}/merge")
def merge(
    session: DB,
    viewer: Page,
    customer_id: Id,
    other_id: Annotated[Id, Form()],
    keep: Annotated[str, Form(max_length=8)] = "this",
):
    """Merge the two customers and open the one that remains."""
    gone = other_id if keep == "this" else customer_id
    survivor = merging.merge(session, viewer.actor, customer_id, other_id, keep=keep)
    return redirect(f"/customers/{survivor.id}", f"Merged customer {gone} into this one.")
