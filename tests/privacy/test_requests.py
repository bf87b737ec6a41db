"""A resident downloads or erases their data from "My data"; an anonymous reporter through the link."""

from __future__ import annotations

import json

from django.contrib.auth import get_user_model
from django.urls import reverse

from chuishao.cases.models import Case
from chuishao.events.audit import audit_verify
from chuishao.events.models import Event
from chuishao.gridwork.models import Visit
from chuishao.orgs.models import Profile
from tests.factories import PASSWORD
from tests.privacy.conftest import EMAIL, NAME, PHONE, VISITED


def test_a_resident_downloads_their_own_data_only(login, city, closed, report):
    other = report(by="resident2", reporter_phone="13700001111")
    client = login("resident")
    page = client.get(reverse("web:my_data"))
    assert page.status_code == 200 and reverse("web:my_data_erase") in page.content.decode()
    assert client.get(reverse("web:my_data_export")).status_code == 405  # a download is a POST
    response = client.post(reverse("web:my_data_export"))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["account"]["username"] == "resident"
    assert [c["number"] for c in data["cases"]] == [closed.number]
    mine = data["cases"][0]
    assert mine["contact"] == {"name": NAME, "phone": PHONE, "email": EMAIL}
    assert mine["rating"]["satisfaction"] == "satisfied" and mine["rating"]["comment"] == "很快"
    assert {"case.rate"} <= {s["what"] for s in mine["your_steps"]}
    assert other.number not in response.content.decode() and VISITED not in response.content.decode()
    event = Event.objects.get(verb="privacy.exported", actor_id=city.people["resident"].pk)
    assert event.after == {"cases": 1}


def test_a_resident_erases_their_data_and_the_cases_stay(login, city, closed, report):
    second = report()
    person = city.people["resident"]
    client = login("resident")
    refused = client.post(reverse("web:my_data_erase"))  # no confirmation: nothing happens
    assert refused.status_code == 302 and Case.objects.get(pk=closed.pk).reporter_id == person.pk

    response = client.post(reverse("web:my_data_erase"), {"confirm": "erase"})
    assert response.status_code == 302
    user = get_user_model().objects.get(pk=person.pk)
    assert user.username == f"erased-{person.pk}"
    assert not user.is_active and not user.has_usable_password()
    assert Profile.objects.filter(person=user, phone="", display_name="").exists()
    for pk in (closed.pk, second.pk):
        case = Case.objects.get(pk=pk)
        assert (case.reporter_id, case.reporter_phone, case.reporter_name) == (None, "", "")
        assert case.category_id == closed.category_id
    assert Case.objects.get(pk=closed.pk).satisfaction == "satisfied"
    assert not Visit.objects.filter(person_name=VISITED).exists()
    # The events name the account by its number, never the old login or the contact.
    for event in Event.objects.filter(verb__in=["case.anonymised", "privacy.erased"]):
        assert event.actor_id == person.pk and event.actor_label == f"resident #{person.pk}"
    assert Event.objects.get(verb="privacy.erased").after == {"cases": 2, "texts": 0, "erased_texts": []}
    assert audit_verify().ok
    # Signed out, and the old password no longer opens the account.
    assert client.get(reverse("web:my_data")).status_code == 302
    assert not client.login(username="resident", password=PASSWORD)


def test_a_staff_account_cannot_erase_itself_here(login, city):
    client = login("grid-a")
    assert "administrator" in client.get(reverse("web:my_data")).content.decode()
    client.post(reverse("web:my_data_erase"), {"confirm": "erase"})
    assert get_user_model().objects.get(pk=city.people["grid-a"].pk).is_active


def test_an_anonymous_reporter_exports_and_erases_through_the_follow_link(client, city, report):
    case = report(by="resident", anonymous=True)
    Case.objects.filter(pk=case.pk).update(reporter=None)  # as if reported without an account
    args = [case.number, case.follow_token]
    assert client.get(reverse("web:follow_data", args=args)).status_code == 200
    assert client.get(reverse("web:follow_data", args=[case.number, "wrong"])).status_code == 404
    data = json.loads(client.post(reverse("web:follow_export", args=args)).content)
    assert data["cases"][0]["contact"]["phone"] == PHONE
    assert Event.objects.filter(case_id=case.pk, verb="case.data_exported").exists()

    assert client.post(reverse("web:follow_erase", args=args), {"confirm": "erase"}).status_code == 302
    assert Case.objects.get(pk=case.pk).reporter_phone == ""
    assert client.get(reverse("web:follow", args=args)).status_code == 404  # the link is dead
    event = Event.objects.get(case_id=case.pk, verb="case.anonymised")
    assert event.after["why"] == "erasure" and event.actor_label == "reporter via follow link"
    assert audit_verify().ok
