"""Writing, reviewing and publishing exemplary cases (典型案例).

The life of an exemplar::

    draft ──submit──▶ submitted ──publish──▶ published
      ▲                 │   │                   │
      │             return  withdraw      unpublish / withdraw
      │                 ▼   ▼                   ▼
      └── edit ◀── returned / withdrawn ◀───────┘   (edit, then submit again)

- The author organisation's people (``library.scopes.author_orgs``) write a draft, edit it while it is
  a draft, returned or withdrawn, add and remove photos, submit it, and withdraw it (submitted or
  published) with a reason.
- A reviewer over the region (city or district command centre, or a city or district leader) publishes
  a submitted exemplar or returns it with a reason, and unpublishes a published one with a reason.
  Nobody reviews an exemplar they wrote themselves.
- Submitting needs at least one result with a figure.

Every write runs in one transaction, refreshes the term index when the text changed, and appends one
event to the exemplar's own chain (``library:<pk>``), so its whole history can be read back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from chuishao import clock
from chuishao.actors import actor_user_id
from chuishao.cases.errors import CaseInvalid
from chuishao.cases.media import MAX_MEDIA_BYTES, check_media
from chuishao.events.services import event_append
from chuishao.geo.models import Jurisdiction
from chuishao.library.errors import LibraryConflict, LibraryDenied, LibraryInvalid, LibraryNotFound
from chuishao.library.models import (
    AUTHOR_ORG_KINDS,
    EDITABLE,
    Exemplar,
    ExemplarAttachment,
    ExemplarResult,
    Status,
    Tag,
)
from chuishao.library.scopes import reviews, subtree_q, writes_for
from chuishao.library.search import index_refresh
from chuishao.orgs.models import Organisation
from chuishao.validation import clean_text

MAX_TITLE = 120
MAX_TEXT = 8000
MAX_REASON = 300
MAX_RESULTS = 12
MAX_TAGS = 10
MAX_TAG = 30
MAX_ATTACHMENTS = 6
MAX_LABEL = 60
MAX_UNIT = 16
# Up to 12 digits before the point and 2 after (the model's DecimalField).
MAX_VALUE = Decimal("999999999999.99")
_TAG_SPLIT = re.compile(r"[,，、;；\s]+")


@dataclass(frozen=True)
class ResultRow:
    """One result with its figure as written on a form: "满意率" · "97" · "%"."""

    label: str
    value: Any
    unit: str = ""


# ------------------------------------------------------------------------------------------ helpers


def _text(value: Any, what: str, limit: int, *, required: bool = True) -> str:
    return clean_text(value, what, limit, error=LibraryInvalid, required=required)


def normalise_tag(name: str) -> str:
    """A tag as stored: trimmed, inner spaces collapsed, Latin letters lower-cased."""
    return " ".join(str(name).split()).lower()


def parse_tags(tags: str | list[str] | tuple[str, ...] | None) -> list[str]:
    """Tags from a list or from one string split at commas, 、, semicolons or spaces; each once, in order."""
    if tags is None:
        return []
    items = _TAG_SPLIT.split(tags) if isinstance(tags, str) else list(tags)
    out: list[str] = []
    for item in items:
        name = normalise_tag(item)
        if not name:
            continue
        if len(name) > MAX_TAG:
            raise LibraryInvalid(
                _("The tag %(tag)s is longer than %(n)s characters.") % {"tag": name, "n": MAX_TAG}
            )
        if name not in out:
            out.append(name)
    if len(out) > MAX_TAGS:
        raise LibraryInvalid(_("At most %(n)s tags.") % {"n": MAX_TAGS})
    return out


def _value(raw: Any, label: str) -> Decimal:
    text = str(raw if raw is not None else "").strip().replace(",", "").replace("，", "")
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise LibraryInvalid(_("The figure of %(label)s is not a number.") % {"label": label}) from exc
    if not value.is_finite() or abs(value) > MAX_VALUE:
        raise LibraryInvalid(_("The figure of %(label)s is out of range.") % {"label": label})
    return value.quantize(Decimal("0.01"))


def parse_results(rows: list[ResultRow] | None) -> list[ResultRow]:
    """The results checked: a label and a number each, a short unit; rows left wholly empty are skipped."""
    out: list[ResultRow] = []
    for row in rows or []:
        label = str(row.label or "").strip()
        raw = "" if row.value is None else str(row.value).strip()
        unit = str(row.unit or "").strip()
        if not label and not raw and not unit:
            continue
        if not label:
            raise LibraryInvalid(_("Each figure needs a label (what it measures)."))
        if len(label) > MAX_LABEL:
            raise LibraryInvalid(
                _("The label %(label)s is longer than %(n)s characters.") % {"label": label, "n": MAX_LABEL}
            )
        if not raw:
            raise LibraryInvalid(_("Write the figure of %(label)s.") % {"label": label})
        if len(unit) > MAX_UNIT:
            raise LibraryInvalid(
                _("The unit of %(label)s is longer than %(n)s characters.") % {"label": label, "n": MAX_UNIT}
            )
        out.append(ResultRow(label=label, value=_value(raw, label), unit=unit))
    if len(out) > MAX_RESULTS:
        raise LibraryInvalid(_("At most %(n)s results.") % {"n": MAX_RESULTS})
    return out


def _check_region(organisation: Organisation, region: Jurisdiction | None) -> Jurisdiction:
    if region is None:
        raise LibraryInvalid(_("Choose the region the exemplary case comes from."))
    home = organisation.jurisdiction
    if not Jurisdiction.objects.filter(subtree_q(home), pk=region.pk).exists():
        raise LibraryInvalid(
            _("%(region)s is outside the area of %(org)s.")
            % {"region": region.name, "org": organisation.name}
        )
    return region


def _event(verb: str, *, actor: Any, exemplar: Exemplar, after: dict | None = None, reason: str = "") -> None:
    region = exemplar.region
    event_append(
        verb=verb,
        actor=actor,
        chain=f"library:{exemplar.pk}",
        city_id=region.city_id or region.pk,
        after={"exemplar": exemplar.pk, "title": exemplar.title, "status": exemplar.status, **(after or {})},
        reason=reason,
    )


def _locked(exemplar: Exemplar | int) -> Exemplar:
    pk = exemplar.pk if isinstance(exemplar, Exemplar) else exemplar
    found = (
        Exemplar.objects.select_for_update(of=("self",))
        .select_related("organisation", "organisation__jurisdiction", "region")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise LibraryNotFound(_("No such exemplary case."))
    return found


def _require_writer(actor: Any, organisation: Organisation) -> None:
    if actor_user_id(actor) is None or not writes_for(actor, organisation):
        raise LibraryDenied(
            _("Only the people of %(org)s may write its exemplary cases.") % {"org": organisation.name}
        )


def _require_reviewer(actor: Any, exemplar: Exemplar) -> None:
    if not reviews(actor, exemplar.region):
        raise LibraryDenied(
            _("Only the city or district command centre or a leader over %(region)s reviews this case.")
            % {"region": exemplar.region.name}
        )
    if actor_user_id(actor) == exemplar.author_id:
        raise LibraryDenied(_("An exemplary case is reviewed by someone other than its writer."))


def _require_status(exemplar: Exemplar, allowed: tuple[str, ...], doing: str) -> None:
    if exemplar.status not in allowed:
        raise LibraryConflict(
            _("This exemplary case is %(status)s; it cannot be %(doing)s now.")
            % {"status": exemplar.get_status_display(), "doing": doing}
        )


def _save_content(exemplar: Exemplar, *, results: list[ResultRow], tags: list[str]) -> None:
    exemplar.results.all().delete()
    ExemplarResult.objects.bulk_create(
        ExemplarResult(exemplar=exemplar, position=n, label=r.label, value=r.value, unit=r.unit)
        for n, r in enumerate(results)
    )
    tag_rows = []
    for name in tags:
        tag, _created = Tag.objects.get_or_create(name=name)
        tag_rows.append(tag)
    exemplar.tags.set(tag_rows)
    index_refresh(exemplar)


def _content(
    organisation: Organisation,
    *,
    title: str,
    region: Jurisdiction | None,
    problem: str,
    actions: str,
    results: list[ResultRow] | None,
    tags: Any,
) -> dict[str, Any]:
    return {
        "title": _text(title, _("title"), MAX_TITLE),
        "region": _check_region(organisation, region),
        "problem": _text(problem, _("problem"), MAX_TEXT),
        "actions": _text(actions, _("account of what was done"), MAX_TEXT),
        "results": parse_results(results),
        "tags": parse_tags(tags),
    }


# ------------------------------------------------------------------------------------------ writing


@transaction.atomic
def exemplar_create(
    *,
    actor: Any,
    organisation: Organisation,
    title: str,
    region: Jurisdiction | None,
    problem: str,
    actions: str,
    results: list[ResultRow] | None = None,
    tags: Any = None,
) -> Exemplar:
    """A new draft written for ``organisation`` by the actor."""
    if organisation.kind not in AUTHOR_ORG_KINDS:
        raise LibraryInvalid(
            _("%(org)s is not an organisation that writes exemplary cases.") % {"org": organisation.name}
        )
    _require_writer(actor, organisation)
    data = _content(
        organisation, title=title, region=region, problem=problem, actions=actions, results=results, tags=tags
    )
    now = clock.now()
    exemplar = Exemplar.objects.create(
        organisation=organisation,
        author_id=actor_user_id(actor),
        title=data["title"],
        region=data["region"],
        problem=data["problem"],
        actions=data["actions"],
        created_at=now,
        updated_at=now,
    )
    _save_content(exemplar, results=data["results"], tags=data["tags"])
    _event(
        "library.exemplar_drafted",
        actor=actor,
        exemplar=exemplar,
        after={"organisation": organisation.code, "region": exemplar.region.code, "tags": data["tags"]},
    )
    return exemplar


@transaction.atomic
def exemplar_update(
    *,
    actor: Any,
    exemplar: Exemplar | int,
    title: str,
    region: Jurisdiction | None,
    problem: str,
    actions: str,
    results: list[ResultRow] | None = None,
    tags: Any = None,
) -> Exemplar:
    """Change the text of a draft, returned or withdrawn exemplar (its status stays)."""
    exemplar = _locked(exemplar)
    _require_writer(actor, exemplar.organisation)
    _require_status(exemplar, EDITABLE, _("edited"))
    data = _content(
        exemplar.organisation,
        title=title,
        region=region,
        problem=problem,
        actions=actions,
        results=results,
        tags=tags,
    )
    before = {"title": exemplar.title, "region": exemplar.region.code}
    exemplar.title = data["title"]
    exemplar.region = data["region"]
    exemplar.problem = data["problem"]
    exemplar.actions = data["actions"]
    exemplar.updated_at = clock.now()
    exemplar.save(update_fields=["title", "region", "problem", "actions", "updated_at"])
    _save_content(exemplar, results=data["results"], tags=data["tags"])
    _event(
        "library.exemplar_edited",
        actor=actor,
        exemplar=exemplar,
        after={"before": before, "region": exemplar.region.code, "tags": data["tags"]},
    )
    return exemplar


@transaction.atomic
def attachments_add(*, actor: Any, exemplar: Exemplar | int, files: list[Any]) -> list[ExemplarAttachment]:
    """Attach photos to an editable exemplar. Each is checked exactly as a case's photos are
    (``cases.media.check_media``: JPEG, PNG, WebP or GIF, at most 5 MB, decoded and saved afresh, GPS
    position removed); at most ``MAX_ATTACHMENTS`` in all."""
    exemplar = _locked(exemplar)
    _require_writer(actor, exemplar.organisation)
    _require_status(exemplar, EDITABLE, _("changed"))
    files = [f for f in files if f]
    if not files:
        raise LibraryInvalid(_("Choose a photo to attach."))
    if exemplar.attachments.count() + len(files) > MAX_ATTACHMENTS:
        raise LibraryInvalid(_("At most %(n)s photos per exemplary case.") % {"n": MAX_ATTACHMENTS})
    checked = []
    for f in files:
        try:
            checked.extend(check_media([f]))
        except CaseInvalid as exc:
            raise LibraryInvalid(exc.message) from exc
    now = clock.now()
    made = []
    for f in checked:
        name = (getattr(f, "name", "") or "photo")[-120:]
        made.append(
            ExemplarAttachment.objects.create(
                exemplar=exemplar,
                file=f,
                name=name,
                content_type=f.content_type,
                size=f.size,
                uploaded_by_id=actor_user_id(actor),
                uploaded_at=now,
            )
        )
    Exemplar.objects.filter(pk=exemplar.pk).update(updated_at=now)
    _event(
        "library.attachments_added",
        actor=actor,
        exemplar=exemplar,
        after={"attachments": [{"id": a.pk, "name": a.name, "size": a.size} for a in made]},
    )
    return made


@transaction.atomic
def attachment_remove(*, actor: Any, attachment: ExemplarAttachment | int) -> None:
    pk = attachment.pk if isinstance(attachment, ExemplarAttachment) else attachment
    found = ExemplarAttachment.objects.filter(pk=pk).first()
    if found is None:
        raise LibraryNotFound(_("No such attachment."))
    exemplar = _locked(found.exemplar_id)
    _require_writer(actor, exemplar.organisation)
    _require_status(exemplar, EDITABLE, _("changed"))
    name = found.name
    found.file.delete(save=False)
    found.delete()
    _event(
        "library.attachment_removed", actor=actor, exemplar=exemplar, after={"attachment": pk, "name": name}
    )


# ------------------------------------------------------------------------------------------ life cycle


@transaction.atomic
def exemplar_submit(*, actor: Any, exemplar: Exemplar | int) -> Exemplar:
    """Send a draft (or a returned or withdrawn exemplar, after changes) for review."""
    exemplar = _locked(exemplar)
    _require_writer(actor, exemplar.organisation)
    _require_status(exemplar, EDITABLE, _("submitted"))
    if not exemplar.results.exists():
        raise LibraryInvalid(_("Give at least one result with its figure before submitting."))
    before = exemplar.status
    now = clock.now()
    exemplar.status = Status.SUBMITTED
    exemplar.submitted_at = now
    exemplar.updated_at = now
    exemplar.save(update_fields=["status", "submitted_at", "updated_at"])
    _event("library.exemplar_submitted", actor=actor, exemplar=exemplar, after={"from": before})
    return exemplar


@transaction.atomic
def exemplar_return(*, actor: Any, exemplar: Exemplar | int, reason: str) -> Exemplar:
    """Send a submitted exemplar back to its organisation, saying what to change."""
    exemplar = _locked(exemplar)
    _require_reviewer(actor, exemplar)
    reason = _text(reason, _("reason"), MAX_REASON)
    _require_status(exemplar, (Status.SUBMITTED,), _("returned"))
    exemplar.status = Status.RETURNED
    exemplar.status_reason = reason
    exemplar.updated_at = clock.now()
    exemplar.save(update_fields=["status", "status_reason", "updated_at"])
    _event("library.exemplar_returned", actor=actor, exemplar=exemplar, reason=reason)
    return exemplar


@transaction.atomic
def exemplar_publish(*, actor: Any, exemplar: Exemplar | int) -> Exemplar:
    """Publish a submitted exemplar: from now on anyone can read it in the library."""
    exemplar = _locked(exemplar)
    _require_reviewer(actor, exemplar)
    _require_status(exemplar, (Status.SUBMITTED,), _("published"))
    now = clock.now()
    exemplar.status = Status.PUBLISHED
    exemplar.status_reason = ""
    exemplar.published_at = now
    exemplar.published_by_id = actor_user_id(actor)
    exemplar.updated_at = now
    exemplar.save(update_fields=["status", "status_reason", "published_at", "published_by", "updated_at"])
    _event("library.exemplar_published", actor=actor, exemplar=exemplar)
    return exemplar


@transaction.atomic
def exemplar_unpublish(*, actor: Any, exemplar: Exemplar | int, reason: str) -> Exemplar:
    """Take a published exemplar out of the library (a reviewer's decision), with the reason."""
    exemplar = _locked(exemplar)
    _require_reviewer(actor, exemplar)
    reason = _text(reason, _("reason"), MAX_REASON)
    _require_status(exemplar, (Status.PUBLISHED,), _("unpublished"))
    exemplar.status = Status.WITHDRAWN
    exemplar.status_reason = reason
    exemplar.updated_at = clock.now()
    exemplar.save(update_fields=["status", "status_reason", "updated_at"])
    _event("library.exemplar_unpublished", actor=actor, exemplar=exemplar, reason=reason)
    return exemplar


@transaction.atomic
def exemplar_withdraw(*, actor: Any, exemplar: Exemplar | int, reason: str) -> Exemplar:
    """The author organisation takes back a submitted or published exemplar, with the reason."""
    exemplar = _locked(exemplar)
    _require_writer(actor, exemplar.organisation)
    reason = _text(reason, _("reason"), MAX_REASON)
    _require_status(exemplar, (Status.SUBMITTED, Status.PUBLISHED), _("withdrawn"))
    before = exemplar.status
    exemplar.status = Status.WITHDRAWN
    exemplar.status_reason = reason
    exemplar.updated_at = clock.now()
    exemplar.save(update_fields=["status", "status_reason", "updated_at"])
    _event(
        "library.exemplar_withdrawn", actor=actor, exemplar=exemplar, after={"from": before}, reason=reason
    )
    return exemplar


MAX_UPLOAD_BYTES = MAX_MEDIA_BYTES
