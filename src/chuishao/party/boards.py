"""Red property (红色物业): a residential complex's board, its seats, joint meetings and decisions.

A board is an ``orgs.Organisation`` of kind ``complex_board`` attached to one complex
(``attached_complex``), serving the complex's community. Its seats bring together the community
party organisation, the residents' committee, the homeowners' committee and the property company,
with the people who sit in two of them (双向进入、交叉任职). A seat with an account gives its person a
``department_staff`` membership scoped to the board: that is how board members act on the cases the
responsibility list routes to the board first (class 22, 物业与住宅小区) and pass to the street the
ones they cannot solve (``cases.services.case_refer``).

Who may do what:

- set up a board, add and end seats: community staff of the complex's community or the levels above
  (street, district and city centres, administrators);
- record a joint meeting and its decisions, mark a decision done: the board's members and those same
  managers;
- read a board's page: its members, the managers above and leaders over the community.

Every write runs in one transaction and appends one event to the community's ``party`` chain.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from chuishao import clock
from chuishao.actors import actor_user_id, person_label
from chuishao.cases.models import Case
from chuishao.cases.selectors import cases_visible_to
from chuishao.cases.transitions import TERMINAL
from chuishao.events.services import event_append
from chuishao.geo.models import Complex
from chuishao.orgs.errors import OrgError
from chuishao.orgs.models import Membership, Organisation, OrgKind, Role
from chuishao.orgs.scopes import grants_of, holds_role_over
from chuishao.orgs.services import membership_grant, membership_revoke
from chuishao.party.errors import PartyConflict, PartyDenied, PartyInvalid, PartyNotFound
from chuishao.party.models import BoardBody, BoardSeat, JointMeeting, MeetingDecision
from chuishao.validation import clean_text

# Set up boards and seats (and act in meetings): the complex's community staff and every level above.
MANAGER_ROLES = frozenset(
    {Role.COMMUNITY_STAFF, Role.STREET_DISPATCHER, Role.DISTRICT_CENTRE, Role.CITY_CENTRE, Role.ADMIN}
)
# Read a board's page as well: leaders over the community.
READER_ROLES = MANAGER_ROLES | {Role.LEADER}

# The organisation kind each body's organisation must have.
BODY_KIND = {
    BoardBody.PARTY_ORG: OrgKind.PARTY_ORG,
    BoardBody.RESIDENTS_COMMITTEE: OrgKind.COMMUNITY_COMMITTEE,
    BoardBody.HOMEOWNERS_COMMITTEE: OrgKind.HOMEOWNERS_COMMITTEE,
    BoardBody.PROPERTY_COMPANY: OrgKind.PROPERTY_COMPANY,
}
BOARD_DEPT_TYPE = "complex_board"
MAX_TEXT = 4000
MAX_DECISIONS = 20


# ------------------------------------------------------------------------------------------ scopes


def manages_complex(actor: Any, complex_: Complex) -> bool:
    """Community staff of the complex's community, or a centre or administrator above it."""
    return holds_role_over(actor, complex_.community, MANAGER_ROLES)


def sits_on(actor: Any, board: Organisation) -> bool:
    """Whether the actor acts for the board (a current seat gives a department-staff membership)."""
    return any(g.role == Role.DEPARTMENT_STAFF and g.organisation_id == board.pk for g in grants_of(actor))


def may_read_board(actor: Any, board: Organisation) -> bool:
    complex_ = board.attached_complex
    return sits_on(actor, board) or (
        complex_ is not None and holds_role_over(actor, complex_.community, READER_ROLES)
    )


def may_meet(actor: Any, board: Organisation) -> bool:
    """Record meetings and decisions: the board's members and the complex's managers."""
    return sits_on(actor, board) or manages_complex(actor, board.attached_complex)


# ------------------------------------------------------------------------------------------ helpers


def _today() -> dt.date:
    return timezone.localdate(clock.now())


def _text(value: Any, what: str, limit: int, *, required: bool = True) -> str:
    return clean_text(value, what, limit, error=PartyInvalid, required=required)


def _event(verb: str, *, actor: Any, complex_: Complex, after: dict, reason: str = "") -> None:
    community = complex_.community
    event_append(
        verb=verb,
        actor=actor,
        chain=f"party:{community.pk}",
        city_id=community.city_id or community.pk,
        after={"complex": complex_.code, **after},
        reason=reason,
    )


def is_active_board(board: Organisation, on: dt.date | None = None) -> bool:
    day = on or _today()
    return board.kind == OrgKind.COMPLEX_BOARD and (board.dissolved_on is None or board.dissolved_on > day)


def _active_q(on: dt.date | None = None) -> Q:
    day = on or _today()
    return Q(dissolved_on__isnull=True) | Q(dissolved_on__gt=day)


def board_of(complex_: Complex | int, on: dt.date | None = None) -> Organisation | None:
    """The complex's board that is not dissolved (None when the complex has none)."""
    pk = complex_.pk if isinstance(complex_, Complex) else complex_
    return (
        Organisation.objects.filter(kind=OrgKind.COMPLEX_BOARD, attached_complex_id=pk)
        .filter(_active_q(on))
        .select_related("attached_complex", "attached_complex__community", "jurisdiction")
        .order_by("code")
        .first()
    )


def _board(board: Organisation | int, *, lock: bool = False) -> Organisation:
    pk = board.pk if isinstance(board, Organisation) else board
    qs = Organisation.objects.filter(pk=pk, kind=OrgKind.COMPLEX_BOARD)
    if lock:
        qs = qs.select_for_update(of=("self",))
    found = qs.select_related("attached_complex", "attached_complex__community").first()
    if found is None or found.attached_complex is None:
        raise PartyNotFound(_("No such complex board."))
    return found


def _require_manager(actor: Any, complex_: Complex) -> None:
    if not manages_complex(actor, complex_):
        raise PartyDenied(
            _("Only the staff of %(community)s or the levels above may do this.")
            % {"community": complex_.community.name}
        )


# ------------------------------------------------------------------------------------------ services


@transaction.atomic
def board_set_up(
    *, actor: Any, complex_: Complex, name: str = "", established_on: dt.date | None = None
) -> Organisation:
    """Set up the complex's board (an organisation of kind ``complex_board`` attached to it)."""
    complex_ = Complex.objects.select_for_update().select_related("community").get(pk=complex_.pk)
    _require_manager(actor, complex_)
    if board_of(complex_) is not None:
        raise PartyConflict(_("%(complex)s already has a board.") % {"complex": complex_.name})
    name = _text(name, _("board's name"), 120, required=False) or _("%(complex)s joint board") % {
        "complex": complex_.name
    }
    base = f"board-{complex_.code}"[:36]
    code, n = base, 1
    while Organisation.objects.filter(code=code).exists():
        n += 1
        code = f"{base}-{n}"
    board = Organisation.objects.create(
        kind=OrgKind.COMPLEX_BOARD,
        code=code,
        name=name,
        dept_type=BOARD_DEPT_TYPE,
        jurisdiction=complex_.community,
        attached_complex=complex_,
        established_on=established_on or _today(),
    )
    _event("party.board_set_up", actor=actor, complex_=complex_, after={"board": board.code, "name": name})
    return board


def _check_body_org(body: str, body_org: Organisation | None, complex_: Complex) -> None:
    if body_org is None:
        return
    if body_org.kind != BODY_KIND[body]:
        raise PartyInvalid(
            _("%(org)s is not a %(body)s.") % {"org": body_org.name, "body": BoardBody(body).label}
        )
    if body == BoardBody.RESIDENTS_COMMITTEE:
        linked = body_org.jurisdiction_id == complex_.community_id
    elif body == BoardBody.PARTY_ORG:
        linked = body_org.attached_complex_id == complex_.pk or (
            body_org.attached_complex_id is None and body_org.jurisdiction_id == complex_.community_id
        )
    else:
        linked = body_org.complexes.filter(pk=complex_.pk).exists()
    if not linked:
        raise PartyInvalid(
            _("%(org)s does not serve %(complex)s.") % {"org": body_org.name, "complex": complex_.name}
        )


@transaction.atomic
def board_seat_add(
    *,
    actor: Any,
    board: Organisation | int,
    body: str,
    display_name: str,
    position: str,
    person: Any = None,
    body_org: Organisation | None = None,
    cross_body: str = "",
    cross_position: str = "",
    started_on: dt.date | None = None,
) -> BoardSeat:
    """Give someone a seat on the board for one of its four bodies, with the other body they also sit
    in (交叉任职). A person with an account acts on cases as the board from now on."""
    board = _board(board, lock=True)
    complex_ = board.attached_complex
    _require_manager(actor, complex_)
    if not is_active_board(board):
        raise PartyConflict(_("The board %(board)s is dissolved.") % {"board": board.name})
    if body not in BoardBody.values:
        raise PartyInvalid(_("Choose the body the person sits for."))
    cross_body = cross_body or ""
    if cross_body and cross_body not in BoardBody.values:
        raise PartyInvalid(_("Choose the other body from the list."))
    if cross_body == body:
        raise PartyInvalid(_("The cross-appointment names another body than the seat's own."))
    display_name = _text(display_name, _("name"), 60)
    position = _text(position, _("position"), 60)
    cross_position = _text(cross_position, _("position in the other body"), 60, required=False)
    if cross_position and not cross_body:
        raise PartyInvalid(_("Say which other body the person also sits in."))
    _check_body_org(body, body_org, complex_)
    started_on = started_on or _today()
    if (
        person is not None
        and BoardSeat.objects.filter(board=board, person=person, ended_on__isnull=True).exists()
    ):
        raise PartyConflict(
            _("%(name)s already has a seat on this board; end it first.") % {"name": display_name}
        )
    seat = BoardSeat.objects.create(
        board=board,
        body=body,
        body_org=body_org,
        person=person,
        display_name=display_name,
        position=position,
        cross_body=cross_body,
        cross_position=cross_position,
        started_on=started_on,
    )
    if person is not None:
        try:
            membership_grant(actor=actor, person=person, role=Role.DEPARTMENT_STAFF, organisation=board)
        except OrgError as exc:
            raise PartyInvalid(exc.message) from exc
    _event(
        "party.board_seat_added",
        actor=actor,
        complex_=complex_,
        after={
            "board": board.code,
            "seat": seat.pk,
            "body": body,
            "body_org": body_org.code if body_org else None,
            "person_id": getattr(person, "pk", None),
            # Seated, they act for the board (an office): the label is their login.
            "person": person_label(person) if person is not None else None,
            "position": position,
            "cross_body": cross_body,
            "cross_position": cross_position,
        },
    )
    return seat


@transaction.atomic
def board_seat_end(
    *, actor: Any, seat: BoardSeat | int, reason: str, ended_on: dt.date | None = None
) -> BoardSeat:
    """End a seat; its person stops acting for the board unless they hold another current seat on it."""
    pk = seat.pk if isinstance(seat, BoardSeat) else seat
    seat = (
        BoardSeat.objects.select_for_update(of=("self",))
        .select_related("board", "board__attached_complex", "board__attached_complex__community", "person")
        .filter(pk=pk)
        .first()
    )
    if seat is None:
        raise PartyNotFound(_("No such seat."))
    complex_ = seat.board.attached_complex
    _require_manager(actor, complex_)
    reason = _text(reason, _("reason"), 200)
    if seat.ended_on is not None:
        raise PartyConflict(_("This seat has already ended."))
    ended_on = ended_on or _today()
    if ended_on < seat.started_on:
        raise PartyInvalid(_("A seat cannot end before it started."))
    seat.ended_on, seat.end_reason = ended_on, reason
    seat.save(update_fields=["ended_on", "end_reason"])
    if seat.person_id is not None:
        still = BoardSeat.objects.filter(board=seat.board, person_id=seat.person_id, ended_on__isnull=True)
        membership = Membership.objects.filter(
            person_id=seat.person_id, role=Role.DEPARTMENT_STAFF, organisation=seat.board, active=True
        ).first()
        if membership is not None and not still.exists():
            membership_revoke(actor=actor, membership=membership, reason=reason)
    _event(
        "party.board_seat_ended",
        actor=actor,
        complex_=complex_,
        after={"board": seat.board.code, "seat": seat.pk, "ended_on": ended_on.isoformat()},
        reason=reason,
    )
    return seat


@dataclass
class DecisionInput:
    """A decision as a form or a caller gives it; ``case`` is a case id or number."""

    text: str
    case: Case | int | str | None = None
    owner: Organisation | int | None = None
    due_on: dt.date | None = None


def _decision_case(board: Organisation, actor: Any, ref: Case | int | str | None) -> Case | None:
    """A case a decision may name: one the actor can see, in the board's complex or worked by the board."""
    if ref in (None, ""):
        return None
    qs = cases_visible_to(actor)
    if isinstance(ref, Case):
        found = qs.filter(pk=ref.pk).first()
    elif isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit() and len(ref) < 10):
        found = qs.filter(pk=int(ref)).first()
    else:
        found = None
    if found is None and isinstance(ref, str):
        found = qs.filter(number=ref.strip()).first()
    if found is None:
        raise PartyNotFound(_("No case %(ref)s that you can see.") % {"ref": getattr(ref, "number", ref)})
    worked = found.lead_org_id == board.pk or found.assignments.filter(organisation=board).exists()
    if found.complex_id != board.attached_complex_id and not worked:
        raise PartyInvalid(
            _("Case %(number)s is not a case of %(complex)s.")
            % {"number": found.number, "complex": board.attached_complex.name}
        )
    return found


def _decision_owner(ref: Organisation | int | None) -> Organisation | None:
    if ref in (None, ""):
        return None
    pk = ref.pk if isinstance(ref, Organisation) else ref
    try:
        found = Organisation.objects.filter(pk=int(pk)).first()
    except (TypeError, ValueError):
        found = None
    if found is None:
        raise PartyNotFound(_("No such organisation."))
    return found


def _decision_rows(board: Organisation, actor: Any, decisions: Iterable[DecisionInput]) -> list[dict]:
    rows = []
    for d in decisions:
        rows.append(
            {
                "text": _text(d.text, _("decision"), MAX_TEXT),
                "case": _decision_case(board, actor, d.case),
                "owner": _decision_owner(d.owner),
                "due_on": d.due_on,
            }
        )
    if len(rows) > MAX_DECISIONS:
        raise PartyInvalid(_("At most %(n)s decisions per meeting.") % {"n": MAX_DECISIONS})
    return rows


@transaction.atomic
def meeting_record(
    *,
    actor: Any,
    board: Organisation | int,
    held_at: dt.datetime,
    place: str,
    agenda: str,
    attendees: Iterable[BoardSeat | int] = (),
    guests: str = "",
    minutes: str = "",
    decisions: Iterable[DecisionInput] = (),
) -> JointMeeting:
    """Record a joint meeting (联席会议) with the seats present, guests and its decisions."""
    board = _board(board, lock=True)
    complex_ = board.attached_complex
    if not may_meet(actor, board):
        raise PartyDenied(_("Only the board's members or the community's staff record its meetings."))
    if held_at is None:
        raise PartyInvalid(_("Say when the meeting was held."))
    now = clock.now()
    if held_at > now + dt.timedelta(days=1):
        raise PartyInvalid(_("Record a meeting once it has been held."))
    place = _text(place, _("place"), 120)
    agenda = _text(agenda, _("agenda"), MAX_TEXT)
    guests = _text(guests, _("guests"), 1000, required=False)
    minutes = _text(minutes, _("minutes"), MAX_TEXT * 4, required=False)
    seat_ids = {s.pk if isinstance(s, BoardSeat) else int(s) for s in attendees}
    day = timezone.localdate(held_at)
    seats = list(BoardSeat.objects.filter(board=board, pk__in=seat_ids))
    if len(seats) != len(seat_ids):
        raise PartyInvalid(_("Attendees must be seats of this board."))
    for s in seats:
        if s.started_on > day or (s.ended_on is not None and s.ended_on < day):
            raise PartyInvalid(
                _("%(name)s did not hold a seat on the day of the meeting.") % {"name": s.display_name}
            )
    if not seats and not guests:
        raise PartyInvalid(_("Say who attended."))
    rows = _decision_rows(board, actor, decisions)
    meeting = JointMeeting.objects.create(
        board=board,
        held_at=held_at,
        place=place,
        agenda=agenda,
        guests=guests,
        minutes=minutes,
        recorded_by_id=actor_user_id(actor),
        recorded_at=now,
    )
    meeting.attendees.set(seats)
    made = [MeetingDecision.objects.create(meeting=meeting, **row) for row in rows]
    _event(
        "party.meeting_recorded",
        actor=actor,
        complex_=complex_,
        after={
            "board": board.code,
            "meeting": meeting.pk,
            "held_at": held_at,
            "attendees": sorted(seat_ids),
            "decisions": [d.pk for d in made],
            "cases": sorted({d.case_id for d in made if d.case_id}),
        },
    )
    return meeting


@transaction.atomic
def decision_add(*, actor: Any, meeting: JointMeeting | int, decision: DecisionInput) -> MeetingDecision:
    """Add a decision to a meeting already recorded (minutes written up later)."""
    pk = meeting.pk if isinstance(meeting, JointMeeting) else meeting
    found = JointMeeting.objects.select_for_update().filter(pk=pk).first()
    if found is None:
        raise PartyNotFound(_("No such meeting."))
    board = _board(found.board_id)
    if not may_meet(actor, board):
        raise PartyDenied(_("Only the board's members or the community's staff record its meetings."))
    if found.decisions.count() >= MAX_DECISIONS:
        raise PartyInvalid(_("At most %(n)s decisions per meeting.") % {"n": MAX_DECISIONS})
    (row,) = _decision_rows(board, actor, [decision])
    made = MeetingDecision.objects.create(meeting=found, **row)
    _event(
        "party.decision_added",
        actor=actor,
        complex_=board.attached_complex,
        after={"board": board.code, "meeting": found.pk, "decision": made.pk, "case": made.case_id},
    )
    return made


@transaction.atomic
def decision_done(*, actor: Any, decision: MeetingDecision | int, note: str = "") -> MeetingDecision:
    """Mark a decision carried out, with a short note of how."""
    pk = decision.pk if isinstance(decision, MeetingDecision) else decision
    found = (
        MeetingDecision.objects.select_for_update(of=("self",))
        .select_related("meeting")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise PartyNotFound(_("No such decision."))
    board = _board(found.meeting.board_id)
    if not may_meet(actor, board):
        raise PartyDenied(_("Only the board's members or the community's staff record its meetings."))
    if found.done:
        raise PartyConflict(_("This decision is already marked done."))
    found.done, found.done_at = True, clock.now()
    found.done_note = _text(note, _("note"), 200, required=False)
    found.save(update_fields=["done", "done_at", "done_note"])
    _event(
        "party.decision_done",
        actor=actor,
        complex_=board.attached_complex,
        after={"board": board.code, "decision": found.pk, "case": found.case_id},
        reason=found.done_note,
    )
    return found


# ------------------------------------------------------------------------------------------ selectors


def reads_boards(actor: Any) -> bool:
    """Whether the actor sits on a board or reads boards over a node (no query: the grants say it)."""
    return any(
        (g.role == Role.DEPARTMENT_STAFF and g.organisation_kind == OrgKind.COMPLEX_BOARD)
        or (g.role in READER_ROLES and g.node_id)
        for g in grants_of(actor)
    )


def boards_visible_to(actor: Any) -> QuerySet[Organisation]:
    """Boards the actor sits on or reads as a manager or leader over their community."""
    q = Q(pk__in=[])
    for g in grants_of(actor):
        if g.role == Role.DEPARTMENT_STAFF and g.organisation_id:
            q |= Q(pk=g.organisation_id)
        elif g.role in READER_ROLES and g.node_id and g.node_kind:
            if g.node_kind == "community":
                q |= Q(jurisdiction_id=g.node_id)
            else:
                q |= Q(**{f"jurisdiction__{g.node_kind}_id": g.node_id})
    return (
        Organisation.objects.filter(kind=OrgKind.COMPLEX_BOARD)
        .filter(q)
        .select_related("attached_complex", "jurisdiction")
        .order_by("jurisdiction__code", "code")
    )


def board_for_complex_code(*, actor: Any, code: str) -> Organisation:
    """The active board of the complex with ``code`` as the actor may read it; else ``PartyNotFound``
    (also when the actor may not read it: the page answers 404 either way)."""
    complex_ = Complex.objects.select_related("community").filter(code=code).first()
    board = board_of(complex_) if complex_ is not None else None
    if board is None or not may_read_board(actor, board):
        raise PartyNotFound(_("No board of a complex %(code)s that you can see.") % {"code": code})
    return board


@dataclass
class BodyRow:
    body: str
    label: str
    orgs: list[Organisation]
    seats: list[BoardSeat] = field(default_factory=list)


@dataclass
class CaseRow:
    case: Case
    decisions: list[MeetingDecision]


@dataclass
class BoardPage:
    board: Organisation
    complex: Complex
    bodies: list[BodyRow]
    past_seats: list[BoardSeat]
    cases: list[CaseRow]
    meetings: list[JointMeeting]
    may_manage: bool
    may_meet: bool


def body_orgs(complex_: Complex) -> dict[str, list[Organisation]]:
    """The organisations of the complex's four bodies, as the orgs tables link them."""
    linked = Organisation.objects.filter(complexes=complex_).filter(_active_q())
    return {
        BoardBody.PARTY_ORG: list(
            Organisation.objects.filter(kind=OrgKind.PARTY_ORG)
            .filter(
                Q(attached_complex=complex_)
                | Q(attached_complex__isnull=True, jurisdiction=complex_.community)
            )
            .filter(_active_q())
            .order_by("-attached_complex", "code")
        ),
        BoardBody.RESIDENTS_COMMITTEE: list(
            Organisation.objects.filter(
                kind=OrgKind.COMMUNITY_COMMITTEE, jurisdiction=complex_.community
            ).filter(_active_q())
        ),
        BoardBody.HOMEOWNERS_COMMITTEE: list(linked.filter(kind=OrgKind.HOMEOWNERS_COMMITTEE)),
        BoardBody.PROPERTY_COMPANY: list(linked.filter(kind=OrgKind.PROPERTY_COMPANY)),
    }


def board_cases(*, actor: Any, board: Organisation, open_only: bool = True) -> QuerySet[Case]:
    """Cases routed to the board (proposed to it, led by it, or once assigned to it) that the actor sees."""
    qs = cases_visible_to(actor).filter(
        Q(lead_org=board) | Q(suggested_org=board) | Q(assignments__organisation=board)
    )
    if open_only:
        qs = qs.exclude(status__in=TERMINAL)
    return qs.distinct().select_related("category", "lead_org").order_by("-created_at")


def board_page(*, actor: Any, board: Organisation) -> BoardPage:
    """Everything a board's page shows, read for ``actor`` (who may read the board)."""
    complex_ = board.attached_complex
    seats = list(
        BoardSeat.objects.filter(board=board)
        .select_related("body_org", "person")
        .order_by("body", "started_on", "pk")
    )
    orgs = body_orgs(complex_)
    bodies = [BodyRow(b.value, b.label, orgs[b.value]) for b in BoardBody]
    by_body = {row.body: row for row in bodies}
    for seat in seats:
        if seat.current:
            by_body[seat.body].seats.append(seat)
    decisions = MeetingDecision.objects.select_related("owner", "case")
    meetings = list(
        JointMeeting.objects.filter(board=board)
        .prefetch_related("attendees", Prefetch("decisions", queryset=decisions))
        .order_by("-held_at", "-pk")[:50]
    )
    cases = list(board_cases(actor=actor, board=board)[:200])
    per_case: dict[int, list[MeetingDecision]] = {}
    for d in MeetingDecision.objects.filter(
        meeting__board=board, case_id__in=[c.pk for c in cases]
    ).select_related("meeting", "owner"):
        per_case.setdefault(d.case_id, []).append(d)
    return BoardPage(
        board=board,
        complex=complex_,
        bodies=bodies,
        past_seats=[s for s in seats if not s.current],
        cases=[CaseRow(c, per_case.get(c.pk, [])) for c in cases],
        meetings=meetings,
        may_manage=manages_complex(actor, complex_),
        may_meet=may_meet(actor, board),
    )


def decisions_for_case(*, case: Case) -> QuerySet[MeetingDecision]:
    """The boards' decisions that name this case (for the case page)."""
    return MeetingDecision.objects.filter(case=case).select_related("meeting", "meeting__board", "owner")
