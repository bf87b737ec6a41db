from __future__ import annotations

import pytest
from django.contrib.auth.hashers import make_password

from chuishao.actors import SYSTEM
from chuishao.orgs.services import person_create

PASSWORD = "a-long-enough-pass-2026"


@pytest.fixture
def fast_hashing(settings):
    """These tests count sign-in attempts, not hashing cost: a cheap hasher keeps each attempt in
    milliseconds (Argon2 itself is checked in test_headers_and_settings.py)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def people(db, fast_hashing):
    """A staff member, a colleague, a resident and an administrator, sharing one Argon2 hash."""
    hashed = make_password(PASSWORD)
    made = {
        name: person_create(actor=SYSTEM, username=name, password_hash=hashed, is_staff=staff)
        for name, staff in (("clerk", True), ("colleague", True), ("resident", False), ("admin", True))
    }
    made["admin"].is_superuser = True
    made["admin"].save(update_fields=["is_superuser"])
    return made
