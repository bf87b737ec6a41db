"""Events about a person (their account, their roles) name them as events name actors: by login while
they hold an office, as ``resident #<id>`` otherwise, with their id beside the label."""

from __future__ import annotations

from chuishao.actors import SYSTEM, actor_label, person_label, resident_label
from chuishao.events.models import Event
from chuishao.orgs.models import Membership
from chuishao.orgs.services import membership_grant, membership_revoke, person_create

# A login that is a real name, as residents choose.
LOGIN = "上官实名"
GRID = "110901001001001"


def _about(person, verb: str) -> list[dict]:
    return [e.after for e in Event.objects.filter(verb=verb, after__person_id=person.pk).order_by("pk")]


def test_a_new_account_is_named_by_login_only_when_it_is_staff(city):
    resident = person_create(actor=SYSTEM, username=LOGIN, display_name="上官", phone="13911112222")
    clerk = person_create(actor=SYSTEM, username="clerk-x", is_staff=True)
    assert _about(resident, "person.created") == [
        {"person_id": resident.pk, "person": resident_label(resident.pk), "staff": False}
    ]
    assert _about(clerk, "person.created") == [{"person_id": clerk.pk, "person": "clerk-x", "staff": True}]
    assert person_label(resident) == resident_label(resident.pk) and person_label(clerk) == "clerk-x"


def test_an_office_names_the_login_while_it_is_held_and_not_after(city):
    """Granting and taking away an office name the login (the holder answers for it); the resident's
    own role does not, before or after."""
    admin = city.people["admin"]
    person = person_create(actor=SYSTEM, username=LOGIN)
    membership_grant(actor=admin, person=person, role="resident")
    office = membership_grant(actor=admin, person=person, role="grid_worker", node=city.node(GRID))
    assert actor_label(person) == LOGIN
    membership_revoke(actor=admin, membership=office, reason="任期结束")
    resident = Membership.objects.get(person=person, role="resident")
    membership_revoke(actor=admin, membership=resident, reason="搬走了")
    labels = list(
        Event.objects.filter(verb__startswith="membership.", after__person_id=person.pk)
        .order_by("pk")
        .values_list("verb", "after__role", "after__person")
    )
    assert labels == [
        ("membership.granted", "resident", resident_label(person.pk)),
        ("membership.granted", "grid_worker", LOGIN),
        ("membership.revoked", "grid_worker", LOGIN),
        ("membership.revoked", "resident", resident_label(person.pk)),
    ]


def test_an_account_given_an_office_at_once_acts_under_its_login(city):
    """Naming the new account reads its (empty) roles; the office granted next on the same object is
    read afresh, so neither the grant nor the holder's own acts call an office holder a resident."""
    person = person_create(actor=SYSTEM, username="grid-new")
    membership_grant(actor=SYSTEM, person=person, role="grid_worker", node=city.node(GRID))
    assert _about(person, "membership.granted")[0]["person"] == "grid-new"
    assert actor_label(person) == "grid-new"
    membership_revoke(actor=SYSTEM, membership=Membership.objects.get(person=person), reason="调岗")
    assert actor_label(Membership.objects.get(person=person).person) == resident_label(person.pk)


def test_a_key_acting_for_a_resident_names_them_by_number(city):
    from chuishao.orgs.apikeys import apikey_create

    resident = person_create(actor=SYSTEM, username=LOGIN)
    key, _secret = apikey_create(actor=city.people["admin"], name="小程序", scopes=["write"], person=resident)
    [after] = _about(resident, "apikey.created")
    assert after["person"] == resident_label(resident.pk) and after["key"] == key.pk
    assert LOGIN not in str(Event.objects.filter(verb="apikey.created").values_list("after", flat=True))
