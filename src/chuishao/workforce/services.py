"""Every write of the workforce app: each checks who acts, keeps the rules of the grade bands and
appends an event (community workers on ``workforce:<community>``, admissions on ``admission:<city>``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from chuishao import clock
from chuishao.actors import actor_user_id
from chuishao.events.services import event_append
from chuishao.geo.models import Jurisdiction
from chuishao.orgs.models import Organisation
from chuishao.orgs.scopes import holds_role_over
from chuishao.validation import clean_text
from chuishao.workforce.errors import WorkforceConflict, WorkforceDenied, WorkforceInvalid, WorkforceNotFound
from chuishao.workforce.models import (
    Admission,
    AdmissionStatus,
    ChangeKind,
    CommunityWorker,
    Frequency,
    GradeChange,
    ItemKind,
    Post,
    PostScale,
)
from chuishao.workforce.scopes import DECIDERS, ROSTER_WRITERS, may_request


def today() -> dt.date:
    return timezone.localdate(clock.now())


def add_years(day: dt.date, years: int) -> dt.date:
    """``day`` moved by whole years; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def scale_of(city_id: int | None, post: str) -> PostScale:
    """The city's own band for ``post``, or the default one."""
    rows = {
        s.city_id: s for s in PostScale.objects.filter(Q(city_id=city_id) | Q(city__isnull=True), post=post)
    }
    scale = rows.get(city_id) or rows.get(None)
    if scale is None:
        raise WorkforceInvalid(_("No grade band is defined for the post %(post)s.") % {"post": post})
    return scale


def next_step_on(worker: CommunityWorker, scale: PostScale) -> dt.date | None:
    """When the worker next steps up a grade; None at the top of the band or after leaving."""
    if worker.ended_on is not None or worker.grade >= scale.max_grade:
        return None
    return add_years(worker.grade_since, scale.step_years)


def _person(actor: Any) -> int:
    pk = actor_user_id(actor)
    if pk is None or not getattr(actor, "is_authenticated", False):
        raise WorkforceDenied(_("Sign in first."))
    return pk


def _text(value: Any, what: str, limit: int, *, required: bool = True) -> str:
    return clean_text(value, what, limit, error=WorkforceInvalid, required=required)


def _date(value: Any, what: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise WorkforceInvalid(_("The %(what)s is not a date (YYYY-MM-DD).") % {"what": what}) from exc


def _grade(value: Any, scale: PostScale) -> int:
    try:
        grade = int(value)
    except (TypeError, ValueError) as exc:
        raise WorkforceInvalid(_("The grade must be a whole number.")) from exc
    if not scale.min_grade <= grade <= scale.max_grade:
        raise WorkforceInvalid(
            _("The %(post)s post is graded %(low)s to %(high)s; %(grade)s is outside it.")
            % {
                "post": Post(scale.post).label,
                "low": scale.min_grade,
                "high": scale.max_grade,
                "grade": grade,
            }
        )
    return grade


def _post(value: Any) -> str:
    if value not in Post.values:
        raise WorkforceInvalid(_("Choose the post: head, deputy or other staff."))
    return value


def _require_writer(actor: Any, community: Jurisdiction) -> None:
    if not holds_role_over(actor, community, ROSTER_WRITERS):
        raise WorkforceDenied(
            _("Only the street or district over %(node)s manages its workers' grades.")
            % {"node": community.name}
        )


def _worker_event(verb: str, actor: Any, worker: CommunityWorker, after: dict, reason: str = "") -> None:
    community = worker.community
    event_append(
        verb=verb,
        actor=actor,
        chain=f"workforce:{community.pk}",
        city_id=community.city_id or community.pk,
        after={"worker": worker.pk, **after},
        reason=reason,
    )


def _history(
    worker: CommunityWorker, kind: str, actor: Any, before: int | None, on: dt.date, reason: str
) -> None:
    GradeChange.objects.create(
        worker=worker,
        kind=kind,
        post=worker.post,
        from_grade=before,
        to_grade=worker.grade,
        effective_on=on,
        reason=reason,
        actor_id=actor_user_id(actor),
        created_at=clock.now(),
    )


def _not_future(day: dt.date, what: str) -> dt.date:
    if day > today():
        raise WorkforceInvalid(_("The %(what)s cannot be in the future.") % {"what": what})
    return day


@transaction.atomic
def worker_hire(
    *,
    actor: Any,
    community: Jurisdiction,
    name: str,
    post: str,
    grade: Any,
    started_on: Any,
    position: str = "",
    grade_since: Any = None,
    person: Any = None,
) -> CommunityWorker:
    """Put a person on a community's roster at a post and a grade inside the post's band."""
    _person(actor)
    if community.kind != "community":
        raise WorkforceInvalid(_("Community workers belong to a community."))
    _require_writer(actor, community)
    post = _post(post)
    scale = scale_of(community.city_id, post)
    started = _not_future(_date(started_on, _("start date")), _("start date"))
    since = _date(grade_since, _("grade date")) if grade_since not in (None, "") else started
    if since < started:
        raise WorkforceInvalid(_("The grade cannot date from before the worker started."))
    _not_future(since, _("grade date"))
    worker = CommunityWorker.objects.create(
        community=community,
        person=person,
        name=_text(name, _("name"), 60),
        position=_text(position, _("position"), 60, required=False),
        post=post,
        grade=_grade(grade, scale),
        grade_since=since,
        started_on=started,
    )
    _history(worker, ChangeKind.HIRE, actor, None, since, "")
    _worker_event("workforce.worker_hired", actor, worker, {"post": post, "grade": worker.grade})
    return worker


def _locked_worker(worker: CommunityWorker | int) -> CommunityWorker:
    pk = worker.pk if isinstance(worker, CommunityWorker) else worker
    row = CommunityWorker.objects.select_for_update().filter(pk=pk).select_related("community").first()
    if row is None:
        raise WorkforceNotFound(_("No such community worker."))
    if row.ended_on is not None:
        raise WorkforceConflict(
            _("%(name)s has left; the roster keeps their history only.") % {"name": row.name}
        )
    return row


def _effective(value: Any, worker: CommunityWorker) -> dt.date:
    day = _not_future(
        _date(value if value not in (None, "") else today(), _("effective date")), _("effective date")
    )
    if day < worker.grade_since:
        raise WorkforceInvalid(
            _("The change cannot take effect before the current grade's date (%(since)s).")
            % {"since": worker.grade_since.isoformat()}
        )
    return day


@transaction.atomic
def worker_step(*, actor: Any, worker: CommunityWorker | int, effective_on: Any = None) -> CommunityWorker:
    """The regular step (一级一档, every few years): one grade up once the interval has passed."""
    row = _locked_worker(worker)
    _require_writer(actor, row.community)
    scale = scale_of(row.community.city_id, row.post)
    due = next_step_on(row, scale)
    if due is None:
        raise WorkforceConflict(_("%(name)s is at the top of the post's band.") % {"name": row.name})
    on = _effective(effective_on, row)
    if on < due:
        raise WorkforceConflict(
            _("%(name)s's next step is due on %(due)s.") % {"name": row.name, "due": due.isoformat()}
        )
    before = row.grade
    row.grade, row.grade_since = before + 1, on
    row.save(update_fields=["grade", "grade_since"])
    _history(row, ChangeKind.STEP, actor, before, on, "")
    _worker_event("workforce.grade_step", actor, row, {"from": before, "to": row.grade, "on": on.isoformat()})
    return row


@transaction.atomic
def worker_change_post(
    *,
    actor: Any,
    worker: CommunityWorker | int,
    post: str,
    reason: str,
    grade: Any = None,
    effective_on: Any = None,
) -> CommunityWorker:
    """Move a worker to another post (elected head, appointed deputy …). Without a grade given, the
    worker keeps theirs when the new band holds it, else takes the band's nearest end."""
    row = _locked_worker(worker)
    _require_writer(actor, row.community)
    post = _post(post)
    if post == row.post:
        raise WorkforceInvalid(_("%(name)s already holds that post.") % {"name": row.name})
    reason = _text(reason, _("reason"), 200)
    scale = scale_of(row.community.city_id, post)
    on = _effective(effective_on, row)
    new_grade = (
        _grade(grade, scale)
        if grade not in (None, "")
        else min(max(row.grade, scale.min_grade), scale.max_grade)
    )
    before, before_post = row.grade, row.post
    row.post, row.grade = post, new_grade
    if new_grade != before:
        row.grade_since = on
    row.save(update_fields=["post", "grade", "grade_since"])
    _history(row, ChangeKind.POST, actor, before, on, reason)
    _worker_event(
        "workforce.post_changed",
        actor,
        row,
        {"from_post": before_post, "post": post, "from": before, "to": new_grade, "on": on.isoformat()},
        reason,
    )
    return row


@transaction.atomic
def worker_adjust(
    *, actor: Any, worker: CommunityWorker | int, grade: Any, reason: str, effective_on: Any = None
) -> CommunityWorker:
    """Set a grade outside the regular step (an award, a correction); a reason is required."""
    row = _locked_worker(worker)
    _require_writer(actor, row.community)
    reason = _text(reason, _("reason"), 200)
    scale = scale_of(row.community.city_id, row.post)
    new_grade = _grade(grade, scale)
    if new_grade == row.grade:
        raise WorkforceInvalid(
            _("%(name)s is already on grade %(grade)s.") % {"name": row.name, "grade": new_grade}
        )
    on = _effective(effective_on, row)
    before = row.grade
    row.grade, row.grade_since = new_grade, on
    row.save(update_fields=["grade", "grade_since"])
    _history(row, ChangeKind.ADJUST, actor, before, on, reason)
    _worker_event(
        "workforce.grade_adjusted",
        actor,
        row,
        {"from": before, "to": new_grade, "on": on.isoformat()},
        reason,
    )
    return row


@transaction.atomic
def worker_leave(
    *, actor: Any, worker: CommunityWorker | int, reason: str, ended_on: Any = None
) -> CommunityWorker:
    """Take a worker off the roster; their history stays."""
    row = _locked_worker(worker)
    _require_writer(actor, row.community)
    reason = _text(reason, _("reason"), 200)
    on = _not_future(_date(ended_on if ended_on not in (None, "") else today(), _("end date")), _("end date"))
    if on < row.started_on:
        raise WorkforceInvalid(_("A worker cannot leave before they started."))
    row.ended_on = on
    row.save(update_fields=["ended_on"])
    _history(row, ChangeKind.LEAVE, actor, row.grade, on, reason)
    _worker_event("workforce.worker_left", actor, row, {"on": on.isoformat()}, reason)
    return row


# ---------------------------------------------------------------------------------------------------
# The admission register (准入)


def _admission_event(verb: str, actor: Any, item: Admission, after: dict, reason: str = "") -> None:
    event_append(
        verb=verb,
        actor=actor,
        chain=f"admission:{item.city_id}",
        city_id=item.city_id,
        after={"admission": item.pk, **after},
        reason=reason,
    )


@transaction.atomic
def admission_request(
    *,
    actor: Any,
    scope: Jurisdiction,
    kind: str,
    title: str,
    basis: str,
    starts_on: Any,
    ends_on: Any = None,
    frequency: str = Frequency.ONCE,
    description: str = "",
    org: Organisation | None = None,
) -> Admission:
    """Ask to push a task, form, inspection or certificate down to the communities under ``scope``."""
    person = _person(actor)
    if scope.kind not in ("district", "street", "community"):
        raise WorkforceInvalid(
            _("Name the district, street or community whose communities would receive it.")
        )
    if not may_request(actor, scope, org):
        raise WorkforceDenied(
            _("You may only ask for the communities under the node you serve; %(node)s is not one.")
            % {"node": scope.name}
        )
    if kind not in ItemKind.values:
        raise WorkforceInvalid(
            _("Choose what is pushed down: a task, a form, an inspection or a certificate.")
        )
    if frequency not in Frequency.values:
        raise WorkforceInvalid(_("Choose how often it recurs."))
    start = _date(starts_on, _("start date"))
    end = _date(ends_on, _("end date")) if ends_on not in (None, "") else None
    if end is not None and end < start:
        raise WorkforceInvalid(_("The end date is before the start date."))
    item = Admission.objects.create(
        city_id=scope.city_id or scope.pk,
        scope=scope,
        kind=kind,
        title=_text(title, _("title"), 120),
        description=_text(description, _("description"), 4000, required=False),
        basis=_text(basis, _("basis (the law, regulation or decision behind it)"), 200),
        frequency=frequency,
        starts_on=start,
        ends_on=end,
        requested_by_id=person,
        requesting_org=org,
        requested_at=clock.now(),
    )
    _admission_event("workforce.admission_requested", actor, item, {"kind": kind, "scope": scope.code})
    return item


def _locked_admission(item: Admission | int) -> Admission:
    pk = item.pk if isinstance(item, Admission) else item
    row = Admission.objects.select_for_update().filter(pk=pk).select_related("scope").first()
    if row is None:
        raise WorkforceNotFound(_("No such request."))
    if row.status != AdmissionStatus.REQUESTED:
        raise WorkforceConflict(
            _("This request was already %(status)s.") % {"status": AdmissionStatus(row.status).label}
        )
    return row


@transaction.atomic
def admission_decide(*, actor: Any, item: Admission | int, admit: bool, note: str = "") -> Admission:
    """The district or city centre admits a request, or refuses it with a reason (for a form, often that
    a generated report already answers it). The requester never decides their own request."""
    person = _person(actor)
    row = _locked_admission(item)
    if not holds_role_over(actor, row.scope, DECIDERS):
        raise WorkforceDenied(
            _("Only the district or city centre over %(node)s admits work for it.") % {"node": row.scope.name}
        )
    if row.requested_by_id == person:
        raise WorkforceDenied(_("A request is decided by someone other than the person who made it."))
    note = _text(note, _("reason"), 300, required=not admit)
    row.status = AdmissionStatus.ADMITTED if admit else AdmissionStatus.REFUSED
    row.decided_by_id, row.decided_at, row.decision_note = person, clock.now(), note
    row.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    _admission_event("workforce.admission_decided", actor, row, {"status": row.status}, note)
    return row


@transaction.atomic
def admission_withdraw(*, actor: Any, item: Admission | int, reason: str = "") -> Admission:
    """The requester takes back a request not yet decided."""
    person = _person(actor)
    row = _locked_admission(item)
    if row.requested_by_id != person:
        raise WorkforceDenied(_("Only the person who asked may withdraw the request."))
    row.status = AdmissionStatus.WITHDRAWN
    row.decision_note = _text(reason, _("reason"), 300, required=False)
    row.save(update_fields=["status", "decision_note"])
    _admission_event("workforce.admission_withdrawn", actor, row, {}, row.decision_note)
    return row
