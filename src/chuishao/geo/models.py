"""The jurisdiction tree (city → district → street → community → grid) and residential complexes.

Boundaries are GeoJSON geometries in WGS84 (lon, lat); routing builds shapely geometries from them
in process (``geo.routing``). ``GeoRevision`` counts boundary changes so that every serving
process knows when to rebuild its routing index.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    CITY = "city", _("city")
    DISTRICT = "district", _("district")
    STREET = "street", _("street")
    COMMUNITY = "community", _("community")
    GRID = "grid", _("grid")


# Parent kind each kind must hang under.
PARENT_KIND = {
    Kind.CITY: None,
    Kind.DISTRICT: Kind.CITY,
    Kind.STREET: Kind.DISTRICT,
    Kind.COMMUNITY: Kind.STREET,
    Kind.GRID: Kind.COMMUNITY,
}
DEPTH = {Kind.CITY: 0, Kind.DISTRICT: 1, Kind.STREET: 2, Kind.COMMUNITY: 3, Kind.GRID: 4}


class Jurisdiction(models.Model):
    kind = models.CharField(max_length=16, choices=Kind.choices)
    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=100)
    name_en = models.CharField(max_length=200, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # Denormalised chain: the city key shards big tables; ancestors make scope checks one comparison.
    city = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    district = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    street = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    community = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    boundary = models.JSONField(help_text="GeoJSON Polygon or MultiPolygon, WGS84")
    area_m2 = models.FloatField(default=0)

    class Meta:
        indexes = [models.Index(fields=["kind", "parent"])]
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def chain_ids(self) -> dict[str, int | None]:
        """The ids of this node and its ancestors, keyed by kind."""
        ids = {
            "city": self.city_id,
            "district": self.district_id,
            "street": self.street_id,
            "community": self.community_id,
            "grid": None,
        }
        ids[self.kind] = self.pk
        return ids


class Complex(models.Model):
    """A residential complex (小区) lying inside one community."""

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=100)
    name_en = models.CharField(max_length=200, blank=True)
    community = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="complexes")
    boundary = models.JSONField()
    households = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class GeoRevision(models.Model):
    """One row per boundary change set; the highest id is the current revision."""

    created_at = models.DateTimeField()
    summary = models.CharField(max_length=200)

    def __str__(self) -> str:
        return f"revision {self.pk}: {self.summary}"
