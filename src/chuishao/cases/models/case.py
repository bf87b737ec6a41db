"""A case: one matter reported at a place, followed to an outcome the reporter rates.

State columns (``status``, deadlines, owners, ``chain_seq``/``chain_hash``) are written only by the
service functions in ``cases.services``; each write appends one event in the same transaction.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from chuishao.catalog.models import Category
from chuishao.geo.models import Complex, Jurisdiction
from chuishao.orgs.models import Organisation


class Status(models.TextChoices):
    REPORTED = "reported", _("reported")
    VERIFIED = "verified", _("verified")
    FILED = "filed", _("filed")
    DECLINED = "declined", _("declined")
    CANCELLED = "cancelled", _("cancelled")
    DISPATCHED = "dispatched", _("dispatched")
    ACCEPTED = "accepted", _("accepted")
    RETURNED = "returned", _("returned")
    HANDLING = "handling", _("handling")
    EXTENSION_REQUESTED = "extension_requested", _("extension requested")
    HANDLED = "handled", _("handled")
    CHECKED = "checked", _("checked")
    REWORKED = "reworked", _("sent back for rework")
    CLOSED = "closed", _("closed")
    RATED = "rated", _("rated")
    REOPENED = "reopened", _("reopened")
    PARKED = "parked", _("parked")
    ARBITRATION = "arbitration", _("awaiting arbitration")
    SELF_HANDLED = "self_handled", _("self-handled")


class Source(models.TextChoices):
    RESIDENT_WEB = "resident_web", _("resident (web)")
    HOTLINE = "hotline", _("hotline")
    GRID_PATROL = "grid_patrol", _("grid patrol")
    OPEN311 = "open311", _("Open311 client")
    OTHER_SYSTEM = "other_system", _("other system")


# Sources whose reports a grid worker must verify on site before filing (public-first reports).
PUBLIC_SOURCES = {Source.RESIDENT_WEB, Source.HOTLINE, Source.OPEN311, Source.OTHER_SYSTEM}


class Nature(models.TextChoices):
    CONSULT = "consult", _("consultation (咨询)")
    HELP = "help", _("request for help (求助)")
    COMPLAINT = "complaint", _("complaint (投诉)")
    TIP_OFF = "tip_off", _("tip-off (举报)")
    SUGGESTION = "suggestion", _("suggestion (建议)")
    THANKS = "thanks", _("thanks (感谢)")


class Priority(models.TextChoices):
    NORMAL = "normal", _("normal")
    URGENT = "urgent", _("urgent")
    EMERGENCY = "emergency", _("emergency")


class WarnLevel(models.TextChoices):
    NONE = "", _("in time")
    YELLOW = "yellow", _("yellow: 80 per cent of the deadline used")
    RED = "red", _("red: overdue")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("satisfied")
    BASICALLY = "basically", _("basically satisfied")
    UNSATISFIED = "unsatisfied", _("unsatisfied")


class Resolution(models.TextChoices):
    SOLVED = "solved", _("solved")
    PARTLY = "partly", _("partly solved")
    UNSOLVED = "unsolved", _("not solved")


class Case(models.Model):
    number = models.CharField(max_length=24, unique=True)
    # The place and owner keys are indexed by the composite indexes in Meta, which lead with them; an
    # index of their own would only cost every write and the load (docs/benchmarks.md).
    city = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="+", db_index=False)
    source = models.CharField(max_length=16, choices=Source.choices)
    nature = models.CharField(max_length=16, choices=Nature.choices, default=Nature.COMPLAINT)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="cases", db_index=False)
    description = models.TextField()
    # Answers to the category's extra questions ({question code: value}), checked at intake.
    answers = models.JSONField(default=dict, blank=True)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(max_length=24, choices=Status.choices)  # indexed in Meta
    # Where the state returns after a parked period or an extension request.
    resume_status = models.CharField(max_length=24, choices=Status.choices, blank=True)

    # Reporter: the account (if any) and the contact details given; personal data, masked for most roles.
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reported_cases",
    )
    reporter_name = models.CharField(max_length=60, blank=True)
    reporter_phone = models.CharField(max_length=20, blank=True)
    reporter_email = models.EmailField(max_length=120, blank=True)
    anonymous = models.BooleanField(default=False)
    # Secret part of the link an anonymous reporter follows the case with.
    follow_token = models.CharField(max_length=32, unique=True)

    # Location and its resolved chain.
    lat = models.FloatField(null=True, blank=True)
    lng = models.FloatField(null=True, blank=True)
    address = models.CharField(max_length=200, blank=True)
    grid = models.ForeignKey(
        Jurisdiction, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    community = models.ForeignKey(
        Jurisdiction, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    street = models.ForeignKey(
        Jurisdiction, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    district = models.ForeignKey(
        Jurisdiction, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    complex = models.ForeignKey(
        Complex, null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    outside_grids = models.BooleanField(default=False)
    boundary_case = models.BooleanField(default=False)
    # Codes of other jurisdictions within the boundary distance of the point.
    nearby_jurisdictions = models.JSONField(default=list, blank=True)

    # Ownership.
    first_receiver = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lead_org = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    suggested_org = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The centre node that dispatched the case: extensions need its approval, arbitration goes above it.
    dispatcher_node = models.ForeignKey(
        Jurisdiction, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Set by arbitration: this organisation leads the case and may not return it again.
    arbitrated_org = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    return_count = models.PositiveSmallIntegerField(default=0)
    reopen_count = models.PositiveSmallIntegerField(default=0)
    rework_count = models.PositiveSmallIntegerField(default=0)
    extension_count = models.PositiveSmallIntegerField(default=0)

    # The deadline of the stage the case is in now.
    stage = models.CharField(max_length=16, blank=True)
    deadline_at = models.DateTimeField(null=True, blank=True, db_index=True)
    deadline_provisional = models.BooleanField(default=False)
    # Every stage's deadline: {stage: {"due": iso, "provisional": bool, "met": iso | None}}.
    deadlines = models.JSONField(default=dict, blank=True)
    # Colour of the running deadline, when the sweep turns it yellow (80 % used), and escalation.
    warn_level = models.CharField(max_length=8, choices=WarnLevel.choices, blank=True, default="")
    yellow_at = models.DateTimeField(null=True, blank=True)
    # The jurisdiction the overdue case has been escalated to (None: not escalated in this stage).
    escalated_to = models.ForeignKey(
        Jurisdiction, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    escalation_count = models.PositiveSmallIntegerField(default=0)
    # When the case was first filed (its first ``case.file`` event) and first escalated (its first
    # ``case.escalated`` event); never cleared. The evaluation counts filed and escalated cases from
    # these instead of probing the event log once per case (evaluation.counting).
    filed_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    # When the sweep must next look at the case (yellow, red, the next escalation, the feedback
    # window's end); None: nothing pending. The sweep reads only rows due by this column.
    sweep_at = models.DateTimeField(null=True, blank=True, db_index=True)
    supervised = models.BooleanField(default=False)
    chase_count = models.PositiveSmallIntegerField(default=0)

    satisfaction = models.CharField(max_length=12, choices=Satisfaction.choices, blank=True)
    resolution = models.CharField(max_length=12, choices=Resolution.choices, blank=True)
    rating_comment = models.TextField(blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)
    # The reporter did not answer within the feedback window: counted as unrated, never as satisfied.
    rating_expired = models.BooleanField(default=False)
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    # Head of this case's event chain (events.models).
    chain_seq = models.PositiveIntegerField(default=0)
    chain_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["street", "status"]),
            models.Index(fields=["community", "status"]),
            models.Index(fields=["district", "status"]),
            models.Index(fields=["grid", "status"]),
            models.Index(fields=["lead_org", "status"]),
            models.Index(fields=["category", "created_at"]),
            models.Index(fields=["city", "created_at"]),
            # The desk lists a jurisdiction's or a department's cases newest first: an index in that
            # order reads one page instead of sorting every case of a street (docs/benchmarks.md).
            models.Index(fields=["street", "-created_at"], name="case_street_newest"),
            models.Index(fields=["community", "-created_at"], name="case_community_newest"),
            models.Index(fields=["district", "-created_at"], name="case_district_newest"),
            models.Index(fields=["lead_org", "-created_at"], name="case_lead_org_newest"),
            # The retention job looks for finished cases closed (never closed: last changed) before its
            # cutoff: ``closed_at < cutoff OR (closed_at IS NULL AND updated_at < cutoff)``. Both sides
            # are ranges of this one index, so the job reads the old cases, not every case
            # (privacy.services.retention_candidates).
            models.Index(fields=["closed_at", "updated_at"], name="case_retention"),
            # Declared here rather than with db_index: PostgreSQL then gets no second, pattern-matching
            # copy of it (nothing filters states by a prefix).
            models.Index(fields=["status"], name="case_status"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        from chuishao.cases.transitions import TERMINAL

        return self.status not in TERMINAL


class AssignmentRole(models.TextChoices):
    LEAD = "lead", _("lead (主办)")
    ASSIST = "assist", _("assisting (协办)")
    NOTIFY = "notify", _("notify only (知会)")


class CaseAssignment(models.Model):
    """An organisation that works on a case besides (or as) its lead."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assignments")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="case_assignments")
    role = models.CharField(max_length=8, choices=AssignmentRole.choices)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["case", "organisation"],
                condition=models.Q(active=True),
                name="assignment_one_active_per_org",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.organisation_id}:{self.role}"


class CaseMedia(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="media")
    file = models.FileField(upload_to="cases/%Y/%m/")
    content_type = models.CharField(max_length=60)
    # Which step it documents: the report, the handling evidence, the check.
    purpose = models.CharField(max_length=16, default="report")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.file.name
