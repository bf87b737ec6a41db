"""Moving a case through the transition table: one function per action (ownership in ``dispatch``,
the reporter's verdict in ``feedback``), and ``case_act`` that takes any of them by name.

Each function locks the case row, checks the actor can see the case, that one of the actor's roles
may take the action, and that the case's state allows it; then it writes the change with
``update_fields`` and appends one event in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from chuishao.cases.deadlines import enter_stage, meet_stage
from chuishao.cases.errors import CaseConflict, CaseInvalid
from chuishao.cases.media import check_media
from chuishao.cases.models import Case, CaseMedia
from chuishao.cases.models import Status as S
from chuishao.cases.services.dispatch import (
    case_accept,
    case_arbitrate,
    case_dispatch,
    case_grant_extension,
    case_refer,
    case_refuse_extension,
    case_request_extension,
    case_return,
)
from chuishao.cases.services.engine import allowed_actions, run_transition
from chuishao.cases.services.feedback import case_rate, case_reopen
from chuishao.cases.transitions import TABLE


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
    return run_transition(case=case, action="verify", actor=actor, reason=note)


def case_self_handle(*, case: Case | int, actor: Any, note: str = "") -> Case:
    if not note.strip():
        raise CaseInvalid(_("Say what you did to handle it yourself."))
    return run_transition(case=case, action="self_handle", actor=actor, reason=note)


def case_file(*, case: Case | int, actor: Any, note: str = "") -> Case:
    return run_transition(case=case, action="file", actor=actor, reason=note)


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

    return run_transition(case=case, action="decline", actor=actor, reason=reason, change=change)


def case_withdraw(*, case: Case | int, actor: Any, reason: str) -> Case:
    return run_transition(case=case, action="withdraw", actor=actor, reason=reason)


def case_cancel(*, case: Case | int, actor: Any, reason: str) -> Case:
    return run_transition(case=case, action="cancel", actor=actor, reason=reason)


def case_start(*, case: Case | int, actor: Any) -> Case:
    return run_transition(case=case, action="start", actor=actor)


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
    # Staff evidence keeps its position: it shows the work was done on the spot.
    files = check_media(list(evidence), keep_location=True)

    def change(c: Case, now: dt.datetime) -> dict:
        return {"media": _attach(c, files, purpose="handling", actor=actor, now=now)}

    return run_transition(case=case, action="handle", actor=actor, reason=result, change=change)


def case_check(*, case: Case | int, actor: Any, note: str = "", evidence: Iterable[Any] = ()) -> Case:
    files = check_media(list(evidence), keep_location=True)
    return run_transition(
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

    return run_transition(case=case, action="rework", actor=actor, reason=reason, change=change)


def case_close(*, case: Case | int, actor: Any, note: str = "") -> Case:
    return run_transition(case=case, action="close", actor=actor, reason=note)


def case_park(*, case: Case | int, actor: Any, reason: str) -> Case:
    """Park a case (挂账: season, funding): it stays open and leaves the on-time counts."""

    def change(c: Case, now: dt.datetime) -> dict:
        c.resume_status = c.status
        # The running stage is suspended, not met: it must not count as finished on time.
        enter_stage(c, None, start=now)
        return {"_handled": ("stage",)}

    return run_transition(case=case, action="park", actor=actor, reason=reason, change=change)


def case_unpark(*, case: Case | int, actor: Any, note: str = "") -> Case:
    """Resume a parked case where it was; its running stage starts afresh from now."""
    return run_transition(case=case, action="unpark", actor=actor, reason=note)


ACTIONS: dict[str, Callable[..., Case]] = {
    "verify": case_verify,
    "self_handle": case_self_handle,
    "file": case_file,
    "decline": case_decline,
    "withdraw": case_withdraw,
    "cancel": case_cancel,
    "dispatch": case_dispatch,
    "arbitrate": case_arbitrate,
    "accept": case_accept,
    "return": case_return,
    "refer": case_refer,
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

__all__ = ["ACTIONS", "allowed_actions", "case_act"]
