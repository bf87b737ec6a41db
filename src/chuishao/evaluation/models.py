"""The rollup tables: integer counts per (month, unit), and the refresh cursor over the event log.

``Rollup`` holds one row per (period, unit_kind, unit_id) with one integer column per count of
``evaluation.definitions.COUNTS``; rates are derived from these at read time. ``RollupPart`` holds
the case counts per (period, street, district, city) as the cases carry those places: a district's or
a city's case counts are the sum of its parts, so the refresh derives them instead of recounting the
month. Rows are written only by ``evaluation.services`` (refresh and rebuild).
"""

from __future__ import annotations

from django.db import models

from chuishao.evaluation.definitions import COUNT_NAMES, UNIT_KINDS


class Rollup(models.Model):
    period = models.CharField(max_length=7)  # "YYYY-MM" in the city's time zone
    unit_kind = models.CharField(max_length=16, choices=[(k, k) for k in UNIT_KINDS])
    # A Jurisdiction id (grid … city), an Organisation id (department) or a user id (grid worker).
    unit_id = models.BigIntegerField()
    city_id = models.BigIntegerField(db_index=True)
    updated_at = models.DateTimeField()

    locals().update({name: models.PositiveIntegerField(default=0) for name in COUNT_NAMES})

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["period", "unit_kind", "unit_id"], name="rollup_unique_key")
        ]
        indexes = [models.Index(fields=["city_id", "unit_kind", "period"])]

    def __str__(self) -> str:
        return f"{self.period} {self.unit_kind}:{self.unit_id}"

    def counts(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in COUNT_NAMES}


class RollupCursor(models.Model):
    """How far the refresh has read the event log.

    ``position``: every event with a lower or equal id has been read after it could no longer be
    uncommitted. ``marks``: [[iso time, highest id read then], …] of recent runs; a mark older than
    the settle window becomes the new position (a transaction open at that run has ended since).
    """

    name = models.CharField(max_length=32, unique=True)
    position = models.BigIntegerField(default=0)
    marks = models.JSONField(default=list, blank=True)
    # Set by a full rebuild, which writes every RollupPart: until then (a database migrated from before
    # the parts) the refresh recounts district and city rows instead of summing parts.
    parts_ready = models.BooleanField(default=False)
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name}@{self.position}"


class RollupPart(models.Model):
    """The case counts of one month's cases that carry this street, district and city (0: none).

    A case keeps the places it was received in, so after a street moves to another district its old
    cases still count for the old district: a street's rows are split here by the district (and city)
    its cases carry, and a district's case counts are exactly the sum of the parts that name it.
    ``counts`` holds the non-zero case counts (``evaluation.counting.CASE_FILTERS``).
    """

    period = models.CharField(max_length=7)
    street_id = models.BigIntegerField()
    district_id = models.BigIntegerField()
    city_id = models.BigIntegerField()
    counts = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["period", "street_id", "district_id", "city_id"], name="rollup_part_unique_key"
            )
        ]
        indexes = [
            models.Index(fields=["period", "district_id"]),
            models.Index(fields=["period", "city_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.period} street:{self.street_id} district:{self.district_id} city:{self.city_id}"
