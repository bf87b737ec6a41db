"""Direct counts, written independently of ``evaluation.counting``: plain Python over every case,
event, whistle and membership, following docs/evaluation.md word by word."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.utils import timezone

from chuishao.cases.models import PUBLIC_SOURCES, Case, WhistleRating, WhistleSummons
from chuishao.cases.models import Whistle as WhistleModel
from chuishao.events.models import Event
from chuishao.orgs.models import Membership


def month(at) -> str:
    return timezone.localtime(at).strftime("%Y-%m")


def _flags(case: Case, filed: bool, escalated: bool) -> dict[str, bool]:
    d = case.deadlines or {}
    accept, handle = d.get("accept") or {}, d.get("handle") or {}
    parked = case.status == "parked"
    red = case.warn_level == "red"
    handled = not parked and "on_time" in handle
    overdue = not parked and case.stage == "handle" and red
    closed = case.status in ("closed", "rated")
    public = case.source in {str(s) for s in PUBLIC_SOURCES}
    return {
        "received": True,
        "public_first": public,
        "filed": filed,
        "public_first_filed": public and filed,
        "cancelled_filed": filed and case.status == "cancelled",
        "self_handled": case.status == "self_handled",
        "dispatched": "accept" in d,
        "returned": case.return_count > 0,
        "response_due": not parked
        and "accept" in d
        and ("on_time" in accept or (case.stage == "accept" and red)),
        "responded_on_time": not parked and accept.get("on_time") is True,
        "handled": handled,
        "handled_on_time": not parked and handle.get("on_time") is True,
        "overdue_unhandled": overdue,
        "closed": closed,
        "closed_on_time": closed and handle.get("on_time") is True,
        "reworked": case.rework_count > 0 and (handled or overdue),
        "parked": parked,
        "escalated": escalated,
        "rated": bool(case.satisfaction),
        "satisfied": case.satisfaction == "satisfied",
        "basically": case.satisfaction == "basically",
        "unsatisfied": case.satisfaction == "unsatisfied",
        "solved": case.resolution == "solved",
        "partly": case.resolution == "partly",
        "unsolved": case.resolution == "unsolved",
        "unrated": case.rating_expired,
    }


def _reported_too(person: int, public: Case, cases: dict, actors: dict) -> bool:
    """The worker reported the public case's problem too: their own grid-patrol case in the same grid
    and category within 24 hours either side, or the public case is a duplicate of their case."""
    if public.duplicate_of_id is not None and person in actors[(public.duplicate_of_id, "case.reported")]:
        return True
    return any(
        person in actors[(c.pk, "case.reported")]
        and c.source == "grid_patrol"
        and c.grid_id == public.grid_id
        and c.category_id == public.category_id
        and abs(c.created_at - public.created_at) <= dt.timedelta(hours=24)
        for c in cases.values()
    )


def direct_counts() -> dict[tuple[str, int, str], dict[str, int]]:
    """{(unit_kind, unit_id, "YYYY-MM"): {count: n}} with only non-zero counts."""
    out: dict = defaultdict(lambda: defaultdict(int))
    verbs = defaultdict(set)
    actors = defaultdict(set)
    for e in Event.objects.exclude(case_id=None):
        verbs[e.case_id].add(e.verb)
        if e.actor_id is not None:
            actors[(e.case_id, e.verb)].add(e.actor_id)
    cases = {c.pk: c for c in Case.objects.all()}
    for c in cases.values():
        flags = _flags(c, "case.file" in verbs[c.pk], "case.escalated" in verbs[c.pk])
        units = {
            "grid": c.grid_id,
            "community": c.community_id,
            "street": c.street_id,
            "district": c.district_id,
            "city": c.city_id,
            "department": c.first_receiver_id or c.lead_org_id,
        }
        for kind, unit in units.items():
            if unit is None:
                continue
            for name, yes in flags.items():
                if yes:
                    out[(kind, unit, month(c.created_at))][name] += 1
    for w in WhistleModel.objects.select_related("street"):
        for kind, unit in (("street", w.street_id), ("district", w.street.district_id), ("city", w.city_id)):
            out[(kind, unit, month(w.created_at))]["whistles"] += 1
    for s in WhistleSummons.objects.all():
        row = out[("department", s.organisation_id, month(s.summoned_at))]
        row["summonses"] += 1
        if s.acknowledged_at is not None and s.acknowledged_at <= s.acknowledge_due:
            row["summons_ack_on_time"] += 1
        if s.role != "notify":
            row["summons_onsite_due"] += 1
            if s.onsite_at is not None and s.onsite_at <= s.onsite_due:
                row["summons_onsite_on_time"] += 1
        rating = WhistleRating.objects.filter(summons=s).first()
        if rating is not None:
            row["whistle_ratings"] += 1
            row["whistle_rating_points"] += (
                rating.on_time_report + rating.problem_solved + rating.attitude - 3
            )
    workers = defaultdict(set)
    for m in Membership.objects.filter(role="grid_worker", active=True).exclude(node=None):
        workers[m.person_id].add(m.node_id)
    for person, grids in workers.items():
        for c in cases.values():
            p = month(c.created_at)

            def mine(verb: str, c=c, person=person) -> bool:
                return person in actors[(c.pk, verb)]

            d = c.deadlines or {}
            if mine("case.reported"):
                out[("grid_worker", person, p)]["gw_reported"] += 1
                if "case.file" in verbs[c.pk]:
                    out[("grid_worker", person, p)]["gw_reported_filed"] += 1
            if mine("case.verify"):
                out[("grid_worker", person, p)]["gw_verified"] += 1
                if (d.get("verify") or {}).get("on_time") is True:
                    out[("grid_worker", person, p)]["gw_verified_on_time"] += 1
            if mine("case.check"):
                out[("grid_worker", person, p)]["gw_checked"] += 1
                if (d.get("check") or {}).get("on_time") is True:
                    out[("grid_worker", person, p)]["gw_checked_on_time"] += 1
            public = c.source in {str(s) for s in PUBLIC_SOURCES}
            if c.grid_id in grids and public and not _reported_too(person, c, cases, actors):
                out[("grid_worker", person, p)]["gw_missed"] += 1
    return {k: {n: v for n, v in row.items() if v} for k, row in out.items() if any(row.values())}


def rollup_counts() -> dict[tuple[str, int, str], dict[str, int]]:
    from chuishao.evaluation.models import Rollup

    return {
        (r.unit_kind, r.unit_id, r.period): {n: v for n, v in r.counts().items() if v}
        for r in Rollup.objects.all()
    }
