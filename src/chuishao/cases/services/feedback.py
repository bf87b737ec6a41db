"""Closing the loop with the reporter: the rating, and reopening for rework when they are not satisfied."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from chuishao import clock
from chuishao.actors import SYSTEM
from chuishao.cases.errors import CaseConflict, CaseInvalid
from chuishao.cases.models import Case, CaseAssignment, Resolution, Satisfaction
from chuishao.cases.services.engine import run_transition


def case_rate(*, case: Case | int, actor: Any, satisfaction: str, resolution: str, comment: str = "") -> Case:
    """The reporter's verdict (or the centre's record of a callback): satisfaction and resolution.

    An unsatisfied verdict within the reopen window reopens the case for rework at once
    (``CHUISHAO_REOPEN_ON_UNSATISFIED``), as a second event by the system.
    """
    if satisfaction not in Satisfaction.values:
        raise CaseInvalid(_("Satisfaction must be one of %(v)s.") % {"v": ", ".join(Satisfaction.values)})
    if resolution not in Resolution.values:
        raise CaseInvalid(_("Resolution must be one of %(v)s.") % {"v": ", ".join(Resolution.values)})

    def change(c: Case, now: dt.datetime) -> dict:
        if c.rating_expired:
            raise CaseConflict(
                _("The time to rate case %(number)s has passed; it is counted as unrated.")
                % {"number": c.number}
            )
        c.satisfaction, c.resolution, c.rating_comment = satisfaction, resolution, comment.strip()
        c.rated_at, c.sweep_at = now, None
        return {}

    with transaction.atomic():
        rated = run_transition(case=case, action="rate", actor=actor, reason=comment, change=change)
        if (
            satisfaction == Satisfaction.UNSATISFIED
            and settings.CHUISHAO_REOPEN_ON_UNSATISFIED
            and _within_reopen_window(rated, clock.now())
        ):
            return case_reopen(case=rated.pk, actor=SYSTEM, reason=_("The reporter is not satisfied."))
    return rated


def _within_reopen_window(c: Case, now: dt.datetime) -> bool:
    window = dt.timedelta(days=settings.CHUISHAO_REOPEN_WINDOW_DAYS)
    return c.closed_at is None or now - c.closed_at <= window


def case_reopen(*, case: Case | int, actor: Any, reason: str) -> Case:
    """Reopen a closed case for rework; allowed after an unsatisfied rating within the reopen window."""

    def change(c: Case, now: dt.datetime) -> dict:
        if c.satisfaction != Satisfaction.UNSATISFIED:
            raise CaseInvalid(_("Only a case rated unsatisfied can be reopened."))
        if not _within_reopen_window(c, now):
            raise CaseInvalid(
                _("The reopen window of %(days)s days has passed.")
                % {"days": settings.CHUISHAO_REOPEN_WINDOW_DAYS}
            )
        c.reopen_count += 1
        c.lead_org = None
        CaseAssignment.objects.filter(case=c, active=True).update(active=False)
        # The old verdict stays in the rate event; the reporter is asked again when it closes next.
        c.satisfaction, c.resolution, c.rating_comment, c.rated_at = "", "", "", None
        return {}

    return run_transition(case=case, action="reopen", actor=actor, reason=reason, change=change)
