"""What each person may read of a campaign. Blind scoring lives here: before the round is closed a
reviewer reads only their own scores, the organiser only how many scores are in, and nobody totals.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from chuishao.campaigns import scopes
from chuishao.campaigns.errors import CampaignDenied, CampaignNotFound
from chuishao.campaigns.models import Campaign, Candidate, Objection, Phase, Reviewer, Score
from chuishao.campaigns.services import (
    Result,
    compute_results,
    missing_scores,
    recommender_bodies,
    recommender_chains,
    reviewer_of,
)
from chuishao.events.models import Event
from chuishao.orgs.models import Organisation
from chuishao.orgs.scopes import grants_of

PUBLIC_PHASES = (Phase.NOTICE, Phase.ANNOUNCED)
# The kinds of node whose id a campaign's node carries for its ancestors (``Jurisdiction.city`` …).
ANCESTOR_KINDS = ("city", "district", "street", "community")
SEALED = "sealed"


@dataclass
class Access:
    organiser: bool
    reviewer: Reviewer | None
    bodies: list
    public: bool

    @property
    def any(self) -> bool:
        return self.organiser or self.reviewer is not None or bool(self.bodies) or self.public


def access_of(actor: Any, campaign: Campaign) -> Access:
    organiser = scopes.organises(actor, campaign)
    reviewer = reviewer_of(actor, campaign)
    bodies = recommender_bodies(actor, campaign) if campaign.status != Phase.DRAFT else []
    return Access(organiser, reviewer, bodies, campaign.status in PUBLIC_PHASES)


def campaign_for(actor: Any, pk: int) -> tuple[Campaign, Access]:
    """The campaign if the actor may read it (a draft: its organisers only), else ``CampaignNotFound``."""
    campaign = Campaign.objects.select_related("node").filter(pk=pk).first()
    if campaign is None:
        raise CampaignNotFound(_("No such campaign."))
    access = access_of(actor, campaign)
    if not access.any:
        raise CampaignNotFound(_("No such campaign."))
    return campaign, access


def campaigns_public() -> QuerySet[Campaign]:
    return Campaign.objects.filter(status__in=PUBLIC_PHASES).select_related("node")


MAX_MINE = 500


def campaigns_for(actor: Any) -> list[Campaign]:
    """Campaigns the actor organises, reviews or recommends in (public ones are listed apart), newest
    first; the rights are matched in the database, like ``scopes.organises`` and
    ``services.recommender_bodies`` decide them for one campaign."""
    if not getattr(actor, "is_authenticated", False):
        return []
    rights = Q(pk__in=Reviewer.objects.filter(person_id=actor.pk).values("campaign_id"))
    for g in grants_of(actor):
        if g.role in scopes.ORGANISER_ROLES and g.node_id is not None and g.node_kind:
            # The grant's node is the campaign's node or one of its ancestors.
            rights |= Q(node_id=g.node_id, node__kind=g.node_kind)
            if g.node_kind in ANCESTOR_KINDS:
                rights |= Q(**{f"node__{g.node_kind}_id": g.node_id})
    # A recommender's unit, street or community lies inside the campaign's node.
    inside = {
        node_id
        for _body, chain in recommender_chains(actor)
        for node_id in chain.values()
        if node_id is not None
    }
    if inside:
        rights |= Q(node_id__in=inside) & ~Q(status__in=(Phase.DRAFT, Phase.CANCELLED, Phase.ANNOUNCED))
    return list(
        Campaign.objects.filter(rights).select_related("node").order_by("-created_at", "-pk")[:MAX_MINE]
    )


def sees_outcome(access: Access, campaign: Campaign) -> bool:
    """Who is on the shortlist, and who was removed and why, is the organiser's until the notice
    makes it public (recommenders and reviewers learn it with everyone)."""
    return access.organiser or campaign.status in PUBLIC_PHASES


def candidates_listed(actor: Any, campaign: Campaign, access: Access) -> list[Candidate]:
    """Candidates the actor may read: all for the organiser and reviewers, a recommender's own, and
    the shortlist (or final list) for everyone once public."""
    qs = campaign.candidates.select_related("by_org", "by_node").prefetch_related("attachments")
    if access.organiser or access.reviewer is not None:
        return list(qs)
    if access.bodies:
        own = Q()
        for b in access.bodies:
            own |= Q(by_org=b) if isinstance(b, Organisation) else Q(by_node=b)
        mine = list(qs.filter(own))
        if access.public:
            return list({c.pk: c for c in mine + list(qs.filter(shortlisted=True))}.values())
        return mine
    if access.public:
        return list(qs.filter(shortlisted=True))
    return []


def my_scores(actor: Any, campaign: Campaign) -> dict[tuple[int, int], Score]:
    """The actor's own scores, keyed (candidate id, criterion id): never anyone else's."""
    reviewer = reviewer_of(actor, campaign)
    if reviewer is None:
        return {}
    return {(s.candidate_id, s.criterion_id): s for s in Score.objects.filter(reviewer=reviewer)}


def my_conflicts(actor: Any, campaign: Campaign) -> set[int]:
    reviewer = reviewer_of(actor, campaign)
    if reviewer is None:
        return set()
    return set(reviewer.conflicts.values_list("candidate_id", flat=True))


@dataclass
class Progress:
    reviewer: Reviewer
    scored: int
    expected: int
    conflicts: int


def score_progress(actor: Any, campaign: Campaign) -> list[Progress]:
    """For the organiser: how many scores each reviewer has given (counts only, no values)."""
    if not scopes.organises(actor, campaign):
        raise CampaignDenied(_("Only the organisers follow the review."))
    n_criteria = campaign.criteria.count()
    n_candidates = campaign.candidates.count()
    out = []
    for r in campaign.reviewers.select_related("person"):
        conflicts = r.conflicts.count()
        out.append(
            Progress(
                reviewer=r,
                scored=r.scores.count(),
                expected=(n_candidates - conflicts) * n_criteria,
                conflicts=conflicts,
            )
        )
    return out


def results(actor: Any, campaign: Campaign) -> list[Result]:
    """Totals with their spread: only after the round is closed, for the organiser and reviewers."""
    if not (scopes.organises(actor, campaign) or reviewer_of(actor, campaign) is not None):
        raise CampaignDenied(_("Only the organisers and reviewers read the scores."))
    if not campaign.round_closed:
        raise CampaignDenied(_("The scores stay sealed until the organiser closes the round."))
    return compute_results(campaign)


def still_missing(actor: Any, campaign: Campaign) -> int:
    if not scopes.organises(actor, campaign):
        raise CampaignDenied(_("Only the organisers follow the review."))
    return missing_scores(campaign)


def objections_for(actor: Any, campaign: Campaign) -> list[Objection]:
    """All objections (with the objector) for the organiser; a person's own otherwise."""
    qs = Objection.objects.filter(candidate__campaign=campaign).select_related(
        "candidate", "lodged_by", "replacement"
    )
    if scopes.organises(actor, campaign):
        return list(qs)
    if not getattr(actor, "is_authenticated", False):
        return []
    return list(qs.filter(lodged_by_id=actor.pk))


def audit_trail(actor: Any, campaign: Campaign) -> list[Event]:
    """The campaign's events for its organisers; score values stay sealed until the round closes."""
    if not scopes.organises(actor, campaign):
        raise CampaignDenied(_("Only the organisers read the audit trail."))
    events = list(
        Event.objects.filter(chain=f"campaign:{campaign.pk}").select_related("actor").order_by("seq")
    )
    if not campaign.round_closed:
        for e in events:
            if e.verb == "campaigns.scored":
                e.after = {**e.after, "scores": SEALED}
    return events
