"""Exports open in openpyxl and with Python's csv reader and carry the selector's numbers."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import call_command
from django.utils import translation
from openpyxl import load_workbook

from chuishao.actors import SYSTEM
from chuishao.evaluation.definitions import COUNTS
from chuishao.evaluation.exports import export, export_columns
from chuishao.evaluation.selectors import indicators
from chuishao.evaluation.services import rollup_rebuild


@pytest.fixture
def rows(scenario):
    story, _ = scenario
    rollup_rebuild()
    return indicators(actor=SYSTEM, unit_kind="street", period="2026-03", city_id=story.city.city.pk)


def _check(table: list[list], rows) -> None:
    header, body = table[0], table[1:]
    assert header == export_columns()
    assert len(body) == len(rows) == 2
    unit = header.index(export_columns()[3])
    for line, row in zip(body, rows, strict=True):
        assert line[unit] == row.unit_name
        for count in COUNTS:
            assert int(line[header.index(str(count.label))]) == row.counts[count.name]


def test_xlsx(rows):
    book = load_workbook(io.BytesIO(export(rows, "xlsx")))
    table = [list(r) for r in book.active.iter_rows(values_only=True)]
    _check(table, rows)


def test_csv_has_a_bom_and_the_same_numbers(rows):
    data = export(rows, "csv")
    assert data.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    _check(table, rows)
    assert "街道1" in data.decode("utf-8-sig")


def test_headers_follow_the_active_language(rows):
    with translation.override("zh-hans"):
        zh = export_columns()
        table = list(csv.reader(io.StringIO(export(rows, "csv").decode("utf-8-sig"))))
    assert table[0] == zh


def test_command_export_refresh_rebuild(scenario, tmp_path):
    out = io.StringIO()
    call_command("evaluation", "rebuild", stdout=out)
    assert "street: 4" in out.getvalue()
    call_command("evaluation", "refresh", stdout=out)
    target = tmp_path / "streets.xlsx"
    call_command(
        "evaluation",
        "export",
        "--period",
        "2026-03",
        "--unit",
        "street",
        "--format",
        "xlsx",
        "--out",
        str(target),
        stdout=out,
    )
    assert load_workbook(target).active.max_row == 3
    target = tmp_path / "streets.csv"
    call_command(
        "evaluation",
        "export",
        "--period",
        "2026-03",
        "--unit",
        "street",
        "--format",
        "csv",
        "--out",
        str(target),
        stdout=out,
    )
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")
    # Each file taken at the command line is recorded like a download, naming the OS account.
    from chuishao.events.models import Event

    taken = list(Event.objects.filter(verb="export.downloaded").order_by("id"))
    assert [e.after["format"] for e in taken] == ["xlsx", "csv"]
    assert all(e.actor_label.startswith("command line (") and e.after["what"] == "evaluation" for e in taken)


def test_a_unit_name_that_looks_like_a_formula_stays_text(rows):
    """Names come from imported boundaries and organisation lists: "=HYPERLINK(…)" must not run in Excel."""
    import dataclasses

    hostile = [dataclasses.replace(rows[0], unit_name='=HYPERLINK("http://x","y")'), *rows[1:]]
    book = load_workbook(io.BytesIO(export(hostile, "xlsx")))
    cells = [c.value for c in next(book.active.iter_rows(min_row=2, max_row=2))]
    assert cells[3] == '\'=HYPERLINK("http://x","y")'
    table = list(csv.reader(io.StringIO(export(hostile, "csv").decode("utf-8-sig"))))
    assert table[1][3].startswith("'=")
