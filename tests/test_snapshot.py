"""The copied test city is only reused under the password hasher it was built with."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import check_password
from django.db import transaction

from tests.factories import PASSWORD, build_small_city


@pytest.mark.django_db
def test_a_city_built_under_a_fast_hasher_is_not_copied_to_a_test_with_the_real_one(settings):
    real = settings.PASSWORD_HASHERS
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    before = transaction.savepoint()
    fast = build_small_city()
    assert fast.people["street-a"].password.startswith("md5$")
    transaction.savepoint_rollback(before)  # the database as it was: a copy would be taken from here on

    settings.PASSWORD_HASHERS = real
    person = build_small_city().people["street-a"]
    assert not person.password.startswith("md5$")
    assert check_password(PASSWORD, person.password)
