"""The pages: who sees what, naming within the quota, running and deciding a review from the forms."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from chuishao import clock
from chuishao.demonstration import services as svc
from chuishao.demonstration.models import Review, Unit
from tests.demonstration.conftest import COMMUNITY_A1, COMMUNITY_A2, COMMUNITY_B1, STREET_A, at, good_rates
from tests.factories import PASSWORD

JANUARY = at(2026, 1, 15, 10)


def client_for(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


@pytest.fixture
def named(city, programme):
    with clock.frozen(at(2025, 2, 1, 9)):
        a1 = svc.unit_name(actor=city.people["city"], programme=programme, node=city.node(COMMUNITY_A1))
        b1 = svc.unit_name(actor=city.people["city"], programme=programme, node=city.node(COMMUNITY_B1))
    good_rates(a1.node)
    return a1, b1


def test_the_programme_page_shows_quota_used_and_free_per_region(city, programme, named):
    page = client_for("city").get(f"/demonstration/{programme.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-region="{STREET_A}" data-quota="1" data-used="1" data-free="0"' in html
    assert f'data-unit="{COMMUNITY_A1}"' in html and 'data-testid="name-unit"' in html
    assert client_for("leader").get("/demonstration/").status_code == 200


def test_naming_beyond_the_quota_is_refused_on_the_page(city, programme, named):
    client = client_for("city")
    node = city.node(COMMUNITY_A2)
    response = client.post(
        f"/demonstration/{programme.pk}/name/", {"node": str(node.pk), "goal_coverage": "60"}
    )
    assert response.status_code == 400
    assert 'data-testid="name-error"' in response.content.decode()
    assert not Unit.objects.filter(node=node).exists()
    client.post(f"/demonstration/{programme.pk}/quota/", {"region": STREET_A, "quota": "2"})
    response = client.post(
        f"/demonstration/{programme.pk}/name/", {"node": str(node.pk), "goal_coverage": "60"}
    )
    assert response.status_code == 302
    assert Unit.objects.get(node=node).goals == {"coverage": 60.0}


def test_a_looser_goal_is_a_form_error(city, programme, named):
    client = client_for("city")
    svc.quota_set(actor=city.people["city"], programme=programme, region=city.node(STREET_A), quota=2)
    node = city.node(COMMUNITY_A2)
    response = client.post(
        f"/demonstration/{programme.pk}/name/", {"node": str(node.pk), "goal_coverage": "10"}
    )
    assert response.status_code == 400 and not Unit.objects.filter(node=node).exists()


def test_readers_see_their_units_only(city, programme, named):
    a1, b1 = named
    street = client_for("street-a")
    assert street.get(f"/demonstration/{programme.pk}/units/{a1.pk}/").status_code == 200
    assert street.get(f"/demonstration/{programme.pk}/units/{b1.pk}/").status_code == 404
    page = street.get(f"/demonstration/{programme.pk}/").content.decode()
    assert f'data-unit="{COMMUNITY_A1}"' in page and f'data-unit="{COMMUNITY_B1}"' not in page
    assert 'data-testid="name-unit"' not in page
    assert street.get(f"/demonstration/{programme.pk}/review/2025/").status_code == 404
    assert street.post(f"/demonstration/{programme.pk}/review/", {"year": "2025"}).status_code == 404
    community_b = client_for("community-b")
    assert community_b.get(f"/demonstration/{programme.pk}/units/{a1.pk}/").status_code == 404
    for who in ("resident", "um-a", "grid-a"):
        assert client_for(who).get("/demonstration/").status_code == 404
        assert client_for(who).get(f"/demonstration/{programme.pk}/").status_code == 404


def test_a_review_is_run_and_decided_from_the_pages(city, programme, named):
    a1, b1 = named
    client = client_for("city")
    with clock.frozen(JANUARY):
        response = client.post(f"/demonstration/{programme.pk}/review/", {"year": "2025"})
        assert response.status_code == 302 and response.url == f"/demonstration/{programme.pk}/review/2025/"
        page = client.get(response.url).content.decode()
    assert f'data-unit="{COMMUNITY_A1}" data-proposed="warn"' in page  # no party organisation: coverage 0 %
    assert f'data-unit="{COMMUNITY_B1}" data-proposed="drop"' in page  # no figures at all
    review = Review.objects.get(unit=b1, year=2025)
    with clock.frozen(JANUARY):
        bad = client.post(f"/demonstration/{programme.pk}/reviews/{review.pk}/decide/", {"outcome": "keep"})
        assert bad.status_code == 302
        review.refresh_from_db()
        assert not review.decided  # an override without a reason is refused
        client.post(f"/demonstration/{programme.pk}/reviews/{review.pk}/decide/", {"outcome": "drop"})
    review.refresh_from_db()
    assert review.outcome == "drop"
    unit_page = client_for("leader").get(f"/demonstration/{programme.pk}/units/{b1.pk}/").content.decode()
    assert 'data-active="0"' in unit_page and 'data-indicator="coverage" data-met="0"' in unit_page


def test_english_pages_render(city, programme, named):
    client = client_for("city")
    client.cookies["django_language"] = "en"
    assert client.get(f"/demonstration/{programme.pk}/", HTTP_ACCEPT_LANGUAGE="en").status_code == 200


def test_an_owner_starts_a_programme_from_the_list_page(city):
    client = client_for("district-a")
    page = client.get("/demonstration/").content.decode()
    assert 'data-testid="start-programme"' in page
    assert f'value="{city.node("110901").pk}"' in page and f'value="{city.city.pk}"' not in page
    data = {
        "name": "河西区示范街道",
        "owner": str(city.node("110901").pk),
        "level": "street",
        "quota": "1",
        "target_coverage": "70",
    }
    response = client.post("/demonstration/", data)
    assert response.status_code == 302
    from chuishao.demonstration.models import Programme

    programme = Programme.objects.get(name="河西区示范街道")
    assert programme.targets == {"coverage": 70.0} and programme.owner_node.code == "110901"
    bad = client.post("/demonstration/", {**data, "name": "x", "target_coverage": ""})
    assert bad.status_code == 400 and Programme.objects.count() == 1
    # Someone else's city node is not a choice.
    forged = client.post("/demonstration/", {**data, "owner": str(city.city.pk)})
    assert forged.status_code == 400 and Programme.objects.count() == 1
    assert client_for("street-a").get("/demonstration/").status_code == 200
    assert (
        'data-testid="start-programme"' not in client_for("street-a").get("/demonstration/").content.decode()
    )


def test_the_header_link_is_for_staff_from_community_up_and_leaders(city):
    from chuishao.demonstration.scopes import nav_demonstration

    for who in ("city", "leader", "admin", "district-a", "street-a", "community-a"):
        assert nav_demonstration(city.people[who]), who
    for who in ("grid-a", "um-a", "resident"):
        assert not nav_demonstration(city.people[who]), who


@pytest.mark.parametrize("year", [0, 1999, 2027, 99999, 10**15])
def test_a_review_url_with_a_year_out_of_range_is_404(city, programme, named, year):
    client = client_for("city")
    with clock.frozen(JANUARY):
        assert client.get(f"/demonstration/{programme.pk}/review/{year}/").status_code == 404
        assert client.get(f"/demonstration/{programme.pk}/review/2026/").status_code == 200
        assert client.get(f"/demonstration/{programme.pk}/review/2000/").status_code == 200


@pytest.mark.parametrize("year", ["0", "1999", "2027", "99999", str(10**15), "abc"])
def test_running_a_review_for_a_year_out_of_range_is_refused_on_the_page(city, programme, named, year):
    client = client_for("city")
    with clock.frozen(JANUARY):
        response = client.post(f"/demonstration/{programme.pk}/review/", {"year": year}, follow=True)
    assert response.redirect_chain == [(f"/demonstration/{programme.pk}/", 302)]
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert not Review.objects.exists()


def _decide(city, review):
    svc.review_decide(actor=city.people["city"], review=review, outcome=review.proposed)


def test_the_review_and_unit_pages_read_the_deciders_in_the_same_queries_however_many_reviews(
    city, programme, named
):
    a1, b1 = named
    client = client_for("city")

    def queries(url, decided):
        with CaptureQueriesContext(connection) as seen:
            page = client.get(url)
        assert page.status_code == 200
        assert page.content.decode().count(decided) >= 1
        return len(seen.captured_queries)

    review_url = f"/demonstration/{programme.pk}/review/2025/"
    unit_url = f"/demonstration/{programme.pk}/units/{a1.pk}/"
    with clock.frozen(JANUARY):
        reviews = {
            r.unit_id: r for r in svc.review_run(actor=city.people["city"], programme=programme, year=2025)
        }
        _decide(city, reviews[a1.pk])
        one_review = queries(review_url, 'data-testid="decision"')
        one_year = queries(unit_url, 'data-testid="outcome"')
        _decide(city, reviews[b1.pk])
        assert queries(review_url, 'data-testid="decision"') == one_review
        _decide(city, svc.review_run(actor=city.people["city"], programme=programme, year=2026)[0])
        assert queries(unit_url, 'data-testid="outcome"') == one_year
        page = client.get(unit_url).content.decode()
        assert page.count('data-testid="outcome"') == 2
        assert client.get(review_url).content.decode().count('data-testid="decision"') == 2
