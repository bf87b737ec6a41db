"""A person's inbox: what they see, the unread count, marking read; and who configures channels."""

from __future__ import annotations

import pytest

from chuishao.actors import SYSTEM
from chuishao.cases.services import case_dispatch, case_file
from chuishao.notify.errors import NotifyInvalid, NotifyPermissionDenied
from chuishao.notify.models import Channel
from chuishao.notify.payloads import LINKS
from chuishao.notify.selectors import notifications_for, unread_count
from chuishao.notify.services import channel_create, fanout, notification_mark_read


def _two_dispatches(city, report):
    for _ in range(2):
        case = report()
        case_file(case=case, actor=city.people["street-a"])
        case_dispatch(
            case=case,
            actor=city.people["street-a"],
            lead=city.orgs["um-110901"],
            assisting=[city.orgs["water-110901"]],
        )
    fanout()


def test_a_person_reads_and_marks_only_their_own(city, report):
    _two_dispatches(city, report)
    um, water = city.people["um-a"], city.people["water-a"]
    assert unread_count(um) == 2 and unread_count(water) == 2
    newest, older = list(notifications_for(um))
    assert newest.created_at >= older.created_at
    # Someone else's ids are ignored.
    theirs = list(notifications_for(water).values_list("id", flat=True))
    assert notification_mark_read(actor=um, ids=[older.pk, *theirs]) == 1
    assert unread_count(um) == 1 and unread_count(water) == 2
    assert list(notifications_for(um, unread_only=True)) == [newest]
    assert notification_mark_read(actor=um) == 1
    assert unread_count(um) == 0
    assert notification_mark_read(actor=um) == 0


def test_the_inbox_reads_in_one_query(city, report, django_assert_num_queries):
    _two_dispatches(city, report)
    um = city.people["um-a"]
    with django_assert_num_queries(1):
        assert len(list(notifications_for(um))) == 2
    with django_assert_num_queries(1):
        unread_count(um)


def test_anonymous_and_system_have_no_inbox(db):
    from django.contrib.auth.models import AnonymousUser

    assert list(notifications_for(AnonymousUser())) == []
    assert notification_mark_read(actor=SYSTEM) == 0


def test_only_an_administrator_configures_channels(city):
    org = city.orgs["um-110901"]
    with pytest.raises(NotifyPermissionDenied):
        channel_create(actor=city.people["um-a"], organisation=org, kind="email", target="um@example.org")
    channel, secret = channel_create(
        actor=city.people["admin"], organisation=org, kind="webhook", target="https://hooks.example.org/c"
    )
    # A secret is generated when none is given, and returned this once.
    assert len(secret) == 64 and Channel.objects.get(pk=channel.pk).secret == secret


@pytest.mark.parametrize(
    ("kind", "target", "verbs"),
    [
        ("email", "not-an-address", ()),
        ("webhook", "ftp://example.org/x", ()),
        ("sms", "13800000000", ()),
        ("email", "ok@example.org", ["case.no_such_verb"]),
    ],
)
def test_channel_targets_and_verbs_are_checked(city, kind, target, verbs):
    with pytest.raises(NotifyInvalid):
        channel_create(
            actor=SYSTEM, organisation=city.orgs["um-110901"], kind=kind, target=target, verbs=verbs
        )


def test_the_link_templates_are_the_web_pages():
    """The link templates mirror the case and whistle pages (notify does not import web)."""
    from django.urls import reverse

    assert reverse("web:case_detail", kwargs={"pk": 7}) == LINKS["case"].format(pk=7)
    assert reverse("web:whistle_detail", kwargs={"pk": 7}) == LINKS["whistle"].format(pk=7)
