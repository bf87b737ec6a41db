"""Models of chuishao.campaigns: a selection campaign (评选), its criteria, recommendations with their
deeds, reviewers with their blind scores and declared conflicts, the shortlist and the objections of
the public notice (公示).

Rows are written only by ``chuishao.campaigns.services``; every write there appends an event to the
campaign's own chain (``campaign:<id>``), which is the audit trail.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from chuishao.geo.models import Jurisdiction
from chuishao.orgs.models import Organisation


class Phase(models.TextChoices):
    DRAFT = "draft", _("draft")
    RECOMMENDING = "recommending", _("recommending")
    REVIEWING = "reviewing", _("reviewing")
    SHORTLISTED = "shortlisted", _("shortlisted")
    NOTICE = "notice", _("public notice")
    ANNOUNCED = "announced", _("announced")
    CANCELLED = "cancelled", _("cancelled")


class Campaign(models.Model):
    """A selection run by an organiser node (a city or a district): its centre, administrators and
    leaders over it organise it."""

    node = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="campaigns")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    places = models.PositiveSmallIntegerField(default=10)
    # How many candidates one recommender (a unit, a street or a community) may put forward.
    quota = models.PositiveSmallIntegerField(default=3)
    recommend_until = models.DateField()
    review_until = models.DateField()
    notice_from = models.DateField()
    notice_until = models.DateField()
    announce_on = models.DateField()
    status = models.CharField(max_length=16, choices=Phase.choices, default=Phase.DRAFT)
    status_reason = models.TextField(blank=True)
    round_closed_at = models.DateTimeField(null=True, blank=True)
    shortlist_reason = models.TextField(blank=True)
    announced_at = models.DateTimeField(null=True, blank=True)
    # Published exemplary cases (the library) the campaign points readers to.
    exemplars = models.ManyToManyField("library.Exemplar", blank=True, related_name="campaigns")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def round_closed(self) -> bool:
        return self.round_closed_at is not None


class Criterion(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="criteria")
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=80)
    description = models.CharField(max_length=500, blank=True)
    max_score = models.PositiveSmallIntegerField()
    weight = models.DecimalField(max_digits=5, decimal_places=2, default=1)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(max_score__gt=0), name="criterion_max_positive"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="criterion_weight_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class Candidate(models.Model):
    """A recommended person. The recommender is a unit (``by_org``) or a street or community
    (``by_node``); the quota counts per recommender, not per account."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="candidates")
    name = models.CharField(max_length=60)
    unit = models.CharField(max_length=120)
    title = models.CharField(max_length=120)
    deeds = models.TextField()
    # Only the organiser sees these.
    contact_phone = models.CharField(max_length=40, blank=True)
    by_org = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    by_node = models.ForeignKey(
        Jurisdiction, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recommended_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recommended_at = models.DateTimeField()
    # Set when the organiser confirms the shortlist, and by upheld objections and replacements.
    shortlisted = models.BooleanField(default=False)
    # When the candidate joined the shortlist (confirmed, or as a replacement during the notice): a
    # replacement gets a whole notice period of its own before the announcement.
    shortlisted_at = models.DateTimeField(null=True, blank=True)
    removed = models.BooleanField(default=False)
    removed_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(by_org__isnull=False, by_node__isnull=True)
                | Q(by_org__isnull=True, by_node__isnull=False),
                name="candidate_one_recommender",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def recommender(self) -> Organisation | Jurisdiction:
        return self.by_org or self.by_node


class Attachment(models.Model):
    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="campaigns/%Y/%m/")
    content_type = models.CharField(max_length=40)
    uploaded_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.file.name


class Reviewer(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="reviewers")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField()

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "person"], name="reviewer_unique"),
        ]

    def __str__(self) -> str:
        return str(self.person)


class Score(models.Model):
    reviewer = models.ForeignKey(Reviewer, on_delete=models.CASCADE, related_name="scores")
    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="scores")
    value = models.DecimalField(max_digits=6, decimal_places=1)
    comment = models.CharField(max_length=500, blank=True)
    scored_at = models.DateTimeField()

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["reviewer", "candidate", "criterion"], name="score_unique"),
            models.CheckConstraint(condition=Q(value__gte=0), name="score_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.reviewer_id}·{self.candidate_id}·{self.criterion_id}"


class Conflict(models.Model):
    """A reviewer's declared conflict of interest: their scores for the candidate do not count."""

    reviewer = models.ForeignKey(Reviewer, on_delete=models.CASCADE, related_name="conflicts")
    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="conflicts")
    reason = models.CharField(max_length=300)
    declared_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["reviewer", "candidate"], name="conflict_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.reviewer_id}·{self.candidate_id}"


class Answer(models.TextChoices):
    UPHELD = "upheld", _("upheld")
    DISMISSED = "dismissed", _("dismissed")


class Objection(models.Model):
    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="objections")
    # Shown only to the organiser.
    lodged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    lodged_at = models.DateTimeField()
    answer = models.CharField(max_length=12, choices=Answer.choices, blank=True)
    answer_text = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    replacement = models.ForeignKey(
        Candidate, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.candidate} · {self.lodged_at:%Y-%m-%d}"
