"""Privacy tests: the small city and a case whose reporter has details no other test uses."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD, build_small_city, grid_centre

GRID = "110901001001001"
# Distinctive values: if any of these shows up where it must not, the test names the leak.
NAME = "欧阳秘密"
PHONE = "13907654321"
EMAIL = "ouyang.secret@example.org"
ADDRESS = "幸福里7号楼3单元902"
VISITED = "司马访客"
VISITED_PHONE = "13600998877"


@pytest.fixture
def city(db):
    return build_small_city()


@pytest.fixture
def report(city):
    from chuishao.cases.services import case_report

    def make(*, by: str = "resident", grid: str = GRID, **extra):
        lat, lng = grid_centre(grid)
        params = {
            "source": "resident_web",
            "description": f"楼道灯坏了，请打 {PHONE} 联系我",
            "lat": lat,
            "lng": lng,
            "address": ADDRESS,
            "reporter_name": NAME,
            "reporter_phone": PHONE,
            "reporter_email": EMAIL,
        }
        params.update(extra)
        return case_report(actor=city.people[by], category="S0102", **params)

    return make


TO_CLOSED = [
    ("file", "street-a", {}),
    ("dispatch", "street-a", {"lead": "um-110901"}),
    ("accept", "um-a", {}),
    ("start", "um-a", {}),
    ("handle", "um-a", {"result": "已修好"}),
    ("check", "grid-a", {}),
    ("close", "street-a", {}),
]


@pytest.fixture
def closed(city, report):
    """A closed, rated case with a household visit linked to it."""
    from chuishao.cases.services import case_act, case_rate
    from chuishao.gridwork.services import visit_record

    case = report()
    for action, person, params in TO_CLOSED:
        if "lead" in params:
            params = {"lead": city.orgs[params["lead"]].pk}
        case = case_act(case=case, action=action, actor=city.people[person], **params)
    visit_record(
        actor=city.people["grid-a"],
        grid=GRID,
        kind="household",
        discussed=f"回访，住户电话 {VISITED_PHONE}",
        household=ADDRESS,
        person_name=VISITED,
        person_phone=VISITED_PHONE,
        case=case,
    )
    rater = city.people["resident"]
    return case_rate(case=case, actor=rater, satisfaction="satisfied", resolution="solved", comment="很快")


@pytest.fixture
def login(client, city):
    def as_(username: str):
        assert client.login(username=username, password=PASSWORD)
        return client

    return as_
