"""A reporter's name, phone and e-mail never reach the places that must not show them.

Every check looks for the distinctive values of ``conftest``; each has a positive control (a role that
may see the phone does see it), so a page that broke and shows nothing cannot pass for a safe one.
"""

from __future__ import annotations

import io
import json
import logging
import re
import zipfile

import pytest
from django.core.cache import cache
from django.urls import reverse
from rest_framework.test import APIClient

from chuishao.actors import SYSTEM
from chuishao.cases.models import Case
from chuishao.evaluation.services import rollup_rebuild
from chuishao.ops.logs import JsonFormatter
from chuishao.orgs.apikeys import apikey_create
from tests.factories import grid_centre
from tests.privacy.conftest import EMAIL, GRID, NAME, PHONE

SECRETS = (NAME, PHONE, EMAIL)
# The description of these cases holds no phone: contact details typed into free text are another matter.
PLAIN = "楼道灯坏了"


def leaked(content: bytes | str) -> list[str]:
    text = content.decode() if isinstance(content, bytes) else content
    # JSON may escape non-ASCII ("\u6b27…"): look for both spellings.
    return [s for s in SECRETS if s in text or json.dumps(s)[1:-1] in text]


@pytest.fixture
def dispatched(city, report):
    from chuishao.cases.services import case_act

    case = report(description=PLAIN)
    case_act(case=case, action="file", actor=city.people["street-a"])
    return case_act(
        case=case, action="dispatch", actor=city.people["street-a"], lead=city.orgs["um-110901"].pk
    )


def test_open311_lists_and_details_carry_no_contact(client, dispatched):
    for ext in ("json", "xml"):
        for path in (f"/open311/v2/requests.{ext}", f"/open311/v2/requests/{dispatched.number}.{ext}"):
            response = client.get(path)
            assert response.status_code == 200 and dispatched.number in response.content.decode(), path
            assert leaked(response.content) == [], path


def test_case_pages_and_rest_show_contact_only_to_roles_that_call_back(client, city, dispatched):
    page = reverse("web:case_detail", args=[dispatched.pk])
    rest = f"/api/v1/cases/{dispatched.number}/"
    for username, may_see in (("street-a", True), ("grid-a", True), ("um-a", False), ("leader", False)):
        client.force_login(city.people[username])
        html = client.get(page)
        api = APIClient()
        api.force_login(city.people[username])
        data = api.get(rest)
        assert html.status_code == 200 and data.status_code == 200, username
        if may_see:
            assert PHONE in html.content.decode() and PHONE in data.content.decode(), username
        else:
            assert leaked(html.content) == [] and leaked(data.content) == [], username
            assert "139****4321" in html.content.decode(), username
        listing = client.get(reverse("web:case_list"))
        assert listing.status_code == 200 and leaked(listing.content) == [], username


def test_public_pages_carry_no_contact(client, city, dispatched):
    for path in ("/", reverse("web:report"), reverse("web:grids_geojson")):
        response = client.get(path)
        assert response.status_code == 200 and leaked(response.content) == [], path
    # The follow link shows the report to whoever holds it: the case, never the reporter's contact.
    follow = client.get(reverse("web:follow", args=[dispatched.number, dispatched.follow_token]))
    assert follow.status_code == 200 and leaked(follow.content) == []


def _xlsx_text(content: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(content)) as book:
        return "".join(book.read(n).decode("utf-8", "replace") for n in book.namelist() if n.endswith(".xml"))


def test_exports_carry_no_contact(client, city, closed):
    rollup_rebuild(city_id=closed.city_id)
    for username in ("street-a", "city", "leader"):
        client.force_login(city.people[username])
        for fmt in ("csv", "xlsx"):
            response = client.get(reverse("web:evaluation"), {"format": fmt, "unit": "grid"})
            assert response.status_code == 200, (username, fmt)
            body = _xlsx_text(response.content) if fmt == "xlsx" else response.content.decode()
            assert city.nodes[GRID].name in body, (username, fmt)  # the export is not empty
            assert leaked(body) == [], (username, fmt)
        if username != "street-a":  # the dashboard is for district and city levels
            board = client.get(reverse("web:dashboard"), {"format": "xlsx"})
            assert board.status_code == 200 and leaked(_xlsx_text(board.content)) == [], username


def test_logs_never_carry_contact(client, city, caplog, settings):
    """File reports through the web form, Open311 and the REST API, handle one through the pages, with
    every logger at DEBUG and the access log on; neither the records nor their JSON lines hold contact."""
    cache.clear()
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False
    caplog.set_level(logging.DEBUG)
    logging.getLogger("chuishao.access").setLevel(logging.DEBUG)
    lat, lng = grid_centre(GRID)
    contact = {"reporter_name": NAME, "reporter_phone": PHONE, "reporter_email": EMAIL}
    client.force_login(city.people["resident"])
    form = {"category": "S0102", "description": PLAIN, "lat": lat, "lng": lng, **contact}
    assert client.post(reverse("web:report"), form).status_code == 302
    # A refused report (bad e-mail) is logged, if at all, without what was typed.
    assert client.post(reverse("web:report"), form | {"reporter_email": "x@"}).status_code == 400
    client.logout()
    _, key = apikey_create(actor=SYSTEM, name="civic app", scopes=["open311", "intake"])
    o311 = {"api_key": key, "service_code": "S0102", "description": PLAIN, "lat": lat, "long": lng}
    o311 |= {"first_name": NAME[:2], "last_name": NAME[2:], "phone": PHONE, "email": EMAIL}
    assert client.post("/open311/v2/requests.json", o311).status_code == 201
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    body = {"category": "S0102", "description": PLAIN, "lat": lat, "lng": lng, **contact}
    assert api.post("/api/v1/cases/", body, format="json").status_code == 201
    case = Case.objects.filter(reporter_phone=PHONE).order_by("pk").first()
    client.force_login(city.people["street-a"])
    act = reverse("web:case_act", args=[case.pk, "file"])
    assert client.post(act, {"seen_status": case.status}).status_code == 302
    assert client.get(reverse("web:case_detail", args=[case.pk])).status_code == 200
    assert Case.objects.filter(reporter_phone=PHONE).count() == 3
    assert caplog.records, "nothing was logged: the capture is not working"
    formatter = JsonFormatter()
    for record in caplog.records:
        assert leaked(record.getMessage()) == [], record.getMessage()
        assert leaked(formatter.format(record)) == [], formatter.format(record)


def test_contacts_typed_into_the_description_stay_from_department_staff(client, city, report):
    """A phone number typed into the description is masked for roles that do not call back, on the case
    page and in REST, as Open311 masks it for everyone; the street dispatcher still sees it."""
    from chuishao.cases.services import case_act

    case = report()  # "请打 <PHONE> 联系我"
    case_act(case=case, action="file", actor=city.people["street-a"])
    case_act(case=case, action="dispatch", actor=city.people["street-a"], lead=city.orgs["um-110901"].pk)
    client.force_login(city.people["um-a"])
    assert PHONE not in client.get(f"/open311/v2/requests/{case.number}.json").content.decode()
    assert PHONE not in client.get(reverse("web:case_detail", args=[case.pk])).content.decode()
    assert PHONE not in client.get(f"/api/v1/cases/{case.number}/").content.decode()
    assert PHONE not in client.get("/api/v1/cases/").content.decode()
    client.force_login(city.people["street-a"])
    assert PHONE in client.get(reverse("web:case_detail", args=[case.pk])).content.decode()
    assert PHONE in client.get(f"/api/v1/cases/{case.number}/").content.decode()


def test_an_anonymised_case_does_not_name_its_former_reporter_to_staff(client, city, closed):
    from chuishao.privacy.services import case_anonymise

    named = re.compile(r">\s*resident \((?!web)")  # "resident (居民)": the login, not the source
    page = reverse("web:case_detail", args=[closed.pk])
    client.force_login(city.people["street-a"])
    assert not named.search(client.get(page).content.decode())  # before: "the reporter"
    case_anonymise(case=closed, actor=SYSTEM, why="retention")
    assert not named.search(client.get(page).content.decode())
