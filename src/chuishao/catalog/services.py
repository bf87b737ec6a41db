"""Writes to the category catalogue: loading the shipped defaults and setting a city's owners.

Both run in one transaction and append one event to the ``catalog`` chain, so that every change to
who owns what, and how long it may take, is on the audit record.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from chuishao.catalog.data import taxonomy
from chuishao.catalog.models import (
    Category,
    CategoryQuestion,
    Level,
    QuestionType,
    Responsibility,
    StageDeadline,
    WhistleDeadline,
)
from chuishao.catalog.selectors import CatalogError, dept_types
from chuishao.events.services import event_append
from chuishao.geo.models import Jurisdiction, Kind
from chuishao.orgs.models import Organisation

CATALOG_CHAIN = "catalog"

_CATEGORY_FIELDS = ("name", "name_en", "parent_id", "hint", "filing_standard", "closing_standard")


def _upsert_category(
    *, existing: dict[tuple[str, str], Category], kind: str, parent: Category | None, item: dict[str, Any]
) -> tuple[Category, str | None]:
    """Create or update one category; ``active`` is left alone because a city may have retired it."""
    values = {
        "name": item["name"],
        "name_en": item.get("name_en", ""),
        "parent_id": parent.pk if parent is not None else None,
        "hint": item.get("hint", ""),
        "filing_standard": item.get("filing_standard", ""),
        "closing_standard": item.get("closing_standard", ""),
    }
    category = existing.get((kind, item["code"]))
    if category is None:
        category = Category.objects.create(kind=kind, code=item["code"], **values)
        return category, "created"
    changed = [f for f in _CATEGORY_FIELDS if getattr(category, f) != values[f]]
    if not changed:
        return category, None
    for field in changed:
        setattr(category, field, values[field])
    category.save(update_fields=[f.removesuffix("_id") for f in changed])
    return category, "updated"


_QUESTION_FIELDS = ("label", "label_en", "description", "datatype", "required", "order", "values")


def _upsert_question(
    *, existing: dict[tuple[int, str], CategoryQuestion], category: Category, order: int, item: dict[str, Any]
) -> str | None:
    if item["datatype"] not in QuestionType.values:
        raise CatalogError(
            "question.bad_datatype", _("unknown question type %(t)r") % {"t": item["datatype"]}
        )
    values = {
        "label": item["label"],
        "label_en": item.get("label_en", ""),
        "description": item.get("description", ""),
        "datatype": item["datatype"],
        "required": bool(item.get("required", False)),
        "order": order,
        "values": item.get("values", []),
    }
    row = existing.get((category.pk, item["code"]))
    if row is None:
        CategoryQuestion.objects.create(category=category, code=item["code"], **values)
        return "created"
    changed = [f for f in _QUESTION_FIELDS if getattr(row, f) != values[f]]
    if not changed:
        return None
    for field in changed:
        setattr(row, field, values[field])
    row.save(update_fields=changed)
    return "updated"


def _upsert_deadline(
    *, existing: dict[tuple[int | None, str], StageDeadline], category: Category | None, item: dict[str, Any]
) -> str | None:
    amount, time_type = Decimal(item["amount"]), item["time_type"]
    key = (category.pk if category is not None else None, item["stage"])
    row = existing.get(key)
    if row is None:
        StageDeadline.objects.create(
            category=category, stage=item["stage"], amount=amount, time_type=time_type
        )
        return "created"
    if row.amount == amount and row.time_type == time_type:
        return None
    row.amount, row.time_type = amount, time_type
    row.save(update_fields=["amount", "time_type"])
    return "updated"


WHISTLE_FIELDS = ("acknowledge_amount", "acknowledge_time_type", "onsite_amount", "onsite_time_type")


def _upsert_whistle_deadline(*, existing: dict[str, WhistleDeadline], item: dict[str, Any]) -> str | None:
    values = {f: Decimal(item[f]) if f.endswith("amount") else item[f] for f in WHISTLE_FIELDS}
    row = existing.get(item["kind"])
    if row is None:
        WhistleDeadline.objects.create(kind=item["kind"], **values)
        return "created"
    changed = [f for f, v in values.items() if getattr(row, f) != v]
    if not changed:
        return None
    for f in changed:
        setattr(row, f, values[f])
    row.save(update_fields=changed)
    return "updated"


def _upsert_responsibility(
    *, existing: dict[tuple[int, str], Responsibility], category: Category, item: dict[str, Any]
) -> str | None:
    """Generic rows only (``city`` empty); a city's own rows are never touched by the loader."""
    row = existing.get((category.pk, item["level"]))
    if row is None:
        Responsibility.objects.create(category=category, level=item["level"], dept_type=item["dept_type"])
        return "created"
    if row.dept_type == item["dept_type"]:
        return None
    row.dept_type = item["dept_type"]
    row.save(update_fields=["dept_type"])
    return "updated"


@transaction.atomic
def catalog_load_defaults(*, actor: Any) -> dict[str, int]:
    """Upsert the shipped catalogue (categories, deadlines, generic responsibility list).

    Idempotent: a second run changes nothing and reports zero created and updated. Returns counts
    keyed ``<table>_created`` / ``<table>_updated``.
    """
    data = taxonomy()
    counts = {
        f"{table}_{outcome}": 0
        for table in ("categories", "questions", "deadlines", "responsibilities", "whistle_deadlines")
        for outcome in ("created", "updated")
    }

    def tally(table: str, outcome: str | None) -> None:
        if outcome is not None:
            counts[f"{table}_{outcome}"] += 1

    # Read every existing row once; the loop then only writes what differs.
    categories = {(c.kind, c.code): c for c in Category.objects.select_for_update()}
    deadlines = {(d.category_id, d.stage): d for d in StageDeadline.objects.select_for_update()}
    responsibilities = {
        (r.category_id, r.level): r
        for r in Responsibility.objects.select_for_update().filter(city__isnull=True)
    }

    for item in data["default_deadlines"]:
        tally("deadlines", _upsert_deadline(existing=deadlines, category=None, item=item))
    questions = {(q.category_id, q.code): q for q in CategoryQuestion.objects.select_for_update()}
    whistle_rows = {w.kind: w for w in WhistleDeadline.objects.select_for_update().filter(city__isnull=True)}
    for item in data.get("whistle_deadlines", []):
        tally("whistle_deadlines", _upsert_whistle_deadline(existing=whistle_rows, item=item))

    for major_item in data["categories"]:
        kind = major_item["kind"]
        major, outcome = _upsert_category(existing=categories, kind=kind, parent=None, item=major_item)
        tally("categories", outcome)
        for minor_item in major_item.get("minors", []):
            minor, outcome = _upsert_category(existing=categories, kind=kind, parent=major, item=minor_item)
            tally("categories", outcome)
            for order, item in enumerate(minor_item.get("questions", []), start=1):
                tally(
                    "questions",
                    _upsert_question(existing=questions, category=minor, order=order, item=item),
                )
            for item in minor_item.get("deadlines", []):
                tally("deadlines", _upsert_deadline(existing=deadlines, category=minor, item=item))
            for item in minor_item.get("responsibility", []):
                tally(
                    "responsibilities",
                    _upsert_responsibility(existing=responsibilities, category=minor, item=item),
                )

    event_append(verb="catalog.loaded", actor=actor, chain=CATALOG_CHAIN, after=counts)
    return counts


def _check_responsibility(
    *, level: str, dept_type: str, organisation: Organisation | None, city: Jurisdiction | None
) -> None:
    if level not in Level.values:
        raise CatalogError("responsibility.bad_level", _("unknown level %(level)r") % {"level": level})
    if dept_type not in dept_types():
        raise CatalogError(
            "responsibility.bad_dept_type", _("unknown department type %(dept)r") % {"dept": dept_type}
        )
    if city is not None and city.kind != Kind.CITY:
        raise CatalogError("responsibility.bad_city", _("%(node)s is not a city") % {"node": city})
    if organisation is not None:
        if city is None:
            # A named owner serves one city; naming it for every city would misroute the others.
            raise CatalogError(
                "responsibility.org_needs_city", _("a named organisation needs the city it applies to")
            )
        node = organisation.jurisdiction
        org_city_id = node.pk if node.kind == Kind.CITY else node.city_id
        if org_city_id != city.pk:
            raise CatalogError(
                "responsibility.org_outside_city",
                _("%(org)s does not serve %(city)s") % {"org": organisation, "city": city},
            )


@transaction.atomic
def responsibility_set(
    *,
    actor: Any,
    category: Category,
    level: str,
    dept_type: str,
    organisation: Organisation | None = None,
    city: Jurisdiction | None = None,
) -> Responsibility:
    """Set who owns ``category`` at ``level``: a city's override (or the generic row if no city).

    ``organisation`` names a specific owner that wins over the department-type lookup.
    """
    _check_responsibility(level=level, dept_type=dept_type, organisation=organisation, city=city)
    row = (
        Responsibility.objects.select_for_update()
        .filter(category=category, level=level, city=city)
        .order_by("pk")
        .first()
    )
    before = {"dept_type": row.dept_type, "organisation_id": row.organisation_id} if row is not None else None
    if row is None:
        row = Responsibility.objects.create(
            category=category, level=level, dept_type=dept_type, organisation=organisation, city=city
        )
    else:
        row.dept_type, row.organisation = dept_type, organisation
        row.save(update_fields=["dept_type", "organisation"])
    event_append(
        verb="catalog.responsibility_set",
        actor=actor,
        chain=CATALOG_CHAIN,
        city_id=city.pk if city is not None else None,
        before={"category": category.full_code, "level": level, **(before or {})},
        after={
            "category": category.full_code,
            "level": level,
            "dept_type": dept_type,
            "organisation_id": organisation.pk if organisation is not None else None,
        },
    )
    return row
