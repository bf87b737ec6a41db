"""Oversight by a higher level on any open case in its scope: supervision (督办) and chasing (催办).

Neither changes the case's state. Supervision marks the case as watched by the level above (it stays
marked until the case ends) and chasing counts reminders; both append an event that reaches the
owner through notifications.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from chuishao import clock
from chuishao.cases.errors import CaseConflict, CaseInvalid, CaseNotFound, CasePermissionDenied
from chuishao.cases.models import Case
from chuishao.cases.scopes import acting_grant, actor_can_see_case
from chuishao.cases.transitions import TERMINAL
from chuishao.events.services import event_append
from chuishao.orgs.models import Role

SUPERVISORS = frozenset({Role.DISTRICT_CENTRE, Role.CITY_CENTRE, Role.LEADER})
CHASERS = SUPERVISORS | {Role.STREET_DISPATCHER}


def _oversee(*, case: Case | int, actor: Any, roles: frozenset[str], verb: str, note: str, change) -> Case:
    note = (note or "").strip()
    if not note:
        raise CaseInvalid(_("Say what you expect of the owner."))
    pk = case.pk if isinstance(case, Case) else case
    with transaction.atomic():
        locked = Case.objects.select_for_update().filter(pk=pk).first()
        if locked is None or not actor_can_see_case(actor, locked):
            raise CaseNotFound(_("No case %(ref)s that you can see.") % {"ref": pk})
        grant = acting_grant(actor, locked, roles)
        if grant is None:
            raise CasePermissionDenied(
                _("Only a higher level may do this on case %(number)s.") % {"number": locked.number}
            )
        if locked.status in TERMINAL:
            raise CaseConflict(_("Case %(number)s is finished.") % {"number": locked.number})
        now = clock.now()
        after = change(locked)
        locked.updated_at = now
        locked.save(update_fields=[*after.keys(), "updated_at"])
        event_append(
            verb=verb,
            actor=actor,
            case=locked,
            after=after
            | {"by_level": grant.node_kind, "lead_org_id": locked.lead_org_id, "stage": locked.stage},
            reason=note,
            at=now,
        )
    return locked


def case_supervise(*, case: Case | int, actor: Any, note: str) -> Case:
    """The district or city centre (or a leader) puts the case under supervision (督办)."""

    def change(c: Case) -> dict:
        if c.supervised:
            raise CaseConflict(_("Case %(number)s is already under supervision.") % {"number": c.number})
        c.supervised = True
        return {"supervised": True}

    return _oversee(
        case=case, actor=actor, roles=SUPERVISORS, verb="case.supervised", note=note, change=change
    )


def case_chase(*, case: Case | int, actor: Any, note: str) -> Case:
    """A higher level reminds the owner to get on with it (催办); every reminder is counted."""

    def change(c: Case) -> dict:
        c.chase_count += 1
        return {"chase_count": c.chase_count}

    return _oversee(case=case, actor=actor, roles=CHASERS, verb="case.chased", note=note, change=change)
