"""REST routes for business-hours calendars: agents read them, admins keep them (versions, iCal feeds)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from rapport.calendars import feeds, public_holidays, service
from rapport.calendars.schemas import (
    CalendarDetail,
    CalendarIn,
    CalendarOut,
    CalendarPatch,
    HolidayCountryOut,
    ICalIn,
    ICalOut,
    VersionIn,
    VersionOut,
)
from rapport.kernel.permissions import authorize
from rapport.kit.schema import Id
from rapport.web.deps import DB, Me, requires

router = APIRouter(tags=["configuration"])


def _detail(session, row) -> CalendarDetail:
    return CalendarDetail(
        id=row.id,
        name=row.name,
        description=row.description,
        created_at=row.created_at,
        updated_at=row.updated_at,
        versions=[VersionOut.model_validate(v) for v in service.versions(session, row.id)],
        used_by=service.using(session, row.id),
    )


@router.get("/calendars/holiday-countries", dependencies=[requires("read")], response_model=list[HolidayCountryOut])
def holiday_countries(actor: Me):
    """The countries (and their subdivisions) a calendar's public-holiday preset can name."""
    authorize(actor, "directory.read")
    return [
        HolidayCountryOut(code=c.code, name=c.name, subdivisions=[{"code": s, "name": n} for s, n in c.subdivisions])
        for c in public_holidays.countries()
    ]


@router.get("/calendars", dependencies=[requires("read")], response_model=list[CalendarOut])
def list_calendars(session: DB, actor: Me):
    """Every calendar by name."""
    authorize(actor, "directory.read")
    return service.listed(session)


@router.get("/calendars/{calendar_id:int}", dependencies=[requires("read")], response_model=CalendarDetail)
def get_calendar(calendar_id: Id, session: DB, actor: Me):
    """One calendar with its versions, newest first, and the service policies that count on it."""
    authorize(actor, "directory.read")
    return _detail(session, service.get(session, calendar_id))


@router.post("/calendars", dependencies=[requires("admin")], response_model=CalendarDetail, status_code=201)
def create_calendar(body: CalendarIn, session: DB, actor: Me):
    """Add a calendar with its first version (admins)."""
    row = service.create(
        session, actor, name=body.name, description=body.description, spec=body.spec.model_dump(mode="json"),
        effective_from=body.effective_from,
    )  # fmt: skip
    return _detail(session, row)


@router.patch("/calendars/{calendar_id:int}", dependencies=[requires("admin")], response_model=CalendarDetail)
def patch_calendar(calendar_id: Id, body: CalendarPatch, session: DB, actor: Me):
    """Rename or describe a calendar (admins); what it says changes through a new version."""
    row = service.update(session, actor, calendar_id, **body.model_dump(exclude_unset=True))
    return _detail(session, row)


VERSIONS = "/calendars/{calendar_id:int}/versions"


@router.post(VERSIONS, dependencies=[requires("admin")], response_model=VersionOut, status_code=201)
def add_version(calendar_id: Id, body: VersionIn, session: DB, actor: Me):
    """A new version from `effective_from` (now); clocks already running keep the version they started under."""
    return service.revise(
        session, actor, calendar_id, spec=body.spec.model_dump(mode="json"), effective_from=body.effective_from
    )


@router.post("/calendars/{calendar_id:int}/ical", dependencies=[requires("admin")], response_model=ICalOut)
def import_ical(calendar_id: Id, body: ICalIn, session: DB, actor: Me):
    """Read an iCal feed's text: `dry_run` lists its items; otherwise a new version holds its closed dates and
    closures, less the items opted out by UID (admins). Rapport fetches no URL: send the feed itself."""
    if body.dry_run:
        items = feeds.preview(
            session, actor, calendar_id, body.ical, opt_out=body.opt_out, effective_from=body.effective_from
        )
        return ICalOut(items=items, version=None)
    version, items = feeds.import_feed(
        session, actor, calendar_id, body.ical, feed_name=body.feed_name, opt_out=body.opt_out,
        effective_from=body.effective_from,
    )  # fmt: skip
    return ICalOut(items=items, version=VersionOut.model_validate(version))


@router.delete("/calendars/{calendar_id:int}", dependencies=[requires("admin")], status_code=204)
def delete_calendar(calendar_id: Id, session: DB, actor: Me):
    """Delete a calendar (admins); refused (409, naming them) while a service policy counts on it."""
    service.delete(session, actor, calendar_id)
    return Response(status_code=204)
