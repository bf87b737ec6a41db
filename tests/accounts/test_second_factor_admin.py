"""Administering second factors: the audited reset of a colleague's (page and command) by the admin or
the city centre of the person's city only, and renewing one's own recovery codes against a current code."""

from __future__ import annotations

import base64
import datetime as dt
from urllib.parse import parse_qs, urlparse

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from chuishao.actors import SYSTEM, resident_label
from chuishao.events.models import Event
from chuishao.geo.models import Jurisdiction
from chuishao.orgs.models import Membership
from chuishao.orgs.services import membership_grant, membership_revoke, person_create
from chuishao.security import services, totp
from chuishao.security.models import RecoveryCode, TotpDevice
from tests.factories import build_small_city, square

NOON = dt.datetime(2026, 3, 2, 4, 0, tzinfo=dt.UTC)

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock():
    with time_machine.travel(NOON, tick=False) as traveller:
        yield traveller


@pytest.fixture
def city():
    # Not under ``fast_hashing``: the small city is built once per process and copied back after, so
    # its passwords must be hashed as every other test expects. These tests never sign in by password.
    return build_small_city()


def enrol(person) -> bytes:
    """Turns the person's authenticator on through the services; returns its secret."""
    uri = services.totp_enrol_begin(actor=person, person=person)
    key = parse_qs(urlparse(uri).query)["secret"][0]
    secret = base64.b32decode(key + "=" * (-len(key) % 8))
    services.totp_enrol_confirm(actor=person, person=person, code=code_at(secret, 0))
    return secret


def code_at(secret: bytes, seconds: int) -> str:
    return totp.code_for(secret, totp.step_of((NOON + dt.timedelta(seconds=seconds)).timestamp()))


def resets():
    return Event.objects.filter(verb="totp.reset")


@pytest.mark.parametrize("who", ["admin", "city"])
def test_the_admin_and_the_city_centre_reset_a_colleagues_second_factor_on_the_page(client, city, clock, who):
    staff = city.people["um-a"]
    enrol(staff)
    client.force_login(city.people[who])
    page = client.get(reverse("security:totp_people"))
    assert page.status_code == 200 and b"um-a" in page.content
    assert b"um-a" not in client.get(reverse("security:totp_people"), {"q": "street"}).content
    reason = "手机丢失，本人到场核实"
    answer = client.post(reverse("security:totp_reset", args=[staff.pk]), {"reason": reason})
    assert answer.status_code == 302 and answer["Location"] == reverse("security:totp_people")
    assert not TotpDevice.objects.filter(person=staff).exists()
    assert not RecoveryCode.objects.filter(person=staff).exists()
    event = resets().get()
    assert event.actor == city.people[who] and event.reason == reason
    assert event.after == {"person_id": staff.pk, "person": "um-a"}


def test_a_reset_without_a_reason_is_refused_with_a_message(client, city, clock):
    staff = city.people["um-a"]
    enrol(staff)
    client.force_login(city.people["city"])
    answer = client.post(reverse("security:totp_reset", args=[staff.pk]), {"reason": "  "}, follow=True)
    assert "Say why the second factor is reset." in answer.content.decode()
    assert TotpDevice.objects.filter(person=staff).exists() and not resets().exists()


@pytest.mark.parametrize("who", ["district-a", "street-a", "leader", "um-b", "grid-a", "resident"])
def test_nobody_else_reaches_the_reset(client, city, clock, who):
    staff = city.people["um-a"]
    enrol(staff)
    client.force_login(city.people[who])
    assert client.get(reverse("security:totp_people")).status_code == 404
    assert client.post(reverse("security:totp_reset", args=[staff.pk]), {"reason": "x"}).status_code == 404
    with pytest.raises(services.SecondFactorError):
        services.totp_reset(actor=city.people[who], person=staff, reason="x")
    assert TotpDevice.objects.filter(person=staff).exists() and not resets().exists()


def test_the_city_centre_does_not_reset_an_administrators_and_nobody_their_own(client, city, clock):
    admin, centre = city.people["admin"], city.people["city"]
    enrol(admin)
    enrol(centre)
    assert services.resettable(centre) == []  # the admin's is not offered to the city centre
    client.force_login(centre)
    assert client.post(reverse("security:totp_reset", args=[admin.pk]), {"reason": "x"}).status_code == 404
    assert client.post(reverse("security:totp_reset", args=[centre.pk]), {"reason": "x"}).status_code == 404
    with pytest.raises(services.SecondFactorError, match="administrator"):
        services.totp_reset(actor=centre, person=admin, reason="lost phone")
    with pytest.raises(services.SecondFactorError, match="own"):
        services.totp_reset(actor=admin, person=admin, reason="lost phone")
    assert not resets().exists()
    services.totp_reset(actor=admin, person=centre, reason="lost phone")
    assert resets().get().actor == admin


def test_a_reset_does_not_reach_another_city_nor_a_bare_account(city, clock):
    other = Jurisdiction.objects.create(
        kind="city", code="120000", name="另一市", boundary=square(10.0, 10.0, 0.1, 0.1)
    )
    outsider = person_create(actor=SYSTEM, username="outsider", password_hash="!", is_staff=True)
    membership_grant(actor=SYSTEM, person=outsider, role="city_centre", node=other)
    bare = person_create(actor=SYSTEM, username="bare", password_hash="!", is_staff=True)
    for person in (outsider, bare):
        enrol(person)
    for who in ("admin", "city"):
        for person in (outsider, bare):
            with pytest.raises(services.SecondFactorError):
                services.totp_reset(actor=city.people[who], person=person, reason="lost phone")
        assert services.resettable(city.people[who]) == []
    # and the other city's centre does not reach this city's staff
    enrol(city.people["um-a"])
    with pytest.raises(services.SecondFactorError, match="city"):
        services.totp_reset(actor=outsider, person=city.people["um-a"], reason="lost phone")
    assert not resets().exists()


def test_the_command_resets_in_the_name_of_the_one_given_by(city, clock, capsys):
    staff = city.people["um-a"]
    enrol(staff)
    with pytest.raises(CommandError, match="no account 'nobody'"):
        call_command("security", "totp-reset", "nobody", "--by", "city", "--reason", "lost phone")
    with pytest.raises(CommandError, match="Only an administrator or the city centre"):
        call_command("security", "totp-reset", "um-a", "--by", "street-a", "--reason", "lost phone")
    with pytest.raises(CommandError, match="Say why"):
        call_command("security", "totp-reset", "um-a", "--by", "city", "--reason", " ")
    assert not resets().exists()
    call_command("security", "totp-reset", "um-a", "--by", "city", "--reason", "lost phone")
    assert "second factor of um-a reset by city" in capsys.readouterr().out
    event = resets().get()
    assert event.actor == city.people["city"] and event.reason == "lost phone"
    assert not TotpDevice.objects.filter(person=staff).exists()


def test_renewing_recovery_codes_needs_a_current_code_and_replaces_the_old_ones(client, city, clock):
    staff = city.people["um-a"]
    secret = enrol(staff)
    old = set(RecoveryCode.objects.filter(person=staff).values_list("digest", flat=True))
    client.force_login(staff)
    url = reverse("security:recovery_codes")
    assert client.get(url).status_code == 405
    # The enrolment's own code was used already; a wrong one does not match either.
    for used in (code_at(secret, 0), "000000"):
        assert client.post(url, {"code": used}).status_code == 400
    assert set(RecoveryCode.objects.filter(person=staff).values_list("digest", flat=True)) == old
    clock.shift(dt.timedelta(seconds=60))
    page = client.post(url, {"code": code_at(secret, 60)})
    assert page.status_code == 200 and b'data-testid="codes-renewed"' in page.content
    new = set(RecoveryCode.objects.filter(person=staff).values_list("digest", flat=True))
    assert len(new) == services.RECOVERY_CODES and not new & old
    event = Event.objects.get(verb="totp.recovery_codes_renewed")
    assert event.actor == staff
    assert event.after == {"person_id": staff.pk, "person": "um-a", "codes": services.RECOVERY_CODES}
    # Not for someone else, nor without an authenticator.
    with pytest.raises(services.SecondFactorError):
        services.recovery_codes_regenerate(actor=city.people["city"], person=staff, code=code_at(secret, 90))
    client.force_login(city.people["street-a"])
    assert client.post(url, {"code": "123456"}).status_code == 400
    assert Event.objects.filter(verb="totp.recovery_codes_renewed").count() == 1


def test_a_second_factor_kept_after_leaving_office_names_a_resident_by_number(city, clock):
    """Only staff enrol, but the authenticator stays when the roles go; its events then name a resident,
    whose login must stay out of the log (their erasure cannot reach it there)."""
    person = person_create(actor=SYSTEM, username="离任网格员", display_name="离任网格员")
    membership_grant(actor=SYSTEM, person=person, role="resident")
    office = membership_grant(
        actor=SYSTEM, person=person, role="grid_worker", node=city.node("110901001001001")
    )
    secret = enrol(person)
    assert Event.objects.get(verb="totp.enabled").after == {"person_id": person.pk, "person": "离任网格员"}
    membership_revoke(actor=city.people["admin"], membership=office, reason="任期结束")
    person = type(person).objects.get(pk=person.pk)
    assert list(Membership.objects.filter(person=person, active=True).values_list("role", flat=True)) == [
        "resident"
    ]
    clock.shift(dt.timedelta(seconds=60))
    services.recovery_codes_regenerate(actor=person, person=person, code=code_at(secret, 60))
    renewed = Event.objects.get(verb="totp.recovery_codes_renewed")
    assert renewed.actor_label == renewed.after["person"] == resident_label(person.pk)
    assert renewed.after["person_id"] == person.pk
