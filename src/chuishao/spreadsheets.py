"""Cells for the XLSX exports: text that people typed never starts a formula when the file is opened."""

from __future__ import annotations

from typing import Any

# What a spreadsheet reads as the start of a formula (OWASP's CSV-injection list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: Any) -> Any:
    """``value`` as given when it is not text; text that could start a formula gets a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def export_record(
    *, actor: Any, what: str, fmt: str, rows: int | None = None, city_id: int | None = None, **scope: Any
) -> None:
    """Every download of a spreadsheet is an event on the actor's export chain: who took what (``what``,
    the ``scope`` it was limited to), in which format and how many rows — so a leak can be traced."""
    from django.db import transaction

    from chuishao.events.services import event_append

    who = getattr(actor, "pk", None)
    with transaction.atomic():
        event_append(
            verb="export.downloaded",
            actor=actor,
            chain=f"exports:{who if who is not None else 'system'}",
            city_id=city_id,
            after={"what": what, "format": fmt, **({"rows": rows} if rows is not None else {}), **scope},
        )
