"""REST notifications: the caller's own inbox in cursor pages, unread filter and count, marking one or
all read — never someone else's — key scopes and query bounds."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from chuishao.cases.services import case_dispatch, case_file
from chuishao.notify.models import Notification
from chuishao.notify.services import fanout

NOTIFICATIONS = "/api/v1/notifications/"


@pytest.fixture
def as_key(make_key):
    def make(person: str | None, scopes=("read", "write")) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {make_key(scopes=scopes, person=person)}")
        return client

    return make


@pytest.fixture
def dispatched(city, report):
    """Dispatch ``n`` cases to urban management (water assisting) and fan the events out."""

    def make(n: int = 2) -> list:
        cases = []
        for _ in range(n):
            case = case_file(case=report(), actor=city.people["street-a"])
            cases.append(
                case_dispatch(
                    case=case,
                    actor=city.people["street-a"],
                    lead=city.orgs["um-110901"],
                    assisting=[city.orgs["water-110901"]],
                )
            )
        fanout()
        return cases

    return make


def mine(city, username: str) -> list[Notification]:
    return list(Notification.objects.filter(recipient=city.people[username]).order_by("-created_at", "-id"))


def test_the_inbox_lists_only_the_callers_own(city, dispatched, as_key):
    cases = dispatched(2)
    um = as_key("um-a")
    data = um.get(NOTIFICATIONS).json()
    own = mine(city, "um-a")
    assert len(own) == 2 and [n["id"] for n in data["results"]] == [n.pk for n in own]
    assert data["next"] is None
    first = data["results"][0]
    assert first["case"] == cases[1].number and first["read"] is False and first["read_at"] is None
    assert first["verb"] == own[0].verb and first["title"] == own[0].title and first["whistle"] is None
    # No reporter's name or phone in what is shown
    assert "张三" not in str(data) and "13812341234" not in str(data)
    assert as_key("resident").get(NOTIFICATIONS).json()["results"] == []


def test_marking_read_one_and_all_and_the_unread_count(city, dispatched, as_key):
    dispatched(3)
    um, water = as_key("um-a"), as_key("water-a")
    assert um.get(f"{NOTIFICATIONS}unread-count/").json() == {"unread": 3}
    older = mine(city, "um-a")[-1]

    response = um.post(f"{NOTIFICATIONS}{older.pk}/read/")
    assert (
        response.status_code == 200 and response.json()["read"] is True and response.json()["id"] == older.pk
    )
    older.refresh_from_db()
    assert older.read_at is not None
    assert um.post(f"{NOTIFICATIONS}{older.pk}/read/").json()["read_at"] is not None  # again: no change
    assert um.get(f"{NOTIFICATIONS}unread-count/").json() == {"unread": 2}
    unread = um.get(NOTIFICATIONS, {"unread": "1"}).json()["results"]
    assert len(unread) == 2 and older.pk not in [n["id"] for n in unread]
    assert len(um.get(NOTIFICATIONS, {"unread": "0"}).json()["results"]) == 3

    # Another person's notification is a 404, and stays unread
    theirs = mine(city, "water-a")[0]
    response = um.post(f"{NOTIFICATIONS}{theirs.pk}/read/")
    assert response.status_code == 404 and response.json()["code"] == "notification.not_found"
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert um.post(f"{NOTIFICATIONS}999999/read/").status_code == 404

    response = um.post(f"{NOTIFICATIONS}read-all/")
    assert response.status_code == 200 and response.json() == {"marked": 2, "unread": 0}
    assert all(n.read_at is not None for n in mine(city, "um-a"))
    assert water.get(f"{NOTIFICATIONS}unread-count/").json() == {"unread": 3}


def test_cursor_pages_and_bad_input(city, dispatched, as_key):
    dispatched(3)
    um = as_key("um-a")
    page = um.get(NOTIFICATIONS, {"page_size": 2}).json()
    assert len(page["results"]) == 2 and page["next"]
    rest = APIClient()
    rest.credentials(**um._credentials)
    tail = rest.get(page["next"]).json()
    assert [n["id"] for n in page["results"] + tail["results"]] == [n.pk for n in mine(city, "um-a")]
    for params, field in (({"unread": "perhaps"}, "unread"), ({"cursor": "bad"}, "cursor")):
        response = um.get(NOTIFICATIONS, params)
        assert response.status_code == 400 and field in response.json()["fields"]


def test_key_scopes_and_sessions(city, dispatched, as_key):
    dispatched(1)
    read_only, write_only = as_key("um-a", scopes=("read",)), as_key("um-a", scopes=("write",))
    pk = mine(city, "um-a")[0].pk
    assert read_only.get(NOTIFICATIONS).status_code == 200
    assert read_only.post(f"{NOTIFICATIONS}{pk}/read/").status_code == 403
    assert read_only.post(f"{NOTIFICATIONS}read-all/").status_code == 403
    assert write_only.get(f"{NOTIFICATIONS}unread-count/").status_code == 403
    assert mine(city, "um-a")[0].read_at is None
    assert APIClient().get(NOTIFICATIONS).status_code == 401
    session = APIClient()
    session.force_login(city.people["um-a"])
    assert session.post(f"{NOTIFICATIONS}{pk}/read/").status_code == 200


def test_the_list_query_count_does_not_grow(city, dispatched, as_key):
    dispatched(1)
    um = as_key("um-a")

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert um.get(NOTIFICATIONS).status_code == 200
        return len(ctx)

    count()  # the first call of a key also records when it was last used
    few = count()
    dispatched(5)
    assert count() == few <= 6
    assert len(um.get(NOTIFICATIONS).json()["results"]) == 6
