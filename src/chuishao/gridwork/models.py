"""Grid work: responsibility grids (one worker's beat), patrols of a worker's grids, household and unit
visits, and a city's coverage rule.

Rows are written only by ``gridwork.services``; each write appends one event on the community's chain
(``gridwork:<community id>``). Visits hold personal data (who was visited, their phone, what was said):
they are read only through ``gridwork.selectors``, which keeps them to the grid's chain of command.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from chuishao.cases.models import Case
from chuishao.geo.models import Jurisdiction
from chuishao.orgs.models import Organisation

# A grid not walked for this many days is stale when a city has no policy row of its own.
DEFAULT_STALE_DAYS = 3


class GridworkPolicy(models.Model):
    """A city's rules for grid work: after how many days without a patrol a grid is stale (red)."""

    city = models.OneToOneField(Jurisdiction, on_delete=models.PROTECT, related_name="+")
    stale_days = models.PositiveSmallIntegerField(default=DEFAULT_STALE_DAYS)

    def __str__(self) -> str:
        return f"grid-work policy of {self.city_id}: stale after {self.stale_days} days"


class ResponsibilityGrid(models.Model):
    """A responsibility grid (责任网格): unit grids of one community grouped into one worker's beat."""

    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    city = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="+")
    community = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="beats")
    grids = models.ManyToManyField(Jurisdiction, related_name="responsibility_grids")
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="beats"
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Patrol(models.Model):
    """One walk of a worker through their grids, from start to end, with the points they passed."""

    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="patrols")
    city = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="+")
    community = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="+")
    beat = models.ForeignKey(
        ResponsibilityGrid, null=True, blank=True, on_delete=models.SET_NULL, related_name="patrols"
    )
    grids = models.ManyToManyField(Jurisdiction, through="PatrolGrid", related_name="patrols")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)  # null while the patrol is open
    # [{"lat": .., "lng": .., "at": iso}, ...] in the order received.
    track = models.JSONField(default=list, blank=True)
    distance_m = models.FloatField(default=0)  # along the track, computed when the patrol ends
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["worker"], condition=Q(ended_at__isnull=True), name="patrol_one_open_per_worker"
            ),
        ]
        indexes = [
            models.Index(fields=["worker", "started_at"]),
            models.Index(fields=["community", "started_at"]),
            models.Index(fields=["city", "started_at"]),
        ]

    def __str__(self) -> str:
        return f"patrol {self.pk} of {self.worker_id} from {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.ended_at is None


class PatrolGrid(models.Model):
    """A grid the patrol covered (chosen at the start, or reached by a track point or a report)."""

    patrol = models.ForeignKey(Patrol, on_delete=models.CASCADE, related_name="covered")
    grid = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["patrol", "grid"], name="patrol_grid_unique")]
        indexes = [models.Index(fields=["grid", "patrol"])]

    def __str__(self) -> str:
        return f"{self.patrol_id}:{self.grid_id}"


class PatrolCase(models.Model):
    """A case the worker reported while on patrol (a case belongs to at most one patrol)."""

    patrol = models.ForeignKey(Patrol, on_delete=models.CASCADE, related_name="case_links")
    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="patrol_link")
    linked_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.patrol_id}:{self.case_id}"


class VisitKind(models.TextChoices):
    HOUSEHOLD = "household", _("household visit")
    UNIT = "unit", _("unit visit")


class Visit(models.Model):
    """A household or unit visit (入户走访): personal data, shown only to the grid's chain of command."""

    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="visits")
    patrol = models.ForeignKey(
        Patrol, null=True, blank=True, on_delete=models.SET_NULL, related_name="visits"
    )
    city = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="+")
    grid = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="visits")
    kind = models.CharField(max_length=12, choices=VisitKind.choices)
    # Building / unit / room of a household (e.g. "3号楼2单元501").
    household = models.CharField(max_length=120, blank=True)
    person_name = models.CharField(max_length=60, blank=True)
    person_phone = models.CharField(max_length=20, blank=True)
    unit = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="visits"
    )
    discussed = models.TextField()
    follow_up = models.BooleanField(default=False)
    follow_up_note = models.TextField(blank=True)
    visited_at = models.DateTimeField()
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="visits")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-visited_at"]
        indexes = [
            models.Index(fields=["worker", "visited_at"]),
            models.Index(fields=["grid", "visited_at"]),
        ]

    def __str__(self) -> str:
        return f"visit {self.pk} in {self.grid_id}"
