"""Reading cases: every read goes through ``cases_visible_to`` so that it is scoped to the actor."""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from chuishao import clock
from chuishao.cases.errors import CaseNotFound
from chuishao.cases.models import Case
from chuishao.cases.scopes import acting_grant, case_scope_q
from chuishao.cases.transitions import TERMINAL
from chuishao.events.models import Event
from chuishao.orgs.models import Organisation, OrgKind, Role

# Roles that need the reporter's contact details to do their work (callbacks, on-site verification).
CONTACT_ROLES = {
    Role.GRID_WORKER,
    Role.COMMUNITY_STAFF,
    Role.STREET_DISPATCHER,
    Role.DISTRICT_CENTRE,
    Role.CITY_CENTRE,
    Role.ADMIN,
}


def cases_visible_to(actor: Any) -> QuerySet[Case]:
    q = case_scope_q(actor)
    if q is None:
        return Case.objects.none()
    return Case.objects.filter(q)


def case_get(*, actor: Any, pk: int | None = None, number: str | None = None) -> Case:
    qs = cases_visible_to(actor).select_related(
        "category", "category__parent", "lead_org", "grid", "community", "street", "district", "suggested_org"
    )
    case = qs.filter(pk=pk).first() if pk is not None else qs.filter(number=number).first()
    if case is None:
        raise CaseNotFound(_("No case %(ref)s that you can see.") % {"ref": number or pk})
    return case


def case_get_by_token(*, number: str, token: str) -> Case:
    """An anonymous reporter follows their case by its number and the secret from the follow link."""
    case = Case.objects.select_related("category").filter(number=number, follow_token=token).first()
    if case is None or not token:
        raise CaseNotFound(_("No case %(ref)s for this link.") % {"ref": number})
    return case


def case_list(
    *,
    actor: Any,
    status: str | list[str] | None = None,
    category_id: int | None = None,
    node_id: int | None = None,
    overdue: bool | None = None,
    open_only: bool = False,
    text: str = "",
) -> QuerySet[Case]:
    qs = cases_visible_to(actor)
    if status:
        qs = qs.filter(status__in=[status] if isinstance(status, str) else status)
    if open_only:
        qs = qs.exclude(status__in=TERMINAL)
    if category_id:
        qs = qs.filter(Q(category_id=category_id) | Q(category__parent_id=category_id))
    if node_id:
        qs = qs.filter(
            Q(grid_id=node_id)
            | Q(community_id=node_id)
            | Q(street_id=node_id)
            | Q(district_id=node_id)
            | Q(city_id=node_id)
        )
    if overdue is True:
        qs = qs.filter(deadline_at__lt=clock.now())
    elif overdue is False:
        qs = qs.filter(Q(deadline_at__isnull=True) | Q(deadline_at__gte=clock.now()))
    if text.strip():
        qs = qs.filter(Q(number__icontains=text.strip()) | Q(description__icontains=text.strip()))
    return qs.select_related("category", "lead_org", "grid", "street").order_by("-created_at")


def case_timeline(*, case: Case) -> QuerySet[Event]:
    return Event.objects.filter(case_id=case.pk).order_by("seq")


def case_duplicates_nearby(
    *, category: Any, lat: float, lng: float, at: dt.datetime, exclude_id: int | None = None
) -> QuerySet[Case]:
    """Open cases of the same category within the configured distance and time window (suggestions only)."""
    metres = settings.CHUISHAO_DUPLICATE_DISTANCE_M
    dlat = metres / 111_320
    dlng = metres / (111_320 * max(math.cos(math.radians(lat)), 0.01))
    since = at - dt.timedelta(hours=settings.CHUISHAO_DUPLICATE_WINDOW_HOURS)
    qs = Case.objects.filter(
        category=category,
        created_at__gte=since,
        lat__range=(lat - dlat, lat + dlat),
        lng__range=(lng - dlng, lng + dlng),
    ).exclude(status__in=TERMINAL)
    if exclude_id:
        qs = qs.exclude(pk=exclude_id)
    return qs.select_related("category").order_by("-created_at")[:10]


def mask_phone(phone: str) -> str:
    """138****1234: the shape of a number without the number."""
    digits = phone.strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_email(email: str) -> str:
    """z***@example.org: enough to recognise one's own address, not to write to it."""
    local, at, domain = email.strip().partition("@")
    if not at:
        return "*" * len(email)
    return local[:1] + "***@" + domain


# Masking free text: phone numbers (7+ digits, spaces, dashes, a leading +) and e-mail addresses.
# ASCII classes on purpose: Chinese characters are "word" characters and sit right next to numbers.
EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE = re.compile(r"(?<![A-Za-z0-9])\+?[0-9][0-9\- ]{5,18}[0-9](?![A-Za-z0-9])")
DATE = re.compile(r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}$")


def _mask_phone(match: re.Match[str]) -> str:
    text = match.group(0)
    if sum(c.isdigit() for c in text) < 7 or DATE.match(text):
        return text
    keep = 3 if not text.startswith("+") else 4
    return text[:keep] + re.sub(r"\d", "*", text[keep:-4]) + text[-4:]


def mask_contacts(text: str) -> str:
    """The text with e-mail addresses replaced and phone numbers shown as ``138****1234``."""
    text = EMAIL.sub("***@***", text or "")
    return PHONE.sub(_mask_phone, text)


def reporter_contact(*, actor: Any, case: Case) -> dict[str, str]:
    """The reporter's name, phone and e-mail as this actor may see them, and the description with any
    phone number or e-mail typed into it masked the same way for roles that do not call back."""
    is_reporter = case.reporter_id is not None and case.reporter_id == getattr(actor, "pk", None)
    # The role that reaches this case must be one that calls back, not a role the person holds elsewhere.
    if is_reporter or acting_grant(actor, case, CONTACT_ROLES) is not None:
        return {
            "name": case.reporter_name,
            "phone": case.reporter_phone,
            "email": case.reporter_email,
            "description": case.description,
        }
    name = case.reporter_name[:1] + "*" * max(len(case.reporter_name) - 1, 0) if case.reporter_name else ""
    return {
        "name": name,
        "phone": mask_phone(case.reporter_phone) if case.reporter_phone else "",
        "email": mask_email(case.reporter_email) if case.reporter_email else "",
        "description": mask_contacts(case.description),
    }


# Organisations a case can be dispatched to; units only when they are a utility with a department type.
DISPATCHABLE_KINDS = (
    OrgKind.DEPARTMENT,
    OrgKind.DISPATCHED_AGENCY,
    OrgKind.STREET_OFFICE,
    OrgKind.COMMUNITY_COMMITTEE,
    OrgKind.PROPERTY_COMPANY,
    # 红色物业: a complex's board takes the complex's property cases first.
    OrgKind.COMPLEX_BOARD,
)


def dispatchable_q() -> Q:
    return Q(kind__in=DISPATCHABLE_KINDS) | (Q(kind=OrgKind.UNIT) & ~Q(dept_type=""))


def dispatch_candidates_q(case: Any) -> Q:
    """Organisations a case may be sent to: dispatchable ones serving its street, district or city, and
    the board of the complex it lies in (红色物业), which serves the complex rather than a node above."""
    nodes = [n for n in (case.street_id, case.district_id, case.city_id) if n]
    serving = Q(jurisdiction_id__in=nodes)
    if getattr(case, "complex_id", None):
        serving |= Q(kind=OrgKind.COMPLEX_BOARD, attached_complex_id=case.complex_id)
    return dispatchable_q() & serving


def is_dispatchable(org: Organisation) -> bool:
    """The same rule as ``dispatchable_q`` for one organisation already in hand."""
    return org.kind in DISPATCHABLE_KINDS or (org.kind == OrgKind.UNIT and bool(org.dept_type))


# What a grid worker does on patrol, as the events record it.
PATROL_VERBS = ("case.reported", "case.verify", "case.self_handle", "case.check", "case.rework")


def patrol_work_since(*, actor: Any, since: dt.datetime) -> QuerySet[Event]:
    """The actor's own patrol work (reports, verifications, fixes on the spot, checks) since ``since``."""
    return (
        Event.objects.filter(
            actor_id=getattr(actor, "pk", None), created_at__gte=since, verb__in=PATROL_VERBS
        )
        .exclude(case=None)
        .select_related("case", "case__category")
        .order_by("-created_at")
    )
