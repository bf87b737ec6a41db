"""Exports of indicator rows: XLSX (openpyxl) and CSV (UTF-8 with a BOM, so Excel reads Chinese), with
the same columns and headers in the active language."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _

from chuishao.evaluation.definitions import COUNTS, RATES, UNIT_LABELS
from chuishao.evaluation.selectors import IndicatorRow
from chuishao.spreadsheets import export_record, safe_text

FORMATS = ("xlsx", "csv")


def export_columns() -> list[str]:
    """Headers, translated at call time: identity, composite, then every rate and every count."""
    return [
        _("period"),
        _("unit kind"),
        _("unit id"),
        _("unit"),
        _("rank"),
        _("grade"),
        _("composite"),
        *[f"{r.label} (%)" for r in RATES],
        *[str(c.label) for c in COUNTS],
    ]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def export_rows(rows: Iterable[IndicatorRow]) -> list[list]:
    return [
        [
            r.period,
            str(UNIT_LABELS[r.unit_kind]),
            r.unit_id,
            safe_text(r.unit_name),
            r.rank,
            r.grade,
            _round(r.composite),
            *[_round(r.rates[rate.name]) for rate in RATES],
            *[r.counts[c.name] for c in COUNTS],
        ]
        for r in rows
    ]


def export_csv(rows: Iterable[IndicatorRow]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(export_columns())
    for row in export_rows(rows):
        writer.writerow(["" if v is None else v for v in row])
    return buffer.getvalue().encode("utf-8-sig")


def export_xlsx(rows: Iterable[IndicatorRow]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = _("Evaluation")[:31]
    sheet.append(export_columns())
    for row in export_rows(rows):
        sheet.append(row)
    sheet.freeze_panes = "E2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def export(rows: Iterable[IndicatorRow], fmt: str) -> bytes:
    if fmt == "xlsx":
        return export_xlsx(rows)
    if fmt == "csv":
        return export_csv(rows)
    raise ValueError(f"unknown export format {fmt!r}")


def evaluation_export(
    *, actor: Any, rows: list[IndicatorRow], fmt: str, unit_kind: str, period: str, city_id: int | None
) -> bytes:
    """The rows as a file for ``actor`` to download, recorded as an event (the web page and the API)."""
    data = export(rows, fmt)
    export_record(
        actor=actor,
        what="evaluation",
        fmt=fmt,
        rows=len(rows),
        city_id=city_id,
        unit=unit_kind,
        period=period,
    )
    return data
