"""Models of chuishao.library: exemplary cases (典型案例) written up by organisations, their results with
figures, tags, attachments, and the term index that Chinese search reads.

Every write goes through ``library.services``; the term index (``ExemplarTerm``) is rebuilt there on
every save, so it never lags behind the text.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from chuishao.geo.models import Jurisdiction
from chuishao.orgs.models import Organisation

# The kinds of organisation that write exemplary cases up.
AUTHOR_ORG_KINDS = ("community_committee", "street_office", "party_org", "unit", "department")


class Status(models.TextChoices):
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("submitted for review")
    PUBLISHED = "published", _("published")
    RETURNED = "returned", _("returned for changes")
    WITHDRAWN = "withdrawn", pgettext_lazy("an exemplary case", "withdrawn")


# States in which the author organisation may edit the text (and then submit it).
EDITABLE = (Status.DRAFT, Status.RETURNED, Status.WITHDRAWN)


class Tag(models.Model):
    """A tag, stored normalised (trimmed, spaces collapsed, Latin lower-cased), so "停车治理" and
    " 停车治理 " are one tag."""

    name = models.CharField(max_length=30, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Exemplar(models.Model):
    """An exemplary case: what problem an organisation met in a region, what it did and what came of it.

    ``organisation`` is the author organisation (a community committee, street office, party
    organisation, unit or department), ``author`` the person who wrote it up (never shown on public
    pages). ``status_reason`` is the reason of the last return or withdrawal.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="exemplars")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=120)
    region = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="exemplars")
    problem = models.TextField()
    actions = models.TextField(help_text="What was done.")
    tags = models.ManyToManyField(Tag, blank=True, related_name="exemplars")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    status_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-published_at", "-updated_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "published_at"]),
            models.Index(fields=["organisation", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="exemplar_published_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def editable(self) -> bool:
        return self.status in EDITABLE


class ExemplarResult(models.Model):
    """One result with its figure, e.g. "满意率 | 97 | %" or "新增停车位 | 320 | 个"."""

    exemplar = models.ForeignKey(Exemplar, on_delete=models.CASCADE, related_name="results")
    position = models.PositiveSmallIntegerField(default=0)
    label = models.CharField(max_length=60)
    value = models.DecimalField(max_digits=14, decimal_places=2)
    unit = models.CharField(max_length=16, blank=True)

    class Meta:
        ordering = ["exemplar", "position", "pk"]

    def __str__(self) -> str:
        return f"{self.label} {self.value_text}{self.unit}"

    @property
    def value_text(self) -> str:
        """The value without trailing zeros ("97", "12.5")."""
        text = format(self.value.normalize(), "f")
        return text


class ExemplarAttachment(models.Model):
    """A file attached to an exemplary case (a photo of the work; checked like a case's photos)."""

    exemplar = models.ForeignKey(Exemplar, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(upload_to="library/%Y/%m/")
    name = models.CharField(max_length=120)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["exemplar", "pk"]

    def __str__(self) -> str:
        return self.name


class Field(models.TextChoices):
    TITLE = "title", _("title")
    TAGS = "tags", _("tags")
    PROBLEM = "problem", _("problem")
    ACTIONS = "actions", _("what was done")
    RESULTS = "results", _("results")


# How much a word found in each field counts towards a search hit.
FIELD_WEIGHT = {Field.TITLE: 8, Field.TAGS: 4, Field.PROBLEM: 2, Field.ACTIONS: 1, Field.RESULTS: 1}


class ExemplarTerm(models.Model):
    """One word of one field of an exemplar, as ``chuishao.text.terms`` segments it; ``weight`` is the
    field's weight times the word's count there (capped). Rebuilt by the services on every save."""

    exemplar = models.ForeignKey(Exemplar, on_delete=models.CASCADE, related_name="terms")
    term = models.CharField(max_length=40)
    field = models.CharField(max_length=10, choices=Field.choices)
    weight = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["term", "exemplar"])]
        constraints = [
            models.UniqueConstraint(fields=["exemplar", "field", "term"], name="exemplar_term_once"),
        ]

    def __str__(self) -> str:
        return f"{self.term} · {self.field} · {self.weight}"
