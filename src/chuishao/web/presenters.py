"""How cases read on a page: deadline colours and the timeline in plain words."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from chuishao.cases.models import Case, Status
from chuishao.cases.transitions import TABLE
from chuishao.events.models import Event
from chuishao.orgs.models import Role
from chuishao.web.reads import memberships_of

# The share of a deadline after which a case turns yellow.
WARN_AT = 0.8

VERB_WORDS = {
    "case.reported": _("reported the problem"),
    "case.verify": _("verified it on site"),
    "case.self_handle": _("fixed it on the spot"),
    "case.file": _("filed the case"),
    "case.decline": _("declined to file the case"),
    "case.withdraw": _("withdrew the report"),
    "case.cancel": _("cancelled the case"),
    "case.dispatch": _("dispatched the case"),
    "case.accept": _("signed for the case"),
    "case.return": _("returned the case to the dispatcher"),
    "case.start": _("started work"),
    "case.request_extension": _("asked for more time"),
    "case.grant_extension": _("granted more time"),
    "case.refuse_extension": _("refused more time"),
    "case.handle": _("reported the work done"),
    "case.check": _("checked the work on site"),
    "case.rework": _("sent the work back to be redone"),
    "case.close": _("closed the case"),
    "case.rate": _("rated the outcome"),
    "case.reopen": _("reopened the case"),
    "case.park": _("parked the case"),
    "case.unpark": _("resumed the parked case"),
}

ACTION_WORDS = {
    "verify": _("Verify on site"),
    "self_handle": _("Fixed it on the spot"),
    "file": _("File"),
    "decline": _("Decline"),
    "withdraw": _("Withdraw my report"),
    "cancel": _("Cancel the case (作废)"),
    "dispatch": _("Dispatch"),
    "accept": _("Sign for it"),
    "return": _("Return to dispatcher"),
    "start": _("Start work"),
    "request_extension": _("Ask for more time"),
    "grant_extension": _("Grant more time"),
    "refuse_extension": _("Refuse more time"),
    "handle": _("Report the work done"),
    "check": _("Check passed"),
    "rework": _("Send back for rework"),
    "close": _("Close the case"),
    "rate": _("Rate"),
    "reopen": _("Reopen"),
    "park": _("Park"),
    "unpark": _("Resume"),
}


def deadline_state(case: Case, now: dt.datetime) -> str:
    """``red`` past the deadline, ``yellow`` from 80 % of it (measured from the last change), else
    ``green``; empty when no deadline runs."""
    if case.deadline_at is None or not case.is_open:
        return ""
    if now >= case.deadline_at:
        return "red"
    start = case.updated_at or case.created_at
    span = (case.deadline_at - start).total_seconds()
    if span <= 0 or (now - start).total_seconds() / span >= WARN_AT:
        return "yellow"
    return "green"


def expected_by(case: Case) -> dt.datetime | None:
    """What a resident waits for: the handling deadline once the case is dispatched, else the current
    stage's deadline."""
    if not case.is_open:
        return None
    handle = (case.deadlines or {}).get("handle") or {}
    if handle.get("due") and not handle.get("met"):
        return dt.datetime.fromisoformat(handle["due"])
    return case.deadline_at


def status_label(value: Any) -> str:
    return str(Status(value).label) if value in Status.values else ""


@dataclass
class Step:
    when: dt.datetime
    who: str
    what: str
    reason: str
    before: str
    after: str


def _public_who(event: Event, case: Case, people: dict) -> str:
    """An office or role, never a staff member's name."""
    if event.verb == "case.reported" and (event.actor_id is None or event.actor_id == case.reporter_id):
        return str(_("the reporter"))
    if event.actor_id is None:
        return str(_("the reporter")) if "reporter" in event.actor_label else str(_("the system"))
    if event.actor_id == case.reporter_id:
        return str(_("the reporter"))
    transition = TABLE.get(event.verb.removeprefix("case."))
    roles = transition.roles if transition else None
    for m in people.get(event.actor_id, []):
        if roles is not None and m.role not in roles:
            continue
        if m.role == Role.DEPARTMENT_STAFF and m.organisation is not None:
            return m.organisation.name
        if m.node is not None:
            return f"{m.node.name} · {m.get_role_display()}"
        return str(m.get_role_display())
    return str(_("staff"))


PUBLIC_REASONS = {
    "case.decline",
    "case.handle",
    "case.withdraw",
    "case.rate",
    "case.self_handle",
    "case.reopen",
}


def timeline(events: list[Event], case: Case, *, public: bool) -> list[Step]:
    """Events as steps: when, who (an office for the public, a person for staff), what, why."""
    people = memberships_of({e.actor_id for e in events if e.actor_id})
    steps = []
    for e in events:
        role_or_office = _public_who(e, case, people)
        # Staff see which colleague acted; a reporter is never named (their login may be their phone).
        by_reporter = e.actor_id is None or e.actor_id == case.reporter_id
        who = role_or_office if public or by_reporter else f"{e.actor_label} ({role_or_office})"
        steps.append(
            Step(
                when=e.created_at,
                who=who,
                what=str(VERB_WORDS.get(e.verb, e.verb)),
                # Reasons between offices (returns, parking, refusals) stay inside; the public sees why
                # its case was declined, what was done and its own words.
                reason=e.reason if not public or e.verb in PUBLIC_REASONS else "",
                before=status_label((e.before or {}).get("status")),
                after=status_label((e.after or {}).get("status")),
            )
        )
    return steps
