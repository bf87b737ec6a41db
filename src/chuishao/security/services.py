"""Enrolling, checking and resetting a person's second factor; each change is an event on ``orgs``.

Only staff enrol, but a second factor outlives the office: a person whose roles were taken away keeps
it, uses and renews its recovery codes and may have it reset, as a resident. Its events therefore name
the person as any event does (``actors.person_label``: the login while in office, the number after).
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from chuishao import clock
from chuishao.actors import person_label
from chuishao.events.services import event_append
from chuishao.orgs.models import Role
from chuishao.orgs.scopes import grants_of, roles_of, works_cases
from chuishao.security import totp
from chuishao.security.models import RecoveryCode, TotpDevice

RECOVERY_CODES = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
# Roles that may reset another person's second factor (a lost phone).
RESETTERS = frozenset({Role.ADMIN, Role.CITY_CENTRE})


class SecondFactorError(Exception):
    pass


def may_enrol(person: Any) -> bool:
    """The second factor is offered to staff: people who work cases, and the admin site's users."""
    return bool(getattr(person, "is_staff", False) or works_cases(person))


def required_for(person: Any) -> bool:
    return TotpDevice.objects.filter(person=person, confirmed_at__isnull=False).exists()


def _digest(code: str) -> str:
    return hashlib.sha256(code.strip().lower().replace("-", "").replace(" ", "").encode()).hexdigest()


def _recovery_code() -> str:
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


@transaction.atomic
def totp_enrol_begin(*, actor: Any, person: Any) -> str:
    """Start (or restart) an enrolment; returns the otpauth:// address to show as a QR code."""
    if actor != person:
        raise SecondFactorError(_("Only the person themselves can enrol an authenticator."))
    if not may_enrol(person):
        raise SecondFactorError(_("A second factor is offered to staff accounts."))
    if required_for(person):
        raise SecondFactorError(_("An authenticator is already set up for this account."))
    secret = totp.new_secret()
    TotpDevice.objects.update_or_create(
        person=person,
        defaults={
            "sealed_secret": totp.seal(secret, settings.CHUISHAO_TOTP_KEY),
            "created_at": clock.now(),
            "confirmed_at": None,
            "last_step": 0,
        },
    )
    return totp.provisioning_uri(secret, person.get_username(), settings.CHUISHAO_TOTP_ISSUER)


def totp_pending_uri(person: Any) -> str | None:
    """The otpauth:// address of an enrolment begun but not confirmed yet (to show its QR code again)."""
    device = TotpDevice.objects.filter(person=person, confirmed_at__isnull=True).first()
    if device is None:
        return None
    return totp.provisioning_uri(_secret(device), person.get_username(), settings.CHUISHAO_TOTP_ISSUER)


@transaction.atomic
def totp_enrol_confirm(*, actor: Any, person: Any, code: str) -> list[str]:
    """Turn the second factor on once a code from the app matches; returns the recovery codes, shown once."""
    if actor != person:
        raise SecondFactorError(_("Only the person themselves can enrol an authenticator."))
    device = TotpDevice.objects.select_for_update().filter(person=person, confirmed_at__isnull=True).first()
    if device is None:
        raise SecondFactorError(_("Start the enrolment first."))
    step = totp.matching_step(_secret(device), code, clock.now().timestamp())
    if step is None:
        raise SecondFactorError(_("That code does not match. Check the phone's clock and try the next code."))
    device.confirmed_at = clock.now()
    device.last_step = step
    device.save(update_fields=["confirmed_at", "last_step"])
    codes = [_recovery_code() for _ in range(RECOVERY_CODES)]
    RecoveryCode.objects.filter(person=person).delete()
    RecoveryCode.objects.bulk_create([RecoveryCode(person=person, digest=_digest(c)) for c in codes])
    event_append(verb="totp.enabled", actor=actor, chain="orgs", after=_about(person))
    return codes


@transaction.atomic
def totp_verify(*, person: Any, code: str) -> bool:
    """Whether ``code`` is the current TOTP code (each accepted once) or an unused recovery code."""
    device = TotpDevice.objects.select_for_update().filter(person=person, confirmed_at__isnull=False).first()
    if device is None:
        return False
    step = totp.matching_step(_secret(device), code, clock.now().timestamp())
    if step is not None:
        if step <= device.last_step:
            return False  # replayed: this code (or a later one) was used already
        device.last_step = step
        device.save(update_fields=["last_step"])
        return True
    if len((code or "").strip()) < 10:
        return False
    recovery = (
        RecoveryCode.objects.select_for_update()
        .filter(person=person, digest=_digest(code), used_at__isnull=True)
        .first()
    )
    if recovery is None:
        return False
    recovery.used_at = clock.now()
    recovery.save(update_fields=["used_at"])
    left = RecoveryCode.objects.filter(person=person, used_at__isnull=True).count()
    event_append(
        verb="totp.recovery_code_used",
        actor=person,
        chain="orgs",
        after={**_about(person), "left": left},
    )
    return True


def _cities_of_memberships(person: Any) -> set[int | None]:
    """The city of each of the person's active memberships held on a node or an organisation (a
    resident's role is held on neither and says nothing of where the person works)."""
    from chuishao.orgs.models import Membership

    cities: set[int | None] = set()
    rows = Membership.objects.filter(person_id=person.pk, active=True).select_related(
        "node", "organisation__jurisdiction"
    )
    for m in rows:
        node = m.node if m.node_id else (m.organisation.jurisdiction if m.organisation_id else None)
        if node is not None:
            cities.add(node.chain_ids()["city"])
    return cities


def reset_refusal(actor: Any, person: Any) -> str | None:
    """Why ``actor`` may not reset ``person``'s second factor, or None when they may.

    A superuser resets anyone's. Otherwise the actor holds the admin or city-centre role on a city, and
    every role the person holds lies in a city where the actor holds one: the reset cannot reach across
    cities, nor a bare account (the admin site's own users) that only a superuser vouches for. The city
    centre does not reset an administrator's or a superuser's. Nobody resets their own: a session
    alone must not strip its account's second factor (recovery codes are for a lost phone)."""
    if getattr(actor, "pk", None) is not None and actor.pk == getattr(person, "pk", None):
        return _("Nobody resets their own second factor: use a recovery code, or ask a colleague.")
    if getattr(actor, "is_superuser", False):
        return None
    grants = [g for g in grants_of(actor) if g.role in RESETTERS and g.node_kind == "city" and g.node_id]
    if not grants:
        return _("Only an administrator or the city centre can reset a second factor.")
    if getattr(person, "is_superuser", False) or (
        Role.ADMIN in roles_of(person) and not any(g.role == Role.ADMIN for g in grants)
    ):
        return _("Only an administrator can reset an administrator's second factor.")
    cities = _cities_of_memberships(person)
    if not cities or not cities <= {g.node_id for g in grants}:
        return _("This account holds no role in your city: its second factor is not yours to reset.")
    return None


def resets_any(actor: Any) -> bool:
    """Whether the actor resets second factors at all (a superuser, or the admin or city centre of a city)."""
    if getattr(actor, "is_superuser", False):
        return True
    return any(g.role in RESETTERS and g.node_kind == "city" and g.node_id for g in grants_of(actor))


def resettable(actor: Any, query: str = "", limit: int = 50) -> list[Any]:
    """People with a second factor whose reset the actor may do, matching ``query`` (username or name)."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    devices = TotpDevice.objects.filter(confirmed_at__isnull=False).values("person_id")
    people = get_user_model().objects.filter(pk__in=devices, is_active=True).order_by("username").distinct()
    query = (query or "").strip()[:150]
    if query:
        people = people.filter(Q(username__icontains=query) | Q(profile__display_name__icontains=query))
    found = []
    for person in people.iterator():
        if reset_refusal(actor, person) is None:
            found.append(person)
            if len(found) >= limit:
                break
    return found


@transaction.atomic
def totp_reset(*, actor: Any, person: Any, reason: str) -> None:
    """Remove a person's second factor (a lost phone): by an administrator or the city centre of the
    person's city (see ``reset_refusal``), with a reason; the event names who did it and why."""
    refusal = reset_refusal(actor, person)
    if refusal:
        raise SecondFactorError(refusal)
    reason = (reason or "").strip()
    if not reason:
        raise SecondFactorError(_("Say why the second factor is reset."))
    if len(reason) > 500:
        raise SecondFactorError(_("The reason is too long (at most 500 characters)."))
    removed, _counts = TotpDevice.objects.filter(person=person).delete()
    RecoveryCode.objects.filter(person=person).delete()
    if not removed:
        raise SecondFactorError(_("This account has no second factor."))
    event_append(
        verb="totp.reset",
        actor=actor,
        chain="orgs",
        reason=reason,
        after=_about(person),
    )


@transaction.atomic
def recovery_codes_regenerate(*, actor: Any, person: Any, code: str) -> list[str]:
    """New recovery codes for the person's own second factor, replacing every old one (used or not);
    asks for a current code from the authenticator (a recovery code will not do: it is what is being
    replaced). Returns the codes, shown once."""
    if actor != person:
        raise SecondFactorError(_("Only the person themselves can renew their recovery codes."))
    device = TotpDevice.objects.select_for_update().filter(person=person, confirmed_at__isnull=False).first()
    if device is None:
        raise SecondFactorError(_("Turn the authenticator on first."))
    step = totp.matching_step(_secret(device), code, clock.now().timestamp())
    if step is None or step <= device.last_step:
        raise SecondFactorError(_("That code does not match (or was used already): enter the next code."))
    device.last_step = step
    device.save(update_fields=["last_step"])
    codes = [_recovery_code() for _ in range(RECOVERY_CODES)]
    RecoveryCode.objects.filter(person=person).delete()
    RecoveryCode.objects.bulk_create([RecoveryCode(person=person, digest=_digest(c)) for c in codes])
    event_append(
        verb="totp.recovery_codes_renewed",
        actor=actor,
        chain="orgs",
        after={**_about(person), "codes": len(codes)},
    )
    return codes


def _about(person: Any) -> dict:
    """Who a second-factor event is about: their id, and their login only while they hold an office."""
    return {"person_id": person.pk, "person": person_label(person)}


def _secret(device: TotpDevice) -> bytes:
    return totp.unseal(device.sealed_secret, settings.CHUISHAO_TOTP_KEY)
