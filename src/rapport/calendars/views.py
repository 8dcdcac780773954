"""Admin pages for calendars (the service is calendars/service.py, the API calendars/api.py): the list, a new
calendar, and one calendar's page (its week grid, holidays, own dates, iCal feed and version history)."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from zoneinfo import available_timezones

from fastapi import APIRouter, Request
from starlette.datastructures import UploadFile

from rapport.calendars import closures, feeds, public_holidays, service
from rapport.calendars.forms import DAY_NAMES, closure_span, effective_from, form_from, spec_from
from rapport.config import get_settings
from rapport.kernel.permissions import authorize
from rapport.kit.calendar_spec import Calendar
from rapport.kit.clock import now
from rapport.kit.problems import Invalid, TooLarge
from rapport.kit.schema import Id
from rapport.web.deps import DB
from rapport.web.forms import FORM_PROBLEMS, field_errors, refused
from rapport.web.pages import Page, WorkspaceRoute, redirect, render_form

router = APIRouter(route_class=WorkspaceRoute, include_in_schema=False)
NEW_FORM = {f"weekly_{d}": "09:00-17:00" for d in ("mon", "tue", "wed", "thu", "fri")}
FEED_PROBLEMS = (*FORM_PROBLEMS, TooLarge)


@cache
def timezones() -> tuple[str, ...]:
    """Every IANA zone name, sorted (the select of the form)."""
    return tuple(sorted(available_timezones()))


@router.get("/admin/calendars")
def calendar_list(request: Request, session: DB, viewer: Page):
    """Every calendar, with the policies counting on each."""
    authorize(viewer.actor, "admin")
    used = service.usage(session)
    rows = [(row, used.get(row.id, [])) for row in service.listed(session)]
    return render_form(request, "calendars/list.html", viewer, calendars=rows)


@router.get("/admin/calendars/new")
def new_calendar(request: Request, session: DB, viewer: Page):
    """The form for a new calendar, Monday to Friday 9 to 5 in the admin's own zone to start from."""
    authorize(viewer.actor, "admin")
    return _new(request, viewer, {**NEW_FORM, "timezone": viewer.timezone})


@router.post("/admin/calendars/new")
async def create_calendar(request: Request, session: DB, viewer: Page):
    """Add a calendar; a wrong value is shown next to its field and nothing is saved."""
    form = await _form(request)
    try:
        when = effective_from(form.get("effective_from", ""), form.get("timezone", ""))
        row = service.create(
            session, viewer.actor, name=form.get("name", ""), description=form.get("description", ""),
            spec=spec_from(form), effective_from=when,
        )  # fmt: skip
    except FORM_PROBLEMS as exc:
        refused(session)
        return _new(request, viewer, form, field_errors(exc))
    return redirect(f"/admin/calendars/{row.id}", f"Added the calendar '{row.name}'.")


@router.get("/admin/calendars/subdivisions")
def subdivisions(request: Request, session: DB, viewer: Page, holiday_country: str = ""):
    """The subdivision field for the chosen country (swapped in when the country changes)."""
    authorize(viewer.actor, "admin")
    form = {"holiday_country": holiday_country[:3]}
    return render_form(request, "calendars/_subdivision.html", viewer, form=form, **_choices(form))


@router.get("/admin/calendars/{calendar_id:int}")
def edit_calendar(request: Request, session: DB, viewer: Page, calendar_id: Id):
    """One calendar: its name, the hours its latest version says, holidays, feed and version history."""
    authorize(viewer.actor, "admin")
    row = service.get(session, calendar_id)
    cal = service.calendar_of(service.latest(session, row.id))
    form = {"name": row.name, "description": row.description, **form_from(cal)}
    return _edit(request, session, viewer, row, form)


@router.post("/admin/calendars/{calendar_id:int}")
async def save_calendar(request: Request, session: DB, viewer: Page, calendar_id: Id):
    """Rename or describe the calendar."""
    form = await _form(request)
    try:
        row = service.update(
            session, viewer.actor, calendar_id, name=form.get("name", ""), description=form.get("description", "")
        )
    except FORM_PROBLEMS as exc:
        refused(session)
        row = service.get(session, calendar_id)
        return _edit(request, session, viewer, row, _with_hours(session, calendar_id, form), field_errors(exc))
    return redirect(f"/admin/calendars/{row.id}", f"Saved the calendar '{row.name}'.")


@router.post("/admin/calendars/{calendar_id:int}/versions")
async def add_version(request: Request, session: DB, viewer: Page, calendar_id: Id):
    """A new version of the hours from the chosen date; earlier versions (and clocks under them) stay."""
    authorize(viewer.actor, "admin")
    form = await _form(request)
    try:
        row = service.get(session, calendar_id)
        previous = service.calendar_of(service.latest(session, row.id))
        version = service.revise(
            session, viewer.actor, calendar_id, spec=spec_from(form, previous),
            effective_from=effective_from(form.get("effective_from", ""), form.get("timezone", "")),
        )  # fmt: skip
    except FORM_PROBLEMS as exc:
        refused(session)
        row = service.get(session, calendar_id)
        form = {**_with_hours(session, calendar_id, form), "always_open": form.get("always_open", "")}
        return _edit(request, session, viewer, row, form, field_errors(exc))
    when = version.effective_from.astimezone(service.calendar_of(version).tz).strftime("%Y-%m-%d %H:%M")
    return redirect(f"/admin/calendars/{calendar_id}", f"Saved a new version in force from {when}.")


@router.post("/admin/calendars/{calendar_id:int}/ical")
async def ical(request: Request, session: DB, viewer: Page, calendar_id: Id):
    """Read an uploaded or pasted iCal feed: list its items to opt out of, or import it as a new version."""
    authorize(viewer.actor, "admin")
    raw = await request.form()
    form = {k: str(v) for k, v in raw.items() if k != "csrf_token" and not isinstance(v, UploadFile)}
    opt_out = [str(u) for u in raw.getlist("opt_out")]
    upload = raw.get("ical_file")
    data: bytes | str = form.get("ical_text", "")
    if isinstance(upload, UploadFile) and upload.filename:
        data = await upload.read()
        form["ical_text"] = data.decode("utf-8", "replace")
    row = service.get(session, calendar_id)
    base = _with_hours(session, calendar_id, form)
    try:
        if not data:
            raise Invalid("Choose an iCal file or paste the feed's text.", errors=[{"field": "ical"}])
        when = effective_from(form.get("feed_effective_from", ""), base.get("timezone", "UTC"))
        if form.get("action") != "import":
            items = feeds.preview(session, viewer.actor, calendar_id, data, opt_out=opt_out, effective_from=when)
            return _edit(request, session, viewer, row, base, feed_items=items)
        version, _ = feeds.import_feed(
            session, viewer.actor, calendar_id, data, feed_name=form.get("feed_name", "") or "iCal feed",
            opt_out=opt_out, effective_from=when,
        )  # fmt: skip
    except FEED_PROBLEMS as exc:
        refused(session)
        if isinstance(exc, TooLarge):
            base["ical_text"] = ""  # a feed over the limit is not sent back into the page
        return _edit(request, session, viewer, service.get(session, calendar_id), base, field_errors(exc))
    cal = service.calendar_of(version)
    kept = sum(1 for item in (*cal.dates, *cal.closures) if item.uid)
    return redirect(
        f"/admin/calendars/{calendar_id}", f"Imported the feed as a new version ({kept} closed dates or spans)."
    )


@router.post("/admin/calendars/{calendar_id:int}/closures")
async def add_closure(request: Request, session: DB, viewer: Page, calendar_id: Id):
    """Close the calendar for a date, dates or a span of hours: a new version from now holds the closure."""
    authorize(viewer.actor, "admin")
    form = await _form(request)
    try:
        tz = service.calendar_of(closures.in_force(session, calendar_id, now())).timezone
        start, end = closure_span(form, tz)
        closures.add(session, viewer.actor, calendar_id, start=start, end=end, label=form.get("closure_label", ""))
    except FORM_PROBLEMS as exc:
        refused(session)
        row = service.get(session, calendar_id)
        return _edit(request, session, viewer, row, _with_hours(session, calendar_id, form), field_errors(exc))
    label = " ".join(form.get("closure_label", "").split())
    return redirect(f"/admin/calendars/{calendar_id}", f"Added the closure '{label}' as a new version from now.")


@router.post("/admin/calendars/{calendar_id:int}/closures/remove")
async def remove_closure(request: Request, session: DB, viewer: Page, calendar_id: Id):
    """Reopen a closure's time: a new version from now without it."""
    authorize(viewer.actor, "admin")
    form = await _form(request)
    try:
        start, end = _instant(form.get("start", "")), _instant(form.get("end", ""))
        closures.remove(session, viewer.actor, calendar_id, start=start, end=end)
    except FORM_PROBLEMS as exc:
        refused(session)
        row = service.get(session, calendar_id)
        return _edit(request, session, viewer, row, _with_hours(session, calendar_id, {}), field_errors(exc))
    return redirect(f"/admin/calendars/{calendar_id}", "Removed the closure as a new version from now.")


def _instant(text: str) -> datetime:
    """A closure's start or end as the remove button sends it (ISO 8601 with its offset)."""
    try:
        moment = datetime.fromisoformat(text.strip()[:40])
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise Invalid("That closure is not one the calendar knows; reload the page.", errors=[{"field": "form"}])
    return moment


@router.post("/admin/calendars/{calendar_id:int}/delete")
async def delete_calendar(request: Request, session: DB, viewer: Page, calendar_id: Id):
    """Delete the calendar, unless a service policy counts on it (then the page says which)."""
    authorize(viewer.actor, "admin")
    form = await _form(request)
    try:
        name = service.get(session, calendar_id).name
        service.delete(session, viewer.actor, calendar_id)
    except FORM_PROBLEMS as exc:
        refused(session)
        row = service.get(session, calendar_id)
        return _edit(request, session, viewer, row, _with_hours(session, calendar_id, form), field_errors(exc))
    return redirect("/admin/calendars", f"Deleted the calendar '{name}'.")


async def _form(request: Request) -> dict[str, str]:
    return {k: str(v) for k, v in (await request.form()).items() if k != "csrf_token"}


def _with_hours(session, calendar_id: int, form: dict) -> dict:
    """The page's fields: the calendar's name and latest hours, with what the person typed over them."""
    row = service.get(session, calendar_id)
    hours = form_from(service.calendar_of(service.latest(session, calendar_id)))
    return {"name": row.name, "description": row.description, **hours, **form}


def _choices(form: dict) -> dict:
    chosen = public_holidays.country(form.get("holiday_country"))
    return {
        "timezones": timezones(),
        "countries": public_holidays.countries(),
        "subdivisions": chosen.subdivisions if chosen else (),
    }


def _new(request: Request, viewer, form: dict, errors: dict | None = None):
    return render_form(
        request, "calendars/new.html", viewer, form=form, errors=errors, days=DAY_NAMES, **_choices(form)
    )


def _history(session, calendar_id: int) -> list[dict]:
    at = now()
    current = service.version_at(session, calendar_id, at)
    out = []
    for v in service.versions(session, calendar_id):
        cal = service.calendar_of(v)
        out.append(
            {
                "version": v,
                "calendar": cal,
                "local_from": v.effective_from.astimezone(cal.tz),
                "state": "in force" if current and v.id == current.id else ("to come" if v.effective_from > at else ""),
                "week": _week(cal),
                "own_dates": sum(1 for d in cal.dates if not d.uid),
                "feed_items": sum(1 for d in (*cal.dates, *cal.closures) if d.uid),
            }
        )
    return out


def _week(cal: Calendar) -> str:
    if cal.is_always_open:
        return "24/7"
    days = zip(DAY_NAMES, cal.weekly, strict=True)
    return "; ".join(f"{key.capitalize()} {', '.join(map(str, hours))}" for key, hours in days if hours)


def _edit(request: Request, session, viewer, row, form: dict, errors: dict | None = None, feed_items=None):
    latest = service.latest(session, row.id)
    cal: Calendar = service.calendar_of(latest)
    today = now().astimezone(cal.tz).date()
    feed_dates = sorted((d for d in cal.dates if d.uid), key=lambda d: d.date)
    feed_closures = sorted((c for c in cal.closures if c.uid), key=lambda c: c.start)
    now_cal = service.calendar_of(closures.in_force(session, row.id, now()))
    return render_form(
        request,
        "calendars/edit.html",
        viewer,
        errors=errors,
        calendar=row,
        form=form,
        days=DAY_NAMES,
        holidays=public_holidays.upcoming(cal, today),
        latest=latest,
        tz=cal.tz,
        feed_dates=[d for d in feed_dates if d.date >= today][:50],
        feed_closures=[c for c in feed_closures if c.end >= now()][:50],
        feed_items=feed_items,
        closures=closures.upcoming(now_cal, now()),
        closures_tz=now_cal.tz,
        closure_max_days=get_settings().calendar_closure_max_days,
        history=_history(session, row.id),
        used_by=service.using(session, row.id),
        horizon_end=today + timedelta(days=feeds.HORIZON_DAYS),
        **_choices(form),
    )
