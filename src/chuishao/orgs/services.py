"""Writes to organisations, people and memberships; each appends an event on the ``orgs`` chain.

An event about a person records their id and ``actors.person_label``: their login while they hold an
office, ``resident #<id>`` otherwise, so a resident's login (often their name or phone number) never
enters the hashed log, where erasure could not reach it.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from chuishao.actors import office_changed, person_label
from chuishao.events.services import event_append
from chuishao.geo.models import Complex, Jurisdiction
from chuishao.orgs.errors import OrgError
from chuishao.orgs.models import ROLE_NODE_KIND, Membership, Organisation, OrgKind, Profile, Role

User = get_user_model()


@transaction.atomic
def organisation_upsert(
    *,
    actor: Any,
    code: str,
    kind: str,
    name: str,
    jurisdiction: Jurisdiction,
    name_en: str = "",
    dept_type: str = "",
    parent: Organisation | None = None,
    party_level: str = "",
    unit_kind: str = "",
    attached_complex: Complex | None = None,
    attached_unit: Organisation | None = None,
    complexes: list[Complex] | None = None,
    phone: str = "",
) -> Organisation:
    if kind not in OrgKind.values:
        raise OrgError(_("Unknown organisation kind %(k)s.") % {"k": kind})
    if not code.strip() or not name.strip():
        raise OrgError(_("An organisation needs a code and a name."))
    values = {
        "kind": kind,
        "name": name.strip(),
        "name_en": name_en,
        "dept_type": dept_type,
        "jurisdiction": jurisdiction,
        "parent": parent,
        "party_level": party_level,
        "unit_kind": unit_kind,
        "attached_complex": attached_complex,
        "attached_unit": attached_unit,
        "phone": phone,
    }
    org, created = Organisation.objects.update_or_create(code=code.strip(), defaults=values)
    if complexes is not None:
        org.complexes.set(complexes)
    event_append(
        verb="org.created" if created else "org.updated",
        actor=actor,
        chain="orgs",
        city_id=jurisdiction.city_id or jurisdiction.pk,
        after={"code": org.code, "kind": kind, "name": org.name, "jurisdiction": jurisdiction.code},
    )
    return org


def _label_afresh(person: Any) -> str:
    """``person_label`` from the person's roles as they are now, leaving nothing cached on the object
    (the caller may grant or take away roles next, through this module or not)."""
    office_changed(person)
    label = person_label(person)
    office_changed(person)
    return label


@transaction.atomic
def person_create(
    *,
    actor: Any,
    username: str,
    display_name: str = "",
    phone: str = "",
    password: str | None = None,
    password_hash: str | None = None,
    is_staff: bool = False,
) -> Any:
    """Create a person; ``password_hash`` lets bulk loaders reuse one Argon2 hash."""
    username = username.strip()
    if not username:
        raise OrgError(_("A person needs a username."))
    if User.objects.filter(username=username).exists():
        raise OrgError(_("The username %(u)s is taken.") % {"u": username})
    user = User(username=username, first_name=display_name[:150], is_staff=is_staff)
    if password_hash:
        user.password = password_hash
    elif password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    Profile.objects.create(person=user, display_name=display_name, phone=phone)
    event_append(
        verb="person.created",
        actor=actor,
        chain="orgs",
        after={"person_id": user.pk, "person": _label_afresh(user), "staff": is_staff},
    )
    return user


@transaction.atomic
def membership_grant(
    *,
    actor: Any,
    person: Any,
    role: str,
    node: Jurisdiction | None = None,
    organisation: Organisation | None = None,
) -> Membership:
    """Give ``person`` a role scoped to a node of the right kind, or to an organisation."""
    if role not in Role.values:
        raise OrgError(_("Unknown role %(r)s.") % {"r": role})
    kinds = ROLE_NODE_KIND[role]
    if role == Role.DEPARTMENT_STAFF and organisation is None:
        raise OrgError(_("Department staff belong to an organisation."))
    if role == Role.UNIT_ORGANISER and (organisation is None or organisation.kind != OrgKind.UNIT):
        raise OrgError(_("A unit party organiser acts for a unit."))
    if role != Role.DEPARTMENT_STAFF and kinds is not None and (node is None or node.kind not in kinds):
        raise OrgError(_("The role %(r)s is scoped to a %(k)s.") % {"r": role, "k": " / ".join(kinds)})
    membership, created = Membership.objects.get_or_create(
        person=person, role=role, node=node, organisation=organisation, defaults={"active": True}
    )
    if not created and not membership.active:
        membership.active = True
        membership.save(update_fields=["active"])
    label = _label_afresh(person)  # with this role: an office names the login, a resident's role the number
    event_append(
        verb="membership.granted",
        actor=actor,
        chain="orgs",
        city_id=(node.city_id or node.pk) if node else None,
        after={
            "person_id": person.pk,
            "person": label,
            "role": role,
            "node": node.code if node else None,
            "organisation": organisation.code if organisation else None,
        },
    )
    return membership


@transaction.atomic
def membership_revoke(*, actor: Any, membership: Membership, reason: str) -> None:
    if not reason.strip():
        raise OrgError(_("Say why the role is taken away."))
    person = membership.person
    label = _label_afresh(person)  # as they were with the role: taking away an office names the login
    Membership.objects.filter(pk=membership.pk).update(active=False)
    event_append(
        verb="membership.revoked",
        actor=actor,
        chain="orgs",
        reason=reason,
        after={"person_id": person.pk, "person": label, "role": membership.role},
    )
