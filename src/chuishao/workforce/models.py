"""Community workers and the load put on communities.

三岗十八级: every community worker holds one of three posts (head, deputy, other staff), each with its
own band of the eighteen grades; a worker steps up one grade at a regular interval and each grade
carries a pay coefficient. The bands, the interval and the coefficients are rows, so a city changes
them without a code change.

社区减负: a task, form, inspection or certificate pushed down to communities must first be admitted
(准入) by the level that guards the communities' workload; the register counts what was admitted
per community over time.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from chuishao.geo.models import Jurisdiction
from chuishao.orgs.models import Organisation


class Post(models.TextChoices):
    HEAD = "head", pgettext_lazy("community worker post", "head")
    DEPUTY = "deputy", pgettext_lazy("community worker post", "deputy")
    OTHER = "other", pgettext_lazy("community worker post", "other staff")


class PostScale(models.Model):
    """The grade band of a post and how often its holders step up (``city`` empty: the default)."""

    city = models.ForeignKey(Jurisdiction, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    post = models.CharField(max_length=8, choices=Post.choices)
    min_grade = models.PositiveSmallIntegerField()
    max_grade = models.PositiveSmallIntegerField()
    step_years = models.PositiveSmallIntegerField(default=3)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["city", "post"], name="postscale_unique"),
            models.UniqueConstraint(
                fields=["post"], condition=Q(city__isnull=True), name="postscale_default_unique"
            ),
            models.CheckConstraint(
                condition=Q(min_grade__gte=1, max_grade__lte=18, min_grade__lte=models.F("max_grade")),
                name="postscale_band",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.post} {self.min_grade}–{self.max_grade}"


class GradePay(models.Model):
    """The pay coefficient of a grade (``city`` empty: the default)."""

    city = models.ForeignKey(Jurisdiction, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    grade = models.PositiveSmallIntegerField()
    coefficient = models.DecimalField(max_digits=5, decimal_places=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["city", "grade"], name="gradepay_unique"),
            models.UniqueConstraint(
                fields=["grade"], condition=Q(city__isnull=True), name="gradepay_default_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"grade {self.grade}: {self.coefficient}"


class CommunityWorker(models.Model):
    """A person working for a community on one post and grade; ``ended_on`` set once they leave."""

    community = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="workers")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(max_length=60)
    # The title the community uses (党委书记, 居委会主任, 社区专职工作者 …).
    position = models.CharField(max_length=60, blank=True)
    post = models.CharField(max_length=8, choices=Post.choices)
    grade = models.PositiveSmallIntegerField()
    grade_since = models.DateField()
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["community_id", "post", "-grade", "name"]
        indexes = [models.Index(fields=["community", "ended_on"])]
        constraints = [
            models.CheckConstraint(condition=Q(grade__gte=1, grade__lte=18), name="worker_grade_range"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.post} {self.grade})"


class ChangeKind(models.TextChoices):
    HIRE = "hire", _("hired")
    STEP = "step", _("regular grade step")
    POST = "post", _("post changed")
    ADJUST = "adjust", _("grade adjusted")
    LEAVE = "leave", _("left")


class GradeChange(models.Model):
    """One line of a worker's grade history; lines are only ever added."""

    worker = models.ForeignKey(CommunityWorker, on_delete=models.CASCADE, related_name="history")
    kind = models.CharField(max_length=8, choices=ChangeKind.choices)
    post = models.CharField(max_length=8, choices=Post.choices)
    from_grade = models.PositiveSmallIntegerField(null=True, blank=True)
    to_grade = models.PositiveSmallIntegerField()
    effective_on = models.DateField()
    reason = models.CharField(max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["worker_id", "effective_on", "pk"]

    def __str__(self) -> str:
        return f"{self.worker_id}: {self.from_grade} → {self.to_grade} ({self.kind})"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("grade history lines are never changed; add a new line")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("grade history lines are never deleted")


class ItemKind(models.TextChoices):
    TASK = "task", _("work task")
    FORM = "form", _("statistical form")
    INSPECTION = "inspection", _("inspection or assessment")
    CERTIFICATE = "certificate", _("certificate")


class Frequency(models.TextChoices):
    ONCE = "once", _("once")
    MONTHLY = "monthly", _("monthly")
    QUARTERLY = "quarterly", _("quarterly")
    YEARLY = "yearly", _("yearly")


class AdmissionStatus(models.TextChoices):
    REQUESTED = "requested", _("awaiting admission")
    ADMITTED = "admitted", _("admitted")
    REFUSED = "refused", _("refused")
    WITHDRAWN = "withdrawn", pgettext_lazy("an admission request", "withdrawn")


class Admission(models.Model):
    """A request to push a task, form, inspection or certificate down to the communities under
    ``scope`` (a district, street or community), and the decision on it (准入)."""

    city = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="+")
    scope = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="admissions")
    kind = models.CharField(max_length=12, choices=ItemKind.choices)
    title = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    # The law, regulation or decision that makes it the communities' work; admission needs one.
    basis = models.CharField(max_length=200)
    frequency = models.CharField(max_length=12, choices=Frequency.choices, default=Frequency.ONCE)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requesting_org = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    status = models.CharField(
        max_length=12, choices=AdmissionStatus.choices, default=AdmissionStatus.REQUESTED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["city", "status", "starts_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="admission_dates",
            ),
        ]

    def __str__(self) -> str:
        return self.title
