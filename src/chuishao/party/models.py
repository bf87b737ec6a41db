"""Models of chuishao.party: party organisations' members (coverage reads orgs.Organisation's dates)
and red property (红色物业)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from chuishao.orgs.models import Organisation

# ------------------------------------------------------------------------ members of party organisations


class PartyRole(models.TextChoices):
    SECRETARY = "secretary", _("secretary")
    DEPUTY_SECRETARY = "deputy_secretary", _("deputy secretary")
    COMMITTEE_MEMBER = "committee_member", _("committee member")
    MEMBER = "member", _("member")


class PartyMember(models.Model):
    """A person's place in a party organisation, from ``since`` until ``until`` (null: current).

    ``person`` links to a user when the person has an account; ``name`` is what the pages show.
    Ending a membership sets ``until``; rows are never deleted, so the history stays.
    """

    party_org = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="party_members",
        limit_choices_to={"kind": "party_org"},
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="party_memberships",
    )
    name = models.CharField(max_length=60)
    role = models.CharField(max_length=20, choices=PartyRole.choices, default=PartyRole.MEMBER)
    since = models.DateField()
    until = models.DateField(null=True, blank=True)
    end_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["party_org", "role", "since", "pk"]
        indexes = [models.Index(fields=["party_org", "until"])]
        constraints = [
            models.UniqueConstraint(
                fields=["party_org"],
                condition=Q(role="secretary", until__isnull=True),
                name="party_member_one_secretary",
            ),
            models.UniqueConstraint(
                fields=["party_org", "person"],
                condition=Q(until__isnull=True, person__isnull=False),
                name="party_member_once",
            ),
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(until__gte=F("since")), name="party_member_until_after_since"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} · {self.get_role_display()} · {self.party_org}"

    @property
    def current(self) -> bool:
        return self.until is None
