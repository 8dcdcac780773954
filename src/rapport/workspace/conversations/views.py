"""Workspace pages of the conversations domain: the inbox views and the conversation page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile

from rapport.conversations import delivery
from rapport.conversations import snooze as snoozes
from rapport.conversations.attachments import IncomingFile
from rapport.conversations.merge import merge
from rapport.kit.clock import now
from rapport.kit.schema import Id, Str
from rapport.surveys import holds
from rapport.web.deps import DB
from rapport.web.pages import Page, WorkspaceRoute, is_htmx, local, redirect, render
from rapport.workspace.conversations import inbox, page, snoozing

router = APIRouter(route_class=WorkspaceRoute, include_in_schema=False)
Text = Annotated[Str, Form(max_length=200_000)]
Short = Annotated[Str, Form(max_length=200)]
# Cc or Bcc: comma-separated addresses; the count is bounded by RAPPORT_MAX_MAIL_RECIPIENTS after splitting.
Recipients = Annotated[Str, Form(max_length=20_000)]
Cursor = Annotated[str | None, Query(max_length=200)]
DEFAULT_VIEW = "all"
TIMELINE, HEAD, PANEL = frozenset({"timeline"}), frozenset({"head"}), frozenset({"panel"})


@router.get("/")
def home(viewer: Page):
    """The front page is the inbox (signed-out visitors are sent to sign in)."""
    return redirect(f"/inbox/{DEFAULT_VIEW}")


@router.get("/inbox")
def inbox_home(viewer: Page):
    """The default inbox view."""
    return redirect(f"/inbox/{DEFAULT_VIEW}")


@router.get("/inbox/{key}")
def inbox_view(
    request: Request,
    session: DB,
    viewer: Page,
    key: str,
    after: Cursor = None,
    before: Cursor = None,
    sort: Cursor = None,
):
    """One inbox view, a page at a time (after/before a cursor); htmx asks for the list alone (live refresh)."""
    shown = inbox.view(
        session, viewer.actor, key, after=after, before=before, sort=sort or "updated", tz=viewer.timezone
    )
    if is_htmx(request) and request.headers.get("hx-target") == "conversation-list":
        return render(request, "conversations/_list.html", viewer, view=shown)
    return render(
        request,
        "conversations/inbox.html",
        viewer,
        view=shown,
        counts=inbox.counts(session, viewer.actor),
        choices=inbox.choices(session, viewer.actor),
    )


@router.get("/inbox-counts")
def inbox_counts(request: Request, session: DB, viewer: Page, current: str = DEFAULT_VIEW):
    """The view list with counts (refreshed live)."""
    return render(
        request, "conversations/_counts.html", viewer, counts=inbox.counts(session, viewer.actor), current=current
    )


@router.post("/inbox/{key}/bulk")
async def bulk(request: Request, session: DB, viewer: Page, key: str):
    """Assign, tag or set the status of the selected conversations, then show the list again."""
    form = await request.form()
    ids = [int(v) for v in form.getlist("ids") if str(v).isdigit()]
    action = str(form.get("action") or "")
    value = str(form.get(f"value_{action}") or "")
    if str(form.get("assign_me") or "").isdigit():  # a row's "Assign to me": that row alone, to this agent
        ids, action, value = [int(form["assign_me"])], "assign", str(viewer.id)
    done = inbox.bulk(session, viewer.actor, ids, action=action, value=value)
    session.flush()
    shown = inbox.view(session, viewer.actor, key, tz=viewer.timezone)
    response = render(request, "conversations/_list.html", viewer, view=shown, notice=f"Updated {done} conversations.")
    response.headers["HX-Trigger"] = "counts-changed"
    return response


@router.post("/views")
async def save_view(request: Request, session: DB, viewer: Page):
    """Save the filters as a view of this agent's."""
    form = {k: str(v) for k, v in (await request.form()).items()}
    saved = inbox.save_view(session, viewer.actor, name=form.get("name", ""), filters=form)
    return redirect(f"/inbox/saved-{saved.id}", f"Saved the view '{saved.name}'.")


@router.post("/views/{view_id}/delete")
def delete_view(session: DB, viewer: Page, view_id: Id):
    """Delete one of this agent's saved views."""
    inbox.delete_view(session, viewer.actor, view_id)
    return redirect(f"/inbox/{DEFAULT_VIEW}", "Deleted the view.")


@router.get("/conversations/{conversation_id}")
def conversation(request: Request, session: DB, viewer: Page, conversation_id: Id):
    """The conversation page."""
    data = page.load(session, viewer.actor, conversation_id, tz=viewer.timezone)
    return render(request, "conversations/page.html", viewer, p=data, icons=page.CHANNEL_ICONS)


@router.get("/conversations/{conversation_id}/timeline")
def timeline(request: Request, session: DB, viewer: Page, conversation_id: Id):
    """The timeline alone (refreshed live when something happens in the conversation)."""
    data = page.load(session, viewer.actor, conversation_id, TIMELINE)
    return render(request, "conversations/_timeline.html", viewer, p=data, icons=page.CHANNEL_ICONS)


@router.get("/conversations/{conversation_id}/head")
def head(request: Request, session: DB, viewer: Page, conversation_id: Id):
    """The header alone: status, priority, assignee, team, category and tags (refreshed live when they change)."""
    data = page.load(session, viewer.actor, conversation_id, HEAD)
    return render(request, "conversations/_head.html", viewer, p=data)


@router.get("/conversations/{conversation_id}/panel")
def panel(request: Request, session: DB, viewer: Page, conversation_id: Id):
    """The actions and customer panel alone."""
    data = page.load(session, viewer.actor, conversation_id, PANEL, tz=viewer.timezone)
    return render(request, "conversations/_panel.html", viewer, p=data)


@router.post("/conversations/{conversation_id}/messages")
def compose(
    request: Request,
    session: DB,
    viewer: Page,
    conversation_id: Id,
    text: Text = "",
    mode: Short = "reply",
    channel: Short = "",
    files: Annotated[list[UploadFile] | None, File()] = None,
    confirm_reply_to: Annotated[str, Form(max_length=320)] = "",
    format: Short = "",
    cc: Recipients = "",
    bcc: Recipients = "",
    signatures: Short = "",
    sign: Annotated[list[str] | None, Form()] = None,
):
    """Send the composer: a reply in the chosen channel or an internal note.

    `format=markup`: the text is the composer's markup. The signatures' checkboxes (`sign`) count only when the
    form showed them (`signatures=shown`): a form without them leaves every signature that applies.
    """
    incoming = [IncomingFile(f.filename, f.file.read(), f.content_type) for f in files or [] if f.filename]
    page.write(
        session,
        viewer.actor,
        conversation_id,
        mode=mode,
        text=text,
        channel=channel or None,
        files=incoming,
        confirm_reply_to=confirm_reply_to or None,
        formatted=format == "markup",
        cc=cc,
        bcc=bcc,
        signatures=frozenset(sign or ()) if signatures == "shown" else None,
    )
    if not is_htmx(request):
        return redirect(f"/conversations/{conversation_id}", "Note added." if mode == "note" else "Reply sent.")
    session.flush()
    data = page.load(session, viewer.actor, conversation_id, TIMELINE)
    response = render(request, "conversations/_timeline.html", viewer, p=data, icons=page.CHANNEL_ICONS)
    response.headers["HX-Trigger"] = "panel-changed, head-changed"  # a reply may move the status
    return response


@router.post("/conversations/{conversation_id}/messages/{message_id}/retry")
def retry_delivery(request: Request, session: DB, viewer: Page, conversation_id: Id, message_id: Id):
    """Try a failed reply's delivery again now."""
    delivery.retry(session, viewer.actor, conversation_id, message_id)
    return redirect(f"/conversations/{conversation_id}", "Trying the delivery again.")


@router.post("/conversations/{conversation_id}/actions")
async def actions(request: Request, session: DB, viewer: Page, conversation_id: Id):
    """Apply the sidebar's changes (status, priority, assignee, team, category, tags, custom fields)."""
    form = {k: str(v) for k, v in (await request.form()).items() if k != "csrf_token"}
    page.apply_actions(session, viewer.actor, conversation_id, form)
    if not is_htmx(request):
        return redirect(f"/conversations/{conversation_id}", "Saved.")
    session.flush()
    data = page.load(session, viewer.actor, conversation_id, PANEL, tz=viewer.timezone)
    response = render(request, "conversations/_panel.html", viewer, p=data, notice="Saved.")
    response.headers["HX-Trigger"] = "timeline-changed, head-changed"
    return response


@router.post("/conversations/{conversation_id}/skills")
async def skills(request: Request, session: DB, viewer: Page, conversation_id: Id):
    """Set the skills routing requires and prefers of the conversation's agent."""
    form = {k: str(v) for k, v in (await request.form()).items() if k != "csrf_token"}
    page.apply_skills(session, viewer.actor, conversation_id, form)
    return redirect(f"/conversations/{conversation_id}", "Skills saved: routing takes them into account from now on.")


@router.post("/conversations/{conversation_id}/snooze")
async def snooze(request: Request, session: DB, viewer: Page, conversation_id: Id):
    """Snooze the conversation (a preset or a typed time, in the agent's zone) and go back to the inbox."""
    form = {k: str(v) for k, v in (await request.form()).items() if k != "csrf_token"}
    until = snoozing.chosen(form, at=now(), tz=viewer.timezone)
    conv = snoozes.snooze(session, viewer.actor, conversation_id, until)
    when = local(conv.snoozed_until, viewer.timezone)
    return redirect(f"/inbox/{DEFAULT_VIEW}", f"Snoozed #{conversation_id} until {when}.")


@router.post("/conversations/{conversation_id}/unsnooze")
def unsnooze(session: DB, viewer: Page, conversation_id: Id):
    """Bring a snoozed conversation back to the working views now."""
    snoozes.unsnooze(session, viewer.actor, conversation_id)
    return redirect(f"/conversations/{conversation_id}", "Unsnoozed: it is back in the inbox.")


@router.post("/conversations/{conversation_id}/no-survey")
def no_survey(session: DB, viewer: Page, conversation_id: Id):
    """Mark the conversation "don't survey": its unanswered surveys are withdrawn, none is sent while it is set."""
    holds.set_hold(session, viewer.actor, conversation_id)
    return redirect(f"/conversations/{conversation_id}", "Marked: no survey will be sent for this conversation.")


@router.post("/conversations/{conversation_id}/allow-survey")
def allow_survey(session: DB, viewer: Page, conversation_id: Id):
    """Clear "don't survey": the conversation's next solve may survey it again."""
    holds.clear_hold(session, viewer.actor, conversation_id)
    return redirect(f"/conversations/{conversation_id}", "Surveys are allowed again for this conversation.")


@router.post("/conversations/{conversation_id}/merge")
def merge_into(session: DB, viewer: Page, conversation_id: Id, target_id: Annotated[Id, Form()]):
    """Merge this conversation into another one and go there."""
    target = merge(session, viewer.actor, conversation_id, target_id)
    return redirect(f"/conversations/{target.id}", f"Merged conversation {conversation_id} into this one.")
