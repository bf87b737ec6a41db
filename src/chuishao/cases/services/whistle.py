"""The whistle (吹哨) and the report (报到): every write to a whistle, its parties, summonses and ratings.

A street (or a community, through its street) whistles on open cases it cannot solve alone; the
streets across a boundary the cases touch join it, and each party street summons departments of its
own district (or of the city). A summoned department acknowledges, checks in on site and records what
it did; nobody leaves before the street confirms the matter is done (事不完、人不撤), and each street
then rates the departments it summoned.

Every function locks the whistle row (then the summons row), checks that the actor can see the
whistle, then asks the ``check_*`` rule of ``cases.whistle_selectors`` whether the actor's roles and
the state allow it (pages ask the same rules), writes with ``update_fields`` and appends one event
per change on the whistle's chain (``whistle:<id>``), all in one transaction.
"""

from __future__ import annotations

import datetime as dt
import math
import secrets
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chuishao import clock
from chuishao.actors import actor_user_id
from chuishao.cases.errors import CaseConflict, CaseInvalid, CaseNotFound
from chuishao.cases.models import (
    AssignmentRole,
    Case,
    SummonsState,
    Whistle,
    WhistleKind,
    WhistleParty,
    WhistleRating,
    WhistleReason,
    WhistleStatus,
    WhistleSummons,
)
from chuishao.cases.scopes import actor_can_see_case
from chuishao.cases.transitions import TERMINAL
from chuishao.cases.whistle_selectors import (
    ON_SITE_ROLES,
    check_acknowledge,
    check_blow,
    check_cancel,
    check_check_in,
    check_confirm_done,
    check_join,
    check_rate,
    check_record_action,
    check_summon,
    check_summonable,
    streets_across,
    whistle_visible,
)
from chuishao.catalog.calendar import work_calendar
from chuishao.catalog.selectors import whistle_deadline_for
from chuishao.events.services import event_append
from chuishao.geo.models import Jurisdiction, Kind
from chuishao.geo.projection import EARTH_RADIUS_M
from chuishao.orgs.models import Organisation

SCORES = ("on_time_report", "problem_solved", "attitude")


# --- loading, locking, recording -----------------------------------------------------------------


def _pk(value: Any, model: type, label: str) -> int:
    if isinstance(value, model):
        return value.pk
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise CaseInvalid(_("%(value)r is not a %(label)s.") % {"value": value, "label": label}) from exc


def _lock_whistle(actor: Any, whistle: Whistle | int) -> tuple[Whistle, list[WhistleParty]]:
    pk = _pk(whistle, Whistle, "whistle")
    locked = Whistle.objects.select_for_update().filter(pk=pk).first()
    if locked is None or not whistle_visible(actor, locked):
        raise CaseNotFound(_("No whistle %(ref)s that you can see.") % {"ref": pk})
    return locked, list(locked.parties.order_by("-initiator", "pk"))


def _lock_summons(actor: Any, summons: WhistleSummons | int) -> tuple[Whistle, WhistleSummons]:
    """Lock the whistle first, then the summons: the order confirming and cancelling use too."""
    pk = _pk(summons, WhistleSummons, "summons")
    whistle_id = WhistleSummons.objects.filter(pk=pk).values_list("whistle_id", flat=True).first()
    if whistle_id is None:
        raise CaseNotFound(_("No summons %(ref)s that you can see.") % {"ref": pk})
    whistle, _parties = _lock_whistle(actor, whistle_id)
    locked = WhistleSummons.objects.select_for_update().get(pk=pk)
    locked.whistle = whistle
    return whistle, locked


def _lock_summonses(whistle: Whistle) -> list[WhistleSummons]:
    rows = list(WhistleSummons.objects.select_for_update().filter(whistle=whistle).order_by("pk"))
    orgs = Organisation.objects.in_bulk([s.organisation_id for s in rows])
    for s in rows:
        s.organisation = orgs[s.organisation_id]
    return rows


def _emit(whistle: Whistle, verb: str, actor: Any, at: dt.datetime, why: str = "", **after: Any) -> None:
    """One event on the whistle's chain; ``why`` is the event's reason, ``after`` its keyword arguments."""
    event_append(
        verb=verb, actor=actor, chain=whistle.chain, city_id=whistle.city_id, after=after, reason=why, at=at
    )


# --- blowing, joining, summoning -----------------------------------------------------------------


def _streets_named(city_id: int, streets: Iterable[Any]) -> list[Jurisdiction]:
    ids = [_pk(s, Jurisdiction, "street") for s in streets]
    found = Jurisdiction.objects.in_bulk(ids)
    wrong = [
        str(i) for i in ids if i not in found or (found[i].kind, found[i].city_id) != (Kind.STREET, city_id)
    ]
    if wrong:
        raise CaseInvalid(_("Not a street of this city: %(ids)s.") % {"ids": ", ".join(wrong)})
    return [found[i] for i in ids]


def _lock_cases(actor: Any, ids: list[int]) -> tuple[list[Case], int]:
    """The cases, locked and checked (visible, one city, one street the actor whistles for, open, free)."""
    locked = {c.pk: c for c in Case.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
    for pk in ids:
        if pk not in locked or not actor_can_see_case(actor, locked[pk]):
            raise CaseNotFound(_("No case %(ref)s that you can see.") % {"ref": pk})
    cases = [locked[pk] for pk in ids]
    if len({c.city_id for c in cases}) > 1:
        raise CaseInvalid(_("The cases of one whistle must lie in one city."))
    street_id = check_blow(actor=actor, cases=cases)
    closed = [c.number for c in cases if c.status in TERMINAL]
    if closed:
        raise CaseConflict(
            _("Finished cases cannot be whistled on: %(cases)s.") % {"cases": ", ".join(closed)}
        )
    busy = Whistle.cases.through.objects.filter(case_id__in=ids, whistle__status=WhistleStatus.OPEN)
    busy = [f"{c} ({w})" for c, w in busy.values_list("case__number", "whistle__number")]
    if busy:
        raise CaseConflict(
            _("Already in an open whistle: %(cases)s; summon more departments there.")
            % {"cases": ", ".join(busy)}
        )
    return cases, street_id


def whistle_blow(
    *,
    actor: Any,
    cases: Iterable[Case | int],
    kind: str,
    reason: str,
    description: str,
    summons: Iterable[dict] = (),
    joint_streets: Iterable[Jurisdiction | int] = (),
) -> Whistle:
    """Whistle on open cases of one street; the streets across their boundary (and any named) join it.

    ``summons``: ``{"organisation": org or id, "role": "lead" | "assist" | "notify"}`` each, summoned
    by the whistling street as ``whistle_summon`` would.
    """
    if kind not in WhistleKind.values:
        raise CaseInvalid(_("Unknown whistle kind %(kind)s.") % {"kind": kind})
    if reason not in WhistleReason.values:
        raise CaseInvalid(_("Unknown reason to whistle %(reason)s.") % {"reason": reason})
    description = (description or "").strip()
    if not description:
        raise CaseInvalid(_("Describe what the departments are summoned for."))
    ids = list(dict.fromkeys(_pk(c, Case, "case") for c in cases))
    if not ids:
        raise CaseInvalid(_("A whistle needs at least one case."))
    wanted = [_summons_request(item) for item in summons]
    with transaction.atomic():
        ordered, street_id = _lock_cases(actor, ids)
        city_id = ordered[0].city_id
        named = _streets_named(city_id, joint_streets)
        streets = {
            s.pk: s for s in [*named, *streets_across(city_id=city_id, cases=ordered)] if s.pk != street_id
        }
        streets = {street_id: Jurisdiction.objects.get(pk=street_id), **streets}
        lat, lng = next(
            ((c.lat, c.lng) for c in ordered if c.lat is not None and c.lng is not None), (None, None)
        )
        now = clock.now()
        whistle = Whistle.objects.create(
            number=f"T{secrets.token_hex(8)}",
            city_id=city_id,
            kind=kind,
            reason=reason,
            description=description,
            street_id=street_id,
            joint=len(streets) > 1,
            lat=lat,
            lng=lng,
            created_at=now,
        )
        whistle.number = f"W{timezone.localtime(now):%Y%m%d}{whistle.pk:06d}"
        Whistle.objects.filter(pk=whistle.pk).update(number=whistle.number)
        whistle.cases.add(*ordered)
        parties = [
            WhistleParty.objects.create(
                whistle=whistle,
                street=s,
                district_id=s.district_id,
                initiator=s.pk == street_id,
                joined_at=now,
            )
            for s in streets.values()
        ]
        _emit(
            whistle,
            "whistle.blown",
            actor,
            now,
            description,
            number=whistle.number,
            kind=kind,
            reason=reason,
            case_ids=ids,
            street_id=street_id,
            street_ids=list(streets),
            joint=whistle.joint,
        )
        named_ids = {s.pk for s in named}
        for p in parties[1:]:
            _emit(
                whistle,
                "whistle.joined",
                actor,
                now,
                street_id=p.street_id,
                district_id=p.district_id,
                named=p.street_id in named_ids,
            )
        for org, role in wanted:
            _summon(actor, whistle, parties, street_id=street_id, org=org, role=role, now=now)
        for case in ordered:
            after = {"whistle_id": whistle.pk, "whistle_number": whistle.number, "joint": whistle.joint}
            event_append(
                verb="case.whistled", actor=actor, case=case, after=after, reason=description, at=now
            )
    return whistle


def whistle_join(*, actor: Any, whistle: Whistle | int, street: Jurisdiction | int) -> WhistleParty:
    """A party street brings another street of the city into the whistle (which becomes joint)."""
    with transaction.atomic():
        locked, parties = _lock_whistle(actor, whistle)
        check_join(actor=actor, whistle=locked, parties=parties)
        (joining,) = _streets_named(locked.city_id, [street])
        if any(p.street_id == joining.pk for p in parties):
            raise CaseConflict(_("%(street)s is already party to this whistle.") % {"street": joining.name})
        now = clock.now()
        party = WhistleParty.objects.create(
            whistle=locked, street=joining, district_id=joining.district_id, initiator=False, joined_at=now
        )
        if not locked.joint:
            locked.joint = True
            locked.save(update_fields=["joint"])
        _emit(
            locked,
            "whistle.joined",
            actor,
            now,
            street_id=joining.pk,
            district_id=joining.district_id,
            named=True,
        )
    return party


def _summons_request(item: Any) -> tuple[Any, str]:
    if not isinstance(item, dict) or "organisation" not in item:
        raise CaseInvalid(_('Name each summoned organisation as {"organisation": …, "role": …}.'))
    return item["organisation"], item.get("role", AssignmentRole.LEAD)


def _summon(
    actor: Any,
    whistle: Whistle,
    parties: list[WhistleParty],
    *,
    street_id: int,
    org: Any,
    role: str,
    now: Any,
) -> WhistleSummons:
    organisation = check_summonable(organisation=org, role=role, whistle=whistle, parties=parties)
    existing = list(
        WhistleSummons.objects.filter(whistle=whistle).values_list(
            "organisation_id", "summoned_by_id", "role"
        )
    )
    if any(o == organisation.pk for o, _s, _r in existing):
        raise CaseConflict(_("%(org)s is already summoned to this whistle.") % {"org": organisation.name})
    if role == AssignmentRole.LEAD and any(s == street_id and r == role for _o, s, r in existing):
        raise CaseConflict(_("This street has already summoned a lead department; summon others to assist."))
    (ack_amount, ack_type), (onsite_amount, onsite_type) = whistle_deadline_for(
        kind=whistle.kind, city_id=whistle.city_id
    )
    calendar = work_calendar(whistle.city_id)
    ack_due = calendar.add(now, ack_amount, ack_type).due
    onsite_due = calendar.add(now, onsite_amount, onsite_type).due
    summons = WhistleSummons.objects.create(
        whistle=whistle,
        organisation=organisation,
        role=role,
        summoned_by_id=street_id,
        summoned_at=now,
        acknowledge_due=ack_due,
        onsite_due=onsite_due,
        sweep_at=ack_due,
    )
    _emit(
        whistle,
        "whistle.summoned",
        actor,
        now,
        summons_id=summons.pk,
        organisation_id=organisation.pk,
        role=role,
        summoned_by=street_id,
        acknowledge_due=ack_due.isoformat(),
        onsite_due=onsite_due.isoformat(),
    )
    return summons


def whistle_summon(
    *, actor: Any, whistle: Whistle | int, organisation: Organisation | int, role: str
) -> WhistleSummons:
    """A party street (or a centre above it) summons an organisation of its district or of the city."""
    with transaction.atomic():
        locked, parties = _lock_whistle(actor, whistle)
        street_id = check_summon(actor=actor, whistle=locked, parties=parties)
        return _summon(
            actor, locked, parties, street_id=street_id, org=organisation, role=role, now=clock.now()
        )


# --- the department reports ----------------------------------------------------------------------


def _acknowledge(summons: WhistleSummons, actor: Any, now: dt.datetime) -> list[str]:
    if summons.acknowledged_at is not None:
        return []
    summons.acknowledged_at, summons.acknowledged_by_id = now, actor_user_id(actor)
    return ["acknowledged_at", "acknowledged_by"]


def summons_acknowledge(*, actor: Any, summons: WhistleSummons | int) -> WhistleSummons:
    with transaction.atomic():
        whistle, locked = _lock_summons(actor, summons)
        check_acknowledge(actor=actor, summons=locked)
        now = clock.now()
        fields = _acknowledge(locked, actor, now)
        locked.state = SummonsState.ACKNOWLEDGED
        locked.sweep_at = locked.onsite_due if locked.role in ON_SITE_ROLES else None
        locked.save(update_fields=[*fields, "state", "sweep_at"])
        _emit(
            whistle,
            "whistle.acknowledged",
            actor,
            now,
            summons_id=locked.pk,
            organisation_id=locked.organisation_id,
            on_time=locked.acknowledged_on_time,
        )
    return locked


def _point(lat: Any, lng: Any) -> tuple[float, float]:
    try:
        lat, lng = float(lat), float(lng)
    except (TypeError, ValueError) as exc:
        raise CaseInvalid(_("Latitude and longitude must both be numbers.")) from exc
    if not (math.isfinite(lat) and math.isfinite(lng) and -90 <= lat <= 90 and -180 <= lng <= 180):
        raise CaseInvalid(_("The position %(lat)s, %(lng)s is not on Earth.") % {"lat": lat, "lng": lng})
    return lat, lng


def metres_between(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine) in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, a)))


def summons_check_in(*, actor: Any, summons: WhistleSummons | int, lat: Any, lng: Any) -> WhistleSummons:
    """A lead or assisting department reports on site (checking in also acknowledges)."""
    lat, lng = _point(lat, lng)
    with transaction.atomic():
        whistle, s = _lock_summons(actor, summons)
        check_check_in(actor=actor, summons=s)
        now = clock.now()
        fields = _acknowledge(s, actor, now)
        distance = None
        if whistle.lat is not None and whistle.lng is not None:
            distance = round(metres_between(whistle.lat, whistle.lng, lat, lng), 1)
        s.state, s.onsite_at, s.onsite_lat, s.onsite_lng = SummonsState.ON_SITE, now, lat, lng
        s.onsite_distance_m, s.sweep_at = distance, None
        fields += ["state", "onsite_at", "onsite_lat", "onsite_lng", "onsite_distance_m", "sweep_at"]
        s.save(update_fields=fields)
        _emit(
            whistle,
            "whistle.checked_in",
            actor,
            now,
            summons_id=s.pk,
            organisation_id=s.organisation_id,
            distance_m=distance,
            on_time=s.onsite_on_time,
            acknowledged="acknowledged_at" in fields,
        )
    return s


def summons_record_action(*, actor: Any, summons: WhistleSummons | int, note: str) -> WhistleSummons:
    """Record work done on site; recording more later adds to the notes, each stamped with its time."""
    note = (note or "").strip()
    if not note:
        raise CaseInvalid(_("Say what was done."))
    with transaction.atomic():
        whistle, s = _lock_summons(actor, summons)
        check_record_action(actor=actor, summons=s)
        now = clock.now()
        entry = f"[{timezone.localtime(now):%Y-%m-%d %H:%M}] {note}"
        s.action_note = f"{s.action_note}\n{entry}" if s.action_note else entry
        s.state, s.acted_at = SummonsState.ACTED, now
        s.save(update_fields=["action_note", "state", "acted_at"])
        _emit(whistle, "whistle.acted", actor, now, note, summons_id=s.pk, organisation_id=s.organisation_id)
    return s


# --- finishing -----------------------------------------------------------------------------------


def _release(summonses: list[WhistleSummons], now: dt.datetime) -> list[WhistleSummons]:
    released = [s for s in summonses if s.state != SummonsState.RELEASED]
    for s in released:
        s.state, s.released_at, s.sweep_at = SummonsState.RELEASED, now, None
        s.save(update_fields=["state", "released_at", "sweep_at"])
    return released


def whistle_confirm_done(*, actor: Any, whistle: Whistle | int, note: str) -> Whistle:
    """The whistling street confirms the matter solved; only now are the departments released."""
    note = (note or "").strip()
    if not note:
        raise CaseInvalid(_("Say how the matter was solved."))
    with transaction.atomic():
        locked, parties = _lock_whistle(actor, whistle)
        summonses = _lock_summonses(locked)
        check_confirm_done(actor=actor, whistle=locked, parties=parties, summonses=summonses)
        now = clock.now()
        locked.status, locked.done_at, locked.done_note = WhistleStatus.DONE, now, note
        locked.save(update_fields=["status", "done_at", "done_note"])
        released = _release(summonses, now)
        _emit(locked, "whistle.done", actor, now, note, status=locked.status, done_at=now.isoformat())
        for s in released:
            _emit(locked, "whistle.released", actor, now, summons_id=s.pk, organisation_id=s.organisation_id)
    return locked


def whistle_cancel(*, actor: Any, whistle: Whistle | int, reason: str) -> Whistle:
    """The whistling street calls the whistle off; everyone summoned is released with it."""
    reason = (reason or "").strip()
    if not reason:
        raise CaseInvalid(_("A reason is required to cancel a whistle."))
    with transaction.atomic():
        locked, parties = _lock_whistle(actor, whistle)
        check_cancel(actor=actor, whistle=locked, parties=parties)
        summonses = _lock_summonses(locked)
        now = clock.now()
        locked.status = WhistleStatus.CANCELLED
        locked.save(update_fields=["status"])
        released = [s.pk for s in _release(summonses, now)]
        _emit(
            locked,
            "whistle.cancelled",
            actor,
            now,
            reason,
            status=locked.status,
            released_summons_ids=released,
        )
    return locked


def _score(name: str, value: Any) -> int:
    text = "" if isinstance(value, bool) else str(value).strip()
    if not (text.isdigit() and 1 <= int(text) <= 5):
        raise CaseInvalid(
            _("%(name)s must be a whole number from 1 to 5, not %(value)r.") % {"name": name, "value": value}
        )
    return int(text)


def whistle_rate(
    *,
    actor: Any,
    summons: WhistleSummons | int,
    on_time_report: Any,
    problem_solved: Any,
    attitude: Any,
    comment: str = "",
) -> WhistleRating:
    """The street that summoned a lead or assisting department rates it once the whistle is done."""
    values = (on_time_report, problem_solved, attitude)
    scores = {name: _score(name, value) for name, value in zip(SCORES, values, strict=True)}
    with transaction.atomic():
        whistle, s = _lock_summons(actor, summons)
        check_rate(actor=actor, whistle=whistle, summons=s)
        now = clock.now()
        rating = WhistleRating.objects.create(
            summons=s,
            street_id=s.summoned_by_id,
            organisation_id=s.organisation_id,
            comment=(comment or "").strip(),
            rated_by_id=actor_user_id(actor),
            created_at=now,
            **scores,
        )
        _emit(
            whistle,
            "whistle.rated",
            actor,
            now,
            rating.comment,
            summons_id=s.pk,
            organisation_id=s.organisation_id,
            street_id=s.summoned_by_id,
            score=rating.score,
            **scores,
        )
    return rating
