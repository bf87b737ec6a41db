"""Moving a case through the transition table: one function per action.

Each function locks the case row, checks the actor can see the case, that one of the actor's roles
may take the action, and that the case's state allows it; then it writes the change with
``update_fields`` and appends one event in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from chuishao import clock
from chuishao.cases.deadlines import enter_stage, meet_stage, stage_due
from chuishao.cases.errors import CaseConflict, CaseInvalid, CaseNotFound, CasePermissionDenied
from chuishao.cases.media import check_media
from chuishao.cases.models import AssignmentRole, Case, CaseAssignment, CaseMedia, Resolution, Satisfaction
from chuishao.cases.models import Status as S
from chuishao.cases.scopes import acting_grant, actor_can_see_case
from chuishao.cases.selectors import is_dispatchable
from chuishao.cases.transitions import STAGE_OF_STATUS, TABLE, TERMINAL, Transition
from chuishao.catalog.calendar import work_calendar
from chuishao.events.models import Event
from chuishao.events.services import event_append
from chuishao.orgs.models import Organisation

# Columns an event's before/after show, beyond the status.
TRACKED = (
    "status",
    "lead_org_id",
    "stage",
    "deadline_at",
    "satisfaction",
    "resolution",
    "return_count",
    "rework_count",
    "extension_count",
    "duplicate_of_id",
    "resume_status",
)


# Every column a transition may write (saved with update_fields).
MUTABLE = [
    "status",
    "resume_status",
    "lead_org",
    "first_receiver",
    "stage",
    "deadline_at",
    "deadline_provisional",
    "deadlines",
    "satisfaction",
    "resolution",
    "rating_comment",
    "return_count",
    "rework_count",
    "extension_count",
    "duplicate_of",
    "closed_at",
    "updated_at",
]


def _snapshot(case: Case) -> dict[str, Any]:
    return {f: getattr(case, f) for f in TRACKED}


def _diff(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict, dict]:
    changed = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in changed}, {k: after[k] for k in changed}


def authorise(*, actor: Any, case: Case, transition: Transition) -> None:
    """Raise unless ``actor`` may take ``transition`` on ``case`` now (scope, then role, then state)."""
    if not actor_can_see_case(actor, case):
        raise CaseNotFound(_("No case %(number)s that you can see.") % {"number": case.number})
    if acting_grant(actor, case, transition.roles, lead_only=transition.lead_only) is None:
        # A department that worked on the case and acts on a state that has moved on (someone returned or
        # re-dispatched it meanwhile) is told about the conflict rather than refused a role.
        moved_on = transition.lead_only and case.status not in transition.sources
        if moved_on and acting_grant(actor, case, transition.roles) is not None:
            raise _conflict(case, transition)
        raise CasePermissionDenied(
            _("You may not %(action)s case %(number)s.")
            % {"action": transition.action, "number": case.number}
        )
    if case.status not in transition.sources:
        raise _conflict(case, transition)


def _conflict(case: Case, transition: Transition) -> CaseConflict:
    return CaseConflict(
        _("Case %(number)s is %(status)s now, so it cannot be %(action)s; reload it to see what changed.")
        % {"number": case.number, "status": case.get_status_display(), "action": transition.action}
    )


def allowed_actions(*, actor: Any, case: Case) -> list[str]:
    """The actions ``actor`` may take on ``case`` in its current state (for pages and APIs)."""
    if not actor_can_see_case(actor, case):
        return []
    return [
        t.action
        for t in TABLE.values()
        if case.status in t.sources and acting_grant(actor, case, t.roles, lead_only=t.lead_only) is not None
    ]


def _run(
    *,
    case: Case | int,
    action: str,
    actor: Any,
    reason: str = "",
    change: Callable[[Case, dt.datetime], dict | None] | None = None,
) -> Case:
    transition = TABLE[action]
    reason = (reason or "").strip()
    if transition.needs_reason and not reason:
        raise CaseInvalid(_("A reason is required to %(action)s a case.") % {"action": action})
    pk = case.pk if isinstance(case, Case) else case
    with transaction.atomic():
        locked = Case.objects.select_for_update().select_related("category").filter(pk=pk).first()
        if locked is None:
            raise CaseNotFound(_("No case with id %(id)s.") % {"id": pk})
        authorise(actor=actor, case=locked, transition=transition)
        now = clock.now()
        before = _snapshot(locked)
        old_stage = locked.stage
        extra = (change(locked, now) if change else None) or {}
        target = transition.target or locked.resume_status or S.FILED
        if transition.target is None:
            locked.resume_status = ""
        locked.status = target
        if "stage" not in extra.get("_handled", ()):
            stage = STAGE_OF_STATUS.get(target)
            # Handling keeps one clock from acceptance to the report, whatever happens in between.
            if not (stage == "handle" and old_stage == "handle"):
                meet_stage(locked, at=now)
                enter_stage(locked, stage, start=now)
        if target in TERMINAL and locked.closed_at is None:
            locked.closed_at = now
        if target == S.REOPENED:
            locked.closed_at = None
        locked.updated_at = now
        locked.save(update_fields=MUTABLE)
        after = _snapshot(locked)
        b, a = _diff(before, after)
        a.update({k: v for k, v in extra.items() if not k.startswith("_")})
        event_append(verb=transition.verb, actor=actor, case=locked, before=b, after=a, reason=reason, at=now)
    return locked


def case_act(
    *, case: Case | int, action: str, actor: Any, expected_status: str | None = None, **params: Any
) -> Case:
    """Take ``action`` by name (for generic interfaces); the parameters are the action's own.

    ``expected_status`` is the state the actor saw: if the case has moved on since, nothing happens and
    ``CaseConflict`` says so (a page left open must not act on a case someone else has changed).
    """
    function = ACTIONS.get(action)
    if function is None:
        raise CaseInvalid(_("Unknown action %(action)s.") % {"action": action})
    if expected_status is None:
        return function(case=case, actor=actor, **params)
    pk = case.pk if isinstance(case, Case) else case
    with transaction.atomic():
        # The lock taken here is held by the action's own transaction, which nests inside this one.
        current = Case.objects.select_for_update().filter(pk=pk).values_list("number", "status").first()
        if current is not None and current[1] != expected_status:
            raise CaseConflict(
                _("Case %(number)s changed to %(status)s while you were looking at it; reload it.")
                % {"number": current[0], "status": S(current[1]).label}
            )
        return function(case=case, actor=actor, **params)


def case_verify(*, case: Case | int, actor: Any, note: str = "") -> Case:
    return _run(case=case, action="verify", actor=actor, reason=note)


def case_self_handle(*, case: Case | int, actor: Any, note: str = "") -> Case:
    if not note.strip():
        raise CaseInvalid(_("Say what you did to handle it yourself."))
    return _run(case=case, action="self_handle", actor=actor, reason=note)


def case_file(*, case: Case | int, actor: Any, note: str = "") -> Case:
    return _run(case=case, action="file", actor=actor, reason=note)


def case_decline(
    *, case: Case | int, actor: Any, reason: str, duplicate_of: Case | int | None = None
) -> Case:
    def change(c: Case, now: dt.datetime) -> dict:
        if duplicate_of is not None:
            dup_id = duplicate_of.pk if isinstance(duplicate_of, Case) else duplicate_of
            if dup_id == c.pk or not Case.objects.filter(pk=dup_id, city_id=c.city_id).exists():
                raise CaseInvalid(_("The case it duplicates does not exist in this city."))
            c.duplicate_of_id = dup_id
        return {}

    return _run(case=case, action="decline", actor=actor, reason=reason, change=change)


def case_withdraw(*, case: Case | int, actor: Any, reason: str) -> Case:
    return _run(case=case, action="withdraw", actor=actor, reason=reason)


def case_cancel(*, case: Case | int, actor: Any, reason: str) -> Case:
    return _run(case=case, action="cancel", actor=actor, reason=reason)


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


def case_dispatch(
    *,
    case: Case | int,
    actor: Any,
    lead: Organisation | int,
    assisting: Iterable[Organisation | int] = (),
    notify: Iterable[Organisation | int] = (),
    note: str = "",
) -> Case:
    """Send the case to a lead organisation (主办) with assisting (协办) and notify-only (知会) ones."""
    (lead_org,) = _orgs([lead])
    assist_orgs, notify_orgs = _orgs(assisting), _orgs(notify)
    roles = {o.pk: AssignmentRole.ASSIST for o in assist_orgs} | {
        o.pk: AssignmentRole.NOTIFY for o in notify_orgs
    }
    if lead_org.pk in roles:
        raise CaseInvalid(_("The lead organisation cannot also assist or be notified."))

    def change(c: Case, now: dt.datetime) -> dict:
        _check_dispatchable([lead_org, *assist_orgs, *notify_orgs], c)
        c.lead_org = lead_org
        CaseAssignment.objects.filter(case=c, active=True).update(active=False)
        rows = [CaseAssignment(case=c, organisation=lead_org, role=AssignmentRole.LEAD, created_at=now)]
        rows += [
            CaseAssignment(case=c, organisation_id=pk, role=role, created_at=now)
            for pk, role in roles.items()
        ]
        CaseAssignment.objects.bulk_create(rows)
        # The handling clock starts at dispatch (GB/T 30428): fix its due time now, use it on acceptance.
        due, provisional = stage_due(case=c, stage="handle", start=now)
        deadlines = dict(c.deadlines or {})
        deadlines["handle"] = {"due": due.isoformat(), "provisional": provisional, "met": None}
        c.deadlines = deadlines
        return {"assisting": [o.pk for o in assist_orgs], "notify": [o.pk for o in notify_orgs], "note": note}

    return _run(case=case, action="dispatch", actor=actor, change=change)


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

    return _run(case=case, action="accept", actor=actor, change=change)


def case_return(*, case: Case | int, actor: Any, reason: str) -> Case:
    """The lead department sends a mis-dispatched case back to the dispatcher (回退)."""

    def change(c: Case, now: dt.datetime) -> dict:
        c.return_count += 1
        returned_by = c.lead_org_id
        c.lead_org = None
        CaseAssignment.objects.filter(case=c, active=True).update(active=False)
        deadlines = dict(c.deadlines or {})
        deadlines.pop("handle", None)
        c.deadlines = deadlines
        return {"returned_by": returned_by}

    return _run(case=case, action="return", actor=actor, reason=reason, change=change)


def case_start(*, case: Case | int, actor: Any) -> Case:
    return _run(case=case, action="start", actor=actor)


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

    return _run(case=case, action="request_extension", actor=actor, reason=reason, change=change)


def case_grant_extension(
    *, case: Case | int, actor: Any, working_days: Any | None = None, note: str = ""
) -> Case:
    def change(c: Case, now: dt.datetime) -> dict:
        requested = _last_requested_days(c)
        days = _as_days(working_days if working_days is not None else requested)
        start = c.deadline_at or now
        deadline = _calendar_add(c, start, days)
        c.extension_count += 1
        enter_stage(c, "handle", start=now, due=deadline.due, provisional=deadline.provisional)
        return {"granted_working_days": str(days), "_handled": ("stage",)}

    return _run(case=case, action="grant_extension", actor=actor, reason=note, change=change)


def _calendar_add(c: Case, start: dt.datetime, days: Decimal):
    return work_calendar(c.city_id).add(start, days, "working_days")


def _last_requested_days(c: Case) -> str | None:
    event = Event.objects.filter(case_id=c.pk, verb="case.request_extension").order_by("-seq").first()
    return (event.after or {}).get("requested_working_days") if event else None


def case_refuse_extension(*, case: Case | int, actor: Any, reason: str) -> Case:
    return _run(
        case=case,
        action="refuse_extension",
        actor=actor,
        reason=reason,
        change=lambda c, now: {"_handled": ("stage",)},
    )


def _attach(c: Case, files: Iterable[Any], *, purpose: str, actor: Any, now: dt.datetime) -> list[int]:
    ids = []
    for f in files:
        content_type = getattr(f, "content_type", "") or "application/octet-stream"
        media = CaseMedia.objects.create(
            case=c,
            file=f,
            content_type=content_type,
            purpose=purpose,
            uploaded_by=actor if getattr(actor, "pk", None) else None,
            created_at=now,
        )
        ids.append(media.pk)
    return ids


def case_handle(*, case: Case | int, actor: Any, result: str, evidence: Iterable[Any] = ()) -> Case:
    """The lead department reports the work done, with text and optional photos as evidence."""
    if not result.strip():
        raise CaseInvalid(_("Describe what was done."))
    files = list(evidence)
    check_media(files)

    def change(c: Case, now: dt.datetime) -> dict:
        return {"media": _attach(c, files, purpose="handling", actor=actor, now=now)}

    return _run(case=case, action="handle", actor=actor, reason=result, change=change)


def case_check(*, case: Case | int, actor: Any, note: str = "", evidence: Iterable[Any] = ()) -> Case:
    files = list(evidence)
    check_media(files)
    return _run(
        case=case,
        action="check",
        actor=actor,
        reason=note,
        change=lambda c, now: {"media": _attach(c, files, purpose="check", actor=actor, now=now)},
    )


def case_rework(*, case: Case | int, actor: Any, reason: str) -> Case:
    def change(c: Case, now: dt.datetime) -> dict:
        c.rework_count += 1
        meet_stage(c, at=now)
        enter_stage(c, "handle", start=now)
        return {"_handled": ("stage",)}

    return _run(case=case, action="rework", actor=actor, reason=reason, change=change)


def case_close(*, case: Case | int, actor: Any, note: str = "") -> Case:
    return _run(case=case, action="close", actor=actor, reason=note)


def case_rate(*, case: Case | int, actor: Any, satisfaction: str, resolution: str, comment: str = "") -> Case:
    """The reporter's verdict (or the centre's record of a callback): satisfaction and resolution."""
    if satisfaction not in Satisfaction.values:
        raise CaseInvalid(_("Satisfaction must be one of %(v)s.") % {"v": ", ".join(Satisfaction.values)})
    if resolution not in Resolution.values:
        raise CaseInvalid(_("Resolution must be one of %(v)s.") % {"v": ", ".join(Resolution.values)})

    def change(c: Case, now: dt.datetime) -> dict:
        c.satisfaction, c.resolution, c.rating_comment = satisfaction, resolution, comment.strip()
        return {}

    return _run(case=case, action="rate", actor=actor, reason=comment, change=change)


def case_reopen(*, case: Case | int, actor: Any, reason: str) -> Case:
    """Reopen a closed case; allowed after an unsatisfied rating within the city's reopen window."""

    def change(c: Case, now: dt.datetime) -> dict:
        window = dt.timedelta(days=settings.CHUISHAO_REOPEN_WINDOW_DAYS)
        if c.satisfaction != Satisfaction.UNSATISFIED:
            raise CaseInvalid(_("Only a case rated unsatisfied can be reopened."))
        if c.closed_at and now - c.closed_at > window:
            raise CaseInvalid(
                _("The reopen window of %(days)s days has passed.")
                % {"days": settings.CHUISHAO_REOPEN_WINDOW_DAYS}
            )
        c.lead_org = None
        CaseAssignment.objects.filter(case=c, active=True).update(active=False)
        # The old verdict is answered by reopening; the reporter is asked again when it closes next.
        c.satisfaction, c.resolution, c.rating_comment = "", "", ""
        return {}

    return _run(case=case, action="reopen", actor=actor, reason=reason, change=change)


def case_park(*, case: Case | int, actor: Any, reason: str) -> Case:
    """Park a case (挂账: season, funding): it stays open and leaves the on-time counts."""

    def change(c: Case, now: dt.datetime) -> dict:
        c.resume_status = c.status
        # The running stage is suspended, not met: it must not count as finished on time.
        enter_stage(c, None, start=now)
        return {"_handled": ("stage",)}

    return _run(case=case, action="park", actor=actor, reason=reason, change=change)


def case_unpark(*, case: Case | int, actor: Any, note: str = "") -> Case:
    """Resume a parked case where it was; its running stage starts afresh from now."""
    return _run(case=case, action="unpark", actor=actor, reason=note)


ACTIONS: dict[str, Callable[..., Case]] = {
    "verify": case_verify,
    "self_handle": case_self_handle,
    "file": case_file,
    "decline": case_decline,
    "withdraw": case_withdraw,
    "cancel": case_cancel,
    "dispatch": case_dispatch,
    "accept": case_accept,
    "return": case_return,
    "start": case_start,
    "request_extension": case_request_extension,
    "grant_extension": case_grant_extension,
    "refuse_extension": case_refuse_extension,
    "handle": case_handle,
    "check": case_check,
    "rework": case_rework,
    "close": case_close,
    "rate": case_rate,
    "reopen": case_reopen,
    "park": case_park,
    "unpark": case_unpark,
}
assert set(ACTIONS) == set(TABLE), "every transition has exactly one service"
