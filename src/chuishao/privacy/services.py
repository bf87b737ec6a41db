"""Dropping and handing back a resident's personal data (PIPL: retention, export, erasure).

What counts as personal data of a case: the reporter's account link, name, phone and e-mail, the
address typed with the report, contact details typed into the description or the rating comment, the
uploader of the report's photos, and the people named in grid visits linked to the case. What stays:
the category, the place (grid and the chain above it, the point rounded to about 100 m), the states,
deadlines, ratings and every event — so evaluations give the same figures before and after.

Events keep no contact columns (intake records category and grid, visits record no names; see
``cases.services.intake`` and ``gridwork.services``) and name residents ``resident #<id>``, never by
login (``actors.actor_label``). Their free text is another matter: a rating comment, a reason typed by
the reporter, a staff note quoting the reporter's phone. Those texts are hashed into the chain through
a salted digest, so anonymising erases them (``events.services.texts_erase``) and the chain still
verifies; the ``case.anonymised`` event names the actor, which kinds of data went and which event
texts were erased, never the data. Events written before texts were erasable keep theirs (their hash
covers the text itself); the event counts them as ``legacy_texts_kept``.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from chuishao import clock
from chuishao.actors import RESIDENT_PREFIX, FollowLinkActor
from chuishao.cases.models import Case, CaseMedia
from chuishao.cases.transitions import TERMINAL
from chuishao.events.models import Event
from chuishao.events.services import Erased, event_append, texts_erase
from chuishao.gridwork.models import Visit
from chuishao.orgs.models import Membership, Profile, Role

# Two years after closing: the year in which a case closes and the next are evaluated and reviewed
# (year-end rankings, repeat complaints about the same matter, a reopened case's callbacks); after that
# the reporter's contact serves no purpose the case still has. Cities set their own period.
DEFAULT_RETENTION_DAYS = 730
BATCH = 200
# About 110 m: a retained point still shows the neighbourhood, not the door.
POINT_DECIMALS = 3

EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# Runs of digits (with spaces or dashes) long enough to be a phone number; dates are left alone.
PHONE = re.compile(r"(?<![0-9])\+?[0-9][0-9\- ]{5,18}[0-9](?![0-9])")
DATE = re.compile(r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?![0-9])")
CONTACT_FIELDS = ("reporter_name", "reporter_phone", "reporter_email", "address")
VISIT_FIELDS = ("person_name", "person_phone", "household")


class PrivacyError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def retention_days() -> int:
    """The retention period in days (``CHUISHAO_RETENTION_DAYS``, read from the environment by the
    settings); 0 turns the job off."""
    return max(int(getattr(settings, "CHUISHAO_RETENTION_DAYS", DEFAULT_RETENTION_DAYS)), 0)


def scrub_contacts(text: str) -> str:
    """``text`` with e-mail addresses and phone-like numbers replaced by asterisks."""
    if not text:
        return text

    return PHONE.sub(_phone, EMAIL.sub(lambda m: "*" * len(m.group(0)), text))


def _phone(match: re.Match[str]) -> str:
    found = match.group(0)
    date = DATE.match(found)
    if date:  # "2026-11-29 3号楼": keep the date, look at what follows it
        rest = found[date.end() :]
        return found[: date.end()] + PHONE.sub(_phone, rest)
    if sum(ch.isdigit() for ch in found) < 7:
        return found
    return "*" * len(found)


def _visits_with_people() -> QuerySet[Visit]:
    return Visit.objects.exclude(person_name="", person_phone="", household="")


def personal_q() -> Q:
    """Cases that still hold personal data in their columns or in visits linked to them."""
    q = Q(reporter__isnull=False) | Q(Exists(_visits_with_people().filter(case_id=OuterRef("pk"))))
    for name in CONTACT_FIELDS:
        q |= ~Q(**{name: ""})
    return q


# ----------------------------------------------------------------------------------- one case


def case_anonymise(*, case: Case | int, actor: Any, why: str) -> bool:
    """Drop the person from one case (``why``: "retention" or "erasure"); True when anything was dropped.

    The case keeps its category, place, states, deadlines, ratings and events; one ``case.anonymised``
    event names the actor and which kinds of data went, never the data. Idempotent: a second call finds
    nothing and appends nothing.
    """
    pk = case.pk if isinstance(case, Case) else case
    with transaction.atomic():
        row = Case.objects.select_for_update().get(pk=pk)
        reporter_id = row.reporter_id
        dropped: list[str] = []
        for name in CONTACT_FIELDS:
            if getattr(row, name):
                setattr(row, name, "")
                dropped.append(name)
        if row.reporter_id is not None:
            row.reporter = None
            dropped.append("reporter")
        for name in ("description", "rating_comment"):
            clean = scrub_contacts(getattr(row, name))
            if clean != getattr(row, name):
                setattr(row, name, clean)
                dropped.append(f"{name}_contacts")
        visits = 0
        for visit in Visit.objects.select_for_update().filter(case_id=row.pk):
            before = [getattr(visit, n) for n in (*VISIT_FIELDS, "discussed", "follow_up_note")]
            visit.person_name = visit.person_phone = visit.household = ""
            visit.discussed = scrub_contacts(visit.discussed)
            visit.follow_up_note = scrub_contacts(visit.follow_up_note)
            after = [getattr(visit, n) for n in (*VISIT_FIELDS, "discussed", "follow_up_note")]
            if after != before:
                visit.save(update_fields=[*VISIT_FIELDS, "discussed", "follow_up_note"])
                visits += 1
        erased = texts_erase(_personal_texts(row, reporter_id))
        if not dropped and not visits and not erased.ids:
            return False
        if row.lat is not None and row.lng is not None:
            row.lat, row.lng = round(row.lat, POINT_DECIMALS), round(row.lng, POINT_DECIMALS)
        # The old follow link no longer reaches the case: it was the person's key to it.
        row.follow_token = secrets.token_urlsafe(16)[:22]
        row.save(
            update_fields=[
                *CONTACT_FIELDS,
                "reporter",
                "description",
                "rating_comment",
                "lat",
                "lng",
                "follow_token",
            ]
        )
        CaseMedia.objects.filter(case_id=row.pk).exclude(uploaded_by=None).update(uploaded_by=None)
        event_append(
            verb="case.anonymised",
            actor=actor,
            case=row,
            after={"why": why, "dropped": sorted(dropped), "visits": visits, **erased.record()},
        )
    return True


def _personal_texts(case: Case, reporter_id: int | None) -> list[Event]:
    """The case's event texts not yet erased that may hold personal data: every text its reporter
    wrote (signed in or through the follow link), and staff texts quoting a phone number or e-mail
    address (whole: the digest commits to the text as written, so it cannot be partly scrubbed)."""
    events = list(
        Event.objects.filter(case_id=case.pk, text_erased=False)
        .exclude(reason="")
        .only("pk", "verb", "actor_id", "actor_label", "reason", "hash_version", "text_digest", "text_erased")
    )
    reporters = {reporter_id} - {None}
    # Once the account link is gone (an earlier anonymisation), the report event still names it.
    reporters |= set(
        Event.objects.filter(case_id=case.pk, verb="case.reported", actor_id__isnull=False)
        .filter(actor_label__startswith=RESIDENT_PREFIX)
        .values_list("actor_id", flat=True)
    )
    return [
        e
        for e in events
        if e.actor_id in reporters
        or (e.actor_id is None and e.actor_label == FollowLinkActor.label)
        or scrub_contacts(e.reason) != e.reason
    ]


# ----------------------------------------------------------------------------------- retention


@dataclass
class RetentionResult:
    days: int
    cutoff: dt.datetime | None
    found: int = 0
    anonymised: int = 0
    numbers: list[str] = field(default_factory=list)


def retention_candidates(*, days: int, now: dt.datetime | None = None) -> QuerySet[Case]:
    """Finished cases closed (or, never closed, last changed) more than ``days`` ago that still hold
    personal data."""
    cutoff = (now or clock.now()) - dt.timedelta(days=days)
    return (
        Case.objects.filter(status__in=TERMINAL)
        .filter(Q(closed_at__lt=cutoff) | Q(closed_at__isnull=True, updated_at__lt=cutoff))
        .filter(personal_q())
        .order_by("pk")
    )


def retention_run(
    *, days: int | None = None, batch: int = BATCH, dry_run: bool = False, now: dt.datetime | None = None
) -> RetentionResult:
    """Anonymise every case past the retention period, ``batch`` cases per query, one transaction per
    case (short locks; a case that changed meanwhile is re-read under its lock). Safe to run twice or
    on two workers at once: a case already anonymised no longer matches."""
    from chuishao.actors import SystemActor

    days = retention_days() if days is None else days
    now = now or clock.now()
    result = RetentionResult(days=days, cutoff=now - dt.timedelta(days=days) if days else None)
    if not days:
        return result
    actor = SystemActor(label="retention job")
    last = 0
    while True:
        ids = list(
            retention_candidates(days=days, now=now).filter(pk__gt=last).values_list("pk", flat=True)[:batch]
        )
        if not ids:
            break
        last = ids[-1]
        result.found += len(ids)
        if dry_run:
            result.numbers += list(Case.objects.filter(pk__in=ids).values_list("number", flat=True))
            continue
        for pk in ids:
            if case_anonymise(case=pk, actor=actor, why="retention"):
                result.anonymised += 1
    return result


# ----------------------------------------------------------------------------------- export


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _case_data(case: Case, *, own_words_of: int | None) -> dict[str, Any]:
    events = Event.objects.filter(case_id=case.pk).order_by("seq")
    if own_words_of is not None:
        events = events.filter(actor_id=own_words_of)
    else:
        events = events.filter(actor_id=None, actor_label=FollowLinkActor.label)
    return {
        "number": case.number,
        "reported_at": _iso(case.created_at),
        "status": case.status,
        "category": {"code": case.category.full_code, "name": case.category.name},
        "description": case.description,
        "address": case.address,
        "lat": case.lat,
        "lng": case.lng,
        "anonymous": case.anonymous,
        "contact": {"name": case.reporter_name, "phone": case.reporter_phone, "email": case.reporter_email},
        "closed_at": _iso(case.closed_at),
        "rating": {
            "satisfaction": case.satisfaction,
            "resolution": case.resolution,
            "comment": case.rating_comment,
            "rated_at": _iso(case.rated_at),
        },
        "your_steps": [{"at": _iso(e.created_at), "what": e.verb, "words": e.reason} for e in events],
    }


def _roles(person: Any) -> list[str]:
    return sorted(set(Membership.objects.filter(person=person, active=True).values_list("role", flat=True)))


def person_export(*, person: Any) -> dict[str, Any]:
    """Everything Chuishao holds about ``person`` as a reporter, for them alone (the caller checked
    that the actor is ``person``); records a ``privacy.exported`` event without the data."""
    profile = Profile.objects.filter(person=person).first()
    cases = list(Case.objects.filter(reporter=person).select_related("category").order_by("created_at"))
    data = {
        "exported_at": _iso(clock.now()),
        "account": {
            "username": person.get_username(),
            "display_name": profile.display_name if profile else "",
            "phone": profile.phone if profile else "",
            "email": person.email,
            "joined": _iso(person.date_joined),
            "last_login": _iso(person.last_login),
            "roles": _roles(person),
        },
        "cases": [_case_data(c, own_words_of=person.pk) for c in cases],
    }
    with transaction.atomic():
        event_append(
            verb="privacy.exported", actor=person, chain=f"privacy:{person.pk}", after={"cases": len(cases)}
        )
    return data


def case_export(*, case: Case) -> dict[str, Any]:
    """One case's data for the anonymous reporter holding its follow link (the caller checked the
    token); records a ``case.data_exported`` event on the case."""
    with transaction.atomic():
        row = Case.objects.select_for_update().select_related("category").get(pk=case.pk)
        data = {"exported_at": _iso(clock.now()), "cases": [_case_data(row, own_words_of=None)]}
        event_append(verb="case.data_exported", actor=FollowLinkActor(case_id=row.pk), case=row)
    return data


# ----------------------------------------------------------------------------------- erasure


@dataclass
class ErasureResult:
    cases: int
    anonymised: int


def erasure_refused(person: Any) -> str:
    """Why ``person`` cannot erase their account here ("" when they can)."""
    staff = Membership.objects.filter(person=person, active=True).exclude(role=Role.RESIDENT)
    if staff.exists() or person.is_staff or person.is_superuser:
        return _(
            "Your account also holds a staff role; ask your administrator to close it. Your reports can "
            "still be erased one by one through their follow links."
        )
    return ""


def person_erase(*, person: Any) -> ErasureResult:
    """The resident's own erasure request, carried out at once: their account is closed and renamed,
    their profile emptied, and every case they reported is anonymised (the case stays, the person goes).

    Events name a resident by their account's id (``resident #<id>``), so none of them held the login;
    every text they wrote into events is erased: their cases' with the cases, any other here, and the
    ``privacy.erased`` event lists the latter.
    """
    refused = erasure_refused(person)
    if refused:
        raise PrivacyError(refused)
    User = get_user_model()
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=person.pk)
        user.username = f"erased-{user.pk}"
        user.first_name = user.last_name = user.email = ""
        user.is_active = False
        user.set_unusable_password()
        user.save()
        Profile.objects.filter(person=user).update(display_name="", phone="")
        ids = list(Case.objects.filter(reporter=user).order_by("pk").values_list("pk", flat=True))
        anonymised = sum(case_anonymise(case=pk, actor=user, why="erasure") for pk in ids)
        # What they wrote anywhere else (a wish, a reason on someone else's chain); their cases' texts
        # went with the cases above.
        own: Erased = texts_erase(
            Event.objects.filter(actor_id=user.pk, text_erased=False).exclude(text_digest="")
        )
        event_append(
            verb="privacy.erased",
            actor=user,
            chain=f"privacy:{user.pk}",
            after={"cases": len(ids), **own.record()},
        )
    return ErasureResult(cases=len(ids), anonymised=anonymised)


def case_erase(*, case: Case) -> bool:
    """An anonymous reporter's erasure through the follow link: that one case drops its reporter; the
    link stops working."""
    return case_anonymise(case=case.pk, actor=FollowLinkActor(case_id=case.pk), why="erasure")
