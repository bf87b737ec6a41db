"""What Open311 reads: the city a call names, the services, and the public list of requests.

The request list is public (no key): every case of the city may be listed, and ``documents`` decides
which of its fields are shown. Cases are read through ``cases_visible_to`` with the system's scope
(everything) narrowed to the city named by ``jurisdiction_id``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet

from chuishao import clock
from chuishao.actors import SYSTEM
from chuishao.api.open311.params import Refused
from chuishao.cases.models import Case
from chuishao.cases.selectors import cases_visible_to
from chuishao.cases.transitions import TERMINAL
from chuishao.catalog.models import Category, CategoryKind, CategoryQuestion
from chuishao.catalog.selectors import CatalogError, category_get, category_list
from chuishao.geo.models import Jurisdiction, Kind

DEFAULT_WINDOW = dt.timedelta(days=90)
KIND_OF_PREFIX = {"B": CategoryKind.COMPONENT, "S": CategoryKind.EVENT}


def city_for(jurisdiction_id: str) -> Jurisdiction:
    """The city a ``jurisdiction_id`` names; with one city served it may be left out."""
    if jurisdiction_id:
        city = Jurisdiction.objects.filter(kind=Kind.CITY, code=jurisdiction_id).first()
        if city is None:
            raise Refused(404, f"No jurisdiction {jurisdiction_id[:40]} is served here.")
        return city
    cities = list(Jurisdiction.objects.filter(kind=Kind.CITY).order_by("code")[:2])
    if not cities:
        raise Refused(404, "No city is served here yet.")
    if len(cities) > 1:
        raise Refused(
            400, "jurisdiction_id is required: this server serves several cities (use the city code)."
        )
    return cities[0]


def services() -> QuerySet[Category]:
    """Active minor categories of active major classes, each knowing whether it asks questions."""
    asks = CategoryQuestion.objects.filter(category_id=OuterRef("pk"))
    return (
        category_list(active_only=True)
        .filter(parent__isnull=False, parent__active=True)
        .annotate(has_questions=Exists(asks))
    )


def service_get(code: str) -> Category:
    """An active minor category by its service_code; 404 for anything else."""
    try:
        if "\x00" in code:
            raise CatalogError("category.bad_code", "NUL")
        category = category_get(code)
    except CatalogError as exc:
        raise Refused(404, f"No service {code[:40]}: see services for the codes.") from exc
    if category.parent_id is None or not category.active or not category.parent.active:
        raise Refused(404, f"No service {code[:40]}: see services for the codes.")
    return category


def service_for_report(code: str) -> Category:
    """The category a new request names; an unknown code is a bad request (400), not a missing page."""
    if not code:
        raise Refused(400, "service_code is required: see services for the codes.")
    try:
        return service_get(code)
    except Refused as exc:
        raise Refused(400, exc.description) from exc


def public_requests(city: Jurisdiction) -> QuerySet[Case]:
    """The city's cases, newest first, with what a public document reads in the same query."""
    return (
        cases_visible_to(SYSTEM)
        .filter(city=city)
        .select_related("category", "lead_org", "community", "street")
        .order_by("-created_at", "-pk")
    )


def request_get(city: Jurisdiction, number: str) -> Case:
    case = public_requests(city).filter(number=number).first() if number and "\x00" not in number else None
    if case is None:
        raise Refused(404, f"No service request {number[:40]} in this jurisdiction.")
    return case


@dataclass
class Search:
    ids: list[str]
    codes: list[tuple[str, str]]
    start: dt.datetime | None
    end: dt.datetime | None
    statuses: set[str]
    updated_after: dt.datetime | None
    updated_before: dt.datetime | None
    page: int
    page_size: int


def requests_search(city: Jurisdiction, search: Search) -> list[Case]:
    """GET requests: ids override every other filter; without any date the last 90 days are listed."""
    qs = public_requests(city)
    if search.ids:
        qs = qs.filter(number__in=search.ids)
    else:
        if search.codes:
            match = Q()
            for prefix, code in search.codes:
                kind = KIND_OF_PREFIX[prefix]
                match |= Q(category__kind=kind, category__code=code)
                match |= Q(category__parent__kind=kind, category__parent__code=code)
            qs = qs.filter(match)
        start = search.start
        dated = search.start or search.end or search.updated_after or search.updated_before
        if not dated:
            start = clock.now() - DEFAULT_WINDOW
        if start is not None:
            qs = qs.filter(created_at__gte=start)
        if search.end is not None:
            qs = qs.filter(created_at__lte=search.end)
        if search.updated_after is not None:
            qs = qs.filter(updated_at__gte=search.updated_after)
        if search.updated_before is not None:
            qs = qs.filter(updated_at__lte=search.updated_before)
        if search.statuses == {"open"}:
            qs = qs.exclude(status__in=TERMINAL)
        elif search.statuses == {"closed"}:
            qs = qs.filter(status__in=TERMINAL)
    offset = (search.page - 1) * search.page_size
    return list(qs[offset : offset + search.page_size])
