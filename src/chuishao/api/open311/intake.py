"""POST requests: an Open311 form (or multipart) body as a call to ``case_report``.

Field mapping: ``service_code`` is the category; ``attribute[CODE]`` (``attribute[CODE][]`` repeated
for a multivaluelist) answers the category's questions; ``lat``/``long`` or ``address_string`` (with
``address_id`` recorded beside it) give the place; ``first_name``/``last_name``, ``phone`` and
``email`` are the reporter's contact details (never shown publicly); a valid ``media_url`` is
recorded at the end of the description; ``media`` file parts are the photos. ``device_id`` is
ignored and ``account_id`` is only echoed back in the answer.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.http import HttpRequest
from django.utils.translation import gettext as _

from chuishao.api.open311 import params, queries
from chuishao.api.open311.params import Refused
from chuishao.cases.errors import CaseError, CasePermissionDenied
from chuishao.cases.models import Case, Source
from chuishao.cases.services import case_report
from chuishao.catalog.models import QuestionType
from chuishao.catalog.selectors import category_questions
from chuishao.geo.models import Jurisdiction
from chuishao.geo.routing import routing_index
from chuishao.orgs.apikeys import apikey_actor
from chuishao.orgs.models import ApiKey

MAX_URL = 500
MAX_ACCOUNT_ID = 100


def reporter_name(first_name: str, last_name: str) -> str:
    """Latin names as "first last"; Chinese names family name first, without a space."""
    if first_name.isascii() and last_name.isascii():
        return f"{first_name} {last_name}".strip()
    return f"{last_name}{first_name}"


def _media_note(url: str) -> str:
    if not url:
        return ""
    try:
        if len(url) > MAX_URL:
            raise ValidationError("too long")
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError as exc:
        raise Refused(400, f"media_url must be an http(s) URL of at most {MAX_URL} characters.") from exc
    return _("Photo link: %(url)s") % {"url": url}


def _check_city(lat: str, lng: str, city: Jurisdiction) -> None:
    """A point that lies in another served city belongs to that city's jurisdiction_id."""
    try:
        lat_f, lng_f = float(lat), float(lng)
    except ValueError:
        return  # the intake service says what is wrong with the numbers
    if not (-90 <= lat_f <= 90 and -180 <= lng_f <= 180):
        return
    route = routing_index().route(lat_f, lng_f)
    if not route.outside and route.city_id is not None and route.city_id != city.pk:
        raise Refused(400, "The point lies in another jurisdiction than jurisdiction_id names.")


def report(request: HttpRequest, *, key: ApiKey, city: Jurisdiction) -> tuple[Case, str]:
    """Create the case the request describes; returns it with the client's ``account_id``."""
    body = request.POST

    def get(name: str) -> str:
        return params.first(name, body)

    category = queries.service_for_report(get("service_code"))
    questions = category_questions(category)
    multiple = {q.code for q in questions if q.datatype == QuestionType.MULTI}
    answers = params.attributes(body.lists(), multiple)
    lat, lng = get("lat"), get("long")
    if lat and lng:
        _check_city(lat, lng, city)
    address = get("address_string")
    if get("address_id"):
        address = f"{address} (address_id {get('address_id')})".strip()
    description = "\n\n".join(x for x in (get("description"), _media_note(get("media_url"))) if x)
    account_id = get("account_id")[:MAX_ACCOUNT_ID]
    try:
        case = case_report(
            actor=apikey_actor(key),
            source=Source.OPEN311,
            category=category,
            description=description,
            lat=lat or None,
            lng=lng or None,
            address=address,
            reporter_name=reporter_name(get("first_name"), get("last_name")),
            reporter_phone=get("phone"),
            reporter_email=get("email"),
            media=request.FILES.getlist("media"),
            city=city,
            answers=answers,
        )
    except CasePermissionDenied as exc:
        raise Refused(403, exc.message) from exc
    except CaseError as exc:
        raise Refused(400, exc.message) from exc
    return case, account_id
