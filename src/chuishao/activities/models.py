"""Models of chuishao.activities: an activity organised by a party organisation or a community committee,
each person's place in it (sign-up, leave, attendance) and the audience figures check-in cannot count."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from chuishao.orgs.models import Organisation


class Kind(models.TextChoices):
    LECTURE = "lecture", _("lecture (讲坛/党课)")
    TRAINING = "training", _("training class (培训班)")
    BRANCH_MEETING = "branch_meeting", _("branch meeting (三会一课)")
    RESEARCH = "research", _("research visit (调研)")
    VOLUNTEER = "volunteer", _("volunteer day (志愿服务)")


class MeetingKind(models.TextChoices):
    """The four sub-kinds of 三会一课."""

    GENERAL = "general", _("branch general meeting (支部党员大会)")
    COMMITTEE = "committee", _("branch committee meeting (支委会)")
    GROUP = "group", _("party group meeting (党小组会)")
    PARTY_CLASS = "party_class", _("party class (党课)")


class Audience(models.TextChoices):
    OPEN = "open", _("anyone signed in")
    MEMBERS = "members", _("the organisation's party members only")


class Status(models.TextChoices):
    PLANNED = "planned", pgettext_lazy("activity", "planned")
    CANCELLED = "cancelled", pgettext_lazy("activity", "cancelled")
    HELD = "held", pgettext_lazy("activity", "held and closed")


# Activities whose hours count as training hours per member.
TRAINING_KINDS = (Kind.LECTURE, Kind.TRAINING, Kind.BRANCH_MEETING)


class Activity(models.Model):
    """One activity. ``taken`` counts the places held (sign-ups and walk-in check-ins) against
    ``capacity`` (null: no limit); it only moves through conditional UPDATEs in the services."""

    organiser = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="activities",
        limit_choices_to={"kind__in": ["party_org", "community_committee"]},
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    meeting_kind = models.CharField(max_length=20, choices=MeetingKind.choices, blank=True)
    title = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    place = models.CharField(max_length=120, blank=True)
    online = models.BooleanField(default=False)
    online_link = models.URLField(max_length=300, blank=True)
    capacity = models.PositiveIntegerField(null=True, blank=True)
    taken = models.PositiveIntegerField(default=0)
    signup_opens_at = models.DateTimeField(null=True, blank=True)
    signup_closes_at = models.DateTimeField(null=True, blank=True)
    audience = models.CharField(max_length=10, choices=Audience.choices, default=Audience.OPEN)
    checkin_lead_minutes = models.PositiveSmallIntegerField(default=30)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLANNED)
    cancel_reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    # Exemplary cases (library) the activity presents or visits; published ones are shown.
    exemplars = models.ManyToManyField("library.Exemplar", blank=True, related_name="activities")

    class Meta:
        ordering = ["-starts_at", "-pk"]
        verbose_name_plural = "activities"
        indexes = [
            models.Index(fields=["organiser", "starts_at"]),
            models.Index(fields=["status", "starts_at"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="activity_ends_after_start"),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(taken__lte=F("capacity")),
                name="activity_taken_le_capacity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} · {self.starts_at:%Y-%m-%d}"

    @property
    def duration(self) -> dt.timedelta:
        return self.ends_at - self.starts_at

    @property
    def hours(self) -> float:
        return round(self.duration.total_seconds() / 3600, 2)

    @property
    def members_only(self) -> bool:
        return self.audience == Audience.MEMBERS

    @property
    def places_left(self) -> int | None:
        return None if self.capacity is None else max(self.capacity - self.taken, 0)


class Presence(models.TextChoices):
    NONE = "", _("—")
    ATTENDED = "attended", _("attended")
    LEAVE = "leave", _("on leave (请假)")
    ABSENT = "absent", _("absent")


class Method(models.TextChoices):
    NONE = "", _("—")
    QR = "qr", _("QR code")
    HAND = "hand", _("marked by the organiser")
    CLOSE = "close", _("closing the activity")


class Participation(models.Model):
    """One person's place in one activity: signed up (holding a place), then attended, on leave or absent.

    ``holds_place`` is true while the row counts in ``Activity.taken``. ``reason`` is the leave's or the
    absence's reason, or why the organiser marked attendance by hand."""

    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="participations")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="activity_rows"
    )
    signed_up_at = models.DateTimeField(null=True, blank=True)
    signup_cancelled_at = models.DateTimeField(null=True, blank=True)
    holds_place = models.BooleanField(default=False)
    presence = models.CharField(max_length=10, choices=Presence.choices, blank=True, default="")
    method = models.CharField(max_length=10, choices=Method.choices, blank=True, default="")
    checked_in_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["activity", "pk"]
        constraints = [models.UniqueConstraint(fields=["activity", "person"], name="participation_once")]
        indexes = [models.Index(fields=["person", "presence"])]

    def __str__(self) -> str:
        return f"{self.activity_id} · {self.person_id} · {self.presence or '-'}"


class Measure(models.TextChoices):
    HALL = "hall", _("people in the hall")
    ONLINE = "online", _("online viewers")
    INTERACTIONS = "interactions", _("interactions and comments")
    OTHER = "other", _("other audience")


class AudienceFigure(models.Model):
    """A figure check-in cannot count, as the organiser entered it, with where it comes from."""

    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="figures")
    measure = models.CharField(max_length=16, choices=Measure.choices)
    count = models.PositiveBigIntegerField()
    source = models.CharField(max_length=120)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["activity", "measure"]
        constraints = [models.UniqueConstraint(fields=["activity", "measure"], name="audience_figure_once")]

    def __str__(self) -> str:
        return f"{self.activity_id} · {self.measure} · {self.count}"
