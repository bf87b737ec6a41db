"""Who writes for which organisation and who reviews, as the header decides it from grants alone."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from chuishao.library.scopes import author_orgs, nav_library, nav_library_write, nav_review
from chuishao.orgs.scopes import grants_of
from tests.library.library_city import library_city

pytestmark = pytest.mark.django_db


def test_author_organisations_of_each_role():
    city = library_city()

    def codes(who):
        return set(author_orgs(city.people[who]).values_list("code", flat=True))

    assert codes("community-a") == {"committee-a", "party-a"}
    assert codes("street-a") == {"street-110901"}
    assert codes("um-a") == {"um-110901"}
    assert codes("bureau-organiser") == {"bureau-a", "bureau-a-party"}
    for who in ("resident", "grid-a", "district-a", "city", "leader", "admin"):
        assert codes(who) == set()
    assert not author_orgs(AnonymousUser()).exists()


def test_header_links_come_from_grants_without_further_queries(django_assert_num_queries):
    city = library_city()
    people = city.people
    for user in people.values():
        grants_of(user)  # read once, as the header's first tag does
    with django_assert_num_queries(0):
        writes = {who for who, user in people.items() if nav_library(user)}
        reviewers = {who for who, user in people.items() if nav_review(user)}
        writers = {who for who, user in people.items() if nav_library_write(user)}
    assert writes == {
        "community-a",
        "community-b",
        "street-a",
        "street-b",
        "um-a",
        "um-b",
        "water-a",
        "bureau-organiser",
        "city",
        "leader",
        "admin",
        "district-a",
        "district-b",
    }
    assert reviewers == {"city", "leader", "admin", "district-a", "district-b"}
    assert writers == writes - reviewers
    # Each writer's header link leads to organisations they really write for.
    assert all(author_orgs(people[who]).exists() for who in writers)
    assert not nav_library(AnonymousUser()) and not nav_review(AnonymousUser())
