"""The Open311 documents as plain data: what a civic app may know about services and requests.

Documents are dicts (and lists of dicts) in the field order of GeoReport v2; ``render`` turns them into
XML or JSON. What a request shows is decided here and only here: the state in Open311 terms, a plain
phrase of the internal state, the category, the lead organisation, the dates and the description with
phone numbers and e-mail addresses masked. Reporter names, contact details, account ids, internal
notes, addresses, coordinates and photos are never part of a public document.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chuishao.cases.models import Case, Status
from chuishao.cases.selectors import mask_contacts
from chuishao.cases.transitions import TERMINAL
from chuishao.catalog.models import Category, CategoryQuestion, QuestionType, Stage

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-05-01T00:00:00+08:00"

# The one mapping from the case loop to Open311: finished states are "closed", every other "open".
# A handled or checked case is still open (the check and the closing are to come); a declined,
# cancelled or self-handled case is finished, like a closed or rated one.
CLOSED_STATES = TERMINAL


def open311_status(status: str) -> str:
    return "closed" if status in CLOSED_STATES else "open"


# What each internal state means to the public; ``%(org)s`` is the lead organisation when there is one.
STATUS_NOTES: dict[str, tuple[Any, Any]] = {
    Status.REPORTED: (gettext_lazy("reported; a grid worker will check it on site"), None),
    Status.VERIFIED: (gettext_lazy("checked on site; waiting to be filed"), None),
    Status.FILED: (gettext_lazy("filed; waiting to be dispatched"), None),
    Status.DECLINED: (gettext_lazy("declined: not a matter this service handles"), None),
    Status.CANCELLED: (gettext_lazy("cancelled"), None),
    Status.DISPATCHED: (gettext_lazy("dispatched"), gettext_lazy("dispatched to %(org)s")),
    Status.ACCEPTED: (gettext_lazy("accepted"), gettext_lazy("accepted by %(org)s")),
    Status.RETURNED: (gettext_lazy("returned by the department; to be dispatched again"), None),
    Status.HANDLING: (gettext_lazy("being handled"), gettext_lazy("being handled by %(org)s")),
    Status.EXTENSION_REQUESTED: (
        gettext_lazy("being handled; more time requested"),
        gettext_lazy("being handled by %(org)s; more time requested"),
    ),
    Status.HANDLED: (
        gettext_lazy("handled; waiting for the check on site"),
        gettext_lazy("handled by %(org)s; waiting for the check on site"),
    ),
    Status.CHECKED: (gettext_lazy("the work was checked on site; about to be closed"), None),
    Status.REWORKED: (gettext_lazy("sent back for rework"), gettext_lazy("sent back to %(org)s for rework")),
    Status.CLOSED: (gettext_lazy("closed"), None),
    Status.RATED: (gettext_lazy("closed and rated by the reporter"), None),
    Status.REOPENED: (gettext_lazy("reopened; to be dispatched again"), None),
    Status.PARKED: (gettext_lazy("on hold"), None),
    Status.ARBITRATION: (gettext_lazy("waiting for a decision on who handles it"), None),
    Status.SELF_HANDLED: (gettext_lazy("solved on the spot by the grid worker"), None),
}


def status_notes(case: Case) -> str:
    plain, with_org = STATUS_NOTES.get(case.status, (None, None))
    if plain is None:
        return ""
    if with_org is not None and case.lead_org_id is not None:
        return str(with_org) % {"org": case.lead_org.name}
    return str(plain)


def w3c(value: dt.datetime | None) -> str | None:
    """A W3C datetime in city time with its offset (``2026-05-01T08:30:00+08:00``)."""
    if value is None:
        return None
    return timezone.localtime(value).isoformat(timespec="seconds")


def _english() -> bool:
    return (translation.get_language() or "").startswith("en")


def local_name(obj: Any, field: str = "name") -> str:
    """The English name when the caller asked for English and there is one, else the Chinese name."""
    english = getattr(obj, f"{field}_en", "") if _english() else ""
    return english or getattr(obj, field)


def discovery(*, base_url: str, contact: str) -> dict[str, Any]:
    return {
        "changeset": CHANGESET,
        "contact": contact,
        "key_service": _(
            "Ask the city's administrators for an API key with the open311 scope "
            "(chuishao apikey create NAME --scope open311)."
        ),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": base_url,
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }


def service(category: Category, *, has_questions: bool) -> dict[str, Any]:
    major = category.parent
    return {
        "service_code": category.full_code,
        "service_name": local_name(category),
        "description": category.hint,
        "metadata": has_questions,
        "type": "realtime",
        "keywords": ",".join([category.full_code, major.full_code, category.kind]),
        "group": local_name(major),
    }


DATATYPE_HINTS = {
    QuestionType.STRING: gettext_lazy("a short text (up to 200 characters)"),
    QuestionType.TEXT: gettext_lazy("a text (up to 2,000 characters)"),
    QuestionType.NUMBER: gettext_lazy("a number"),
    QuestionType.DATETIME: gettext_lazy("a date and time such as 2026-05-01T08:30:00+08:00"),
    QuestionType.SINGLE: gettext_lazy("one of the keys listed in values"),
    QuestionType.MULTI: gettext_lazy("one or more of the keys listed in values: repeat attribute[CODE][]"),
}


def service_definition(category: Category, questions: list[CategoryQuestion]) -> dict[str, Any]:
    attributes = []
    for position, q in enumerate(questions, start=1):
        attribute: dict[str, Any] = {
            "variable": True,
            "code": q.code,
            "datatype": q.datatype,
            "required": q.required,
            "datatype_description": q.description or str(DATATYPE_HINTS.get(q.datatype, "")),
            # Questions are listed in the catalogue's order; Open311 counts from 1.
            "order": position,
            "description": local_name(q, "label"),
        }
        if q.datatype in (QuestionType.SINGLE, QuestionType.MULTI):
            attribute["values"] = [
                {"key": str(v["key"]), "name": (v.get("name_en") if _english() else "") or v["name"]}
                for v in q.values
            ]
        attributes.append(attribute)
    return {"service_code": category.full_code, "attributes": attributes}


# The public place of a request: its point rounded to three decimals (about 110 m by 85 m here), enough
# for a map of a city's problems and never the door of the reporter's home; the address is the
# community's name, never the reporter's words.
PUBLIC_DECIMALS = 3


def public_point(value: float | None) -> float | None:
    return round(value, PUBLIC_DECIMALS) if value is not None else None


def service_request(case: Case) -> dict[str, Any]:
    """A case as the public sees it (``select_related("category", "lead_org", "community",
    "street")``)."""
    place = case.community or case.street
    return {
        "service_request_id": case.number,
        "status": open311_status(case.status),
        "status_notes": status_notes(case),
        "service_name": local_name(case.category),
        "service_code": case.category.full_code,
        "description": mask_contacts(case.description),
        "agency_responsible": case.lead_org.name if case.lead_org_id else "",
        "service_notice": service_notice(case),
        "requested_datetime": w3c(case.created_at),
        "updated_datetime": w3c(case.updated_at),
        "expected_datetime": w3c(case.deadline_at) if case.is_open else None,
        "address": place.name if place is not None else "",
        "address_id": "",
        "zipcode": "",
        "lat": public_point(case.lat),
        "long": public_point(case.lng),
    }


def service_notice(case: Case) -> str:
    """What happens next, in words: the current stage and its deadline (empty once finished)."""
    if case.deadline_at is None or not case.is_open:
        return ""
    stage = Stage(case.stage).label if case.stage in Stage.values else case.stage
    return _("Next step: %(stage)s, due by %(when)s.") % {
        "stage": stage,
        "when": timezone.localtime(case.deadline_at).strftime("%Y-%m-%d %H:%M"),
    }


def created(case: Case, *, account_id: str) -> dict[str, Any]:
    return {
        "service_request_id": case.number,
        "service_notice": service_notice(case),
        "account_id": account_id or None,
    }


def token(case: Case) -> dict[str, Any]:
    """Intake is never deferred: the token of a request is its number."""
    return {"service_request_id": case.number, "token": case.number}
