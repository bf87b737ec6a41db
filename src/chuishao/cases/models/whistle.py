"""The whistle (吹哨): a street summons departments to cases it cannot solve alone, and they report (报到).

A whistle is blown by a street on one or more of its cases. Each summoned organisation is a
``WhistleSummons`` that moves summoned → acknowledged → on site → acted → released; the street
releases everyone when it confirms the matter is done (事不完、人不撤), then rates each organisation it
summoned. A joint whistle has several ``WhistleParty`` rows — every street (and so every district)
that co-owns it — and each party street rates the organisations it summoned itself.

State columns are written only by ``cases.services.whistle``; every change appends one event on the
whistle's own chain (``whistle:<id>``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from chuishao.cases.models.case import AssignmentRole, Case
from chuishao.geo.models import Jurisdiction
from chuishao.orgs.models import Organisation


class WhistleKind(models.TextChoices):
    EVERYDAY = "everyday", _("everyday whistle (日常哨)")
    CAMPAIGN = "campaign", _("campaign whistle (攻坚哨)")
    EMERGENCY = "emergency", _("emergency whistle (应急哨)")


class WhistleReason(models.TextChoices):
    BEYOND_POWER = "beyond_power", _("a pressing problem beyond the street's power")
    JOINT_ENFORCEMENT = "joint_enforcement", _("needs joint enforcement")
    EMERGENCY = "emergency", _("an emergency")


class WhistleStatus(models.TextChoices):
    OPEN = "open", _("summoned: departments reporting and working")
    DONE = "done", _("done: the street confirmed the matter is solved")
    CANCELLED = "cancelled", _("cancelled")


class Whistle(models.Model):
    number = models.CharField(max_length=24, unique=True)
    city = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=WhistleKind.choices)
    reason = models.CharField(max_length=20, choices=WhistleReason.choices)
    description = models.TextField()
    status = models.CharField(max_length=12, choices=WhistleStatus.choices, default=WhistleStatus.OPEN)
    # The street that blew it (a community blows through its street).
    street = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="+")
    joint = models.BooleanField(default=False)
    cases = models.ManyToManyField(Case, related_name="whistles")
    # Where the matter is (the first case's point): check-in distances are measured from here.
    lat = models.FloatField(null=True, blank=True)
    lng = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)
    done_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["street", "status"]), models.Index(fields=["city", "created_at"])]

    def __str__(self) -> str:
        return self.number

    @property
    def chain(self) -> str:
        return f"whistle:{self.pk}"


class WhistleParty(models.Model):
    """A street (with its district) that co-owns a whistle: the one that blew it, or one joined to it."""

    whistle = models.ForeignKey(Whistle, on_delete=models.CASCADE, related_name="parties")
    street = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="+")
    district = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="+")
    initiator = models.BooleanField(default=False)
    joined_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["whistle", "street"], name="whistle_party_unique")]

    def __str__(self) -> str:
        return f"{self.whistle_id}:{self.street_id}"


class SummonsState(models.TextChoices):
    SUMMONED = "summoned", _("summoned, not yet acknowledged")
    ACKNOWLEDGED = "acknowledged", _("acknowledged")
    ON_SITE = "on_site", _("on site")
    ACTED = "acted", _("recorded what it did")
    RELEASED = "released", _("released: the matter is done")


class WhistleSummons(models.Model):
    """One organisation summoned to a whistle, with its report deadlines and what it did."""

    whistle = models.ForeignKey(Whistle, on_delete=models.CASCADE, related_name="summonses")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="summonses")
    role = models.CharField(max_length=8, choices=AssignmentRole.choices)
    # The party street that summoned it: the one that rates it.
    summoned_by = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=14, choices=SummonsState.choices, default=SummonsState.SUMMONED)
    summoned_at = models.DateTimeField()
    acknowledge_due = models.DateTimeField()
    onsite_due = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    onsite_at = models.DateTimeField(null=True, blank=True)
    onsite_lat = models.FloatField(null=True, blank=True)
    onsite_lng = models.FloatField(null=True, blank=True)
    # Metres from the check-in position to the case (None when either point is unknown).
    onsite_distance_m = models.FloatField(null=True, blank=True)
    acted_at = models.DateTimeField(null=True, blank=True)
    action_note = models.TextField(blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    # When the sweep must next look at it (acknowledge or on-site deadline); None: nothing pending.
    sweep_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Deadlines the sweep has already reported as missed: {"acknowledge": iso, "onsite": iso}.
    overdue = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["whistle", "summoned_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["whistle", "organisation"], name="whistle_summons_unique"),
            models.CheckConstraint(
                condition=~Q(role="notify") | Q(onsite_at__isnull=True), name="summons_notify_never_on_site"
            ),
        ]
        indexes = [models.Index(fields=["organisation", "state"])]

    def __str__(self) -> str:
        return f"{self.whistle_id}:{self.organisation_id}"

    @property
    def acknowledged_on_time(self) -> bool | None:
        """True/False once acknowledged; None while it has not been."""
        if self.acknowledged_at is None:
            return None
        return self.acknowledged_at <= self.acknowledge_due

    @property
    def onsite_on_time(self) -> bool | None:
        if self.onsite_at is None:
            return None
        return self.onsite_at <= self.onsite_due


class WhistleRating(models.Model):
    """The summoning street's rating of one summoned organisation once the whistle is done (1–5 each)."""

    summons = models.OneToOneField(WhistleSummons, on_delete=models.CASCADE, related_name="rating")
    street = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="whistle_ratings")
    on_time_report = models.PositiveSmallIntegerField()
    problem_solved = models.PositiveSmallIntegerField()
    attitude = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(on_time_report__gte=1, on_time_report__lte=5)
                & Q(problem_solved__gte=1, problem_solved__lte=5)
                & Q(attitude__gte=1, attitude__lte=5),
                name="whistle_rating_scores_1_to_5",
            )
        ]

    def __str__(self) -> str:
        return f"{self.summons_id}: {self.on_time_report}/{self.problem_solved}/{self.attitude}"

    @property
    def score(self) -> float:
        """The rating on a 0–100 scale (equal weights)."""
        return round((self.on_time_report + self.problem_solved + self.attitude - 3) / 12 * 100, 1)
