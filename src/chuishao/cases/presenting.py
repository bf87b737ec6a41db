"""How a case reads to people, whatever the interface: its deadline colour, what a resident waits for,
and its timeline's words and offices. The web pages and the API both read cases through these rules,
so a case never says one thing on its page and another through the API.

A person without a staff role sees offices, never staff names; a reporter is never named; reasons
between offices stay with staff.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext_lazy as _

from chuishao.actors import label_display
from chuishao.cases.models import Case, Status
from chuishao.cases.transitions import TABLE
from chuishao.events.models import Event
from chuishao.orgs.models import Membership, Role

# The share of a deadline after which a case turns yellow before the sweep has coloured it.
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
    "case.refer": _("passed the case to the street (上交街道)"),
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
    "case.volunteer_task": _("asked registered party members to help as volunteers (双报到)"),
    "case.anonymised": _("removed the reporter's personal data"),
    "case.data_exported": _("the reporter downloaded their data"),
}

# What a colour change (case.warned) says, by the colour the sweep wrote.
WARN_WORDS = {
    "yellow": _("80 per cent of the time is used: the case turned yellow"),
    "red": _("the deadline passed: the case turned red"),
}

# Reasons the public sees: why its case was declined, what was done, its own words.
PUBLIC_REASONS = {
    "case.decline",
    "case.handle",
    "case.withdraw",
    "case.rate",
    "case.self_handle",
    "case.reopen",
}


def deadline_colour(case: Case, now: dt.datetime) -> str:
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
    stage's deadline; None once the case is finished."""
    if not case.is_open:
        return None
    handle = (case.deadlines or {}).get("handle") or {}
    if handle.get("due") and not handle.get("met"):
        return dt.datetime.fromisoformat(handle["due"])
    return case.deadline_at


def status_label(value: Any) -> str:
    return str(Status(value).label) if value in Status.values else ""


def event_words(event: Event) -> str:
    """What an event did, in the reader's language."""
    if event.verb == "case.warned":
        level = (event.after or {}).get("warn_level")
        if level in WARN_WORDS:
            return str(WARN_WORDS[level])
    return str(VERB_WORDS[event.verb]) if event.verb in VERB_WORDS else event.verb


def reason_shown(event: Event, *, public: bool) -> str:
    """An event's words on a timeline: reasons between offices (returns, parking, refusals) stay inside,
    the public sees why its case was declined, what was done and its own words; an erased text says so.
    """
    if public and event.verb not in PUBLIC_REASONS:
        return ""
    if event.text_erased:
        return str(_("(erased)"))
    return event.reason


def actor_shown(event: Event, office: str) -> str:
    """Who acted, for staff: the colleague's login and office; a resident by number, never by login."""
    return f"{label_display(event.actor_label)} ({office})"


def memberships_of(person_ids: set[int]) -> dict[int, list[Membership]]:
    """Active memberships of these people with their organisation and node (one query)."""
    found: dict[int, list[Membership]] = {}
    if not person_ids:
        return found
    rows = Membership.objects.filter(person_id__in=person_ids, active=True).select_related(
        "organisation", "node"
    )
    for m in rows:
        found.setdefault(m.person_id, []).append(m)
    return found


def reporter_of(case: Case, events: list[Event]) -> int | None:
    """The reporting account: the case's, or — once anonymising dropped the link (retention, erasure) —
    the account the report event names. A case reported for someone (a hotline call) had no reporter
    account and still has none: its operator stays a colleague."""
    if case.reporter_id is not None:
        return case.reporter_id
    dropped = any(
        e.verb == "case.anonymised" and "reporter" in (e.after or {}).get("dropped", []) for e in events
    )
    if not dropped:
        return None
    return next((e.actor_id for e in events if e.verb == "case.reported"), None)


def office_of(
    event: Event, case: Case, people: dict[int, list[Membership]], reporter_id: int | None = None
) -> str:
    """Who acted, as an office or role, never a staff member's name; the reporter is "the reporter".

    ``people`` are the actors' memberships (``memberships_of``); the role the event's transition
    needs picks the membership when a person holds several.
    """
    if event.actor_id is None:
        if event.verb == "case.reported" or "reporter" in event.actor_label:
            return str(_("the reporter"))
        return str(_("the system"))
    if event.actor_id == (reporter_id if reporter_id is not None else case.reporter_id):
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
