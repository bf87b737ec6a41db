"""How a case reads through the API: its summary, its detail with the timeline, the deadline colour.

The rules are the domain's (``cases.presenting``), the same the web case page reads by: a person
without a staff role sees offices, never staff names; a reporter is never named; reasons between
offices stay with staff. Event payloads are passed on only through the whitelists below, so nothing
personal leaves through them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse

from chuishao import clock
from chuishao.cases.models import Case, CaseAssignment, CaseMedia
from chuishao.cases.presenting import (
    actor_shown,
    deadline_colour,
    event_words,
    expected_by,
    memberships_of,
    office_of,
    reason_shown,
    reporter_of,
)
from chuishao.cases.scopes import acting_grant
from chuishao.cases.selectors import (
    case_timeline,
    cases_visible_to,
    dispatch_candidates_q,
    mask_contacts,
    reporter_contact,
)
from chuishao.cases.services.engine import allowed_actions
from chuishao.cases.services.oversight import CHASERS, SUPERVISORS
from chuishao.events.models import Event
from chuishao.geo.models import Jurisdiction
from chuishao.orgs.models import Organisation
from chuishao.orgs.scopes import works_cases

# What of an event's ``after`` each audience gets (ids of organisations, nodes and media; no people).
STAFF_DATA = {
    "stage",
    "deadline_at",
    "lead_org_id",
    "assisting",
    "notify",
    "returned_by",
    "arbitrated_org_id",
    "dispatcher_node_id",
    "satisfaction",
    "resolution",
    "return_count",
    "rework_count",
    "extension_count",
    "reopen_count",
    "duplicate_of_id",
    "requested_working_days",
    "granted_working_days",
    "warn_level",
    "escalated_to_id",
    "level",
    "step",
    "whistle_id",
    "whistle_number",
    "joint",
    "supervised",
    "chase_count",
    "by_level",
    "media",
    "category",
    "source",
    "answers",
    "outside_grids",
    "boundary_case",
    "suggested_org_id",
    "possible_duplicates",
    "rating_expired",
    "note",
}
PUBLIC_DATA = {"satisfaction", "resolution", "media", "rating_expired", "warn_level"}


def oversight_allowed(actor: Any, case: Case) -> list[str]:
    """Supervise and chase as their service would accept them now (as the web case page asks)."""
    if not case.is_open:
        return []
    allowed = []
    if acting_grant(actor, case, SUPERVISORS) is not None and not case.supervised:
        allowed.append("supervise")
    if acting_grant(actor, case, CHASERS) is not None:
        allowed.append("chase")
    return allowed


def _node(node: Jurisdiction | None) -> dict[str, Any] | None:
    return {"code": node.code, "name": node.name} if node is not None else None


def _org(org: Any) -> dict[str, Any] | None:
    return {"id": org.pk, "code": org.code, "name": org.name} if org is not None else None


def case_summary(case: Case, *, request: Any, now: dt.datetime) -> dict[str, Any]:
    """What a list row shows; reads only rows joined by ``LIST_RELATED``."""
    return {
        "number": case.number,
        "url": request.build_absolute_uri(reverse("v1:case-detail", kwargs={"number": case.number})),
        "status": case.status,
        "status_label": case.get_status_display(),
        "source": case.source,
        "nature": case.nature,
        "priority": case.priority,
        "category": {
            "code": case.category.full_code,
            "name": case.category.name,
            "name_en": case.category.name_en,
        },
        # Lists mask contacts typed into the text for everyone; the detail shows them to roles that call back.
        "description": mask_contacts(case.description),
        "address": case.address,
        "lat": case.lat,
        "lng": case.lng,
        "grid": _node(case.grid),
        "community": _node(case.community),
        "street": _node(case.street),
        "district": _node(case.district),
        "lead_org": _org(case.lead_org),
        "stage": case.stage,
        "deadline_at": case.deadline_at,
        "deadline_colour": deadline_colour(case, now),
        "warn_level": case.warn_level,
        "escalated_to": _node(case.escalated_to),
        "supervised": case.supervised,
        "created_at": case.created_at,
        "updated_at": case.updated_at,
        "closed_at": case.closed_at,
    }


LIST_RELATED = ("category", "lead_org", "grid", "community", "street", "district", "escalated_to")


def case_detail(case: Case, *, actor: Any, request: Any) -> dict[str, Any]:
    now = clock.now()
    data = case_summary(case, request=request, now=now)
    contact = reporter_contact(actor=actor, case=case)
    data["description"] = contact["description"]
    assignments = (
        CaseAssignment.objects.filter(case_id=case.pk, active=True)
        .select_related("organisation")
        .order_by("id")
    )
    media = CaseMedia.objects.filter(case_id=case.pk).order_by("created_at", "id")
    public = not works_cases(actor)
    duplicate_number = (
        cases_visible_to(actor).filter(pk=case.duplicate_of_id).values_list("number", flat=True).first()
        if case.duplicate_of_id
        else None
    )
    actions = allowed_actions(actor=actor, case=case) + oversight_allowed(actor, case)
    data.update(
        {
            "answers": case.answers or {},
            "city": _node(case.city),
            "outside_grids": case.outside_grids,
            "boundary_case": case.boundary_case,
            "nearby_jurisdictions": list(case.nearby_jurisdictions or []),
            "deadline_provisional": case.deadline_provisional,
            "expected_by": expected_by(case),
            "suggested_org": _org(case.suggested_org),
            "organisations": [
                {**_org(a.organisation), "role": a.role, "role_label": a.get_role_display()}
                for a in assignments
            ],
            "counts": {
                "returns": case.return_count,
                "reworks": case.rework_count,
                "reopens": case.reopen_count,
                "extensions": case.extension_count,
                "escalations": case.escalation_count,
                "chases": case.chase_count,
            },
            "rating": {
                "satisfaction": case.satisfaction,
                "resolution": case.resolution,
                "comment": case.rating_comment,
                "rated_at": case.rated_at,
                "expired": case.rating_expired,
            },
            "duplicate_of": duplicate_number,
            "reporter": {
                **contact,
                "anonymous": case.anonymous,
                "is_you": case.reporter_id is not None and case.reporter_id == getattr(actor, "pk", None),
            },
            "allowed_actions": actions,
            "dispatch_candidates": dispatch_candidates(case)
            if {"dispatch", "arbitrate"} & set(actions)
            else [],
            "media": [
                {
                    "id": m.pk,
                    "purpose": m.purpose,
                    "content_type": m.content_type,
                    "created_at": m.created_at,
                    "url": request.build_absolute_uri(
                        reverse("v1:case-media", kwargs={"number": case.number, "media_id": m.pk})
                    ),
                }
                for m in media
            ],
            "timeline": timeline(list(case_timeline(case=case)), case, public=public),
        }
    )
    return data


def dispatch_candidates(case: Case) -> list[dict[str, Any]]:
    """Organisations serving the case's street, district or city that it can be sent to (as the web)."""
    orgs = Organisation.objects.filter(dispatch_candidates_q(case)).select_related("jurisdiction")
    return [
        {**_org(o), "kind": o.kind, "jurisdiction": _node(o.jurisdiction)}
        for o in orgs.order_by("jurisdiction__code", "code")
    ]


def timeline(events: list[Event], case: Case, *, public: bool) -> list[dict[str, Any]]:
    """Events as steps: when, who (an office for the public, a person for staff), what, why."""
    people = memberships_of({e.actor_id for e in events if e.actor_id})
    allowed = PUBLIC_DATA if public else STAFF_DATA
    # Once anonymising dropped the reporter link, the report event still tells who the reporter was.
    reporter_id = reporter_of(case, events)
    steps = []
    for e in events:
        office = office_of(e, case, people, reporter_id)
        by_reporter = e.actor_id is None or e.actor_id == reporter_id
        after = e.after or {}
        steps.append(
            {
                "seq": e.seq,
                "at": e.created_at,
                "verb": e.verb,
                "what": event_words(e),
                "actor": office if public or by_reporter else actor_shown(e, office),
                "reason": reason_shown(e, public=public),
                "status_before": (e.before or {}).get("status") or "",
                "status_after": after.get("status") or "",
                "data": {k: v for k, v in after.items() if k in allowed},
            }
        )
    return steps
