"""How cases read on a page: deadline colours and the timeline in plain words."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from chuishao.cases.models import Case, Status
from chuishao.cases.transitions import TABLE
from chuishao.events.models import Event
from chuishao.geo.models import Jurisdiction
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
    "case.arbitrate": _("arbitrated who owns the case"),
    "case.whistled": _("called in the departments to solve it together (吹哨)"),
    "case.warned": _("the deadline colour changed"),
    "case.escalated": _("the deadline passed: the case went up a level"),
    "case.feedback_expired": _("no rating came in time: the case counts as unrated"),
    "case.supervised": _("put the case under supervision (督办)"),
    "case.chased": _("urged the owner to get on with it (催办)"),
}

# What a colour change (case.warned) says, by the colour the sweep wrote.
WARN_WORDS = {
    "yellow": _("80 per cent of the time is used: the case turned yellow"),
    "red": _("the deadline passed: the case turned red"),
}

# The whistle's own history (its event chain), for the board.
WHISTLE_VERB_WORDS = {
    "whistle.blown": _("blew the whistle"),
    "whistle.joined": _("a street joined the whistle"),
    "whistle.summoned": _("summoned a department"),
    "whistle.acknowledged": _("acknowledged the summons"),
    "whistle.checked_in": _("reported on site"),
    "whistle.acted": _("recorded what it did"),
    "whistle.done": _("confirmed the matter is done"),
    "whistle.released": _("released a department"),
    "whistle.cancelled": _("called the whistle off"),
    "whistle.rated": _("rated a department"),
    "whistle.summons_overdue": _("a department missed a report deadline"),
}

# How a summons met a deadline (``whistle_board`` verdicts).
VERDICT_WORDS = {
    "on_time": _("on time"),
    "late": _("late"),
    "overdue": _("overdue"),
    "pending": _("pending"),
    "n/a": _("—"),
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
    "arbitrate": _("Arbitrate: name the owner"),
}


def deadline_state(case: Case, now: dt.datetime) -> str:
    """``red`` past the deadline, ``yellow`` from 80 % of it (measured from the last change), else
    ``green``; empty when no deadline runs."""
    if case.deadline_at is None or not case.is_open:
        return ""
    # The sweep's colour wins: it is what the desk filters by and what escalation acted on.
    if now >= case.deadline_at or case.warn_level == "red":
        return "red"
    if case.warn_level == "yellow":
        return "yellow"
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
    detail: str = ""


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


def _detail(event: Event, places: dict[int, str], public: bool) -> str:
    """What an event adds to its words: the colour, where it went up to, which whistle."""
    after = event.after or {}
    if event.verb == "case.escalated":
        return str(_("to %(place)s") % {"place": places.get(after.get("escalated_to_id"), "—")})
    if event.verb == "case.whistled" and not public:
        joint = str(_("joint whistle")) if after.get("joint") else ""
        return " · ".join(x for x in (after.get("whistle_number", ""), joint) if x)
    if event.verb == "case.chased" and not public:
        return str(_("reminder %(n)s") % {"n": after.get("chase_count", "")})
    return ""


def _what(event: Event) -> Any:
    if event.verb == "case.warned":
        level = (event.after or {}).get("warn_level")
        return WARN_WORDS.get(level, VERB_WORDS["case.warned"])
    return VERB_WORDS.get(event.verb, event.verb)


def timeline(events: list[Event], case: Case, *, public: bool) -> list[Step]:
    """Events as steps: when, who (an office for the public, a person for staff), what, why."""
    people = memberships_of({e.actor_id for e in events if e.actor_id})
    targets = {(e.after or {}).get("escalated_to_id") for e in events if e.verb == "case.escalated"}
    places = dict(Jurisdiction.objects.filter(pk__in=targets - {None}).values_list("pk", "name"))
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
                what=str(_what(e)),
                # Reasons between offices (returns, parking, refusals) stay inside; the public sees why
                # its case was declined, what was done and its own words.
                reason=e.reason if not public or e.verb in PUBLIC_REASONS else "",
                before=status_label((e.before or {}).get("status")),
                after=status_label((e.after or {}).get("status")),
                detail=_detail(e, places, public),
            )
        )
    return steps


def whistle_history(events: list[Event], orgs: dict[int, str], streets: dict[int, str]) -> list[Step]:
    """The whistle's chain in plain words for staff: who did what, to which department or street."""
    steps = []
    for e in events:
        after = e.after or {}
        about = orgs.get(after.get("organisation_id")) or streets.get(after.get("street_id"), "")
        if e.verb == "whistle.blown":
            about = ""
        steps.append(
            Step(
                when=e.created_at,
                who=e.actor_label,
                what=str(WHISTLE_VERB_WORDS.get(e.verb, e.verb)),
                reason=e.reason,
                before="",
                after="",
                detail=about,
            )
        )
    return steps
