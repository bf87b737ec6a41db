"""HTML in what residents type is text everywhere: a case described (and signed, and placed) with a
script and an image that runs code is shown escaped on the staff desk and case page, the resident's
follow page and own list, the notification inbox, Open311's XML (escaped, parsing back to the same
words) and JSON (raw, which is right for JSON), and the person's data export.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET  # noqa: S405  (our own answer, parsed in a test)

import pytest
from django.test import Client

from chuishao.cases.services import case_dispatch, case_file
from chuishao.notify.models import Notification
from chuishao.notify.services import fanout

HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>"
RAW = ("<script>alert(1)", "<img src=x", "onerror=alert(2)>")


@pytest.fixture
def case(city, report):
    filed = report(
        by="resident",
        description=f"井盖丢了 {HOSTILE}",
        address=f"东门 {HOSTILE}",
        reporter_name=f"王{HOSTILE}"[:60],
    )
    case = case_file(case=filed, actor=city.people["street-a"])
    case_dispatch(case=case, actor=city.people["street-a"], lead=city.orgs["um-110901"])
    fanout()
    return case


def _as(city, who: str | None) -> Client:
    client = Client()
    if who:
        client.force_login(city.people[who])
    return client


def _assert_text(page, *, shown: bool = True) -> str:
    assert page.status_code == 200, page.status_code
    html = page.content.decode()
    for raw in RAW:
        assert raw not in html, (raw, html[max(html.find(raw) - 200, 0) : html.find(raw) + 100])
    if shown:
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, "the words are on the page, escaped"
    return html


def test_staff_pages_show_the_markup_as_text(city, case):
    _assert_text(_as(city, "street-a").get(f"/cases/{case.pk}/"))
    _assert_text(_as(city, "street-a").get("/cases/", {"q": "井盖"}), shown=False)
    _assert_text(_as(city, "um-a").get(f"/cases/{case.pk}/"))


def test_the_residents_pages_show_it_as_text(city, case):
    _assert_text(_as(city, None).get(f"/follow/{case.number}/{case.follow_token}/"))
    _assert_text(_as(city, "resident").get("/my/"), shown=False)
    _assert_text(_as(city, None).get(f"/follow/{case.number}/{case.follow_token}/data/"), shown=False)


def test_notifications_carry_it_as_text(city, case):
    notes = Notification.objects.all()
    assert notes.exists()
    for recipient in {n.recipient for n in notes}:
        _assert_text(_as(city, recipient.username).get("/notifications/"), shown=False)


def test_open311_xml_escapes_it_and_json_keeps_the_words(city, case):
    client = _as(city, None)
    xml = client.get(f"/open311/v2/requests/{case.number}.xml")
    assert xml.status_code == 200
    for raw in RAW:
        assert raw.encode() not in xml.content
    root = ET.fromstring(xml.content)  # noqa: S314
    descriptions = [e.text or "" for e in root.iter("description")]
    assert any(HOSTILE in d for d in descriptions), descriptions  # escaped on the wire, the words intact
    answer = client.get(f"/open311/v2/requests/{case.number}.json")
    assert answer.status_code == 200 and answer["Content-Type"].startswith("application/json")
    assert any(HOSTILE in (r.get("description") or "") for r in json.loads(answer.content))


def test_the_data_export_is_a_download_not_a_page(city, case):
    export = _as(city, None).post(f"/follow/{case.number}/{case.follow_token}/data/export/")
    assert export.status_code == 200
    assert "attachment" in export["Content-Disposition"]
    assert not export["Content-Type"].startswith("text/html")
