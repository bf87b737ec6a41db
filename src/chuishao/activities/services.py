"""Party-building activities: create and cancel, sign up within capacity, ask for leave, QR check-in with a
short-lived signed token, attendance marked by hand, closing (the absent are named), audience figures.

An activity is organised by an ``Organisation`` of kind ``party_org`` or ``community_committee`` (a
community's own activities are its committee's; the community node itself is not an organiser, so one
foreign key serves every activity and its reports).

Who may organise (create, cancel, see sign-ups, show the QR code, mark attendance, close, enter
figures): the staff of the organisation's node or a level above it (community staff, street
dispatchers, district and city centres, administrators — as for the organisation's members in
``party.members``), and the organisation's own current secretary, deputy secretary and committee
members who have an account.

Who takes part: an open activity, anyone signed in (sign-up holds a place; capacity is enforced by one
conditional UPDATE, as the engagement app's task claim); a members-only activity (branch meetings are
always so), the organisation's current party members with an account on the activity's day, who are
all expected without signing up and ask for leave if they cannot come.

Every write runs in one transaction and appends one event on the ``activities:<organisation>`` chain.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from chuishao import clock
from chuishao.activities.errors import ActivityConflict, ActivityDenied, ActivityInvalid, ActivityNotFound
from chuishao.activities.models import (
    Activity,
    Audience,
    AudienceFigure,
    Kind,
    Measure,
    MeetingKind,
    Method,
    Participation,
    Presence,
    Status,
)
from chuishao.actors import actor_user_id
from chuishao.events.services import event_append
from chuishao.orgs.models import Organisation, OrgKind
from chuishao.orgs.scopes import grants_of
from chuishao.party.coverage import COVERAGE_ROLES, under_q
from chuishao.party.members import MANAGER_ROLES, manages
from chuishao.party.models import PartyMember, PartyRole
from chuishao.validation import clean_text

ORGANISER_KINDS = (OrgKind.PARTY_ORG, OrgKind.COMMUNITY_COMMITTEE)
LEADING_ROLES = (PartyRole.SECRETARY, PartyRole.DEPUTY_SECRETARY, PartyRole.COMMITTEE_MEMBER)
TITLE_LIMIT, PLACE_LIMIT, REASON_LIMIT, SOURCE_LIMIT, TEXT_LIMIT = 120, 120, 200, 120, 4000
MAX_CAPACITY = 100_000
MAX_FIGURE = 10**12
MAX_ID = 2**63 - 1  # the largest primary key (BigAutoField); a larger one overflows the database driver
MAX_LEAD_MINUTES = 240
DEFAULT_LEAD_MINUTES = 30
# A token is made afresh every TOKEN_ROTATE seconds by the QR screen and honoured for TOKEN_TTL seconds,
# so a code scanned just before the screen turns over still works.
TOKEN_ROTATE = 60
TOKEN_TTL = 120
TOKEN_SALT = "chuishao.activities.checkin"  # noqa: S105 — a signing salt, not a secret


# ------------------------------------------------------------------------------------------------ helpers


def _now() -> dt.datetime:
    return clock.now()


def _text(value: Any, what: str, limit: int, *, required: bool = True) -> str:
    return clean_text(value, what, limit, error=ActivityInvalid, required=required)


def _event(verb: str, *, actor: Any, activity: Activity, after: dict | None = None, reason: str = "") -> None:
    org = activity.organiser
    node = org.jurisdiction
    event_append(
        verb=verb,
        actor=actor,
        chain=f"activities:{org.pk}",
        city_id=node.city_id or node.pk,
        after={"activity": activity.pk, **(after or {})},
        reason=reason,
    )


def _local_day(at: dt.datetime) -> dt.date:
    return timezone.localdate(at)


def _signed_in(actor: Any) -> int:
    pk = actor_user_id(actor)
    if pk is None or not getattr(actor, "is_authenticated", False):
        raise ActivityDenied(_("Sign in first."))
    return pk


# ------------------------------------------------------------------------------------------------ scopes


def members_on(org: Organisation | int, day: dt.date) -> QuerySet:
    """The organisation's party-member rows current on ``day`` (since ≤ day, not ended by then)."""
    pk = org.pk if isinstance(org, Organisation) else org
    return PartyMember.objects.filter(party_org_id=pk, since__lte=day).filter(
        Q(until__isnull=True) | Q(until__gt=day)
    )


def member_ids_on(org: Organisation | int, day: dt.date) -> set[int]:
    """The accounts of the organisation's current party members on ``day``: who a members-only activity
    expects."""
    return set(members_on(org, day).filter(person__isnull=False).values_list("person_id", flat=True))


def is_member(actor: Any, org: Organisation | int, day: dt.date) -> bool:
    pk = actor_user_id(actor)
    return pk is not None and members_on(org, day).filter(person_id=pk).exists()


def leads(actor: Any, org: Organisation) -> bool:
    """The organisation's own current secretary, deputy secretary or committee member."""
    pk = actor_user_id(actor)
    if pk is None or org.kind != OrgKind.PARTY_ORG:
        return False
    return PartyMember.objects.filter(
        party_org=org, person_id=pk, until__isnull=True, role__in=LEADING_ROLES
    ).exists()


def may_organise(actor: Any, org: Organisation) -> bool:
    if org.kind not in ORGANISER_KINDS:
        return False
    return manages(actor, org.jurisdiction) or leads(actor, org)


def may_read_reports(actor: Any, org: Organisation) -> bool:
    from chuishao.orgs.scopes import holds_role_over

    return may_organise(actor, org) or holds_role_over(actor, org.jurisdiction, COVERAGE_ROLES)


def organisations_for(actor: Any) -> list[Organisation]:
    """The organisations the actor may organise activities for (not dissolved), by code."""
    nodes = [g for g in grants_of(actor) if g.role in MANAGER_ROLES and g.node_id]
    q = Q(pk__in=[])
    if nodes:
        from chuishao.geo.models import Jurisdiction

        for node in Jurisdiction.objects.filter(pk__in={g.node_id for g in nodes}):
            if manages(actor, node):
                q |= under_q(node, "jurisdiction__")
    pk = actor_user_id(actor)
    if pk is not None:
        led = PartyMember.objects.filter(person_id=pk, until__isnull=True, role__in=LEADING_ROLES)
        q |= Q(pk__in=led.values("party_org_id"), kind=OrgKind.PARTY_ORG)
    return list(
        Organisation.objects.filter(q, kind__in=ORGANISER_KINDS, dissolved_on__isnull=True)
        .select_related("jurisdiction")
        .order_by("code")
    )


def may_see(actor: Any, activity: Activity) -> bool:
    """Open activities: anyone signed in; members-only ones: the organisation's members (on the day or
    now), people with a row in it, its organisers and the report readers over it."""
    pk = actor_user_id(actor)
    if pk is None:
        return False
    if not activity.members_only:
        return True
    org = activity.organiser
    return (
        is_member(actor, org, _local_day(activity.starts_at))
        or is_member(actor, org, _local_day(_now()))
        or Participation.objects.filter(activity=activity, person_id=pk).exists()
        or may_read_reports(actor, org)
    )


def activity_get(actor: Any, pk: Any) -> Activity:
    """An activity the actor may see, or not found (also for those out of scope)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise ActivityNotFound(_("No such activity.")) from None
    if not 0 < pk < 2**31:
        raise ActivityNotFound(_("No such activity."))
    found = (
        Activity.objects.filter(pk=pk)
        .select_related("organiser", "organiser__jurisdiction", "created_by")
        .first()
    )
    if found is None or not may_see(actor, found):
        raise ActivityNotFound(_("No such activity."))
    return found


def _require_organiser(actor: Any, org: Organisation) -> None:
    if not may_organise(actor, org):
        raise ActivityDenied(
            _("Only the organisers of %(org)s (its node's staff or its secretary and committee) may do this.")
            % {"org": org.name}
        )


def _locked(activity: Activity | int) -> Activity:
    pk = activity.pk if isinstance(activity, Activity) else activity
    found = (
        Activity.objects.select_for_update(of=("self",))
        .filter(pk=pk)
        .select_related("organiser", "organiser__jurisdiction")
        .first()
    )
    if found is None:
        raise ActivityNotFound(_("No such activity."))
    return found


def expected_ids(activity: Activity) -> set[int]:
    """Who the activity expects: a members-only one, the organisation's members with an account on its
    day; an open one, whoever held a place, asked for leave or was counted present or absent."""
    if activity.members_only:
        return member_ids_on(activity.organiser_id, _local_day(activity.starts_at))
    return set(
        Participation.objects.filter(activity=activity)
        .filter(Q(holds_place=True) | ~Q(presence=""))
        .values_list("person_id", flat=True)
    )


# ------------------------------------------------------------------------------------------------ create


def _aware(value: Any, what: str) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise ActivityInvalid(_("Give the %(what)s.") % {"what": what})
    return value if timezone.is_aware(value) else timezone.make_aware(value)


@transaction.atomic
def activity_create(
    *,
    actor: Any,
    organiser: Organisation | int,
    kind: str,
    title: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    place: str = "",
    online: bool = False,
    online_link: str = "",
    capacity: int | None = None,
    signup_opens_at: dt.datetime | None = None,
    signup_closes_at: dt.datetime | None = None,
    audience: str = Audience.OPEN,
    meeting_kind: str = "",
    description: str = "",
    checkin_lead_minutes: int = DEFAULT_LEAD_MINUTES,
    exemplars: Iterable[Any] = (),
) -> Activity:
    """Plan an activity for an organisation the actor organises."""
    pk = organiser.pk if isinstance(organiser, Organisation) else organiser
    org = Organisation.objects.select_related("jurisdiction").filter(pk=pk).first()
    if org is None or org.kind not in ORGANISER_KINDS:
        raise ActivityInvalid(_("Activities are organised by a party organisation or a community committee."))
    _require_organiser(actor, org)
    if org.dissolved_on is not None:
        raise ActivityInvalid(_("This organisation was dissolved on %(d)s.") % {"d": org.dissolved_on})
    if kind not in Kind.values:
        raise ActivityInvalid(_("Choose the kind of activity."))
    title = _text(title, _("title"), TITLE_LIMIT)
    description = _text(description, _("description"), TEXT_LIMIT, required=False)
    starts_at, ends_at = _aware(starts_at, _("start")), _aware(ends_at, _("end"))
    now = _now()
    if starts_at <= now:
        raise ActivityInvalid(_("An activity is planned before it starts: choose a start in the future."))
    if ends_at <= starts_at:
        raise ActivityInvalid(_("The activity must end after it starts."))
    if ends_at - starts_at > dt.timedelta(days=14):
        raise ActivityInvalid(_("An activity lasts at most 14 days; plan a longer class as several."))
    if kind == Kind.BRANCH_MEETING:
        if org.kind != OrgKind.PARTY_ORG:
            raise ActivityInvalid(_("Branch meetings (三会一课) are held by a party organisation."))
        if meeting_kind not in MeetingKind.values:
            raise ActivityInvalid(
                _("Choose which of 三会一课: general, committee or group meeting, or party class.")
            )
        audience = Audience.MEMBERS
    elif meeting_kind:
        raise ActivityInvalid(_("Only a branch meeting (三会一课) has a sub-kind."))
    if audience not in Audience.values:
        raise ActivityInvalid(_("Choose who may take part."))
    if audience == Audience.MEMBERS and org.kind != OrgKind.PARTY_ORG:
        raise ActivityInvalid(_("Only a party organisation's activity can be for its party members only."))
    place = _text(place, _("place"), PLACE_LIMIT, required=not online)
    online_link = str(online_link or "").strip()
    if online:
        if not online_link.startswith(("https://", "http://")) or len(online_link) > 300:
            raise ActivityInvalid(
                _("Give the link (http:// or https://) where the activity is followed online.")
            )
    else:
        online_link = ""
    if capacity in ("", None):
        capacity = None
    else:
        try:
            capacity = int(capacity)
        except (TypeError, ValueError):
            raise ActivityInvalid(_("The capacity is a whole number.")) from None
        if not 1 <= capacity <= MAX_CAPACITY:
            raise ActivityInvalid(_("The capacity is between 1 and %(n)s.") % {"n": MAX_CAPACITY})
    if capacity is None and not online and audience == Audience.OPEN:
        raise ActivityInvalid(
            _("Give the number of places: an activity in a hall open to all has a capacity.")
        )
    opens = _aware(signup_opens_at, _("sign-up opening")) if signup_opens_at else None
    closes = _aware(signup_closes_at, _("sign-up closing")) if signup_closes_at else starts_at
    if closes > starts_at:
        raise ActivityInvalid(_("Sign-up closes at the start at the latest."))
    if opens is not None and opens >= closes:
        raise ActivityInvalid(_("Sign-up must open before it closes."))
    try:
        lead = int(checkin_lead_minutes)
    except (TypeError, ValueError):
        raise ActivityInvalid(_("The check-in lead is a number of minutes.")) from None
    if not 0 <= lead <= MAX_LEAD_MINUTES:
        raise ActivityInvalid(
            _("Check-in opens between 0 and %(n)s minutes before the start.") % {"n": MAX_LEAD_MINUTES}
        )
    linked = _published_exemplars(exemplars)
    row = Activity.objects.create(
        organiser=org,
        kind=kind,
        meeting_kind=meeting_kind if kind == Kind.BRANCH_MEETING else "",
        title=title,
        description=description,
        starts_at=starts_at,
        ends_at=ends_at,
        place=place,
        online=bool(online),
        online_link=online_link,
        capacity=capacity,
        signup_opens_at=opens,
        signup_closes_at=closes,
        audience=audience,
        checkin_lead_minutes=lead,
        created_by_id=actor_user_id(actor),
        created_at=now,
    )
    if linked:
        row.exemplars.set(linked)
    _event(
        "activities.created",
        actor=actor,
        activity=row,
        after={
            "kind": kind,
            "meeting_kind": row.meeting_kind,
            "title": title,
            "starts_at": starts_at.isoformat(),
            "ends_at": ends_at.isoformat(),
            "audience": audience,
            "capacity": capacity,
            "exemplars": [e.pk for e in linked],
        },
    )
    return row


def _published_exemplars(items: Iterable[Any]) -> list:
    from chuishao.library.models import Exemplar

    ids = []
    for item in items or ():
        try:
            ids.append(int(getattr(item, "pk", item)))
        except (TypeError, ValueError):
            raise ActivityInvalid(_("No such exemplary case.")) from None
    if not ids:
        return []
    found = list(Exemplar.objects.filter(pk__in=ids, status="published"))
    if len(found) != len(set(ids)):
        raise ActivityInvalid(_("Only published exemplary cases can be linked."))
    return found


@transaction.atomic
def activity_cancel(*, actor: Any, activity: Activity | int, reason: str) -> Activity:
    row = _locked(activity)
    _require_organiser(actor, row.organiser)
    reason = _text(reason, _("reason"), REASON_LIMIT)
    if row.status != Status.PLANNED:
        raise ActivityConflict(_("Only a planned activity can be cancelled."))
    if _now() >= row.ends_at:
        raise ActivityConflict(_("The activity is over; close it instead of cancelling it."))
    row.status, row.cancel_reason = Status.CANCELLED, reason
    row.save(update_fields=["status", "cancel_reason"])
    _event("activities.cancelled", actor=actor, activity=row, reason=reason)
    return row


# ------------------------------------------------------------------------------------------------ sign-up


def _row_for(activity: Activity, person_id: int) -> Participation:
    row = Participation.objects.select_for_update().filter(activity=activity, person_id=person_id).first()
    if row is None:
        try:
            with transaction.atomic():
                row = Participation.objects.create(activity=activity, person_id=person_id, updated_at=_now())
        except IntegrityError:
            row = Participation.objects.select_for_update().get(activity=activity, person_id=person_id)
    return row


def _take_place(activity: Activity) -> None:
    """One place, by a conditional UPDATE: under concurrent sign-ups the database lets it through
    capacity times only."""
    qs = Activity.objects.filter(pk=activity.pk)
    if activity.capacity is not None:
        qs = qs.filter(taken__lt=F("capacity"))
    if not qs.update(taken=F("taken") + 1):
        raise ActivityConflict(_("Every place of this activity has been taken."))


def _free_place(activity: Activity) -> None:
    Activity.objects.filter(pk=activity.pk, taken__gt=0).update(taken=F("taken") - 1)


@transaction.atomic
def signup(*, actor: Any, activity: Activity | int) -> Participation:
    """Take a place in an open activity while sign-up is open."""
    person_id = _signed_in(actor)
    pk = activity.pk if isinstance(activity, Activity) else activity
    # No row lock on the activity: the conditional UPDATE alone decides who gets the last places.
    row = Activity.objects.select_related("organiser", "organiser__jurisdiction").filter(pk=pk).first()
    if row is None:
        raise ActivityNotFound(_("No such activity."))
    if row.status != Status.PLANNED:
        raise ActivityConflict(_("This activity is not open for sign-up (cancelled or closed)."))
    if row.members_only:
        raise ActivityConflict(
            _("All the organisation's members are expected without signing up; ask for leave instead.")
        )
    now = _now()
    if row.signup_opens_at is not None and now < row.signup_opens_at:
        raise ActivityConflict(
            _("Sign-up opens at %(at)s.")
            % {"at": timezone.localtime(row.signup_opens_at).strftime("%Y-%m-%d %H:%M")}
        )
    if now >= (row.signup_closes_at or row.starts_at):
        raise ActivityConflict(_("Sign-up has closed."))
    part = _row_for(row, person_id)
    if part.holds_place:
        raise ActivityConflict(_("You have already signed up."))
    _take_place(row)
    part.holds_place, part.signed_up_at, part.signup_cancelled_at = True, now, None
    if part.presence == Presence.LEAVE:
        part.presence, part.reason = Presence.NONE, ""
    part.updated_at = now
    part.save()
    _event("activities.signed_up", actor=actor, activity=row, after={"person": person_id})
    return part


@transaction.atomic
def signup_cancel(*, actor: Any, activity: Activity | int) -> Participation:
    person_id = _signed_in(actor)
    row = _locked(activity)
    part = Participation.objects.select_for_update().filter(activity=row, person_id=person_id).first()
    if part is None or not part.holds_place:
        raise ActivityConflict(_("You have not signed up for this activity."))
    if _now() >= row.starts_at:
        raise ActivityConflict(
            _("The activity has started: a sign-up can only be cancelled before the start.")
        )
    if part.presence:
        raise ActivityConflict(_("Your attendance is already recorded."))
    part.holds_place, part.signup_cancelled_at, part.updated_at = False, _now(), _now()
    part.save()
    _free_place(row)
    _event("activities.signup_cancelled", actor=actor, activity=row, after={"person": person_id})
    return part


@transaction.atomic
def leave_request(*, actor: Any, activity: Activity | int, reason: str) -> Participation:
    """Ask for leave (请假) before the start, with a reason: a member of a members-only activity's
    organisation, or someone signed up for an open one (whose place is freed)."""
    person_id = _signed_in(actor)
    row = _locked(activity)
    reason = _text(reason, _("reason"), REASON_LIMIT)
    if row.status != Status.PLANNED:
        raise ActivityConflict(_("This activity is cancelled or closed."))
    if _now() >= row.starts_at:
        raise ActivityConflict(
            _("Leave is asked for before the start; the organiser records absences afterwards.")
        )
    if row.members_only:
        if person_id not in expected_ids(row):
            raise ActivityDenied(_("Only the organisation's party members are expected at this activity."))
        part = _row_for(row, person_id)
    else:
        part = Participation.objects.select_for_update().filter(activity=row, person_id=person_id).first()
        if part is None or not part.holds_place:
            raise ActivityConflict(_("Sign up first: leave is asked for by those expected."))
    if part.presence == Presence.LEAVE:
        raise ActivityConflict(_("You have already asked for leave."))
    if part.holds_place and not row.members_only:
        _free_place(row)
        part.holds_place = False
    part.presence, part.method, part.reason, part.updated_at = Presence.LEAVE, Method.NONE, reason, _now()
    part.save()
    _event("activities.leave", actor=actor, activity=row, after={"person": person_id}, reason=reason)
    return part


# ------------------------------------------------------------------------------------------------ check-in


def checkin_token(activity: Activity | int, *, at: dt.datetime | None = None) -> str:
    """A signed token naming the activity and the moment it was made (honoured for TOKEN_TTL seconds)."""
    pk = activity.pk if isinstance(activity, Activity) else activity
    moment = int((at or _now()).timestamp())
    return signing.dumps({"a": pk, "t": moment}, salt=TOKEN_SALT, compress=False)


def _verify(token: str, pk: int) -> None:
    try:
        data = signing.loads(str(token or ""), salt=TOKEN_SALT)
    except signing.BadSignature:
        raise ActivityDenied(
            _("This check-in code is not valid. Scan the code on the organiser's screen again.")
        ) from None
    if not isinstance(data, dict) or data.get("a") != pk or not isinstance(data.get("t"), int):
        raise ActivityDenied(
            _("This check-in code is not valid. Scan the code on the organiser's screen again.")
        )
    age = _now().timestamp() - data["t"]
    if age > TOKEN_TTL or age < -TOKEN_ROTATE:
        raise ActivityConflict(
            _("This check-in code has expired. Scan the code on the organiser's screen again.")
        )


def checkin_window(activity: Activity) -> tuple[dt.datetime, dt.datetime]:
    return activity.starts_at - dt.timedelta(minutes=activity.checkin_lead_minutes), activity.ends_at


def _require_window(row: Activity) -> None:
    opens, closes = checkin_window(row)
    now = _now()
    if now < opens:
        raise ActivityConflict(
            _("Check-in opens at %(at)s.") % {"at": timezone.localtime(opens).strftime("%Y-%m-%d %H:%M")}
        )
    if now > closes:
        raise ActivityConflict(_("The activity is over: check-in has closed."))


@transaction.atomic
def check_in(*, actor: Any, activity: Activity | int, token: str) -> Participation:
    """Check the actor in with the token from the organiser's QR screen."""
    person_id = _signed_in(actor)
    pk = activity.pk if isinstance(activity, Activity) else activity
    _verify(token, pk)
    row = Activity.objects.select_related("organiser", "organiser__jurisdiction").filter(pk=pk).first()
    if row is None:
        raise ActivityNotFound(_("No such activity."))
    if row.status == Status.CANCELLED:
        raise ActivityConflict(_("This activity was cancelled."))
    if row.status == Status.HELD:
        raise ActivityConflict(_("This activity is closed."))
    _require_window(row)
    if row.members_only and person_id not in expected_ids(row):
        raise ActivityDenied(_("This activity is for the organisation's party members only."))
    part = _row_for(row, person_id)
    if part.presence == Presence.ATTENDED:
        raise ActivityConflict(_("You are already checked in."))
    if not row.members_only and not part.holds_place:
        _take_place(row)  # a walk-in takes a place, if one is left
        part.holds_place = True
    part.presence, part.method, part.reason = Presence.ATTENDED, Method.QR, ""
    part.checked_in_at = part.updated_at = _now()
    part.save()
    _event("activities.checked_in", actor=actor, activity=row, after={"person": person_id, "method": "qr"})
    return part


def _person_id(person: Any) -> int:
    """The id of an existing, active account, or invalid (never a dangling or out-of-range id)."""
    person_id = getattr(person, "pk", person)
    if person_id is None or person_id == "":
        raise ActivityInvalid(_("Choose the person."))
    try:
        person_id = int(person_id)
    except (TypeError, ValueError):
        raise ActivityInvalid(_("No such person.")) from None
    if (
        not 0 < person_id <= MAX_ID
        or not get_user_model().objects.filter(pk=person_id, is_active=True).exists()
    ):
        raise ActivityInvalid(_("No such person."))
    return person_id


@transaction.atomic
def attendance_mark(
    *, actor: Any, activity: Activity | int, person: Any, presence: str, reason: str
) -> Participation:
    """The organiser marks a person present or absent by hand, with the reason (kept in the event)."""
    row = _locked(activity)
    _require_organiser(actor, row.organiser)
    reason = _text(reason, _("reason"), REASON_LIMIT)
    if presence not in (Presence.ATTENDED, Presence.ABSENT, Presence.LEAVE):
        raise ActivityInvalid(_("Mark the person present, absent or on leave."))
    if row.status == Status.CANCELLED:
        raise ActivityConflict(_("This activity was cancelled."))
    if _now() < checkin_window(row)[0]:
        raise ActivityConflict(_("Attendance is recorded from the opening of check-in on."))
    person_id = _person_id(person)
    if row.members_only and person_id not in expected_ids(row):
        raise ActivityInvalid(_("This activity is for the organisation's party members only."))
    part = _row_for(row, person_id)
    before = part.presence
    if presence == Presence.ATTENDED and not row.members_only and not part.holds_place:
        _take_place(row)
        part.holds_place = True
    elif presence == Presence.LEAVE and not row.members_only and part.holds_place:
        _free_place(row)  # as when the person asks for leave: the place goes to someone else
        part.holds_place = False
    part.presence, part.method, part.reason, part.updated_at = presence, Method.HAND, reason, _now()
    if presence == Presence.ATTENDED and part.checked_in_at is None:
        part.checked_in_at = _now()
    part.save()
    _event(
        "activities.attendance_marked",
        actor=actor,
        activity=row,
        after={"person": person_id, "presence": presence, "before": before},
        reason=reason,
    )
    return part


@transaction.atomic
def activity_close(*, actor: Any, activity: Activity | int) -> dict[str, int]:
    """Close an activity that is over: it counts as held, and everyone expected who neither attended nor
    had leave is recorded absent."""
    row = _locked(activity)
    _require_organiser(actor, row.organiser)
    if row.status != Status.PLANNED:
        raise ActivityConflict(_("Only a planned activity can be closed (this one is cancelled or closed)."))
    now = _now()
    if now < row.ends_at:
        raise ActivityConflict(_("The activity is closed once it is over."))
    expected = expected_ids(row)
    rows = {p.person_id: p for p in Participation.objects.select_for_update().filter(activity=row)}
    absent = 0
    for person_id in sorted(expected):
        part = rows.get(person_id)
        if part is None:
            part = Participation(activity=row, person_id=person_id)
        if part.presence in (Presence.ATTENDED, Presence.LEAVE, Presence.ABSENT):
            continue
        part.presence, part.method, part.updated_at = Presence.ABSENT, Method.CLOSE, now
        part.save()
        absent += 1
    row.status, row.closed_at = Status.HELD, now
    row.save(update_fields=["status", "closed_at"])
    counts = {
        "expected": len(expected),
        "attended": Participation.objects.filter(activity=row, presence=Presence.ATTENDED).count(),
        "absent": Participation.objects.filter(activity=row, presence=Presence.ABSENT).count(),
        "leave": Participation.objects.filter(activity=row, presence=Presence.LEAVE).count(),
        "newly_absent": absent,
    }
    _event("activities.closed", actor=actor, activity=row, after=counts)
    return counts


# ------------------------------------------------------------------------------------------------ figures


@transaction.atomic
def figure_record(
    *, actor: Any, activity: Activity | int, measure: str, count: Any, source: str
) -> AudienceFigure:
    """Enter (or correct) a figure check-in cannot count, with its source, once the activity has started."""
    row = _locked(activity)
    _require_organiser(actor, row.organiser)
    if measure not in Measure.values:
        raise ActivityInvalid(_("Choose what the figure counts."))
    try:
        count = int(count)
    except (TypeError, ValueError):
        raise ActivityInvalid(_("The figure is a whole number.")) from None
    if not 0 <= count <= MAX_FIGURE:
        raise ActivityInvalid(_("The figure is between 0 and %(n)s.") % {"n": MAX_FIGURE})
    source = _text(source, _("source"), SOURCE_LIMIT)
    if row.status == Status.CANCELLED:
        raise ActivityConflict(_("This activity was cancelled."))
    if _now() < row.starts_at:
        raise ActivityConflict(_("Figures are entered once the activity has started."))
    figure = AudienceFigure.objects.select_for_update().filter(activity=row, measure=measure).first()
    before = {"count": figure.count, "source": figure.source} if figure else None
    if figure is None:
        figure = AudienceFigure(activity=row, measure=measure)
    figure.count, figure.source, figure.recorded_by_id, figure.recorded_at = (
        count,
        source,
        actor_user_id(actor),
        _now(),
    )
    figure.save()
    _event(
        "activities.figure_recorded",
        actor=actor,
        activity=row,
        after={"measure": measure, "count": count, "source": source, "before": before},
    )
    return figure
