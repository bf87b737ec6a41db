"""Models of chuishao.monthly: the problem a city takes on for a month (每月一题) and its tasks.

Rows are written only by ``chuishao.monthly.services``; each write appends one event to the
``monthly:<city id>`` chain. The figures (ranking, monthly volume, before/after) are never stored:
``chuishao.monthly.selectors`` computes them from the cases whenever a page asks.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from chuishao.catalog.models import Category
from chuishao.geo.models import Jurisdiction
from chuishao.orgs.models import Organisation


class MonthlyProblem(models.Model):
    """A recurring problem taken on as the problem of a month: the cases of its categories in its area."""

    city = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=120)
    # Minor categories the problem covers (one or several) and the area (the city, a district or a street).
    categories = models.ManyToManyField(Category, related_name="+")
    area = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="+")
    # The first day of the month it was taken on.
    month = models.DateField()
    lead = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="monthly_problems_led")
    assisting = models.ManyToManyField(Organisation, blank=True, related_name="monthly_problems_assisted")
    # The goal: the mean monthly volume after falls by at least this many per cent.
    goal_percent = models.PositiveSmallIntegerField(default=30)
    description = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-month", "pk"]
        indexes = [models.Index(fields=["city", "month"])]

    def __str__(self) -> str:
        return self.title


class ProblemTask(models.Model):
    """One piece of work on a problem, owned by the lead or an assisting organisation."""

    problem = models.ForeignKey(MonthlyProblem, on_delete=models.CASCADE, related_name="tasks")
    text = models.TextField()
    owner = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="monthly_tasks")
    due_on = models.DateField()
    done_at = models.DateTimeField(null=True, blank=True)
    done_note = models.TextField(blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name = _("task")

    def __str__(self) -> str:
        return self.text[:40]

    @property
    def done(self) -> bool:
        return self.done_at is not None
