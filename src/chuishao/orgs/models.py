"""Organisations, people's roles and the scopes those roles reach.

People are Django users. A ``Membership`` gives a person one role, scoped either to a jurisdiction
node (and everything under it) or to an organisation. A person may hold several memberships.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from chuishao.geo.models import Complex, Jurisdiction


class OrgKind(models.TextChoices):
    COMMAND_CENTRE = "command_centre", _("command centre")
    DEPARTMENT = "department", _("department")
    DISPATCHED_AGENCY = "dispatched_agency", _("dispatched agency")
    STREET_OFFICE = "street_office", _("street internal office")
    COMMUNITY_COMMITTEE = "community_committee", _("community committee")
    PARTY_ORG = "party_org", _("party organisation")
    UNIT = "unit", _("unit")
    PROPERTY_COMPANY = "property_company", _("property company")
    HOMEOWNERS_COMMITTEE = "homeowners_committee", _("homeowners' committee")
    # 红色物业: a complex's joint board (its party organisation, residents' committee, homeowners'
    # committee and property company); takes the complex's property cases first.
    COMPLEX_BOARD = "complex_board", _("complex board")


class PartyOrgLevel(models.TextChoices):
    COMMITTEE = "committee", _("party committee")
    GENERAL_BRANCH = "general_branch", _("general branch")
    BRANCH = "branch", _("branch")


class UnitKind(models.TextChoices):
    ORGAN = "organ", _("government organ")
    ENTERPRISE = "enterprise", _("enterprise")
    PUBLIC_INSTITUTION = "public_institution", _("public institution")
    SOCIAL_ORG = "social_org", _("social organisation")


class Organisation(models.Model):
    kind = models.CharField(max_length=32, choices=OrgKind.choices)
    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    name_en = models.CharField(max_length=200, blank=True)
    # The functional type a responsibility list names (e.g. "urban_management", "water").
    dept_type = models.CharField(max_length=40, blank=True, db_index=True)
    # The node the organisation serves; its level is the node's kind.
    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="organisations")
    # A dispatched agency or street office belongs to a parent department or street.
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    party_level = models.CharField(max_length=20, choices=PartyOrgLevel.choices, blank=True)
    unit_kind = models.CharField(max_length=24, choices=UnitKind.choices, blank=True)
    # Where a party organisation is attached when not to a jurisdiction node itself.
    attached_complex = models.ForeignKey(
        Complex, null=True, blank=True, on_delete=models.PROTECT, related_name="party_orgs"
    )
    attached_unit = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="party_orgs"
    )
    # Complexes a property company manages or a homeowners' committee represents.
    complexes = models.ManyToManyField(Complex, blank=True, related_name="organisations")
    phone = models.CharField(max_length=40, blank=True)
    # When the organisation was set up and when it ceased: coverage over time reads these.
    established_on = models.DateField(null=True, blank=True)
    dissolved_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    RESIDENT = "resident", _("resident")
    GRID_WORKER = "grid_worker", _("grid worker")
    COMMUNITY_STAFF = "community_staff", _("community staff")
    STREET_DISPATCHER = "street_dispatcher", _("street dispatcher")
    DEPARTMENT_STAFF = "department_staff", _("department staff")
    DISTRICT_CENTRE = "district_centre", _("district command centre")
    CITY_CENTRE = "city_centre", _("city command centre")
    LEADER = "leader", _("leader")
    ADMIN = "admin", _("administrator")
    # Acts for a unit in dual reporting (双报到): its resources, its members' records and reports.
    UNIT_ORGANISER = "unit_organiser", _("unit party organiser")


# The jurisdiction kind a role's node must have (None: scoped to an organisation or to nothing).
ROLE_NODE_KIND: dict[str, tuple[str, ...] | None] = {
    Role.RESIDENT: None,
    Role.GRID_WORKER: ("grid",),
    Role.COMMUNITY_STAFF: ("community",),
    Role.STREET_DISPATCHER: ("street",),
    Role.DEPARTMENT_STAFF: None,
    Role.DISTRICT_CENTRE: ("district",),
    Role.CITY_CENTRE: ("city",),
    Role.LEADER: ("city", "district", "street", "community"),
    Role.ADMIN: ("city",),
    Role.UNIT_ORGANISER: None,
}


class Membership(models.Model):
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=24, choices=Role.choices)
    node = models.ForeignKey(Jurisdiction, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="memberships"
    )
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "role", "node", "organisation"], name="membership_unique"
            ),
            models.CheckConstraint(
                condition=Q(role="department_staff", organisation__isnull=False)
                | ~Q(role="department_staff"),
                name="membership_department_needs_org",
            ),
        ]

    def __str__(self) -> str:
        where = self.organisation or self.node or "-"
        return f"{self.person} · {self.get_role_display()} · {where}"


class Profile(models.Model):
    """Contact details of a person; shown only to roles that need them."""

    person = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    display_name = models.CharField(max_length=60, blank=True)
    phone = models.CharField(max_length=20, blank=True)

    def __str__(self) -> str:
        return self.display_name or str(self.person)


class ApiScope(models.TextChoices):
    OPEN311 = "open311", _("submit reports through Open311")
    INTAKE = "intake", _("submit reports through the REST API")
    READ = "read", _("read through the REST API as the key's person")
    WRITE = "write", _("act through the REST API as the key's person")


class ApiKey(models.Model):
    """A credential for another system. The key is shown once; only its SHA-256 is stored.

    Keys are 256-bit random strings, so a fast hash is enough: there is nothing to brute-force.
    A key with ``person`` acts as that person (with their roles) for the ``read``/``write`` scopes.
    """

    name = models.CharField(max_length=80, unique=True)
    prefix = models.CharField(max_length=12, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="api_keys"
    )
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def active(self) -> bool:
        return self.revoked_at is None
