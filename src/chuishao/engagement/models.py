"""Dual reporting (双报到): registrations, the three lists, volunteer tasks, service records and points.

A unit's party organisation registers with the street or community where the unit sits; an in-service
party member registers with the community where they live, naming their employer unit and the service
posts they take. Communities publish needs (and approve residents' small wishes), units publish
resources, projects match the two. A need becomes tasks that registered members claim up to a
capacity; a claim is the service record (check in, check out, hours confirmed by the organiser).
Confirmed service earns points by rules that are data, written to an append-only ledger.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from chuishao.geo.models import Jurisdiction
from chuishao.orgs.models import Organisation


class ServicePost(models.Model):
    """A kind of service a member may take on (policy explanation, environment, public order …)."""

    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=60)
    name_en = models.CharField(max_length=120, blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name


class Grade(models.TextChoices):
    EXCELLENT = "excellent", _("excellent")
    GOOD = "good", _("good")
    FAIR = "fair", _("fair")
    DID_NOT_SERVE = "did_not_serve", _("did not serve")


class EngagementPolicy(models.Model):
    """A city's rules for dual reporting."""

    city = models.OneToOneField(Jurisdiction, on_delete=models.PROTECT, related_name="+")
    # A confirmed registration lapses after this many months unless renewed (None: it never lapses).
    reregister_months = models.PositiveSmallIntegerField(null=True, blank=True)
    # The highest grade a unit's report may show for a member who never registered.
    unregistered_grade = models.CharField(max_length=16, choices=Grade.choices, default=Grade.DID_NOT_SERVE)

    def __str__(self) -> str:
        return f"policy of {self.city_id}"


class RegistrationKind(models.TextChoices):
    UNIT = "unit", _("unit")
    MEMBER = "member", _("party member")


class RegistrationStatus(models.TextChoices):
    PENDING = "pending", _("awaiting confirmation")
    CONFIRMED = "confirmed", _("confirmed")
    REJECTED = "rejected", _("not accepted")
    ENDED = "ended", _("ended")


OPEN_REGISTRATION = (RegistrationStatus.PENDING, RegistrationStatus.CONFIRMED)


class Registration(models.Model):
    """One registration; a move or a renewal ends it and starts another, so history is kept."""

    kind = models.CharField(max_length=8, choices=RegistrationKind.choices)
    # The community (or, for a unit, the street) registered with.
    node = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The unit itself (kind unit) or the member's employer (kind member).
    unit = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    # The unit's party organisation that registers (kind unit).
    party_org = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    posts = models.ManyToManyField(ServicePost, blank=True, related_name="+")
    status = models.CharField(max_length=12, choices=RegistrationStatus.choices)
    registered_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision_note = models.TextField(blank=True)
    expires_on = models.DateField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.TextField(blank=True)
    previous = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-registered_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(kind="member", status__in=["pending", "confirmed"]),
                name="registration_one_open_per_member",
            ),
            models.UniqueConstraint(
                fields=["unit", "node"],
                condition=Q(kind="unit", status__in=["pending", "confirmed"]),
                name="registration_one_open_per_unit_node",
            ),
            models.CheckConstraint(
                condition=Q(kind="unit") | Q(person__isnull=False), name="registration_member_has_person"
            ),
        ]
        indexes = [models.Index(fields=["node", "status"]), models.Index(fields=["unit", "status"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.person_id or self.unit_id} → {self.node_id}"


class UnitMember(models.Model):
    """A unit's roster of in-service party members, so its report can flag those who never registered."""

    unit = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit", "person"], name="unit_member_unique")]

    def __str__(self) -> str:
        return f"{self.person_id} @ {self.unit_id}"


class NeedKind(models.TextChoices):
    NEED = "need", _("need")
    WISH = "wish", _("small wish")


class NeedStatus(models.TextChoices):
    PROPOSED = "proposed", _("awaiting approval")
    OPEN = "open", _("open")
    DONE = "done", _("met")
    DECLINED = "declined", pgettext_lazy("a wish or need", "declined")


class Need(models.Model):
    """需求清单: what residents need, including small wishes (微心愿) a resident posts for approval."""

    node = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=8, choices=NeedKind.choices)
    title = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    post = models.ForeignKey(ServicePost, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=NeedStatus.choices)
    posted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["node", "status"])]

    def __str__(self) -> str:
        return self.title


class Resource(models.Model):
    """资源清单: what a unit can offer a community or street, and how much of it."""

    unit = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    node = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    post = models.ForeignKey(ServicePost, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    capacity = models.PositiveIntegerField()
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class ProjectStatus(models.TextChoices):
    ACTIVE = "active", _("under way")
    DONE = "done", _("completed")


class Project(models.Model):
    """项目清单: a project that meets a need with a unit's resource, owned by a unit."""

    node = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=120)
    goal = models.TextField()
    owner = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    need = models.ForeignKey(Need, null=True, blank=True, on_delete=models.PROTECT, related_name="projects")
    resource = models.ForeignKey(
        Resource, null=True, blank=True, on_delete=models.PROTECT, related_name="projects"
    )
    starts_on = models.DateField()
    ends_on = models.DateField()
    status = models.CharField(max_length=8, choices=ProjectStatus.choices, default=ProjectStatus.ACTIVE)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-starts_on", "-id"]

    def __str__(self) -> str:
        return self.title


class ServiceCentre(models.Model):
    """党群服务中心: a street's or community's centre, its services and opening hours."""

    node = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=120)
    name_en = models.CharField(max_length=200, blank=True)
    address = models.CharField(max_length=200)
    lat = models.FloatField()
    lng = models.FloatField()
    opening_hours = models.CharField(max_length=200)
    services = models.JSONField(default=list, blank=True)
    phone = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["node__code", "name"]

    def __str__(self) -> str:
        return self.name


class TaskStatus(models.TextChoices):
    OPEN = "open", _("open")
    DONE = "done", _("done")
    CANCELLED = "cancelled", pgettext_lazy("a volunteer task", "cancelled")


class Task(models.Model):
    """A piece of volunteer service at a time and place, claimed by members up to ``capacity``."""

    node = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    post = models.ForeignKey(ServicePost, on_delete=models.PROTECT, related_name="+")
    need = models.ForeignKey(Need, null=True, blank=True, on_delete=models.PROTECT, related_name="tasks")
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.PROTECT, related_name="tasks"
    )
    # A light case turned into volunteer work; the case's timeline shows the link.
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="volunteer_tasks"
    )
    centre = models.ForeignKey(
        ServiceCentre, null=True, blank=True, on_delete=models.PROTECT, related_name="tasks"
    )
    place = models.CharField(max_length=200)
    lat = models.FloatField(null=True, blank=True)
    lng = models.FloatField(null=True, blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    capacity = models.PositiveSmallIntegerField()
    # Active claims, kept under the task's row lock so capacity holds under concurrent claims.
    claimed = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["node", "starts_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(claimed__lte=models.F("capacity")), name="task_within_capacity"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="task_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def places_left(self) -> int:
        return max(self.capacity - self.claimed, 0)


class ClaimStatus(models.TextChoices):
    CLAIMED = "claimed", _("signed up")
    WITHDRAWN = "withdrawn", _("withdrawn")
    CHECKED_IN = "checked_in", pgettext_lazy("a volunteer", "on site")
    CHECKED_OUT = "checked_out", _("awaiting confirmation")
    CONFIRMED = "confirmed", _("service confirmed")
    NOT_SERVED = "not_served", _("did not serve")


ACTIVE_CLAIM = (
    ClaimStatus.CLAIMED,
    ClaimStatus.CHECKED_IN,
    ClaimStatus.CHECKED_OUT,
    ClaimStatus.CONFIRMED,
)


class Claim(models.Model):
    """A member's place on a task and, once served, the service record."""

    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="claims")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    registration = models.ForeignKey(Registration, on_delete=models.PROTECT, related_name="claims")
    status = models.CharField(max_length=12, choices=ClaimStatus.choices)
    claimed_at = models.DateTimeField()
    checked_in_at = models.DateTimeField(null=True, blank=True)
    in_lat = models.FloatField(null=True, blank=True)
    in_lng = models.FloatField(null=True, blank=True)
    checked_out_at = models.DateTimeField(null=True, blank=True)
    out_lat = models.FloatField(null=True, blank=True)
    out_lng = models.FloatField(null=True, blank=True)
    hours = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    note = models.TextField(blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["task__starts_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["task", "person"], condition=~Q(status="withdrawn"), name="claim_one_per_member"
            )
        ]
        indexes = [models.Index(fields=["person", "status"])]

    def __str__(self) -> str:
        return f"{self.person_id} on {self.task_id}"


class CapPeriod(models.TextChoices):
    NONE = "", _("no cap")
    MONTH = "month", _("per month")
    QUARTER = "quarter", _("per quarter")
    YEAR = "year", _("per year")


class PointRule(models.Model):
    """How confirmed service earns points in a city: per task, per hour, capped per period."""

    city = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(max_length=40)
    name = models.CharField(max_length=120)
    # Only service in this post earns by the rule (None: any post).
    post = models.ForeignKey(ServicePost, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    per_task = models.DecimalField(max_digits=6, decimal_places=1, default=0)
    per_hour = models.DecimalField(max_digits=6, decimal_places=1, default=0)
    cap = models.DecimalField(max_digits=7, decimal_places=1, null=True, blank=True)
    cap_period = models.CharField(max_length=8, choices=CapPeriod.choices, blank=True, default="")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["city", "code"]
        constraints = [models.UniqueConstraint(fields=["city", "code"], name="point_rule_unique")]

    def __str__(self) -> str:
        return self.name


class EntryKind(models.TextChoices):
    AWARD = "award", _("award")
    CORRECTION = "correction", _("correction")


class AppendOnly(Exception):
    pass


class PointEntry(models.Model):
    """One line of the points ledger; never changed or deleted (a correction is a new line)."""

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=EntryKind.choices)
    points = models.DecimalField(max_digits=8, decimal_places=1)
    claim = models.ForeignKey(Claim, null=True, blank=True, on_delete=models.PROTECT, related_name="entries")
    rule = models.ForeignKey(PointRule, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    corrects = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrections"
    )
    # Where and for whom the service counted, frozen at award time for rankings and unit reports.
    node = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    # The day the service took place; periods and caps count by it.
    served_on = models.DateField()
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["person", "served_on"]),
            models.Index(fields=["unit", "served_on"]),
            models.Index(fields=["node", "served_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.points:+}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise AppendOnly("ledger entries are never changed; append a correction")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("ledger entries are never deleted; append a correction")


class MemberEvaluation(models.Model):
    """The community's evaluation of a registered member's year of service, reported to the unit."""

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    node = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    grade = models.CharField(max_length=16, choices=Grade.choices)
    note = models.TextField(blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "node", "year"], name="member_evaluation_unique")
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.year} {self.grade}"
