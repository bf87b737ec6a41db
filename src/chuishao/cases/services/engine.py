"""The engine that executes one row of the transition table on one case.

``run_transition`` locks the case row, checks the actor can see the case, that one of the actor's
roles may take the action and that the case's state allows it; then it writes the change with
``update_fields`` and appends one event in the same transaction. Every case action goes through it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from chuishao import clock
from chuishao.actors import SystemActor
from chuishao.cases.deadlines import enter_stage, meet_stage
from chuishao.cases.errors import CaseConflict, CaseInvalid, CaseNotFound, CasePermissionDenied
from chuishao.cases.models import Case
from chuishao.cases.models import Status as S
from chuishao.cases.scopes import acting_grant, actor_can_see_case
from chuishao.cases.transitions import STAGE_OF_STATUS, TABLE, TERMINAL, Transition
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
    "reopen_count",
    "dispatcher_node_id",
    "arbitrated_org_id",
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
    "reopen_count",
    "duplicate_of",
    "dispatcher_node",
    "arbitrated_org",
    "warn_level",
    "yellow_at",
    "escalated_to",
    "escalation_count",
    "filed_at",
    "sweep_at",
    "rated_at",
    "closed_at",
    "updated_at",
]


def _snapshot(case: Case) -> dict[str, Any]:
    return {f: getattr(case, f) for f in TRACKED}


def _diff(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict, dict]:
    changed = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in changed}, {k: after[k] for k in changed}


def authorise(*, actor: Any, case: Case, transition: Transition) -> None:
    """Raise unless ``actor`` may take ``transition`` on ``case`` now (scope, then role, then state).

    The system (a rule such as reopening on an unsatisfied rating) is checked against the state only.
    """
    if isinstance(actor, SystemActor):
        if case.status not in transition.sources:
            raise _conflict(case, transition)
        return
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
    if not _lead_kind_fits(case, transition):
        raise CasePermissionDenied(
            _("Only a case led by %(kinds)s may be %(action)s: case %(number)s is not.")
            % {
                "kinds": ", ".join(sorted(transition.lead_kinds)),
                "action": transition.action,
                "number": case.number,
            }
        )


def _lead_kind_fits(case: Case, transition: Transition) -> bool:
    """Whether the case's lead organisation is of a kind the transition requires (if it requires one)."""
    if not transition.lead_kinds:
        return True
    if case.lead_org_id is None:
        return False
    return Organisation.objects.filter(pk=case.lead_org_id, kind__in=transition.lead_kinds).exists()


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
        if case.status in t.sources
        and acting_grant(actor, case, t.roles, lead_only=t.lead_only) is not None
        and _lead_kind_fits(case, t)
    ]


def run_transition(
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
        target = extra.get("_target") or transition.target or locked.resume_status or S.FILED
        if transition.target is None:
            locked.resume_status = ""
        locked.status = target
        if "stage" not in extra.get("_handled", ()):
            stage = STAGE_OF_STATUS.get(target)
            # Handling keeps one clock from acceptance to the report, whatever happens in between.
            if not (stage == "handle" and old_stage == "handle"):
                meet_stage(locked, at=now)
                enter_stage(locked, stage, start=now)
        if transition.verb == "case.file" and locked.filed_at is None:
            locked.filed_at = now  # the evaluation's "filed" (evaluation.counting)
        if target in TERMINAL and locked.closed_at is None:
            locked.closed_at = now
        if target == S.REOPENED:
            locked.closed_at = None
        if target == S.CLOSED:
            # The reporter is asked to rate; the sweep records an unanswered request when the window ends.
            locked.sweep_at = now + dt.timedelta(days=settings.CHUISHAO_FEEDBACK_WINDOW_DAYS)
        locked.updated_at = now
        locked.save(update_fields=MUTABLE)
        after = _snapshot(locked)
        b, a = _diff(before, after)
        a.update({k: v for k, v in extra.items() if not k.startswith("_")})
        event_append(verb=transition.verb, actor=actor, case=locked, before=b, after=a, reason=reason, at=now)
    return locked
