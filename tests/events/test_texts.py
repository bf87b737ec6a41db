"""Event texts are committed through salted digests: erasable on record, tamper-evident otherwise."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import translation

from chuishao import clock
from chuishao.actors import SYSTEM, actor_label, label_display, resident_label
from chuishao.events.audit import audit_verify
from chuishao.events.chain import LEGACY, SALTED_TEXT, event_hash, text_digest
from chuishao.events.models import ChainHead, Event
from chuishao.events.services import event_append, stored_hash, texts_erase
from chuishao.orgs.models import Membership

CHAIN = "test:texts"
WORDS = "请联系我 13911112222，王小明"


def _append(reason: str = WORDS, actor=SYSTEM, **extra) -> Event:
    with transaction.atomic():
        return event_append(verb="test.said", actor=actor, chain=CHAIN, reason=reason, **extra)


def _erase(*events: Event) -> list[int]:
    with transaction.atomic():
        done = texts_erase(Event.objects.filter(pk__in=[e.pk for e in events]))
        _append(reason="", after=done.record())
    return done.ids


def _problems() -> list[tuple[str, int | None]]:
    return [(p.kind, p.event_id) for p in audit_verify().problems]


@pytest.mark.django_db
def test_a_new_event_commits_to_its_text_through_a_salted_digest():
    event = _append(after={"status": "filed"})
    assert event.hash_version == SALTED_TEXT and len(event.text_salt) == 32
    assert event.text_digest == text_digest(event.text_salt, WORDS) != text_digest("", WORDS)
    assert event.hash == stored_hash(event)
    # The hash covers the digest, not the words.
    assert WORDS not in repr(event.hash) and stored_hash(event) == stored_hash(Event.objects.get(pk=event.pk))
    silent = _append(reason="")
    assert (silent.text_salt, silent.text_digest) == ("", "")
    assert audit_verify().ok


@pytest.mark.django_db
def test_an_erased_text_keeps_the_chain_verifying():
    first, second = _append(), _append(reason="另一段话")
    assert _erase(first) == [first.pk]
    row = Event.objects.get(pk=first.pk)
    assert (row.reason, row.text_salt, row.text_erased) == ("", "", True)
    assert row.text_digest == first.text_digest and row.hash == first.hash
    report = audit_verify()
    assert report.ok, report.problems
    assert Event.objects.get(pk=second.pk).reason == "另一段话"
    # Erasing again finds nothing more to do.
    with transaction.atomic():
        assert texts_erase(Event.objects.filter(pk=first.pk)).ids == []


@pytest.mark.django_db
def test_a_changed_text_that_was_not_erased_is_caught():
    event = _append()
    _append(reason="")
    Event.objects.filter(pk=event.pk).update(reason="请联系我 13900000000")
    problems = audit_verify().problems
    assert [(p.kind, p.event_id) for p in problems] == [("content", event.pk)]
    assert "text was changed" in problems[0].message


@pytest.mark.django_db
def test_a_changed_digest_or_salt_is_caught():
    event, other = _append(), _append(reason="第二条")
    Event.objects.filter(pk=event.pk).update(text_digest="0" * 64)
    Event.objects.filter(pk=other.pk).update(text_salt="1" * 32)
    assert _problems() == [("content", event.pk), ("content", other.pk)]


@pytest.mark.django_db
def test_a_text_blanked_by_hand_is_caught_because_no_erasure_lists_it():
    event, listed = _append(), _append(reason="第二条")
    _erase(listed)
    Event.objects.filter(pk=event.pk).update(reason="", text_salt="", text_erased=True)
    problems = audit_verify().problems
    assert [(p.kind, p.event_id) for p in problems] == [("erasure", event.pk)]
    assert "no erasure event lists it" in problems[0].message


@pytest.mark.django_db
def test_an_erased_text_written_again_or_unmarked_is_caught():
    rewritten, unmarked = _append(), _append(reason="第二条")
    _erase(rewritten, unmarked)
    Event.objects.filter(pk=rewritten.pk).update(reason="别的内容")
    Event.objects.filter(pk=unmarked.pk).update(text_erased=False)
    assert _problems() == [("erasure", rewritten.pk), ("content", unmarked.pk)]


@pytest.mark.django_db
def test_an_erasure_record_cannot_be_added_by_editing_an_event():
    event, other = _append(), _append(reason="")
    Event.objects.filter(pk=event.pk).update(reason="", text_salt="", text_erased=True)
    Event.objects.filter(pk=other.pk).update(after={"erased_texts": [event.pk]})
    assert ("content", other.pk) in _problems()


@pytest.mark.django_db
def test_legacy_events_keep_verifying_and_their_texts_cannot_be_erased():
    """Events written before texts were erasable hash the text itself (version 1)."""
    at = clock.now() - dt.timedelta(days=400)
    stamp = at.astimezone(dt.UTC).isoformat(timespec="microseconds")
    fields = {"chain": "test:legacy", "seq": 1, "verb": "test.old", "case_id": None, "city_id": None}
    fields |= {"actor_id": None, "actor_label": "someone", "before": {}, "after": {}}
    digest = event_hash(prev_hash="0" * 64, reason=WORDS, created_at=stamp, **fields)
    legacy = Event.objects.create(
        prev_hash="0" * 64, reason=WORDS, created_at=at, hash=digest, hash_version=LEGACY, **fields
    )
    ChainHead.objects.create(chain="test:legacy", seq=1, hash=digest)
    assert audit_verify().ok
    with transaction.atomic():
        done = texts_erase(Event.objects.filter(pk=legacy.pk))
    assert (done.ids, done.legacy) == ([], 1)
    assert done.record() == {"texts": 0, "erased_texts": [], "legacy_texts_kept": 1}
    assert Event.objects.get(pk=legacy.pk).reason == WORDS and audit_verify().ok
    Event.objects.filter(pk=legacy.pk).update(reason="")
    assert _problems() == [("content", legacy.pk)]


@pytest.mark.django_db
def test_residents_are_labelled_by_number_and_office_holders_by_login():
    users = get_user_model().objects
    resident = users.create_user(username="13911112222")
    Membership.objects.create(person=resident, role="resident")
    nobody = users.create_user(username="王小明")
    officer = users.create_user(username="city-officer")
    Membership.objects.create(person=officer, role="resident")
    Membership.objects.create(person=officer, role="city_centre")
    retired = users.create_user(username="retired-officer")
    Membership.objects.create(person=retired, role="city_centre", active=False)
    superuser = users.create_user(username="root", is_superuser=True)
    assert actor_label(resident) == resident_label(resident.pk) == f"resident #{resident.pk}"
    assert actor_label(nobody) == f"resident #{nobody.pk}"
    assert actor_label(retired) == f"resident #{retired.pk}"
    assert (actor_label(officer), actor_label(superuser), actor_label(SYSTEM)) == (
        "city-officer",
        "root",
        "system",
    )
    event = _append(actor=resident, reason="")
    assert (event.actor_id, event.actor_label) == (resident.pk, f"resident #{resident.pk}")
    assert audit_verify().ok


def test_a_resident_label_is_shown_in_the_readers_language():
    with translation.override("en"):
        assert label_display("resident #12") == "resident #12"
    assert label_display("street-a") == "street-a"
    assert label_display("resident #12 and more") == "resident #12 and more"
