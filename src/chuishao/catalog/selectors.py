"""Reads of the category catalogue: categories, stage deadlines, department types and routing.

``responsible_org_for`` is the routing rule every case uses to propose its owner: the responsibility
list for the category, most local level first, resolved against the organisations that serve the
case's own nodes; with no owner the territorial street office takes it (属地兜底). The most local
level is the residential complex: a row at level ``complex`` names the board (红色物业) attached to
the case's complex, and applies only where that complex has a board that is not dissolved.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from chuishao import clock
from chuishao.catalog.data import taxonomy
from chuishao.catalog.models import (
    Category,
    CategoryKind,
    CategoryQuestion,
    Level,
    Responsibility,
    StageDeadline,
    TimeType,
    WhistleDeadline,
)
from chuishao.orgs.models import Organisation, OrgKind

# Used only when even the default row is missing (e.g. before ``catalog load``), so that a case
# always gets a deadline rather than none.
FALLBACK_DEADLINE: tuple[Decimal, str] = (Decimal(5), TimeType.WORKING_DAYS)

# Most local first: the complex's board, then the community or street that owns a matter, before the
# district does.
ROUTING_LEVELS: tuple[str, ...] = (Level.COMPLEX, Level.COMMUNITY, Level.STREET, Level.DISTRICT, Level.CITY)

STREET_OFFICE = "street_office"

_KIND_BY_PREFIX = {"B": CategoryKind.COMPONENT, "S": CategoryKind.EVENT}


class CatalogError(Exception):
    """A catalogue operation that cannot proceed; ``code`` is stable for the API to return."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def category_list(*, kind: str | None = None, active_only: bool = True) -> QuerySet[Category]:
    """Categories in catalogue order (kind, then code), majors before their minors."""
    qs = Category.objects.select_related("parent").order_by("kind", "code")
    if kind is not None:
        qs = qs.filter(kind=kind)
    if active_only:
        qs = qs.filter(active=True)
    return qs


def category_get(full_code: str) -> Category:
    """The category for ``"B0101"`` (component) or ``"S0102"`` (event); raises ``CatalogError``."""
    raw = (full_code or "").strip().upper()
    kind = _KIND_BY_PREFIX.get(raw[:1])
    code = raw[1:]
    if kind is None or not code.isdigit():
        raise CatalogError(
            "category.bad_code",
            _("%(code)r is not a category code: use B (component) or S (event) and digits, e.g. B0101")
            % {"code": full_code},
        )
    try:
        return Category.objects.select_related("parent").get(kind=kind, code=code)
    except Category.DoesNotExist:
        raise CatalogError(
            "category.unknown", _("no category %(code)s in the catalogue") % {"code": raw}
        ) from None


def category_questions(category: Category) -> list[CategoryQuestion]:
    """The category's extra questions in the order a form asks them.

    Read once per category instance: an intake that parses the answers at its interface and checks
    them in the service asks twice within one request and pays for one query.
    """
    cached = getattr(category, "_questions_read", None)
    if cached is None:
        cached = list(CategoryQuestion.objects.filter(category=category).order_by("order", "code"))
        category._questions_read = cached
    return list(cached)


def stage_deadline_for(*, category: Category | None, stage: str) -> tuple[Decimal, str]:
    """The (amount, time type) a stage may take: the category's row, else its major class's, else
    the default row, else ``FALLBACK_DEADLINE``. One query."""
    scope = Q(category__isnull=True)
    if category is not None:
        scope |= Q(category_id=category.pk)
        if category.parent_id is not None:
            scope |= Q(category_id=category.parent_id)
    rows = {row.category_id: row for row in StageDeadline.objects.filter(scope, stage=stage)}
    candidates = [category.pk, category.parent_id, None] if category is not None else [None]
    for key in candidates:
        row = rows.get(key)
        if row is not None:
            return row.amount, row.time_type
    return FALLBACK_DEADLINE


# Used when a city has loaded no whistle deadlines at all: REFERENCE §3's 30 minutes on site for an
# emergency, one working day otherwise.
FALLBACK_WHISTLE_DEADLINES: dict[str, tuple[tuple[Decimal, str], tuple[Decimal, str]]] = {
    "emergency": ((Decimal("0.25"), TimeType.CLOCK_HOURS), (Decimal("0.5"), TimeType.CLOCK_HOURS)),
    "campaign": ((Decimal(1), TimeType.WORKING_HOURS), (Decimal(4), TimeType.WORKING_HOURS)),
    "everyday": ((Decimal(2), TimeType.WORKING_HOURS), (Decimal(1), TimeType.WORKING_DAYS)),
}


def whistle_deadline_for(
    *, kind: str, city_id: int | None
) -> tuple[tuple[Decimal, str], tuple[Decimal, str]]:
    """((amount, time type) to acknowledge, (amount, time type) to be on site) for a whistle kind:
    the city's row, else the default row, else ``FALLBACK_WHISTLE_DEADLINES``."""
    rows = {
        row.city_id: row
        for row in WhistleDeadline.objects.filter(Q(city__isnull=True) | Q(city_id=city_id), kind=kind)
    }
    row = rows.get(city_id) or rows.get(None)
    if row is None:
        if kind not in FALLBACK_WHISTLE_DEADLINES:
            raise CatalogError("whistle.kind", _("unknown whistle kind %(kind)s") % {"kind": kind})
        return FALLBACK_WHISTLE_DEADLINES[kind]
    return (
        (row.acknowledge_amount, row.acknowledge_time_type),
        (row.onsite_amount, row.onsite_time_type),
    )


def dept_types() -> dict[str, str]:
    """Department type keys the responsibility list uses, with their Chinese names."""
    return dict(taxonomy()["dept_types"])


def _rows_by_level(*, category: Category, city_id: int | None) -> dict[str, Responsibility]:
    """One row per level: a city's own row overrides the generic one; a minor without rows inherits
    its major class's."""
    scope = Q(category_id=category.pk)
    if category.parent_id is not None:
        scope |= Q(category_id=category.parent_id)
    city_scope = Q(city__isnull=True) | Q(city_id=city_id) if city_id is not None else Q(city__isnull=True)
    rows = list(Responsibility.objects.filter(scope, city_scope).select_related("organisation"))
    own = [r for r in rows if r.category_id == category.pk]
    chosen: dict[str, Responsibility] = {}
    for row in own or rows:
        current = chosen.get(row.level)
        if current is None or (current.city_id is None and row.city_id is not None):
            chosen[row.level] = row
    return chosen


def responsible_org_for(
    *,
    category: Category,
    grid_chain: dict[str, int | None],
    city_id: int | None,
    complex_id: int | None = None,
    on: dt.date | None = None,
) -> tuple[Organisation | None, str]:
    """Propose the organisation that owns a case of ``category`` at the place ``grid_chain`` names.

    ``grid_chain`` maps ``city``/``district``/``street``/``community``/``grid`` to node ids (as
    ``Jurisdiction.chain_ids`` gives); ``complex_id`` is the residential complex the point lies in, if
    any: a ``complex``-level row resolves to the board attached to it (not dissolved on ``on``, today
    by default); without a board the other levels apply. Returns the organisation (or None) and a short
    explanation for the dispatcher. Two queries whatever the number of rows.
    """
    nodes = {**grid_chain, Level.CITY: city_id if city_id is not None else grid_chain.get("city")}
    nodes[Level.COMPLEX] = complex_id
    rows = _rows_by_level(category=category, city_id=nodes[Level.CITY])
    names = dept_types()

    wanted: list[tuple[str, str, int]] = []  # (level, dept_type, node id) still to resolve
    for level in ROUTING_LEVELS:
        row = rows.get(level)
        if row is None:
            continue
        if row.organisation is not None:
            # Checked in level order, so a named owner only wins if no more local row does.
            wanted.append((level, "", 0))
            continue
        node_id = nodes.get(level)
        if node_id is not None:
            wanted.append((level, row.dept_type, node_id))
    street_id = nodes.get(Level.STREET)

    lookup = Q(pk__in=[])
    for level, dept_type, node_id in wanted:
        if dept_type and level == Level.COMPLEX:
            day = on or timezone.localdate(clock.now())
            lookup |= Q(
                dept_type=dept_type,
                kind=OrgKind.COMPLEX_BOARD,
                attached_complex_id=node_id,
            ) & (Q(dissolved_on__isnull=True) | Q(dissolved_on__gt=day))
        elif dept_type:
            lookup |= Q(dept_type=dept_type, jurisdiction_id=node_id)
    if street_id is not None:
        lookup |= Q(dept_type=STREET_OFFICE, jurisdiction_id=street_id)
    found: dict[tuple[str, int | str], Organisation] = {}
    # Ordered by code so that two organisations of one type at one node resolve the same way each time.
    for org in Organisation.objects.filter(lookup).order_by("code"):
        if org.kind == OrgKind.COMPLEX_BOARD and org.attached_complex_id is not None:
            found.setdefault((org.dept_type, f"complex:{org.attached_complex_id}"), org)
        else:
            found.setdefault((org.dept_type, org.jurisdiction_id), org)

    for level, dept_type, node_id in wanted:
        row = rows[level]
        if row.organisation is not None:
            return row.organisation, _("%(level)s-level owner named by the city: %(org)s") % {
                "level": level,
                "org": row.organisation.name,
            }
        org = found.get((dept_type, f"complex:{node_id}" if level == Level.COMPLEX else node_id))
        if org is not None:
            return org, _("%(level)s-level %(dept)s per responsibility list") % {
                "level": level,
                "dept": names.get(dept_type, dept_type),
            }
    if street_id is None:
        return None, _("outside every grid: city command centre decides")
    return found.get((STREET_OFFICE, street_id)), _("no owner: territorial street (属地兜底)")
