"""Reading exemplary cases: the public library, an organisation's own, the review queue, and the small
helper other apps use to show linked exemplars ("related exemplary cases" on activities and campaigns).

Published exemplars are public. Nothing here hands out the writer's account or any person's data:
pages show the author organisation only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from chuishao.events.models import Event
from chuishao.geo.models import Jurisdiction
from chuishao.library import search as _search
from chuishao.library.errors import LibraryNotFound
from chuishao.library.models import AUTHOR_ORG_KINDS, Exemplar, ExemplarResult, Status, Tag
from chuishao.library.scopes import author_orgs, review_area_q, reviews, subtree_q, writes_for


def _with_details(qs: QuerySet[Exemplar]) -> QuerySet[Exemplar]:
    return qs.select_related("organisation", "region").prefetch_related(
        "tags", Prefetch("results", queryset=ExemplarResult.objects.order_by("position", "pk"))
    )


def published() -> QuerySet[Exemplar]:
    """Every published exemplar (what anyone may read)."""
    return _with_details(Exemplar.objects.filter(status=Status.PUBLISHED)).order_by("-published_at", "-pk")


def published_exemplars(ids: Iterable[int] | None) -> list[Exemplar]:
    """The published exemplars among ``ids``, in the order given; others (drafts, withdrawn, missing)
    are left out. For other apps' pages: render the result with ``web/library/_exemplar_links.html``."""
    wanted = []
    for pk in ids or ():
        try:
            pk = int(pk)
        except (TypeError, ValueError):
            continue
        if pk not in wanted:
            wanted.append(pk)
    if not wanted:
        return []
    found = {e.pk: e for e in published().filter(pk__in=wanted)}
    return [found[pk] for pk in wanted if pk in found]


def visible_to(actor: Any) -> QuerySet[Exemplar]:
    """What the actor may read: published ones, their organisations' own, and past-draft ones they review."""
    q = Q(status=Status.PUBLISHED)
    orgs = author_orgs(actor)
    if orgs.exists():
        q |= Q(organisation__in=orgs.values("pk"))
    area = review_area_q(actor)
    if area is not None:
        q |= area & ~Q(status=Status.DRAFT)
    return _with_details(Exemplar.objects.filter(q))


@dataclass(frozen=True)
class Filters:
    query: str = ""
    region: Jurisdiction | None = None
    tag: str = ""
    org_kind: str = ""


def filtered(qs: QuerySet[Exemplar], filters: Filters) -> QuerySet[Exemplar]:
    if filters.region is not None:
        qs = qs.filter(subtree_q(filters.region, "region"))
    if filters.tag:
        qs = qs.filter(tags__name=filters.tag)
    if filters.org_kind in AUTHOR_ORG_KINDS:
        qs = qs.filter(organisation__kind=filters.org_kind)
    return qs


def library_search(filters: Filters) -> QuerySet[Exemplar] | list[Exemplar]:
    """The public library: published exemplars under the filters, best match first when there is a query
    (a queryset, newest first, when the query has no words: page it, don't ``list()`` it)."""
    return _search.search(filtered(published(), filters), filters.query)


def popular_tags(limit: int = 30) -> list[Tag]:
    """Tags of published exemplars, the most used first."""
    return list(
        Tag.objects.filter(exemplars__status=Status.PUBLISHED)
        .annotate(n=Count("exemplars"))
        .order_by("-n", "name")[:limit]
    )


def organisation_exemplars(actor: Any) -> QuerySet[Exemplar]:
    """Every exemplar of the organisations the actor writes for, in any state."""
    return _with_details(Exemplar.objects.filter(organisation__in=author_orgs(actor).values("pk"))).order_by(
        "-updated_at", "-pk"
    )


def review_queue(actor: Any) -> QuerySet[Exemplar]:
    """Submitted exemplars in the actor's review area, the longest waiting first."""
    area = review_area_q(actor)
    if area is None:
        return Exemplar.objects.none()
    return _with_details(Exemplar.objects.filter(area, status=Status.SUBMITTED)).order_by(
        "submitted_at", "pk"
    )


def reviewed_recently(actor: Any, limit: int = 20) -> list[Exemplar]:
    """Published, returned and withdrawn exemplars in the actor's area, latest change first."""
    area = review_area_q(actor)
    if area is None:
        return []
    return list(
        _with_details(
            Exemplar.objects.filter(area, status__in=[Status.PUBLISHED, Status.RETURNED, Status.WITHDRAWN])
        ).order_by("-updated_at", "-pk")[:limit]
    )


@dataclass
class ExemplarView:
    exemplar: Exemplar
    may_edit: bool
    may_withdraw: bool
    may_review: bool
    may_unpublish: bool
    is_own: bool
    # The organisation's people and the reviewers over the region see its status and history.
    is_insider: bool


def exemplar_for(actor: Any, pk: int) -> ExemplarView:
    """One exemplar the actor may read, with what they may do; ``LibraryNotFound`` otherwise."""
    exemplar = visible_to(actor).filter(pk=pk).prefetch_related("attachments").first()
    if exemplar is None:
        raise LibraryNotFound(_("No such exemplary case."))
    own = writes_for(actor, exemplar.organisation) if getattr(actor, "is_authenticated", False) else False
    over = reviews(actor, exemplar.region) if getattr(actor, "is_authenticated", False) else False
    reviewer = over and getattr(actor, "pk", None) != exemplar.author_id
    return ExemplarView(
        exemplar=exemplar,
        is_own=own,
        is_insider=own or over,
        may_edit=own and exemplar.editable,
        may_withdraw=own and exemplar.status in (Status.SUBMITTED, Status.PUBLISHED),
        may_review=reviewer and exemplar.status == Status.SUBMITTED,
        may_unpublish=reviewer and exemplar.status == Status.PUBLISHED,
    )


def history(exemplar: Exemplar) -> list[Event]:
    """The exemplar's events, oldest first (for its organisation and reviewers)."""
    return list(Event.objects.filter(chain=f"library:{exemplar.pk}").order_by("seq"))
