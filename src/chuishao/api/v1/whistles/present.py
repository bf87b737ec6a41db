"""Whistles and summonses as API dictionaries (the serializers describe and render them).

The board rows come from ``whistle_board`` and the allowed actions from ``whistle_allowed_actions``:
the same reads and rules the web pages use.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Prefetch, QuerySet, prefetch_related_objects
from django.urls import reverse

from chuishao import clock
from chuishao.actors import label_display
from chuishao.cases.errors import CaseError
from chuishao.cases.models import AssignmentRole, Case, SummonsState, Whistle, WhistleParty, WhistleSummons
from chuishao.cases.presenting import reason_shown
from chuishao.cases.whistle_selectors import (
    check_acknowledge,
    check_check_in,
    check_record_action,
    whistle_allowed_actions,
    whistle_board,
)
from chuishao.events.models import Event

ON_SITE = (AssignmentRole.LEAD, AssignmentRole.ASSIST)


def _node(node: Any) -> dict[str, str] | None:
    return None if node is None else {"code": node.code, "name": node.name}


def _org(org: Any) -> dict[str, Any]:
    return {"id": org.pk, "code": org.code, "name": org.name}


def _url(request: Any, pk: int) -> str:
    return request.build_absolute_uri(reverse("v1:whistle-detail", kwargs={"pk": pk}))


def with_summary_relations(whistles: QuerySet[Whistle]) -> QuerySet[Whistle]:
    """What a list of summaries reads, in a fixed number of queries whatever the page's length."""
    return whistles.select_related("street").annotate(summoned_count=Count("summonses", distinct=True))


def with_case_numbers(whistles: list[Whistle]) -> None:
    """Prefetch the numbers of each whistle's cases (one query for the page)."""
    prefetch_related_objects(whistles, Prefetch("cases", Case.objects.only("id", "number").order_by("pk")))


def whistle_summary(
    whistle: Whistle, *, request: Any, case_numbers: list[str] | None = None, summoned: int | None = None
) -> dict[str, Any]:
    """A list row: cases prefetched (``with_case_numbers``) and ``summoned_count`` annotated, unless
    given."""
    if case_numbers is None:
        case_numbers = [c.number for c in whistle.cases.all()]
    return {
        "id": whistle.pk,
        "number": whistle.number,
        "url": _url(request, whistle.pk),
        "kind": whistle.kind,
        "kind_label": whistle.get_kind_display(),
        "reason": whistle.reason,
        "reason_label": whistle.get_reason_display(),
        "status": whistle.status,
        "status_label": whistle.get_status_display(),
        "description": whistle.description,
        "street": _node(whistle.street),
        "joint": whistle.joint,
        "cases": case_numbers,
        "summoned": whistle.summoned_count if summoned is None else summoned,
        "created_at": whistle.created_at,
        "done_at": whistle.done_at,
    }


def _rating(rating: Any) -> dict[str, Any] | None:
    if rating is None:
        return None
    return {
        "on_time_report": rating.on_time_report,
        "problem_solved": rating.problem_solved,
        "attitude": rating.attitude,
        "comment": rating.comment,
        "score": rating.score,
        "created_at": rating.created_at,
    }


NOTHING_ALLOWED = {"acknowledge": False, "check_in": False, "record_action": False, "rate": False}


def _board_row(row: dict[str, Any], allowed: dict[str, bool]) -> dict[str, Any]:
    s: WhistleSummons = row["summons"]
    return {
        "id": s.pk,
        "organisation": _org(row["organisation"]),
        "role": s.role,
        "state": s.state,
        "state_label": s.get_state_display(),
        "summoned_by": _node(row["summoned_by"]),
        "summoned_at": s.summoned_at,
        "acknowledge_due": s.acknowledge_due,
        "onsite_due": s.onsite_due,
        "acknowledged_at": s.acknowledged_at,
        "onsite_at": s.onsite_at,
        "acted_at": s.acted_at,
        "released_at": s.released_at,
        "acknowledge": row["acknowledge"],
        "onsite": row["onsite"],
        "onsite_lat": s.onsite_lat,
        "onsite_lng": s.onsite_lng,
        "distance_m": s.onsite_distance_m,
        "action_note": s.action_note,
        "rating": _rating(row["rating"]),
        "allowed_actions": allowed,
    }


def _event(e: Event) -> dict[str, Any]:
    return {
        "seq": e.seq,
        "verb": e.verb,
        "at": e.created_at,
        "actor": label_display(e.actor_label),
        "reason": reason_shown(e, public=False),
        "after": e.after or {},
    }


def whistle_detail(whistle: Whistle, *, actor: Any, request: Any) -> dict[str, Any]:
    """The whistle with its parties, cases, board, the caller's allowed actions and its history."""
    now = clock.now()
    parties = list(
        WhistleParty.objects.filter(whistle_id=whistle.pk)
        .select_related("street", "district")
        .order_by("-initiator", "pk")
    )
    cases = list(whistle.cases.select_related("category", "grid").order_by("pk"))
    allowed = whistle_allowed_actions(actor=actor, whistle=whistle)
    rows = whistle_board(whistle=whistle, now=now)
    data = whistle_summary(
        whistle, request=request, case_numbers=[c.number for c in cases], summoned=len(rows)
    )
    events = Event.objects.filter(chain=whistle.chain).order_by("seq")
    return data | {
        "lat": whistle.lat,
        "lng": whistle.lng,
        "done_note": whistle.done_note,
        "parties": [
            {
                "street": _node(p.street),
                "district": _node(p.district),
                "initiator": p.initiator,
                "joined_at": p.joined_at,
            }
            for p in parties
        ],
        "case_details": [
            {
                "number": c.number,
                "status": c.status,
                "category": c.category.full_code,
                "category_name": c.category.name,
                "address": c.address,
                "lat": c.lat,
                "lng": c.lng,
                "grid": c.grid.code if c.grid_id else None,
            }
            for c in cases
        ],
        "summonses": [
            _board_row(r, allowed["summonses"].get(r["summons_id"], NOTHING_ALLOWED)) for r in rows
        ],
        "allowed_actions": {k: allowed[k] for k in ("summon", "join", "confirm_done", "cancel")},
        "history": [_event(e) for e in events],
    }


def _passes(check: Any, **kwargs: Any) -> bool:
    try:
        check(**kwargs)
    except CaseError:
        return False
    return True


def next_due(s: WhistleSummons) -> dt.datetime | None:
    """The deadline the summons must meet next (as ``summons_inbox`` orders them)."""
    if s.state == SummonsState.SUMMONED:
        return s.acknowledge_due
    if s.state == SummonsState.ACKNOWLEDGED and s.role in ON_SITE:
        return s.onsite_due
    return None


def summons_row(s: WhistleSummons, *, actor: Any, request: Any, now: dt.datetime) -> dict[str, Any]:
    """A summons with its whistle, as the inbox shows it (``whistle``, ``organisation`` loaded)."""
    due = next_due(s)
    w = s.whistle
    return {
        "id": s.pk,
        "whistle": {
            "id": w.pk,
            "number": w.number,
            "url": _url(request, w.pk),
            "kind": w.kind,
            "status": w.status,
            "description": w.description,
            "street": _node(w.street),
        },
        "organisation": _org(s.organisation),
        "role": s.role,
        "state": s.state,
        "state_label": s.get_state_display(),
        "summoned_at": s.summoned_at,
        "acknowledge_due": s.acknowledge_due,
        "onsite_due": s.onsite_due,
        "next_due": due,
        "overdue": due is not None and due < now,
        "acknowledged_at": s.acknowledged_at,
        "onsite_at": s.onsite_at,
        "distance_m": s.onsite_distance_m,
        "action_note": s.action_note,
        "allowed_actions": {
            "acknowledge": _passes(check_acknowledge, actor=actor, summons=s),
            "check_in": _passes(check_check_in, actor=actor, summons=s),
            "record_action": _passes(check_record_action, actor=actor, summons=s),
            "rate": False,
        },
    }
