"""Erasure reaches the event log: a resident is a number there, and their words can be erased while the
hash chain still verifies."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from chuishao.actors import SYSTEM, FollowLinkActor, resident_label
from chuishao.cases.models import Case
from chuishao.cases.services import case_act, case_rate, case_report
from chuishao.engagement import services as engagement
from chuishao.evaluation.models import COUNT_NAMES, Rollup
from chuishao.evaluation.services import rollup_rebuild
from chuishao.events.audit import audit_verify
from chuishao.events.models import Event
from chuishao.events.services import event_append
from chuishao.orgs.models import Membership
from chuishao.orgs.services import membership_grant, person_create
from chuishao.privacy.services import case_anonymise, case_erase, person_erase
from tests.factories import add_engagement, grid_centre
from tests.privacy.conftest import ADDRESS, EMAIL, GRID, NAME, PHONE

# A login that is a real name, as residents choose; and words only the resident typed.
LOGIN = "慕容真名"
COMMENT = "修得很好，谢谢楼上的赵阿姨"
STAFF_NOTE = f"已电话联系住户 {PHONE}，明天上门"


def _resident():
    """A resident account made as a sign-up makes it: the bare account and the resident role."""
    user = get_user_model().objects.create_user(username=LOGIN, password="x")  # noqa: S106
    Membership.objects.create(person=user, role="resident")
    return user


def _resident_made_by_the_services(city):
    """A resident as the staff services make one: an account with their name and phone, the resident
    role, and (an in-service party member) a 双报到 registration with the community where they live,
    confirmed, and their unit's roster."""
    add_engagement(city, members=0)
    person = person_create(actor=SYSTEM, username=LOGIN, display_name=NAME, phone=PHONE, password="x")  # noqa: S106
    membership_grant(actor=city.people["admin"], person=person, role="resident")
    registration = engagement.registration_submit_member(
        actor=person, community=city.node("110901001001"), unit=city.orgs["bureau-a"], posts=["environment"]
    )
    engagement.registration_decide(actor=city.people["community-a"], registration=registration, accept=True)
    engagement.roster_add(actor=city.people["bureau-organiser"], unit=city.orgs["bureau-a"], person=person)
    return person


def _closed_and_rated(city, person):
    lat, lng = grid_centre(GRID)
    case = case_report(
        actor=person,
        category="S0102",
        source="resident_web",
        description=f"楼道灯坏了，请打 {PHONE} 联系我",
        lat=lat,
        lng=lng,
        address=ADDRESS,
        reporter_name=NAME,
        reporter_phone=PHONE,
        reporter_email=EMAIL,
    )
    steps = [
        ("file", "street-a", {"note": "已核实"}),
        ("dispatch", "street-a", {"lead": city.orgs["um-110901"].pk}),
        ("accept", "um-a", {}),
        ("start", "um-a", {}),
        ("handle", "um-a", {"result": STAFF_NOTE}),
        ("check", "grid-a", {}),
        ("close", "street-a", {}),
    ]
    for action, who, params in steps:
        case = case_act(case=case, action=action, actor=city.people[who], **params)
    return case_rate(case=case, actor=person, satisfaction="satisfied", resolution="solved", comment=COMMENT)


def _figures(city_id: int) -> list[tuple]:
    rollup_rebuild(city_id=city_id)
    return sorted(Rollup.objects.values_list("period", "unit_kind", "unit_id", *COUNT_NAMES))


def _leaks() -> set[str]:
    """The distinctive values found in any column of any event."""
    text = repr(list(Event.objects.values()))
    return {v for v in (LOGIN, COMMENT, PHONE, NAME, EMAIL, ADDRESS, "楼上的赵阿姨") if v in text}


def test_a_resident_acts_under_a_number_and_staff_under_their_login(city):
    person = _resident()
    case = _closed_and_rated(city, person)
    labels = dict(Event.objects.filter(case_id=case.pk).values_list("verb", "actor_label"))
    assert labels["case.reported"] == labels["case.rate"] == resident_label(person.pk)
    assert labels["case.handle"] == "um-a" and labels["case.close"] == "street-a"
    rate = Event.objects.get(case_id=case.pk, verb="case.rate")
    assert rate.reason == COMMENT and rate.hash_version == 2 and rate.text_digest
    # Before erasure the texts are there, as written, and the login is nowhere.
    assert _leaks() == {COMMENT, PHONE, "楼上的赵阿姨"}


def test_erasing_a_resident_leaves_none_of_their_data_in_the_log_and_the_chain_verifies(city):
    person = _resident()
    case = _closed_and_rated(city, person)
    # Something they wrote outside their case: an event on another chain with their words.
    with transaction.atomic():
        event_append(verb="test.wish", actor=person, chain="engagement:test", reason=f"{NAME}想要一张长椅")
    figures = _figures(case.city_id)

    person_erase(person=person)

    assert _leaks() == set()
    report = audit_verify()
    assert report.ok, report.problems
    assert _figures(case.city_id) == figures
    erased = Event.objects.filter(text_erased=True)
    assert {e.verb for e in erased} == {"case.rate", "case.handle", "test.wish"}
    assert all(e.reason == "" and e.text_salt == "" and len(e.text_digest) == 64 for e in erased)
    anonymised = Event.objects.get(case_id=case.pk, verb="case.anonymised")
    ids = sorted(Event.objects.filter(case_id=case.pk, text_erased=True).values_list("pk", flat=True))
    assert anonymised.after["erased_texts"] == ids and anonymised.after["texts"] == 2
    wish = Event.objects.get(verb="test.wish")
    assert Event.objects.get(verb="privacy.erased").after["erased_texts"] == [wish.pk]
    # Staff words without contact details stay: the office answers for them.
    assert Event.objects.get(case_id=case.pk, verb="case.file").text_erased is False


def test_retention_erases_the_reporters_words_and_quoted_contacts_only(city):
    person = _resident()
    case = _closed_and_rated(city, person)
    assert case_anonymise(case=case.pk, actor=city.people["city"], why="retention")
    kept = dict(Event.objects.filter(case_id=case.pk).exclude(reason="").values_list("verb", "reason"))
    assert kept == {"case.file": "已核实"}
    assert _leaks() == set()
    assert audit_verify().ok
    # Idempotent: nothing left to erase, nothing appended.
    assert not case_anonymise(case=case.pk, actor=city.people["city"], why="retention")


def test_an_anonymous_reporter_erasing_through_the_link_takes_their_words_too(city, report):
    case = report(by="resident")
    Case.objects.filter(pk=case.pk).update(reporter=None)
    linked = FollowLinkActor(case_id=case.pk)
    case = case_act(case=case.pk, action="withdraw", actor=linked, reason=f"不用了，{NAME}自己修好了")
    assert case_erase(case=case)
    assert NAME not in repr(list(Event.objects.filter(case_id=case.pk).values()))
    assert audit_verify().ok


def test_timelines_after_erasure_say_the_reporter_and_that_words_were_erased(city):
    from chuishao.api.v1.cases.present import timeline as api_timeline
    from chuishao.web.presenters import timeline as web_timeline

    person = _resident()
    case = _closed_and_rated(city, person)
    person_erase(person=person)
    case = Case.objects.get(pk=case.pk)
    events = list(Event.objects.filter(case_id=case.pk).order_by("seq"))
    verbs = [e.verb for e in events]
    for public in (False, True):
        web = dict(zip(verbs, web_timeline(events, case, public=public), strict=True))
        api = {s["verb"]: s for s in api_timeline(events, case, public=public)}
        for steps in (web, api):
            assert {v: str(getattr(s, "who", None) or s["actor"]) for v, s in steps.items()}["case.rate"] == (
                "the reporter"
            )
        assert web["case.rate"].reason == api["case.rate"]["reason"] == "(erased)"
        assert LOGIN not in repr(web) + repr(api) and resident_label(person.pk) not in repr(web) + repr(api)
    # Staff see the colleague who handled it, and that their note (which quoted the phone) was erased.
    staff = dict(zip(verbs, web_timeline(events, case, public=False), strict=True))
    assert staff["case.handle"].who.startswith("um-a (") and staff["case.handle"].reason == "(erased)"


def test_a_reporter_who_also_holds_an_office_has_their_rating_comment_erased(city):
    """Named by login (they hold an office), but their words on their own report are theirs to lose."""
    person = get_user_model().objects.get(pk=city.people["street-a"].pk)
    Membership.objects.create(person=person, role="resident")
    case = _closed_and_rated(city, person)
    assert Event.objects.get(case_id=case.pk, verb="case.rate").actor_label == "street-a"
    assert case_anonymise(case=case.pk, actor=city.people["city"], why="retention")
    assert Event.objects.get(case_id=case.pk, verb="case.rate").text_erased
    assert _leaks() == set() and audit_verify().ok


def test_a_resident_made_by_the_staff_services_leaves_no_login_name_or_phone_in_the_log(city):
    person = _resident_made_by_the_services(city)
    case = _closed_and_rated(city, person)
    # Their account's events name them by id, as their own acts do.
    created = Event.objects.get(verb="person.created", after__person_id=person.pk)
    granted = Event.objects.get(verb="membership.granted", after__person_id=person.pk)
    assert created.after["person"] == granted.after["person"] == resident_label(person.pk)
    registered = Event.objects.get(verb="engagement.registered", actor_id=person.pk)
    assert registered.actor_label == resident_label(person.pk)
    assert _leaks() == {COMMENT, PHONE, "楼上的赵阿姨"}  # their words and the note quoting the phone

    person_erase(person=person)

    assert _leaks() == set()
    assert audit_verify().ok
    assert Event.objects.get(case_id=case.pk, verb="case.rate").text_erased
