"""The category catalogue, its deadlines and responsibility list, and the work calendar's days.

Everything a city may change lives in rows: standards, per-stage deadlines, who owns a category at
each level, and the official and local calendar days.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from chuishao.geo.models import Jurisdiction
from chuishao.orgs.models import Organisation


class CategoryKind(models.TextChoices):
    COMPONENT = "component", _("component (部件)")
    EVENT = "event", _("event (事件)")


class Category(models.Model):
    """A major class (``parent`` empty, 2-digit code) or a minor class (4-digit code) of the taxonomy."""

    kind = models.CharField(max_length=16, choices=CategoryKind.choices)
    # Unique within a kind: component 0101 and event 0101 are different categories.
    code = models.CharField(max_length=8)
    name = models.CharField(max_length=60)
    name_en = models.CharField(max_length=120, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    hint = models.CharField(max_length=200, blank=True, help_text=_("plain-language hint for residents"))
    filing_standard = models.TextField(blank=True)
    closing_standard = models.TextField(blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["kind", "code"]
        constraints = [models.UniqueConstraint(fields=["kind", "code"], name="category_kind_code_unique")]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return f"{self.full_code} {self.name}"

    @property
    def full_code(self) -> str:
        """Codes are unique within a kind; the prefix makes them unique across kinds (B0101, S0101)."""
        return ("B" if self.kind == CategoryKind.COMPONENT else "S") + self.code


class QuestionType(models.TextChoices):
    """The Open311 attribute datatypes, which the web form and the APIs share."""

    STRING = "string", _("short text")
    NUMBER = "number", _("number")
    DATETIME = "datetime", _("date and time")
    TEXT = "text", _("long text")
    SINGLE = "singlevaluelist", _("one choice")
    MULTI = "multivaluelist", _("several choices")


class CategoryQuestion(models.Model):
    """An extra question a report in this category answers (Open311 publishes them as attributes).

    ``values`` lists the choices of a list question: ``[{"key": "missing", "name": "缺失", "name_en": …}]``.
    """

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="questions")
    code = models.SlugField(max_length=40)
    label = models.CharField(max_length=120)
    label_en = models.CharField(max_length=120, blank=True)
    description = models.CharField(max_length=200, blank=True)
    datatype = models.CharField(max_length=16, choices=QuestionType.choices)
    required = models.BooleanField(default=False)
    order = models.PositiveSmallIntegerField(default=0)
    values = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["category", "order", "code"]
        constraints = [models.UniqueConstraint(fields=["category", "code"], name="category_question_unique")]

    def __str__(self) -> str:
        return f"{self.category.full_code} {self.code}"


class Stage(models.TextChoices):
    VERIFY = "verify", _("verify a public report")
    DISPATCH = "dispatch", _("file and dispatch")
    ACCEPT = "accept", _("department signs for the case")
    ONSITE = "onsite", _("on site")
    HANDLE = "handle", _("handle")
    CHECK = "check", _("check the finished work")
    ARBITRATE = "arbitrate", _("arbitrate a disputed dispatch")


class TimeType(models.TextChoices):
    CLOCK_HOURS = "clock_hours", _("clock hours, round the clock")
    WORKING_HOURS = "working_hours", _("working hours")
    WORKING_DAYS = "working_days", _("working days")
    NATURAL_DAYS = "natural_days", _("natural days")


class StageDeadline(models.Model):
    """The time a stage may take. A row without category is the default for every category."""

    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.CASCADE, related_name="deadlines"
    )
    stage = models.CharField(max_length=16, choices=Stage.choices)
    amount = models.DecimalField(max_digits=7, decimal_places=2)
    time_type = models.CharField(max_length=16, choices=TimeType.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["category", "stage"], name="stage_deadline_unique")]

    def __str__(self) -> str:
        return f"{self.category or '*'} {self.stage} {self.amount} {self.time_type}"


class WhistleDeadline(models.Model):
    """How long a summoned organisation has to acknowledge a whistle and to be on site, per whistle kind
    (``everyday`` / ``campaign`` / ``emergency``). A row without city is the default."""

    kind = models.CharField(max_length=12)
    city = models.ForeignKey(Jurisdiction, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    acknowledge_amount = models.DecimalField(max_digits=7, decimal_places=2)
    acknowledge_time_type = models.CharField(max_length=16, choices=TimeType.choices)
    onsite_amount = models.DecimalField(max_digits=7, decimal_places=2)
    onsite_time_type = models.CharField(max_length=16, choices=TimeType.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "city"], name="whistle_deadline_unique")]

    def __str__(self) -> str:
        return f"{self.kind} {self.acknowledge_amount} {self.onsite_amount}"


class Level(models.TextChoices):
    CITY = "city", _("city")
    DISTRICT = "district", _("district")
    STREET = "street", _("street")
    COMMUNITY = "community", _("community")
    # A residential complex's board (红色物业) takes the complex's cases of this category first.
    COMPLEX = "complex", _("complex")


class Responsibility(models.Model):
    """One row of the responsibility list: at this level, this category belongs to this department type.

    ``organisation`` names a specific owner where a city overrides the type; ``city`` empty means the
    row applies everywhere unless a city's own row exists.
    """

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="responsibilities")
    level = models.CharField(max_length=16, choices=Level.choices)
    dept_type = models.CharField(max_length=40)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    city = models.ForeignKey(Jurisdiction, null=True, blank=True, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["category", "level", "city"], name="responsibility_unique"),
        ]
        verbose_name_plural = "responsibilities"

    def __str__(self) -> str:
        return f"{self.category_id}@{self.level} → {self.organisation_id or self.dept_type}"


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("holiday (no work)")
    WORKDAY = "workday", _("adjusted working day (调休)")


class DaySource(models.TextChoices):
    OFFICIAL = "official", _("official (State Council)")
    CITY = "city", _("city's own")


class CalendarDay(models.Model):
    """A date that is not what its weekday says: a holiday on a weekday or a working weekend day."""

    date = models.DateField()
    kind = models.CharField(max_length=10, choices=DayKind.choices)
    name = models.CharField(max_length=60, blank=True)
    source = models.CharField(max_length=10, choices=DaySource.choices, default=DaySource.OFFICIAL)
    city = models.ForeignKey(Jurisdiction, null=True, blank=True, on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["date", "source", "city"], name="calendar_day_unique")]

    def __str__(self) -> str:
        return f"{self.date} {self.kind} {self.name}"


class CalendarYear(models.Model):
    """A year whose official days are loaded; deadlines in other years are provisional."""

    year = models.PositiveIntegerField(unique=True)
    loaded_from = models.CharField(max_length=120)
    loaded_at = models.DateTimeField()

    def __str__(self) -> str:
        return str(self.year)


class WorkSchedule(models.Model):
    """Working hours of a city (or the default when ``city`` is empty): periods as [["09:00","12:00"], …]."""

    city = models.OneToOneField(
        Jurisdiction, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    periods = models.JSONField(default=list)

    def __str__(self) -> str:
        return f"work schedule {self.city_id or 'default'}"
