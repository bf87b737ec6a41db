"""Signing in, the home page by role, the header and the error pages."""

from __future__ import annotations

from django.urls import reverse

from tests.factories import PASSWORD


def test_login_page_signs_in_and_goes_home(client, city):
    assert client.get(reverse("web:login")).status_code == 200
    response = client.post(reverse("web:login"), {"username": "street-a", "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("web:home")


def test_wrong_password_is_refused(client, city):
    response = client.post(reverse("web:login"), {"username": "street-a", "password": "wrong-password"})
    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated


def test_home_sends_staff_to_cases_and_residents_to_their_reports(login):
    assert login("street-a").get(reverse("web:home")).url == reverse("web:case_list")
    assert login("um-a").get(reverse("web:home")).url == reverse("web:case_list")
    assert login("resident").get(reverse("web:home")).url == reverse("web:my_reports")


def test_anonymous_home_is_the_public_landing(client, city):
    response = client.get(reverse("web:home"))
    assert response.status_code == 200
    assert reverse("web:report").encode() in response.content
    assert reverse("web:login").encode() in response.content


def test_anonymous_case_list_goes_to_login(client, city):
    response = client.get(reverse("web:case_list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("web:login"))


def test_header_shows_roles_and_language_switch(login):
    client = login("street-a")
    page = client.get(reverse("web:case_list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "street dispatcher" in page
    assert reverse("set_language") in page


def test_logout_signs_out(login):
    client = login("street-a")
    response = client.post(reverse("web:logout"))
    assert response.status_code == 302
    assert client.get(reverse("web:case_list")).status_code == 302


def test_unknown_page_is_a_friendly_404(client, city):
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert b"Back to the start" in response.content
