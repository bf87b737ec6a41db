"""How cases read on a page: the timeline in plain words, the whistle board's words, the buttons.

The rules a case reads by everywhere (deadline colour, offices, public reasons) are the domain's
(``cases.presenting``); these are the page's own words around them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from chuishao.actors import label_display
from chuishao.cases.models import Case
from chuishao.cases.presenting import (
    actor_shown,
    event_words,
    memberships_of,
    office_of,
    reason_shown,
    reporter_of,
    status_label,
)
from chuishao.events.models import Event
from chuishao.geo.models import Jurisdiction

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
    "refer": _("Pass to the street (上交街道)"),
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


@dataclass
class Step:
    when: dt.datetime
    who: str
    what: str
    reason: str
    before: str
    after: str
    detail: str = ""


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


def timeline(events: list[Event], case: Case, *, public: bool) -> list[Step]:
    """Events as steps: when, who (an office for the public, a person for staff), what, why."""
    people = memberships_of({e.actor_id for e in events if e.actor_id})
    targets = {(e.after or {}).get("escalated_to_id") for e in events if e.verb == "case.escalated"}
    places = dict(Jurisdiction.objects.filter(pk__in=targets - {None}).values_list("pk", "name"))
    reporter_id = reporter_of(case, events)
    steps = []
    for e in events:
        role_or_office = office_of(e, case, people, reporter_id)
        # Staff see which colleague acted; a reporter is never named (their login may be their phone).
        by_reporter = e.actor_id is None or e.actor_id == reporter_id
        who = role_or_office if public or by_reporter else actor_shown(e, role_or_office)
        steps.append(
            Step(
                when=e.created_at,
                who=who,
                what=event_words(e),
                reason=reason_shown(e, public=public),
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
                who=label_display(e.actor_label),
                what=str(WHISTLE_VERB_WORDS.get(e.verb, e.verb)),
                reason=reason_shown(e, public=False),
                before="",
                after="",
                detail=about,
            )
        )
    return steps
