"""Reading Open311 parameters: formats, dates, lists, pages and ``attribute[CODE]`` fields.

Every parser raises ``Refused`` with the HTTP status and a plain description, which the views turn
into a spec-shaped error list in the requested format. Empty values count as absent throughout.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from django.http import QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

FORMATS = ("xml", "json")
# A path without an extension answers in XML, the spec's default format.
DEFAULT_FORMAT = "xml"
MAX_PAGE_SIZE = 1000
MAX_PAGE = 100_000
MAX_IDS = 1000
ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")
SERVICE_CODE = re.compile(r"^[BbSs][0-9]{2,6}$")


class Refused(Exception):
    """A request that cannot be answered as asked: ``status`` and a description for the client."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def response_format(ext: str | None) -> str:
    """``xml`` or ``json`` from the path's extension (none: XML)."""
    if not ext:
        return DEFAULT_FORMAT
    fmt = ext.lower()
    if fmt not in FORMATS:
        raise Refused(404, f"Unknown format .{ext[:20]}: use .xml or .json.")
    return fmt


def first(name: str, *sources: QueryDict) -> str:
    """The first non-empty value of ``name`` among the sources (the body before the query string)."""
    for source in sources:
        value = source.get(name, "")
        if isinstance(value, str) and value.strip():
            return no_nul(value.strip(), name)
    return ""


def no_nul(value: str, name: str) -> str:
    """Databases refuse NUL characters in text: refuse them here, as a bad request."""
    if "\x00" in value:
        raise Refused(400, f"{name[:40]} must not contain NUL characters.")
    return value


def comma_list(value: str, *, name: str, limit: int = MAX_IDS) -> list[str]:
    items = [v.strip() for v in value.split(",") if v.strip()]
    if len(items) > limit:
        raise Refused(400, f"{name} takes at most {limit} values.")
    return list(dict.fromkeys(items))


def w3c_datetime(value: str, *, name: str) -> dt.datetime | None:
    """A W3C datetime (``2026-05-01T08:30:00+08:00``, ``…Z``) or a date; naive values are city time."""
    if not value:
        return None
    try:
        parsed = parse_datetime(value)
        if parsed is None:
            day = parse_date(value)
            parsed = dt.datetime.combine(day, dt.time()) if day is not None else None
    except (ValueError, OverflowError):
        parsed = None
    if parsed is None:
        raise Refused(400, f"{name} must be a W3C datetime such as 2026-05-01T08:30:00+08:00.")
    try:
        if timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed)
        parsed.astimezone(dt.UTC)  # out-of-range offsets surface here rather than in the query
    except (ValueError, OverflowError) as exc:
        raise Refused(400, f"{name} lies outside the range of dates served.") from exc
    return parsed


def positive_int(value: str, *, name: str, default: int, maximum: int) -> int:
    if not value:
        return default
    if not value.isascii() or not value.isdigit():
        raise Refused(400, f"{name} must be a whole number from 1 to {maximum}.")
    number = int(value) if len(value) <= 12 else maximum + 1
    if not 1 <= number <= maximum:
        raise Refused(400, f"{name} must be a whole number from 1 to {maximum}.")
    return number


def statuses(value: str) -> set[str]:
    chosen = set(comma_list(value.lower(), name="status", limit=10))
    wrong = chosen - {"open", "closed"}
    if wrong:
        raise Refused(400, "status takes open, closed or both (comma separated).")
    return chosen


def service_codes(value: str) -> list[tuple[str, str]]:
    """``S0102,B01`` as (prefix, digits) pairs; a major class code stands for all its minors."""
    codes = comma_list(value, name="service_code", limit=200)
    wrong = [c for c in codes if not SERVICE_CODE.match(c)]
    if wrong:
        raise Refused(
            400, f"{wrong[0][:40]} is not a service_code: use B or S and digits, e.g. S0102 (see services)."
        )
    return [(c[0].upper(), c[1:]) for c in codes]


def attributes(fields: Iterable[tuple[str, list[str]]], multiple: set[str]) -> dict[str, Any]:
    """``attribute[CODE]`` (and ``attribute[CODE][]`` for a multivaluelist) as answers {code: value}.

    ``multiple`` names the multivaluelist attributes, which take every value given; any other
    attribute takes one value.
    """
    answers: dict[str, Any] = {}
    for name, values in fields:
        match = ATTRIBUTE.match(name)
        if match is None:
            continue
        code = no_nul(match.group(1).strip(), "attribute")
        given = [no_nul(v, f"attribute[{code[:40]}]") for v in values if v.strip()]
        if code in multiple:
            answers[code] = list(dict.fromkeys([*answers.get(code, []), *given]))
        elif code in answers or len(given) > 1:
            raise Refused(400, f"attribute[{code[:40]}] takes one value.")
        else:
            answers[code] = given[0] if given else ""
    return answers
