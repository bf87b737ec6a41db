"""Who owns a case: dispatch by the responsibility list, acceptance (the first receiver stays
accountable), return, arbitration of a second return by the level above, and extensions approved by
the level that dispatched."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from chuishao.actors import SystemActor
from chuishao.cases.deadlines import enter_stage, meet_stage, stage_due
from chuishao.cases.errors import CaseConflict, CaseInvalid, CasePermissionDenied
from chuishao.cases.models import AssignmentRole, Case, CaseAssignment
from chuishao.cases.models import Status as S
from chuishao.cases.scopes import acting_grant
from chuishao.cases.selectors import is_dispatchable
from chuishao.cases.services.engine import run_transition
from chuishao.cases.transitions import TABLE
from chuishao.catalog.calendar import work_calendar
from chuishao.events.models import Event
from chuishao.geo.models import Jurisdiction
from chuishao.orgs.models import Organisation, OrgKind
from chuishao.orgs.scopes import grants_of


def _orgs(ids: Iterable[int | Organisation]) -> list[Organisation]:
    ids = [o.pk if isinstance(o, Organisation) else int(o) for o in ids]
    found = {o.pk: o for o in Organisation.objects.select_related("jurisdiction").filter(pk__in=ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise CaseInvalid(_("Unknown organisation(s): %(ids)s.") % {"ids": ", ".join(map(str, missing))})
    return [found[i] for i in ids]


def _check_dispatchable(orgs: list[Organisation], case: Case) -> None:
    """Every organisation named on a case serves the case's city and is one that handles cases."""
    for org in orgs:
        node = org.jurisdiction
        if (node.city_id or node.pk) != case.city_id:
            raise CaseInvalid(_("%(org)s does not serve this city.") % {"org": org.name})
        if not is_dispatchable(org):
            raise CaseInvalid(_("%(org)s does not handle cases.") % {"org": org.name})
        # A complex's board works the cases of its own complex only (红色物业).
        if org.kind == OrgKind.COMPLEX_BOARD and org.attached_complex_id != case.complex_id:
            raise CaseInvalid(_("%(org)s only takes the cases of its own complex.") % {"org": org.name})


def _named_orgs(
    lead: Organisation | int, assisting: Iterable[Organisation | int], notify: Iterable[Organisation | int]
) -> tuple[Organisation, dict[int, str], list[Organisation]]:
    (lead_org,) = _orgs([lead])
    assist_orgs, notify_orgs = _orgs(assisting), _orgs(notify)
    roles = {o.pk: AssignmentRole.ASSIST for o in assist_orgs} | {
        o.pk: AssignmentRole.NOTIFY for o in notify_orgs
    }
    if lead_org.pk in roles:
        raise CaseInvalid(_("The lead organisation cannot also assist or be notified."))
    return lead_org, roles, [lead_org, *assist_orgs, *notify_orgs]


def _assign(c: Case, now: dt.datetime, lead_org: Organisation, roles: dict[int, str], named) -> dict:
    """Make ``lead_org`` the lead with assisting and notify-only organisations; start the handling clock."""
    _check_dispatchable(named, c)
    c.lead_org = lead_org
    CaseAssignment.objects.filter(case=c, active=True).update(active=False)
    rows = [CaseAssignment(case=c, organisation=lead_org, role=AssignmentRole.LEAD, created_at=now)]
    rows += [
        CaseAssignment(case=c, organisation_id=pk, role=role, created_at=now) for pk, role in roles.items()
    ]
    CaseAssignment.objects.bulk_create(rows)
    # The handling clock starts at dispatch (GB/T 30428): fix its due time now, use it on acceptance.
    due, provisional = stage_due(case=c, stage="handle", start=now)
    deadlines = dict(c.deadlines or {})
    deadlines["handle"] = {"due": due.isoformat(), "provisional": provisional, "met": None}
    c.deadlines = deadlines
    return {
        "lead_org_id": lead_org.pk,
        "assisting": [pk for pk, r in roles.items() if r == AssignmentRole.ASSIST],
        "notify": [pk for pk, r in roles.items() if r == AssignmentRole.NOTIFY],
    }


def case_dispatch(
    *,
    case: Case | int,
    actor: Any,
    lead: Organisation | int,
    assisting: Iterable[Organisation | int] = (),
    notify: Iterable[Organisation | int] = (),
    note: str = "",
) -> Case:
    """Send the case to a lead organisation (主办) with assisting (协办) and notify-only (知会) ones.

    The dispatching centre's node is recorded: it approves extensions, and the level above it
    arbitrates a second return.
    """
    lead_org, roles, named = _named_orgs(lead, assisting, notify)

    def change(c: Case, now: dt.datetime) -> dict:
        grant = None if isinstance(actor, SystemActor) else acting_grant(actor, c, TABLE["dispatch"].roles)
        c.dispatcher_node_id = grant.node_id if grant is not None else c.street_id
        return _assign(c, now, lead_org, roles, named) | {"note": note}

    return run_transition(case=case, action="dispatch", actor=actor, change=change)


def case_arbitrate(
    *,
    case: Case | int,
    actor: Any,
    lead: Organisation | int,
    assisting: Iterable[Organisation | int] = (),
    notify: Iterable[Organisation | int] = (),
    reason: str = "",
) -> Case:
    """The level above the dispatcher decides who owns a twice-returned case; the decision binds: the
    named lead may not return it again."""
    lead_org, roles, named = _named_orgs(lead, assisting, notify)

    def change(c: Case, now: dt.datetime) -> dict:
        if not _at_dispatching_level(actor, c, TABLE["arbitrate"].roles, strictly_above=True):
            raise CasePermissionDenied(
                _("Only the command centre of the level above the dispatcher may arbitrate case %(number)s.")
                % {"number": c.number}
            )
        c.arbitrated_org = lead_org
        return _assign(c, now, lead_org, roles, named)

    return run_transition(case=case, action="arbitrate", actor=actor, reason=reason, change=change)


def case_accept(*, case: Case | int, actor: Any) -> Case:
    def change(c: Case, now: dt.datetime) -> dict:
        if c.first_receiver_id is None:
            c.first_receiver_id = c.lead_org_id
        meet_stage(c, at=now)
        # Handling runs on the clock fixed at dispatch.
        preset = (c.deadlines or {}).get("handle")
        if preset:
            enter_stage(
                c,
                "handle",
                start=now,
                due=dt.datetime.fromisoformat(preset["due"]),
                provisional=bool(preset.get("provisional")),
            )
        else:
            enter_stage(c, "handle", start=now)
        return {"_handled": ("stage",)}

    return run_transition(case=case, action="accept", actor=actor, change=change)


def case_return(*, case: Case | int, actor: Any, reason: str) -> Case:
    """The lead department sends a mis-dispatched case back to the dispatcher (回退)."""

    def change(c: Case, now: dt.datetime) -> dict:
        if c.arbitrated_org_id is not None and c.arbitrated_org_id == c.lead_org_id:
            raise CaseConflict(
                _(
                    "Case %(number)s was arbitrated to your organisation; "
                    "the decision binds and it cannot be returned."
                )
                % {"number": c.number}
            )
        c.return_count += 1
        returned_by = c.lead_org_id
        c.lead_org = None
        CaseAssignment.objects.filter(case=c, active=True).update(active=False)
        deadlines = dict(c.deadlines or {})
        deadlines.pop("handle", None)
        c.deadlines = deadlines
        # The second return of the same case is a dispute over ownership: the level above decides.
        if c.return_count >= 2:
            return {"returned_by": returned_by, "_target": S.ARBITRATION}
        return {"returned_by": returned_by}

    return run_transition(case=case, action="return", actor=actor, reason=reason, change=change)


def case_refer(*, case: Case | int, actor: Any, reason: str) -> Case:
    """A complex's board passes a case it cannot solve to the street (上交街道, 红色物业).

    The case goes back to the dispatcher's queue (returned) with the reason, but it is not a
    mis-dispatch: ``return_count`` stays, so neither the dispatcher's return rate nor arbitration is
    touched, and the board stops being the first receiver (the department the street sends it to
    becomes accountable). The handling clock of the board, if running, is dropped, not met.
    """

    def change(c: Case, now: dt.datetime) -> dict:
        lead = Organisation.objects.filter(pk=c.lead_org_id).only("kind").first()
        if lead is None or lead.kind != OrgKind.COMPLEX_BOARD:
            raise CasePermissionDenied(
                _("Only a complex's board passes a case to the street; case %(number)s is not led by one.")
                % {"number": c.number}
            )
        if c.arbitrated_org_id is not None and c.arbitrated_org_id == c.lead_org_id:
            raise CaseConflict(
                _(
                    "Case %(number)s was arbitrated to your organisation; "
                    "the decision binds and it cannot be passed on."
                )
                % {"number": c.number}
            )
        referred_by = c.lead_org_id
        if c.first_receiver_id == referred_by:
            c.first_receiver = None
        c.lead_org = None
        CaseAssignment.objects.filter(case=c, active=True).update(active=False)
        deadlines = dict(c.deadlines or {})
        deadlines.pop("handle", None)
        c.deadlines = deadlines
        if c.stage != "handle":
            # Passing it on answers the dispatch: the accept stage is met as a return would meet it.
            meet_stage(c, at=now)
        enter_stage(c, "dispatch", start=now)
        return {"referred_by": referred_by, "_handled": ("stage",)}

    return run_transition(case=case, action="refer", actor=actor, reason=reason, change=change)


def _as_days(value: Any) -> Decimal:
    try:
        days = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise CaseInvalid(_("The extension must be a number of working days.")) from exc
    if days <= 0 or days > 60:
        raise CaseInvalid(_("The extension must be between 0 and 60 working days."))
    return days


def case_request_extension(*, case: Case | int, actor: Any, reason: str, working_days: Any) -> Case:
    days = _as_days(working_days)

    def change(c: Case, now: dt.datetime) -> dict:
        c.resume_status = c.status
        return {"requested_working_days": str(days), "_handled": ("stage",)}

    return run_transition(case=case, action="request_extension", actor=actor, reason=reason, change=change)


# How far up the chain each node kind sits (a higher level may also decide for a lower one).
LEVEL_RANK = {"grid": 0, "community": 1, "street": 2, "district": 3, "city": 4}


def _at_dispatching_level(actor: Any, c: Case, roles: frozenset[str], *, strictly_above: bool) -> bool:
    """Whether the actor holds one of ``roles`` at the node that dispatched the case or above it on the
    case's chain (``strictly_above``: above it only). A case dispatched by nobody counts as dispatched
    by its street."""
    if isinstance(actor, SystemActor):
        return True
    node = (
        Jurisdiction.objects.only("kind", "district_id", "city_id").filter(pk=c.dispatcher_node_id).first()
        if c.dispatcher_node_id
        else None
    )
    kind = node.kind if node is not None else "street"
    chain = {"street": c.street_id, "district": c.district_id, "city": c.city_id}
    if node is not None:
        chain[node.kind] = node.pk
    for g in grants_of(actor):
        if g.role not in roles or g.node_kind not in LEVEL_RANK:
            continue
        higher = LEVEL_RANK[g.node_kind] > LEVEL_RANK[kind]
        same = LEVEL_RANK[g.node_kind] == LEVEL_RANK[kind]
        if (higher or (same and not strictly_above)) and chain.get(g.node_kind) == g.node_id:
            return True
    return False


def _check_dispatching_level(actor: Any, c: Case) -> None:
    """Extensions are approved by the centre that dispatched the case, or one above it."""
    if not _at_dispatching_level(actor, c, TABLE["grant_extension"].roles, strictly_above=False):
        raise CasePermissionDenied(
            _("Only the centre that dispatched case %(number)s (or one above it) decides on its extension.")
            % {"number": c.number}
        )


def case_grant_extension(
    *, case: Case | int, actor: Any, working_days: Any | None = None, note: str = ""
) -> Case:
    def change(c: Case, now: dt.datetime) -> dict:
        _check_dispatching_level(actor, c)
        requested = _last_requested_days(c)
        days = _as_days(working_days if working_days is not None else requested)
        start = c.deadline_at or now
        deadline = _calendar_add(c, start, days)
        c.extension_count += 1
        enter_stage(c, "handle", start=now, due=deadline.due, provisional=deadline.provisional)
        return {"granted_working_days": str(days), "_handled": ("stage",)}

    return run_transition(case=case, action="grant_extension", actor=actor, reason=note, change=change)


def _calendar_add(c: Case, start: dt.datetime, days: Decimal):
    return work_calendar(c.city_id).add(start, days, "working_days")


def _last_requested_days(c: Case) -> str | None:
    event = Event.objects.filter(case_id=c.pk, verb="case.request_extension").order_by("-seq").first()
    return (event.after or {}).get("requested_working_days") if event else None


def case_refuse_extension(*, case: Case | int, actor: Any, reason: str) -> Case:
    return run_transition(
        case=case,
        action="refuse_extension",
        actor=actor,
        reason=reason,
        change=lambda c, now: _check_dispatching_level(actor, c) or {"_handled": ("stage",)},
    )
