"""Models of chuishao.party: party organisations' members (coverage reads orgs.Organisation's dates)
and red property (红色物业)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from chuishao.orgs.models import Organisation

# ------------------------------------------------------------------------ members of party organisations


class PartyRole(models.TextChoices):
    SECRETARY = "secretary", _("secretary")
    DEPUTY_SECRETARY = "deputy_secretary", _("deputy secretary")
    COMMITTEE_MEMBER = "committee_member", _("committee member")
    MEMBER = "member", _("member")


class PartyMember(models.Model):
    """A person's place in a party organisation, from ``since`` until ``until`` (null: current).

    ``person`` links to a user when the person has an account; ``name`` is what the pages show.
    Ending a membership sets ``until``; rows are never deleted, so the history stays.
    """

    party_org = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="party_members",
        limit_choices_to={"kind": "party_org"},
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="party_memberships",
    )
    name = models.CharField(max_length=60)
    role = models.CharField(max_length=20, choices=PartyRole.choices, default=PartyRole.MEMBER)
    since = models.DateField()
    until = models.DateField(null=True, blank=True)
    end_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["party_org", "role", "since", "pk"]
        indexes = [models.Index(fields=["party_org", "until"])]
        constraints = [
            models.UniqueConstraint(
                fields=["party_org"],
                condition=Q(role="secretary", until__isnull=True),
                name="party_member_one_secretary",
            ),
            models.UniqueConstraint(
                fields=["party_org", "person"],
                condition=Q(until__isnull=True, person__isnull=False),
                name="party_member_once",
            ),
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(until__gte=F("since")),
                name="party_member_until_after_since",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} · {self.get_role_display()} · {self.party_org}"

    @property
    def current(self) -> bool:
        return self.until is None


# ------------------------------------------------------------------------ red property (红色物业)


class BoardBody(models.TextChoices):
    """The four bodies that sit on a complex's board (三方联动 led by the party organisation)."""

    PARTY_ORG = "party_org", _("community party organisation")
    RESIDENTS_COMMITTEE = "residents_committee", _("residents' committee")
    HOMEOWNERS_COMMITTEE = "homeowners_committee", _("homeowners' committee")
    PROPERTY_COMPANY = "property_company", _("property company")


class BoardSeat(models.Model):
    """One person's seat on a complex's board (an ``Organisation`` of kind ``complex_board``).

    ``body`` is the body the person sits for, ``body_org`` that body's organisation where it is
    registered. ``cross_body`` names the other body the person also sits in (双向进入、交叉任职: the
    property manager on the party branch's committee, the community cadre on the homeowners'
    committee). ``person`` links to an account when the person signs in; members with an account act
    on cases as the board through a ``department_staff`` membership scoped to the board. Ending a seat
    sets ``ended_on``; rows are never deleted.
    """

    board = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="board_seats",
        limit_choices_to={"kind": "complex_board"},
    )
    body = models.CharField(max_length=24, choices=BoardBody.choices)
    body_org = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="board_seats",
    )
    display_name = models.CharField(max_length=60)
    position = models.CharField(max_length=60)
    cross_body = models.CharField(max_length=24, choices=BoardBody.choices, blank=True)
    cross_position = models.CharField(max_length=60, blank=True)
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    end_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["board", "body", "started_on", "pk"]
        indexes = [models.Index(fields=["board", "ended_on"])]
        constraints = [
            models.UniqueConstraint(
                fields=["board", "person"],
                condition=Q(ended_on__isnull=True, person__isnull=False),
                name="board_seat_once",
            ),
            models.CheckConstraint(condition=~Q(cross_body=F("body")), name="board_seat_cross_body_differs"),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("started_on")),
                name="board_seat_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} · {self.get_body_display()} · {self.board}"

    @property
    def current(self) -> bool:
        return self.ended_on is None


class JointMeeting(models.Model):
    """A joint meeting of a complex's board (联席会议): who came, what was on the agenda, the minutes.

    ``attendees`` are the seats present; ``guests`` names the others in free text (the departments'
    people, the street's cadre). Decisions are ``MeetingDecision`` rows.
    """

    board = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="joint_meetings",
        limit_choices_to={"kind": "complex_board"},
    )
    held_at = models.DateTimeField()
    place = models.CharField(max_length=120)
    agenda = models.TextField()
    attendees = models.ManyToManyField(BoardSeat, blank=True, related_name="meetings")
    guests = models.TextField(blank=True)
    minutes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["board", "-held_at", "-pk"]
        indexes = [models.Index(fields=["board", "held_at"])]

    def __str__(self) -> str:
        return f"{self.board} · {self.held_at:%Y-%m-%d}"


class MeetingDecision(models.Model):
    """One decision of a joint meeting: what is to be done, by which organisation, by when; linked to a
    case where it decides one (e.g. "pass case … to the street")."""

    meeting = models.ForeignKey(JointMeeting, on_delete=models.PROTECT, related_name="decisions")
    text = models.TextField()
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="board_decisions"
    )
    owner = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField(null=True, blank=True)
    done = models.BooleanField(default=False)
    done_at = models.DateTimeField(null=True, blank=True)
    done_note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["meeting", "pk"]

    def __str__(self) -> str:
        return self.text[:40]
