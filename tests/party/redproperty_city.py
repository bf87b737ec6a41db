"""The small test city with one residential complex (托乐嘉) in community A1a, grid g1, for red property.

The complex covers the middle of grid 110901001001001 (0.0006° square); ``INSIDE`` lies in it,
``OUTSIDE`` in the same grid but outside the complex. The 托乐嘉 demo function sets up the bodies,
the board with its cross-appointed seats and logins, and the resident's case dispatched to the board.
"""

from __future__ import annotations

from chuishao.actors import SYSTEM
from chuishao.geo.models import Complex
from chuishao.orgs.services import membership_grant, organisation_upsert, person_create
from tests.factories import LAT0, LON0, PASSWORD, City, build_small_city, square

COMMUNITY = "110901001001"
OTHER_COMMUNITY = "110902001001"
INSIDE = (LAT0 + 0.0005, LON0 + 0.0005)
OUTSIDE = (LAT0 + 0.00005, LON0 + 0.00005)


def add_complex(city: City, *, code: str = "TLJ", community: str = COMMUNITY, x: float = 0.0, name="托乐嘉"):
    return Complex.objects.create(
        code=code,
        name=name,
        community=city.node(community),
        boundary=square(LON0 + x + 0.0002, LAT0 + 0.0002, 0.0006, 0.0006),
        households=800,
    )


def add_departments(city: City) -> City:
    """The district's transport bureau (with staff) and a residents' committee for community A1a."""
    district = city.node("110901")
    city.orgs["transport-a"] = organisation_upsert(
        actor=SYSTEM, code="transport-110901", kind="department", name="交通局", jurisdiction=district,
        dept_type="transport",
    )  # fmt: skip
    for username, org in (("transport-a", "transport-a"), ("housing-a", "housing-110901")):
        user = person_create(actor=SYSTEM, username=username, password=PASSWORD, display_name=username)
        membership_grant(actor=SYSTEM, person=user, role="department_staff", organisation=city.orgs[org])
        city.people[username] = user
    return city


def redproperty_city(*, with_story: bool = True) -> tuple[City, Complex, dict]:
    """The small city, 托乐嘉 and (``with_story``) its board and case as the demo leaves them."""
    from chuishao import clock
    from chuishao.demo.redproperty import load_redproperty

    city = add_departments(build_small_city())
    complex_ = add_complex(city)
    result: dict = {}
    if with_story:
        result = load_redproperty(
            now=clock.now(), password=PASSWORD, community_code=COMMUNITY, log=lambda _: None
        )
        complex_.refresh_from_db()
    return city, complex_, result
