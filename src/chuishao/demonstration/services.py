"""The demonstration programme's services: programmes, quotas, naming units and the yearly review.

Rules:

- A programme belongs to the city or a district (``owner_node``); its units are nodes of its ``level``
  (district, street or community) inside that area, each in a region, the unit's parent node.
- A region holds at most ``quota`` active units (the programme's default or the region's override);
  naming one more is refused. A node is in a programme once: a dropped unit stays on record and is
  not named again in the same programme (a later programme may name it).
- A unit's goals may add targets or make the programme's stricter, never looser.
- The yearly review computes each active unit's indicators (``demonstration.indicators``) for the
  year, compares them with the unit's targets and proposes an outcome by ``propose``; the figures,
  sources, targets and proposal are frozen in the review's evidence. The reviewer confirms, or
  overrides with a written reason. A dropped unit stops being active and frees its region's place.

Every write checks the actor's right, validates, runs in one transaction and appends one event per
change to the programme's chain ``demonstration:<programme id>``.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from chuishao import clock
from chuishao.actors import actor_user_id
from chuishao.demonstration.errors import (
    DemonstrationConflict,
    DemonstrationDenied,
    DemonstrationInvalid,
    DemonstrationNotFound,
)
from chuishao.demonstration.indicators import INDICATORS, LABELS, figures_of, today, year_span
from chuishao.demonstration.models import Level, Outcome, Programme, QuotaOverride, Review, Unit
from chuishao.demonstration.scopes import OWNER_ROLES, may_run, reader_node_ids
from chuishao.events.services import event_append
from chuishao.geo.models import Jurisdiction, Kind
from chuishao.orgs.scopes import holds_role_over
from chuishao.validation import clean_text

DEPTH = {Kind.CITY: 0, Kind.DISTRICT: 1, Kind.STREET: 2, Kind.COMMUNITY: 3}
MAX_QUOTA = 100
MAX_TEXT = 2000

# Why the rule proposed what it did (stored in the evidence, rendered by the pages).
BECAUSE_ALL_MET = "all_met"
BECAUSE_SOME_MISSED = "some_missed"
BECAUSE_MOST_MISSED = "most_missed"
BECAUSE_MISSED_AFTER_WARNING = "missed_after_warning"


# ------------------------------------------------------------------------------------------ helpers


def _text(value: Any, what: str, limit: int = MAX_TEXT, *, required: bool = True) -> str:
    return clean_text(value, what, limit, error=DemonstrationInvalid, required=required)


def _event(verb: str, *, actor: Any, programme: Programme, after: dict, reason: str = "") -> None:
    node = programme.owner_node
    event_append(
        verb=verb,
        actor=actor,
        chain=f"demonstration:{programme.pk}",
        city_id=node.city_id or node.pk,
        after={"programme": programme.pk, **after},
        reason=reason,
    )


def _check_targets(raw: Any, *, required: bool) -> dict[str, float]:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise DemonstrationInvalid(_("Targets are given per indicator."))
    out: dict[str, float] = {}
    for code, value in raw.items():
        if code not in INDICATORS:
            raise DemonstrationInvalid(_("There is no indicator %(code)s.") % {"code": code})
        if value is None or value == "":
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise DemonstrationInvalid(
                _("The target for %(indicator)s is not a number.") % {"indicator": LABELS[code]}
            ) from None
        if not math.isfinite(number) or not 0 <= number <= 100:
            raise DemonstrationInvalid(
                _("The target for %(indicator)s is a percentage between 0 and 100.")
                % {"indicator": LABELS[code]}
            )
        out[code] = round(number, 1)
    if required and not out:
        raise DemonstrationInvalid(_("Give at least one indicator a target."))
    return {c: out[c] for c in INDICATORS if c in out}


def region_kind(level: str) -> str:
    return {Level.DISTRICT: Kind.CITY, Level.STREET: Kind.DISTRICT, Level.COMMUNITY: Kind.STREET}[level]


def under(node: Jurisdiction, area: Jurisdiction) -> bool:
    """Whether ``node`` is ``area`` or lies inside it."""
    return node.chain_ids().get(area.kind) == area.pk


def _programme(programme: Programme | int, *, lock: bool = False) -> Programme:
    pk = programme.pk if isinstance(programme, Programme) else programme
    qs = Programme.objects.filter(pk=pk)
    if lock:
        qs = qs.select_for_update()
    found = qs.select_related("owner_node").first()
    if found is None:
        raise DemonstrationNotFound(_("No such demonstration programme."))
    return found


def _require_run(actor: Any, programme: Programme) -> None:
    if not may_run(actor, programme):
        raise DemonstrationDenied(
            _("Only the programme's owners (the centre or leaders of %(node)s) may do this.")
            % {"node": programme.owner_node.name}
        )


# ------------------------------------------------------------------------------------------ programmes


def programme_create(
    *,
    actor: Any,
    owner_node: Jurisdiction,
    name: str,
    level: str,
    quota: int,
    targets: dict[str, Any],
    name_en: str = "",
    description: str = "",
) -> Programme:
    """A programme of the city or a district, with its level, default quota and targets."""
    if owner_node.kind not in (Kind.CITY, Kind.DISTRICT):
        raise DemonstrationInvalid(_("A programme belongs to the city or a district."))
    if not holds_role_over(actor, owner_node, OWNER_ROLES):
        raise DemonstrationDenied(
            _("Only the centre or leaders of %(node)s may start a programme there.")
            % {"node": owner_node.name}
        )
    name = _text(name, _("programme's name"), 120)
    name_en = _text(name_en, _("English name"), 200, required=False)
    description = _text(description, _("description"), required=False)
    if level not in Level.values:
        raise DemonstrationInvalid(_("Choose the level of the units: district, street or community."))
    if DEPTH[level] <= DEPTH[owner_node.kind]:
        raise DemonstrationInvalid(
            _("A programme of a %(owner)s names units below it, not a %(level)s.")
            % {"owner": Kind(owner_node.kind).label, "level": Level(level).label}
        )
    if not isinstance(quota, int) or isinstance(quota, bool) or not 1 <= quota <= MAX_QUOTA:
        raise DemonstrationInvalid(
            _("The quota per region is a whole number from 1 to %(n)s.") % {"n": MAX_QUOTA}
        )
    targets = _check_targets(targets, required=True)
    with transaction.atomic():
        programme = Programme.objects.create(
            name=name,
            name_en=name_en,
            owner_node=owner_node,
            level=level,
            quota=quota,
            targets=targets,
            description=description,
            created_by_id=actor_user_id(actor),
            created_at=clock.now(),
        )
        _event(
            "demonstration.programme_created",
            actor=actor,
            programme=programme,
            after={
                "name": name,
                "owner": owner_node.code,
                "level": level,
                "quota": quota,
                "targets": targets,
            },
        )
    return programme


def quota_of(programme: Programme, region: Jurisdiction | int) -> int:
    pk = region.pk if isinstance(region, Jurisdiction) else region
    found = (
        QuotaOverride.objects.filter(programme=programme, region_id=pk)
        .values_list("quota", flat=True)
        .first()
    )
    return programme.quota if found is None else found


def quota_set(
    *, actor: Any, programme: Programme | int, region: Jurisdiction, quota: int, reason: str = ""
) -> QuotaOverride:
    """A region's own quota; never below the units it already holds."""
    with transaction.atomic():
        programme = _programme(programme, lock=True)
        _require_run(actor, programme)
        if region.kind != region_kind(programme.level) or not under(region, programme.owner_node):
            raise DemonstrationInvalid(
                _("%(region)s is not a region of this programme.") % {"region": region.name}
            )
        if not isinstance(quota, int) or isinstance(quota, bool) or not 0 <= quota <= MAX_QUOTA:
            raise DemonstrationInvalid(_("A quota is a whole number from 0 to %(n)s.") % {"n": MAX_QUOTA})
        held = Unit.objects.filter(programme=programme, region=region, active=True).count()
        if quota < held:
            raise DemonstrationConflict(
                _("%(region)s already has %(held)s active units; its quota cannot be lower.")
                % {"region": region.name, "held": held}
            )
        before = quota_of(programme, region)
        override, _created = QuotaOverride.objects.update_or_create(
            programme=programme,
            region=region,
            defaults={"quota": quota, "set_by_id": actor_user_id(actor), "set_at": clock.now()},
        )
        _event(
            "demonstration.quota_set",
            actor=actor,
            programme=programme,
            after={"region": region.code, "quota": quota, "was": before},
            reason=_text(reason, _("reason"), required=False),
        )
    return override


# ------------------------------------------------------------------------------------------ units


def unit_name(
    *,
    actor: Any,
    programme: Programme | int,
    node: Jurisdiction,
    goals: dict[str, Any] | None = None,
    note: str = "",
) -> Unit:
    """Name ``node`` a demonstration unit, with its goals, within its region's quota."""
    with transaction.atomic():
        # The programme's row lock serialises naming, so two namings cannot both take the last place.
        programme = _programme(programme, lock=True)
        _require_run(actor, programme)
        if node.kind != programme.level:
            raise DemonstrationInvalid(
                _("This programme names %(level)s units; %(node)s is a %(kind)s.")
                % {"level": Level(programme.level).label, "node": node.name, "kind": Kind(node.kind).label}
            )
        if not under(node, programme.owner_node):
            raise DemonstrationInvalid(
                _("%(node)s lies outside %(owner)s.")
                % {"node": node.name, "owner": programme.owner_node.name}
            )
        goals = _check_targets(goals, required=False)
        for code, value in goals.items():
            floor = programme.targets.get(code)
            if floor is not None and value < floor:
                raise DemonstrationInvalid(
                    _(
                        "The goal for %(indicator)s (%(goal)s) is looser than "
                        "the programme's target (%(target)s)."
                    )
                    % {"indicator": LABELS[code], "goal": value, "target": floor}
                )
        note = _text(note, _("note"), required=False)
        existing = Unit.objects.filter(programme=programme, node=node).first()
        if existing is not None:
            if existing.active:
                raise DemonstrationConflict(
                    _("%(node)s is already a demonstration unit of this programme.") % {"node": node.name}
                )
            raise DemonstrationConflict(
                _("%(node)s was dropped from this programme in %(year)s and cannot be named again in it.")
                % {"node": node.name, "year": existing.dropped_year or ""}
            )
        region = node.parent
        quota = quota_of(programme, region)
        held = Unit.objects.filter(programme=programme, region=region, active=True).count()
        if held >= quota:
            raise DemonstrationConflict(
                ngettext(
                    "%(region)s has %(quota)s place in this programme and all are taken "
                    "(%(held)s active units); drop a unit or raise the region's quota first.",
                    "%(region)s has %(quota)s places in this programme and all are taken "
                    "(%(held)s active units); drop a unit or raise the region's quota first.",
                    quota,
                )
                % {"region": region.name, "quota": quota, "held": held}
            )
        try:
            with transaction.atomic():
                unit = Unit.objects.create(
                    programme=programme,
                    node=node,
                    region=region,
                    goals=goals,
                    note=note,
                    named_by_id=actor_user_id(actor),
                    named_at=clock.now(),
                )
        except IntegrityError:
            raise DemonstrationConflict(
                _("%(node)s is already a demonstration unit of this programme.") % {"node": node.name}
            ) from None
        _event(
            "demonstration.unit_named",
            actor=actor,
            programme=programme,
            after={"node": node.code, "region": region.code, "goals": goals, "place": f"{held + 1}/{quota}"},
            reason=note,
        )
    return unit


@dataclass
class RegionRow:
    region: Jurisdiction
    quota: int
    used: int
    units: list[Unit]

    @property
    def free(self) -> int:
        return max(self.quota - self.used, 0)


def regions_of(programme: Programme) -> list[RegionRow]:
    """Every region of the programme's area with its quota, places used and units (dropped ones too)."""
    kind = region_kind(programme.level)
    owner = programme.owner_node
    regions = Jurisdiction.objects.filter(kind=kind)
    regions = (
        regions.filter(pk=owner.pk)
        if kind == owner.kind
        else regions.filter(**{f"{owner.kind}_id": owner.pk})
    )
    overrides = dict(QuotaOverride.objects.filter(programme=programme).values_list("region_id", "quota"))
    units: dict[int, list[Unit]] = {}
    for unit in (
        Unit.objects.filter(programme=programme)
        .select_related("node", "region", "programme")
        .prefetch_related("reviews")
        .order_by("node__code")
    ):
        units.setdefault(unit.region_id, []).append(unit)
    return [
        RegionRow(
            region=r,
            quota=overrides.get(r.pk, programme.quota),
            used=sum(1 for u in units.get(r.pk, []) if u.active),
            units=units.get(r.pk, []),
        )
        for r in regions.order_by("code")
    ]


# ------------------------------------------------------------------------------------------ review


def propose(indicators: list[dict[str, Any]], previous: str | None) -> tuple[str, str]:
    """The rule: every target met → keep; more than half missed → drop; any missed after a warning
    the year before → drop; otherwise (some missed) → warn. A value without data counts as missed."""
    judged = [i for i in indicators if i.get("target") is not None]
    missed = [i for i in judged if not i["met"]]
    if not missed:
        return Outcome.KEEP, BECAUSE_ALL_MET
    if 2 * len(missed) > len(judged):
        return Outcome.DROP, BECAUSE_MOST_MISSED
    if previous == Outcome.WARN:
        return Outcome.DROP, BECAUSE_MISSED_AFTER_WARNING
    return Outcome.WARN, BECAUSE_SOME_MISSED


def judge(
    node: Jurisdiction, year: int, targets: dict[str, float], *, goals: dict | None = None, previous: str = ""
) -> dict[str, Any]:
    """A node's figures for the year against ``targets`` and the rule's proposal, as plain data."""
    goals = goals or {}
    figures = figures_of(node, year, [c for c in INDICATORS if c in targets])
    rows = []
    for code in INDICATORS:
        if code not in targets:
            continue
        figure = figures[code].as_dict()
        target = float(targets[code])
        figure["target"] = target
        figure["target_from"] = "unit" if code in goals else "programme"
        figure["met"] = figure["value"] is not None and figure["value"] >= target
        rows.append(figure)
    proposed, because = propose(rows, previous or None)
    start, through = year_span(year)
    return {
        "year": year,
        "from": start.isoformat(),
        "through": through.isoformat(),
        "node": {"code": node.code, "name": node.name, "kind": node.kind},
        "targets": targets,
        "indicators": rows,
        "missed": [r["code"] for r in rows if not r["met"]],
        "previous_outcome": previous or "",
        "proposed": str(proposed),
        "because": because,
        "rule": "all met → keep; more than half missed → drop; "
        "missed after a warning the year before → drop; otherwise → warn; no data counts as missed",
        "computed_at": clock.now().isoformat(),
    }


def evidence_of(unit: Unit, year: int) -> dict[str, Any]:
    """The unit's evidence for the year: its targets, the previous year's decided outcome, the proposal."""
    previous = (
        Review.objects.filter(unit=unit, year=year - 1)
        .exclude(outcome="")
        .values_list("outcome", flat=True)
        .first()
    )
    return judge(unit.node, year, unit.targets(), goals=unit.goals, previous=previous or "")


FIRST_YEAR = 2000


def year_in_range(year: Any) -> bool:
    """A year that may be reviewed: from 2000 up to this year (pages answer 404 for any other)."""
    return isinstance(year, int) and not isinstance(year, bool) and FIRST_YEAR <= year <= today().year


def _require_year(year: Any) -> None:
    if not year_in_range(year):
        raise DemonstrationInvalid(
            _("Review a year from 2000 up to this year (%(year)s).") % {"year": today().year}
        )


def reviewable_units(programme: Programme, year: int) -> list[Unit]:
    """Active units named before the year ended; ``DemonstrationInvalid`` for a year out of range."""
    _require_year(year)
    return list(
        Unit.objects.filter(programme=programme, active=True, named_at__date__lte=dt.date(year, 12, 31))
        .select_related("node", "region", "programme")
        .order_by("region__code", "node__code")
    )


def review_run(*, actor: Any, programme: Programme | int, year: int) -> list[Review]:
    """Compute (or, while undecided, recompute) each active unit's review for the year."""
    with transaction.atomic():
        programme = _programme(programme, lock=True)
        _require_run(actor, programme)
        _require_year(year)
        if year < programme.created_at.year - 1:
            raise DemonstrationInvalid(_("The programme did not exist in %(year)s.") % {"year": year})
        out = []
        for unit in reviewable_units(programme, year):
            review = Review.objects.select_for_update().filter(unit=unit, year=year).first()
            if review is not None and review.decided:
                out.append(review)
                continue
            evidence = evidence_of(unit, year)
            if review is None:
                review = Review(unit=unit, year=year)
            review.proposed = evidence["proposed"]
            review.evidence = evidence
            review.computed_at = clock.now()
            review.computed_by_id = actor_user_id(actor)
            review.save()
            _event(
                "demonstration.review_proposed",
                actor=actor,
                programme=programme,
                after={
                    "node": unit.node.code,
                    "year": year,
                    "proposed": review.proposed,
                    "because": evidence["because"],
                    "missed": evidence["missed"],
                    "values": {r["code"]: r["value"] for r in evidence["indicators"]},
                },
            )
            out.append(review)
    return out


def review_decide(*, actor: Any, review: Review | int, outcome: str, reason: str = "") -> Review:
    """Confirm the proposal, or override it with a written reason; a drop ends the unit."""
    pk = review.pk if isinstance(review, Review) else review
    with transaction.atomic():
        found = Review.objects.filter(pk=pk).select_related("unit").first()
        if found is None:
            raise DemonstrationNotFound(_("No such review."))
        programme = _programme(found.unit.programme_id, lock=True)
        _require_run(actor, programme)
        review = Review.objects.select_for_update().select_related("unit", "unit__node").get(pk=pk)
        unit = review.unit
        if review.decided:
            raise DemonstrationConflict(_("This review has already been decided."))
        if not unit.active:
            raise DemonstrationConflict(
                _("%(node)s is no longer an active unit of this programme.") % {"node": unit.node.name}
            )
        if outcome not in Outcome.values:
            raise DemonstrationInvalid(_("Choose keep, warn or drop."))
        overriding = outcome != review.proposed
        reason = _text(reason, _("reason"), required=False)
        if overriding and len(reason) < 4:
            raise DemonstrationInvalid(_("Overriding the rule's proposal needs a written reason."))
        now = clock.now()
        review.outcome = outcome
        review.reason = reason
        review.decided_by_id = actor_user_id(actor)
        review.decided_at = now
        review.save(update_fields=["outcome", "reason", "decided_by", "decided_at"])
        _event(
            "demonstration.review_overridden" if overriding else "demonstration.review_confirmed",
            actor=actor,
            programme=programme,
            after={
                "node": unit.node.code,
                "year": review.year,
                "proposed": review.proposed,
                "outcome": outcome,
            },
            reason=reason,
        )
        if outcome == Outcome.DROP:
            unit.active = False
            unit.dropped_at = now
            unit.dropped_year = review.year
            unit.save(update_fields=["active", "dropped_at", "dropped_year"])
            _event(
                "demonstration.unit_dropped",
                actor=actor,
                programme=programme,
                after={"node": unit.node.code, "region": unit.region.code, "year": review.year},
                reason=reason,
            )
    return review


# ------------------------------------------------------------------------------------------ reads


def programmes_visible_to(actor: Any) -> list[Programme]:
    """Programmes whose area holds one of the actor's reader nodes, or that the actor runs."""
    ids = reader_node_ids(actor)
    if not ids:
        return []
    nodes = list(Jurisdiction.objects.filter(pk__in=ids))
    out = []
    for programme in Programme.objects.select_related("owner_node").annotate(
        n_units=Count("units", filter=Q(units__active=True))
    ):
        owner = programme.owner_node
        if any(under(n, owner) or under(owner, n) for n in nodes):
            out.append(programme)
    return out


def may_read_programme(actor: Any, programme: Programme) -> bool:
    owner = programme.owner_node
    return any(
        under(n, owner) or under(owner, n) for n in Jurisdiction.objects.filter(pk__in=reader_node_ids(actor))
    )
