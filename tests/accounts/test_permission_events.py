"""Granting and taking away a role are events that name who did it."""

from __future__ import annotations

from chuishao.events.models import Event
from chuishao.orgs.models import Membership, Role
from chuishao.orgs.services import membership_grant, membership_revoke


def test_grant_and_revoke_are_events_with_the_actor(people):
    membership = membership_grant(actor=people["admin"], person=people["resident"], role=Role.RESIDENT)
    granted = Event.objects.get(verb="membership.granted")
    assert granted.actor == people["admin"]
    resident = people["resident"]
    assert granted.after == {
        "person_id": resident.pk,
        "person": f"resident #{resident.pk}",  # a resident's login stays out of the log
        "role": "resident",
        "node": None,
        "organisation": None,
    }
    membership_revoke(actor=people["admin"], membership=membership, reason="moved away")
    revoked = Event.objects.get(verb="membership.revoked")
    assert revoked.actor == people["admin"] and revoked.reason == "moved away"
    assert revoked.after == {
        "person_id": resident.pk,
        "person": f"resident #{resident.pk}",
        "role": "resident",
    }
    assert not Membership.objects.get(pk=membership.pk).active
