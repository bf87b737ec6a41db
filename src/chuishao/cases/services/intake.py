"""Intake: every channel (web form, hotline, grid patrol, Open311, other systems) creates cases here.

The point is routed to its grid chain, the owner is proposed from the responsibility list, nearby
cases of the same category are suggested as possible duplicates (never merged), and the first stage's
deadline starts — all in one transaction with the ``case.reported`` event.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any

import shapely
import shapely.errors
import shapely.geometry
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chuishao import clock
from chuishao.actors import SystemActor
from chuishao.cases.deadlines import enter_stage
from chuishao.cases.errors import CaseInvalid, CasePermissionDenied
from chuishao.cases.media import check_media
from chuishao.cases.models import Case, CaseMedia, Nature, Priority, Source, Status
from chuishao.cases.scopes import acting_grant
from chuishao.cases.selectors import case_duplicates_nearby
from chuishao.catalog.models import Category
from chuishao.catalog.questions import AnswerInvalid, answers_clean
from chuishao.catalog.selectors import category_get, category_questions, responsible_org_for
from chuishao.events.services import event_append
from chuishao.geo.models import Complex, Jurisdiction, Kind
from chuishao.geo.routing import routing_index
from chuishao.orgs.models import Role
from chuishao.orgs.scopes import grants_of

PHONE = re.compile(r"^\+?[0-9][0-9\- ]{4,18}[0-9]$")
STAFF_SOURCES = {
    Source.HOTLINE: {Role.STREET_DISPATCHER, Role.DISTRICT_CENTRE, Role.CITY_CENTRE},
    Source.GRID_PATROL: {Role.GRID_WORKER, Role.COMMUNITY_STAFF},
}


def _clean_location(lat: Any, lng: Any, address: str) -> tuple[float | None, float | None]:
    if lat in (None, "") and lng in (None, ""):
        if not address.strip():
            raise CaseInvalid(_("Give the place: a point (latitude and longitude) or an address."))
        return None, None
    try:
        lat_f, lng_f = float(lat), float(lng)
    except (TypeError, ValueError) as exc:
        raise CaseInvalid(_("Latitude and longitude must both be numbers.")) from exc
    if not (-90 <= lat_f <= 90) or not (-180 <= lng_f <= 180):
        raise CaseInvalid(_("Latitude must lie in −90…90 and longitude in −180…180."))
    return lat_f, lng_f


def case_report(
    *,
    actor: Any,
    source: str,
    category: Category | str,
    description: str,
    lat: Any = None,
    lng: Any = None,
    address: str = "",
    nature: str = Nature.COMPLAINT,
    priority: str = Priority.NORMAL,
    reporter_name: str = "",
    reporter_phone: str = "",
    anonymous: bool = False,
    media: Iterable[Any] = (),
    city: Jurisdiction | None = None,
    reporter_email: str = "",
    answers: dict[str, Any] | None = None,
    keep_photo_location: bool = False,
) -> Case:
    """Create a case from a report and start its first deadline.

    ``answers`` answer the category's extra questions ({question code: value}); they are checked
    against the questions and stored on the case. Photos lose their GPS position unless the
    reporter allowed it to be kept (``keep_photo_location``).
    """
    if source not in Source.values:
        raise CaseInvalid(_("Unknown source %(s)s.") % {"s": source})
    if nature not in Nature.values:
        raise CaseInvalid(_("Unknown nature %(s)s.") % {"s": nature})
    if priority not in Priority.values:
        raise CaseInvalid(_("Unknown priority %(s)s.") % {"s": priority})
    staff_only = not isinstance(actor, SystemActor) and source in STAFF_SOURCES
    if staff_only and not ({g.role for g in grants_of(actor)} & STAFF_SOURCES[source]):
        raise CasePermissionDenied(_("Only staff on duty may file %(s)s reports.") % {"s": source})
    description = (description or "").strip()
    if not description:
        raise CaseInvalid(_("Describe the problem."))
    if len(description) > 4000:
        raise CaseInvalid(_("The description is longer than 4,000 characters."))
    reporter_phone = (reporter_phone or "").strip()
    if reporter_phone and not PHONE.match(reporter_phone):
        raise CaseInvalid(_("The phone number %(p)s is not valid.") % {"p": reporter_phone})
    reporter_email = (reporter_email or "").strip()
    if reporter_email:
        try:
            validate_email(reporter_email)
        except ValidationError as exc:
            raise CaseInvalid(_("The e-mail address %(e)s is not valid.") % {"e": reporter_email}) from exc
        if len(reporter_email) > 120:
            raise CaseInvalid(_("The e-mail address is longer than 120 characters."))
    if isinstance(category, str):
        try:
            category = category_get(category)
        except Exception as exc:
            raise CaseInvalid(str(exc)) from exc
    if category.parent_id is None or not category.active:
        raise CaseInvalid(_("Choose a specific category, not a major class."))
    if answers is not None and not isinstance(answers, dict):
        raise CaseInvalid(_("Answers must be given as question code → value."))
    try:
        clean_answers = answers_clean(category_questions(category), answers)
    except AnswerInvalid as exc:
        raise CaseInvalid(exc.message, code=exc.code) from exc
    lat_f, lng_f = _clean_location(lat, lng, address)
    files = check_media(list(media), keep_location=keep_photo_location)

    route = routing_index().route(lat_f, lng_f) if lat_f is not None else None
    if route is not None and route.outside and settings.CHUISHAO_OUTSIDE_POINTS == "refuse":
        raise CaseInvalid(
            _("The point lies outside every grid served here; report a place inside the city."),
            code="case.outside",
        )
    city_id = route.city_id if route is not None and not route.outside else None
    if city_id is None:
        city_id = city.pk if city is not None else _only_city_id()
    # A person reporting for themselves is the reporter; staff entering a call record the caller's details.
    is_person = not isinstance(actor, SystemActor) and getattr(actor, "is_authenticated", False)
    reporter = actor if is_person and source == Source.RESIDENT_WEB else None
    now = clock.now()
    status = Status.VERIFIED if source == Source.GRID_PATROL else Status.REPORTED
    chain = {"city": city_id, "district": None, "street": None, "community": None, "grid": None}
    if route is not None and not route.outside:
        chain.update(
            district=route.district_id,
            street=route.street_id,
            community=route.community_id,
            grid=route.grid_id,
        )
    if staff_only and not _staff_reach(actor, source, chain):
        raise CasePermissionDenied(
            _("This place is outside your area: only staff responsible for it may file %(s)s reports there.")
            % {"s": source}
        )
    complex_id = complex_at(lat_f, lng_f, chain["community"]) if lat_f is not None else None
    suggested, why = responsible_org_for(
        category=category, grid_chain=chain, city_id=city_id, complex_id=complex_id
    )
    duplicates = (
        list(
            case_duplicates_nearby(category=category, lat=lat_f, lng=lng_f, at=now).values_list(
                "pk", flat=True
            )
        )
        if lat_f is not None
        else []
    )
    with transaction.atomic():
        token = secrets.token_urlsafe(16)[:22]
        case = Case(
            number=f"T{token}",
            city_id=city_id,
            source=source,
            nature=nature,
            category=category,
            description=description,
            answers=clean_answers,
            priority=priority,
            status=status,
            reporter=reporter,
            reporter_name=(reporter_name or "").strip()[:60],
            reporter_phone=reporter_phone,
            reporter_email=reporter_email,
            anonymous=bool(anonymous),
            follow_token=token,
            lat=lat_f,
            lng=lng_f,
            address=(address or "").strip()[:200],
            grid_id=chain["grid"],
            community_id=chain["community"],
            street_id=chain["street"],
            district_id=chain["district"],
            complex_id=complex_id,
            outside_grids=route is not None and route.outside,
            boundary_case=_is_boundary_case(route),
            nearby_jurisdictions=list(route.nearby) if route is not None else [],
            suggested_org=suggested,
            created_at=now,
            updated_at=now,
        )
        enter_stage(case, "verify" if status == Status.REPORTED else "dispatch", start=now)
        case.save()
        case.number = f"{timezone.localtime(now):%Y%m%d}{case.pk:06d}"
        Case.objects.filter(pk=case.pk).update(number=case.number)
        media_ids = [
            CaseMedia.objects.create(
                case=case,
                file=f,
                content_type=f.content_type,
                purpose="report",
                uploaded_by=reporter,
                created_at=now,
            ).pk
            for f in files
        ]
        event_append(
            verb="case.reported",
            actor=actor,
            case=case,
            after={
                "status": status,
                "source": source,
                "category": category.full_code,
                "answers": sorted(clean_answers),
                "grid_id": chain["grid"],
                "complex_id": complex_id,
                "outside_grids": case.outside_grids,
                "boundary_case": case.boundary_case,
                "nearby": case.nearby_jurisdictions,
                "suggested_org_id": suggested.pk if suggested else None,
                "suggestion": why,
                "possible_duplicates": duplicates,
                "media": media_ids,
                "deadline_at": case.deadline_at,
            },
            at=now,
        )
    return case


def _staff_reach(actor: Any, source: str, chain: dict[str, int | None]) -> bool:
    """Whether one of the actor's staff roles for this source covers the place being reported."""
    place = SimpleNamespace(
        pk=None,
        reporter_id=None,
        lead_org_id=None,
        city_id=chain["city"],
        district_id=chain["district"],
        street_id=chain["street"],
        community_id=chain["community"],
        grid_id=chain["grid"],
    )
    return acting_grant(actor, place, STAFF_SOURCES[source]) is not None


def complex_at(lat: float, lng: float, community_id: int | None) -> int | None:
    """The residential complex of the community whose boundary holds the point (edges included);
    None outside every complex. Complexes never overlap; should two, the lowest code wins."""
    if community_id is None:
        return None
    point = shapely.Point(lng, lat)
    for pk, boundary in (
        Complex.objects.filter(community_id=community_id).order_by("code").values_list("pk", "boundary")
    ):
        try:
            if shapely.geometry.shape(boundary).covers(point):
                return pk
        except (AttributeError, KeyError, TypeError, ValueError, shapely.errors.ShapelyError):
            continue  # a malformed boundary routes nothing; the import checks shapes
    return None


def _is_boundary_case(route: Any) -> bool:
    """Near another street or district (configurable): a neighbouring grid of the same community is not."""
    if route is None or not route.nearby:
        return False
    kinds = settings.CHUISHAO_BOUNDARY_CASE_KINDS
    return Jurisdiction.objects.filter(code__in=list(route.nearby), kind__in=kinds).exists()


def _only_city_id() -> int:
    ids = list(Jurisdiction.objects.filter(kind=Kind.CITY).values_list("pk", flat=True)[:2])
    if len(ids) != 1:
        raise CaseInvalid(
            _("The point lies outside every city served here; say which city the case belongs to.")
        )
    return ids[0]
