"""Selection campaigns (评选): every write, each checked against the actor's right, the campaign's
phase and its timetable, in one transaction with one event on the campaign's chain (``campaign:<id>``).

Phases: draft → recommending → reviewing → shortlisted → notice → announced, or cancelled with a
reason from any phase before the announcement. The timetable (all dates in the city's local time):

- recommendations are taken from the opening until ``recommend_until`` (inclusive);
- the review starts after ``recommend_until``; reviewers score until ``review_until`` (inclusive); the
  organiser closes the round (scores sealed until then) and confirms the shortlist;
- the public notice runs from ``notice_from`` to ``notice_until`` (inclusive): objections are lodged
  only then; every objection must be answered;
- a candidate who joins the shortlist during the notice (a replacement) gets a notice as long as
  the campaign's, counted from the day they joined: objections to them are taken until then and the
  announcement waits for it;
- the announcement comes after the notice has ended and not before ``announce_on``.

The default shortlist is the top N by total; a different one, or any one when candidates tie on total
at place N, needs the organiser's written reason (recorded with the shortlist and in its event).

Scoring is blind: a reviewer reads only their own scores, and nobody (the organiser included) reads
other reviewers' values or totals until the round is closed; ``selectors`` enforces it and the audit
trail redacts the values of score events until then. Totals: a reviewer's total for a candidate is
the sum over the criteria of score × weight; the candidate's total is the mean of the totals of the
reviewers who scored every criterion for it, conflicts of interest excluded; the spread is the highest
minus the lowest of those reviewer totals.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chuishao import clock
from chuishao.actors import person_label
from chuishao.campaigns import scopes
from chuishao.campaigns.errors import CampaignDenied, CampaignInvalid, CampaignNotFound, CampaignPhase
from chuishao.campaigns.models import (
    Answer,
    Attachment,
    Campaign,
    Candidate,
    Conflict,
    Criterion,
    Objection,
    Phase,
    Reviewer,
    Score,
)
from chuishao.cases.errors import CaseInvalid
from chuishao.cases.media import check_media
from chuishao.events.services import event_append
from chuishao.geo.models import Jurisdiction
from chuishao.orgs.models import Organisation, OrgKind
from chuishao.validation import clean_text

MAX_TITLE = 200
MAX_TEXT = 8000
MAX_CRITERIA = 12
MAX_PLACES = 100
MAX_QUOTA = 50
MAX_SCORE = 1000
MAX_WEIGHT = Decimal(100)
MAX_ID = 2**31 - 1
OPEN_PHASES = (Phase.DRAFT, Phase.RECOMMENDING, Phase.REVIEWING, Phase.SHORTLISTED, Phase.NOTICE)


@dataclass(frozen=True)
class CriterionInput:
    name: str
    max_score: int
    weight: Decimal | int | str = 1
    description: str = ""


# ------------------------------------------------------------------------------------------ helpers


def today() -> dt.date:
    return timezone.localdate(clock.now())


def _text(value: Any, what: str, limit: int, *, required: bool = True) -> str:
    return clean_text(value, what, limit, error=CampaignInvalid, required=required)


def _event(verb: str, *, actor: Any, campaign: Campaign, after: dict | None = None, reason: str = "") -> None:
    node = campaign.node
    event_append(
        verb=verb,
        actor=actor,
        chain=f"campaign:{campaign.pk}",
        city_id=node.city_id or node.pk,
        after={"campaign": campaign.pk, **(after or {})},
        reason=reason,
    )


def _locked(campaign: Campaign | int) -> Campaign:
    pk = campaign.pk if isinstance(campaign, Campaign) else campaign
    found = Campaign.objects.select_for_update(of=("self",)).select_related("node").filter(pk=pk).first()
    if found is None:
        raise CampaignNotFound(_("No such campaign."))
    return found


def _require_organiser(actor: Any, campaign: Campaign) -> None:
    if not scopes.organises(actor, campaign):
        raise CampaignDenied(_("Only the organisers of %(node)s may do this.") % {"node": campaign.node.name})


def _require_phase(campaign: Campaign, *phases: str) -> None:
    if campaign.status not in phases:
        raise CampaignPhase(
            _("This step does not belong to the campaign's phase (%(phase)s).")
            % {"phase": Phase(campaign.status).label}
        )


def _date(value: dt.date) -> str:
    return value.isoformat()


def _check_timetable(
    recommend_until: dt.date,
    review_until: dt.date,
    notice_from: dt.date,
    notice_until: dt.date,
    announce_on: dt.date,
) -> None:
    if not recommend_until < review_until:
        raise CampaignInvalid(_("The review must end after the recommendations close."))
    if not review_until < notice_from:
        raise CampaignInvalid(_("The public notice must start after the review ends."))
    if not notice_from <= notice_until:
        raise CampaignInvalid(_("The public notice must end on or after its first day."))
    if not notice_until < announce_on:
        raise CampaignInvalid(_("The announcement must come after the public notice ends."))


def _criteria(rows: Sequence[CriterionInput]) -> list[CriterionInput]:
    if not rows:
        raise CampaignInvalid(_("Give at least one criterion."))
    if len(rows) > MAX_CRITERIA:
        raise CampaignInvalid(_("At most %(n)s criteria.") % {"n": MAX_CRITERIA})
    out, seen = [], set()
    for row in rows:
        name = _text(row.name, _("criterion's name"), 80)
        if name in seen:
            raise CampaignInvalid(_("Two criteria are called %(name)s.") % {"name": name})
        seen.add(name)
        try:
            max_score = int(row.max_score)
            weight = Decimal(str(row.weight)).quantize(Decimal("0.01"))
        except (TypeError, ValueError, InvalidOperation) as exc:
            raise CampaignInvalid(
                _("The maximum and the weight of %(name)s must be numbers.") % {"name": name}
            ) from exc
        if not 1 <= max_score <= MAX_SCORE:
            raise CampaignInvalid(
                _("The maximum score of %(name)s must be between 1 and %(n)s.")
                % {"name": name, "n": MAX_SCORE}
            )
        if not Decimal(0) < weight <= MAX_WEIGHT:
            raise CampaignInvalid(
                _("The weight of %(name)s must be above 0 and at most %(n)s.")
                % {"name": name, "n": MAX_WEIGHT}
            )
        description = _text(row.description, _("criterion's description"), 500, required=False)
        out.append(CriterionInput(name=name, max_score=max_score, weight=weight, description=description))
    return out


def _published_exemplars(exemplars: Iterable[Any]) -> list[Any]:
    from chuishao.library.models import Exemplar, Status

    ids = [e.pk if hasattr(e, "pk") else int(e) for e in exemplars]
    # An id out of the database's range is no exemplary case (and would overflow the query).
    if any(not 0 < i <= MAX_ID for i in ids):
        raise CampaignInvalid(_("Only published exemplary cases can be linked."))
    found = list(Exemplar.objects.filter(pk__in=ids, status=Status.PUBLISHED))
    if len(found) != len(set(ids)):
        raise CampaignInvalid(_("Only published exemplary cases can be linked."))
    return found


# ------------------------------------------------------------------------------------------ set-up


@transaction.atomic
def campaign_create(
    *,
    actor: Any,
    node: Jurisdiction,
    title: str,
    description: str = "",
    places: int = 10,
    quota: int = 3,
    criteria: Sequence[CriterionInput],
    recommend_until: dt.date,
    review_until: dt.date,
    notice_from: dt.date,
    notice_until: dt.date,
    announce_on: dt.date,
) -> Campaign:
    """A campaign in draft, run from ``node`` (a city or a district) by its organisers."""
    if not scopes.may_organise_at(actor, node):
        raise CampaignDenied(
            _(
                "Only the city or district centre, an administrator or a leader of %(node)s "
                "may run a campaign there."
            )
            % {"node": node.name}
        )
    title = _text(title, _("title"), MAX_TITLE)
    description = _text(description, _("description"), MAX_TEXT, required=False)
    if not 1 <= int(places) <= MAX_PLACES:
        raise CampaignInvalid(_("The number of places must be between 1 and %(n)s.") % {"n": MAX_PLACES})
    if not 1 <= int(quota) <= MAX_QUOTA:
        raise CampaignInvalid(_("Each recommender's quota must be between 1 and %(n)s.") % {"n": MAX_QUOTA})
    _check_timetable(recommend_until, review_until, notice_from, notice_until, announce_on)
    if recommend_until < today():
        raise CampaignInvalid(_("The recommendations would already be closed: move the dates."))
    rows = _criteria(criteria)
    campaign = Campaign.objects.create(
        node=node,
        title=title,
        description=description,
        places=int(places),
        quota=int(quota),
        recommend_until=recommend_until,
        review_until=review_until,
        notice_from=notice_from,
        notice_until=notice_until,
        announce_on=announce_on,
        created_by=actor,
        created_at=clock.now(),
    )
    Criterion.objects.bulk_create(
        Criterion(
            campaign=campaign,
            position=i,
            name=row.name,
            description=row.description,
            max_score=row.max_score,
            weight=row.weight,
        )
        for i, row in enumerate(rows)
    )
    _event(
        "campaigns.created",
        actor=actor,
        campaign=campaign,
        after={
            "title": title,
            "node": node.code,
            "places": campaign.places,
            "quota": campaign.quota,
            "criteria": [{"name": r.name, "max": r.max_score, "weight": str(r.weight)} for r in rows],
            "timetable": {
                "recommend_until": _date(recommend_until),
                "review_until": _date(review_until),
                "notice_from": _date(notice_from),
                "notice_until": _date(notice_until),
                "announce_on": _date(announce_on),
            },
        },
    )
    return campaign


@transaction.atomic
def campaign_open(*, actor: Any, campaign: Campaign) -> Campaign:
    """Draft → recommending: units, streets and communities may recommend until ``recommend_until``."""
    campaign = _locked(campaign)
    _require_organiser(actor, campaign)
    _require_phase(campaign, Phase.DRAFT)
    if today() > campaign.recommend_until:
        raise CampaignPhase(_("The recommendation period is already over: this campaign cannot open."))
    campaign.status = Phase.RECOMMENDING
    campaign.save(update_fields=["status"])
    _event("campaigns.opened", actor=actor, campaign=campaign)
    return campaign


@transaction.atomic
def campaign_link_exemplars(*, actor: Any, campaign: Campaign, exemplars: Iterable[Any]) -> Campaign:
    """Point the campaign's readers to published exemplary cases of the library (replaces the set)."""
    campaign = _locked(campaign)
    _require_organiser(actor, campaign)
    if campaign.status == Phase.CANCELLED:
        raise CampaignPhase(_("The campaign is cancelled."))
    found = _published_exemplars(exemplars)
    campaign.exemplars.set(found)
    _event(
        "campaigns.exemplars_linked",
        actor=actor,
        campaign=campaign,
        after={"exemplars": [e.pk for e in found]},
    )
    return campaign


@transaction.atomic
def campaign_cancel(*, actor: Any, campaign: Campaign, reason: str) -> Campaign:
    campaign = _locked(campaign)
    _require_organiser(actor, campaign)
    _require_phase(campaign, *OPEN_PHASES)
    reason = _text(reason, _("reason"), 2000)
    before = campaign.status
    campaign.status = Phase.CANCELLED
    campaign.status_reason = reason
    campaign.save(update_fields=["status", "status_reason"])
    _event("campaigns.cancelled", actor=actor, campaign=campaign, after={"from": before}, reason=reason)
    return campaign


# ------------------------------------------------------------------------------------------ recommend


def _bodies_of(actor: Any) -> list[tuple[Organisation | Jurisdiction, dict[str, int | None]]]:
    """Every unit, street and community the actor recommends for, with its chain of nodes; read once
    per actor object (like the grants)."""
    cached = getattr(actor, "_campaign_bodies", None)
    if cached is not None:
        return cached
    out: list[tuple[Organisation | Jurisdiction, dict[str, int | None]]] = []
    unit_ids = scopes.unit_grants(actor)
    if unit_ids:
        for org in Organisation.objects.filter(pk__in=unit_ids, kind=OrgKind.UNIT).select_related(
            "jurisdiction"
        ):
            out.append((org, org.jurisdiction.chain_ids()))
    node_ids = scopes.node_grants(actor)
    if node_ids:
        for place in Jurisdiction.objects.filter(pk__in=node_ids).order_by("code"):
            out.append((place, place.chain_ids()))
    if getattr(actor, "is_authenticated", False):
        actor._campaign_bodies = out
    return out


def recommender_chains(actor: Any) -> list[tuple[Organisation | Jurisdiction, dict[str, int | None]]]:
    """Every unit, street and community the actor recommends for, with the ids of the nodes it lies
    in (keyed by kind)."""
    return _bodies_of(actor)


def recommender_bodies(actor: Any, campaign: Campaign) -> list[Organisation | Jurisdiction]:
    """The units, streets and communities inside the campaign's node the actor recommends for."""
    node = campaign.node
    return [body for body, chain in _bodies_of(actor) if chain.get(node.kind) == node.pk]


def _body_key(body: Organisation | Jurisdiction) -> dict:
    return {"by_org": body} if isinstance(body, Organisation) else {"by_node": body}


def _recommender(
    actor: Any, campaign: Campaign, on_behalf_of: Organisation | Jurisdiction | None
) -> Organisation | Jurisdiction:
    bodies = recommender_bodies(actor, campaign)
    if not bodies:
        raise CampaignDenied(
            _("Only the units, streets and communities of %(node)s recommend candidates.")
            % {"node": campaign.node.name}
        )
    if on_behalf_of is None:
        if len(bodies) > 1:
            raise CampaignInvalid(_("Choose for which unit, street or community you recommend."))
        return bodies[0]
    for body in bodies:
        if type(body) is type(on_behalf_of) and body.pk == on_behalf_of.pk:
            return body
    raise CampaignDenied(_("You do not recommend for %(body)s.") % {"body": on_behalf_of.name})


def quota_left(campaign: Campaign, body: Organisation | Jurisdiction) -> int:
    used = Candidate.objects.filter(campaign=campaign, **_body_key(body)).count()
    return max(campaign.quota - used, 0)


@transaction.atomic
def candidate_recommend(
    *,
    actor: Any,
    campaign: Campaign,
    name: str,
    unit: str,
    title: str,
    deeds: str,
    contact_phone: str = "",
    on_behalf_of: Organisation | Jurisdiction | None = None,
    attachments: Sequence[Any] = (),
) -> Candidate:
    """A unit, street or community recommends a candidate with their deeds (and up to three photos,
    checked like a case's photos), within the campaign's quota per recommender."""
    campaign = _locked(campaign)
    body = _recommender(actor, campaign, on_behalf_of)
    _require_phase(campaign, Phase.RECOMMENDING)
    if today() > campaign.recommend_until:
        raise CampaignPhase(
            _("Recommendations closed on %(day)s.") % {"day": _date(campaign.recommend_until)}
        )
    name = _text(name, _("candidate's name"), 60)
    unit = _text(unit, _("candidate's unit"), 120)
    title = _text(title, _("short title"), 120)
    deeds = _text(deeds, _("deeds"), MAX_TEXT)
    contact_phone = _text(contact_phone, _("contact"), 40, required=False)
    if quota_left(campaign, body) <= 0:
        raise CampaignInvalid(
            _("%(body)s has used its quota of %(n)s recommendations.")
            % {"body": body.name, "n": campaign.quota}
        )
    try:
        files = check_media(list(attachments))
    except CaseInvalid as exc:
        raise CampaignInvalid(exc.message) from exc
    now = clock.now()
    candidate = Candidate.objects.create(
        campaign=campaign,
        name=name,
        unit=unit,
        title=title,
        deeds=deeds,
        contact_phone=contact_phone,
        recommended_by=actor,
        recommended_at=now,
        **_body_key(body),
    )
    for f in files:
        Attachment.objects.create(candidate=candidate, file=f, content_type=f.content_type, uploaded_at=now)
    _event(
        "campaigns.recommended",
        actor=actor,
        campaign=campaign,
        after={
            "candidate": candidate.pk,
            "name": name,
            "unit": unit,
            "title": title,
            "by": body.name,
            "attachments": len(files),
        },
    )
    return candidate


# ------------------------------------------------------------------------------------------ review


@transaction.atomic
def reviewer_add(*, actor: Any, campaign: Campaign, person: Any) -> Reviewer:
    campaign = _locked(campaign)
    _require_organiser(actor, campaign)
    _require_phase(campaign, Phase.DRAFT, Phase.RECOMMENDING, Phase.REVIEWING)
    if campaign.round_closed:
        raise CampaignPhase(_("The round is closed: no more reviewers."))
    person = get_user_model().objects.filter(pk=getattr(person, "pk", person), is_active=True).first()
    if person is None:
        raise CampaignInvalid(_("No such account."))
    if Reviewer.objects.filter(campaign=campaign, person=person).exists():
        raise CampaignInvalid(_("%(who)s already reviews this campaign.") % {"who": person.username})
    reviewer = Reviewer.objects.create(campaign=campaign, person=person, added_at=clock.now())
    _event(
        "campaigns.reviewer_added",
        actor=actor,
        campaign=campaign,
        after={"reviewer_id": person.pk, "reviewer": person_label(person)},
    )
    return reviewer


@transaction.atomic
def review_start(*, actor: Any, campaign: Campaign) -> Campaign:
    """Recommending → reviewing, once the recommendation period is over."""
    campaign = _locked(campaign)
    _require_organiser(actor, campaign)
    _require_phase(campaign, Phase.RECOMMENDING)
    if today() <= campaign.recommend_until:
        raise CampaignPhase(
            _("Recommendations are open until %(day)s; the review starts after that.")
            % {"day": _date(campaign.recommend_until)}
        )
    if not campaign.candidates.exists():
        raise CampaignInvalid(_("Nobody was recommended: there is nothing to review."))
    campaign.status = Phase.REVIEWING
    campaign.save(update_fields=["status"])
    _event(
        "campaigns.review_started",
        actor=actor,
        campaign=campaign,
        after={"candidates": campaign.candidates.count()},
    )
    return campaign


def reviewer_of(actor: Any, campaign: Campaign) -> Reviewer | None:
    if not getattr(actor, "is_authenticated", False):
        return None
    return Reviewer.objects.filter(campaign=campaign, person_id=actor.pk).first()


def _scoring(
    actor: Any, campaign: Campaign | int, candidate: Candidate | int
) -> tuple[Campaign, Reviewer, Candidate]:
    campaign = _locked(campaign)
    reviewer = reviewer_of(actor, campaign)
    if reviewer is None:
        raise CampaignDenied(_("Only the campaign's reviewers score."))
    _require_phase(campaign, Phase.REVIEWING)
    if campaign.round_closed:
        raise CampaignPhase(_("The round is closed: scores can no longer change."))
    if today() > campaign.review_until:
        raise CampaignPhase(_("The review ended on %(day)s.") % {"day": _date(campaign.review_until)})
    cand_pk = candidate.pk if isinstance(candidate, Candidate) else candidate
    found = Candidate.objects.filter(pk=cand_pk, campaign=campaign).first()
    if found is None:
        raise CampaignNotFound(_("No such candidate in this campaign."))
    return campaign, reviewer, found


def _score_value(raw: Any, criterion: Criterion) -> Decimal:
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError) as exc:
        raise CampaignInvalid(_("The score for %(c)s must be a number.") % {"c": criterion.name}) from exc
    if not value.is_finite():
        raise CampaignInvalid(_("The score for %(c)s must be a number.") % {"c": criterion.name})
    # The range first: quantizing a huge value (1e30) overflows the decimal context.
    if not Decimal(0) <= value <= criterion.max_score:
        raise CampaignInvalid(
            _("The score for %(c)s must be between 0 and %(n)s.")
            % {"c": criterion.name, "n": criterion.max_score}
        )
    rounded = value.quantize(Decimal("0.1"))
    if value != rounded:
        raise CampaignInvalid(
            _("The score for %(c)s takes at most one decimal place.") % {"c": criterion.name}
        )
    return rounded


@transaction.atomic
def scores_set(
    *, actor: Any, campaign: Campaign, candidate: Candidate | int, scores: dict[int, tuple[Any, str]]
) -> list[Score]:
    """The reviewer's scores for one candidate: ``{criterion id: (value, comment)}``; a value left
    empty leaves that criterion unscored (an earlier score stays)."""
    campaign, reviewer, candidate = _scoring(actor, campaign, candidate)
    if Conflict.objects.filter(reviewer=reviewer, candidate=candidate).exists():
        raise CampaignDenied(_("You declared a conflict of interest for this candidate."))
    criteria = {c.pk: c for c in campaign.criteria.all()}
    unknown = set(scores) - set(criteria)
    if unknown:
        raise CampaignInvalid(_("A criterion is not one of this campaign's."))
    now = clock.now()
    saved, logged = [], {}
    for pk, (raw, comment) in scores.items():
        if raw is None or str(raw).strip() == "":
            continue
        criterion = criteria[pk]
        value = _score_value(raw, criterion)
        comment = _text(comment, _("comment"), 500, required=False)
        score, _created = Score.objects.update_or_create(
            reviewer=reviewer,
            candidate=candidate,
            criterion=criterion,
            defaults={"value": value, "comment": comment, "scored_at": now},
        )
        saved.append(score)
        logged[criterion.name] = str(value)
    if not saved:
        raise CampaignInvalid(_("Give at least one score."))
    # The values are part of the audit trail; selectors.audit_trail hides them until the round closes.
    _event(
        "campaigns.scored",
        actor=actor,
        campaign=campaign,
        after={"candidate": candidate.pk, "reviewer": reviewer.pk, "scores": logged},
    )
    return saved


@transaction.atomic
def conflict_declare(*, actor: Any, campaign: Campaign, candidate: Candidate | int, reason: str) -> Conflict:
    """The reviewer steps aside for a candidate: their scores for it are removed and never count."""
    campaign, reviewer, candidate = _scoring(actor, campaign, candidate)
    reason = _text(reason, _("reason"), 300)
    if Conflict.objects.filter(reviewer=reviewer, candidate=candidate).exists():
        raise CampaignInvalid(_("You already declared a conflict for this candidate."))
    removed, _x = Score.objects.filter(reviewer=reviewer, candidate=candidate).delete()
    conflict = Conflict.objects.create(
        reviewer=reviewer, candidate=candidate, reason=reason, declared_at=clock.now()
    )
    _event(
        "campaigns.conflict_declared",
        actor=actor,
        campaign=campaign,
        after={"candidate": candidate.pk, "reviewer": reviewer.pk, "scores_removed": removed},
        reason=reason,
    )
    return conflict


def missing_scores(campaign: Campaign) -> int:
    """How many (reviewer, candidate, criterion) scores are still missing, conflicts excluded."""
    n_criteria = campaign.criteria.count()
    candidates = list(campaign.candidates.values_list("pk", flat=True))
    reviewers = list(campaign.reviewers.values_list("pk", flat=True))
    conflicts = Conflict.objects.filter(reviewer__campaign=campaign).count()
    expected = (len(candidates) * len(reviewers) - conflicts) * n_criteria
    present = Score.objects.filter(reviewer__campaign=campaign).count()
    return max(expected - present, 0)


@transaction.atomic
def round_close(*, actor: Any, campaign: Campaign, reason: str = "") -> Campaign:
    """Close the scoring round: the scores are unsealed. With scores missing, a reason is required
    (a reviewer's incomplete scores for a candidate then do not count towards its total)."""
    campaign = _locked(campaign)
    _require_organiser(actor, campaign)
    _require_phase(campaign, Phase.REVIEWING)
    if campaign.round_closed:
        raise CampaignPhase(_("The round is already closed."))
    if not campaign.reviewers.exists():
        raise CampaignInvalid(_("Name the reviewers first."))
    missing = missing_scores(campaign)
    reason = _text(reason, _("reason"), 2000, required=False)
    if missing and not reason:
        raise CampaignInvalid(
            _("%(n)s scores are still missing; wait for them or give a reason to close the round anyway.")
            % {"n": missing}
        )
    campaign.round_closed_at = clock.now()
    campaign.save(update_fields=["round_closed_at"])
    sheet = [
        {
            "reviewer_id": s.reviewer.person_id,  # named once, in the reviewer's campaigns.reviewer_added
            "candidate": s.candidate_id,
            "criterion": s.criterion.name,
            "value": str(s.value),
        }
        for s in Score.objects.filter(reviewer__campaign=campaign).select_related(
            "reviewer__person", "criterion"
        )
    ]
    _event(
        "campaigns.round_closed",
        actor=actor,
        campaign=campaign,
        after={"missing": missing, "scores": sheet},
        reason=reason,
    )
    return campaign


# ------------------------------------------------------------------------------------------ results


@dataclass
class Result:
    candidate: Candidate
    total: Decimal | None
    spread: Decimal | None
    reviewers: int
    reviewer_totals: list[Decimal]
    rank: int = 0


def compute_results(campaign: Campaign) -> list[Result]:
    """Totals per candidate, best first (no access check: callers go through ``selectors``)."""
    criteria = list(campaign.criteria.all())
    weights = {c.pk: c.weight for c in criteria}
    conflicts = set(
        Conflict.objects.filter(reviewer__campaign=campaign).values_list("reviewer_id", "candidate_id")
    )
    per: dict[tuple[int, int], dict[int, Decimal]] = {}
    for s in Score.objects.filter(reviewer__campaign=campaign).only(
        "reviewer_id", "candidate_id", "criterion_id", "value"
    ):
        per.setdefault((s.reviewer_id, s.candidate_id), {})[s.criterion_id] = s.value
    out = []
    for cand in campaign.candidates.all():
        totals = []
        for (rev, cid), values in per.items():
            if cid != cand.pk or (rev, cid) in conflicts or len(values) != len(criteria):
                continue
            totals.append(sum((values[c] * weights[c] for c in weights), Decimal(0)))
        if totals:
            mean = (sum(totals, Decimal(0)) / len(totals)).quantize(Decimal("0.01"))
            spread = (max(totals) - min(totals)).quantize(Decimal("0.01"))
        else:
            mean = spread = None
        out.append(Result(cand, mean, spread, len(totals), sorted(totals)))
    out.sort(key=lambda r: (r.total is None, -(r.total or 0), r.candidate.pk))
    for i, r in enumerate(out, 1):
        r.rank = i
    return out


def top_n(campaign: Campaign, results: list[Result] | None = None) -> list[int]:
    results = compute_results(campaign) if results is None else results
    return [r.candidate.pk for r in results if r.total is not None][: campaign.places]


def tie_at_cutoff(campaign: Campaign, results: list[Result] | None = None) -> list[int]:
    """The candidates sharing the total of the last place on the shortlist with someone just below
    it (empty without such a tie): the order among them is the organiser's written choice."""
    results = compute_results(campaign) if results is None else results
    scored = [r for r in results if r.total is not None]
    if len(scored) <= campaign.places:
        return []
    cut = scored[campaign.places - 1].total
    if scored[campaign.places].total != cut:
        return []
    return [r.candidate.pk for r in scored if r.total == cut]


@transaction.atomic
def shortlist_confirm(
    *, actor: Any, campaign: Campaign, candidates: Sequence[int] | None = None, reason: str = ""
) -> Campaign:
    """Confirm the shortlist after the round closed: the top N by total unless ``candidates`` says
    otherwise, in which case the written reason is required and recorded."""
    campaign = _locked(campaign)
    _require_organiser(actor, campaign)
    _require_phase(campaign, Phase.REVIEWING)
    if not campaign.round_closed:
        raise CampaignPhase(_("Close the scoring round first."))
    results = compute_results(campaign)
    default = top_n(campaign, results)
    tied = tie_at_cutoff(campaign, results)
    reason = _text(reason, _("reason"), 4000, required=False)
    if tied and (candidates is None or not reason):
        raise CampaignInvalid(
            _("%(n)s candidates tie at place %(place)s: tick the shortlist yourself and write the reason.")
            % {"n": len(tied), "place": campaign.places}
        )
    chosen = list(dict.fromkeys(int(c) for c in candidates)) if candidates is not None else default
    if not chosen:
        raise CampaignInvalid(_("The shortlist is empty."))
    if len(chosen) > campaign.places:
        raise CampaignInvalid(_("The shortlist has more than %(n)s names.") % {"n": campaign.places})
    valid = set(campaign.candidates.values_list("pk", flat=True))
    if not set(chosen) <= valid:
        raise CampaignInvalid(_("A shortlisted name is not a candidate of this campaign."))
    deviates = set(chosen) != set(default)
    if deviates and not reason:
        raise CampaignInvalid(
            _("The shortlist differs from the top %(n)s by score: write the reason.") % {"n": campaign.places}
        )
    campaign.candidates.update(shortlisted=False, shortlisted_at=None)
    campaign.candidates.filter(pk__in=chosen).update(shortlisted=True, shortlisted_at=clock.now())
    campaign.status = Phase.SHORTLISTED
    campaign.shortlist_reason = reason if deviates or tied else ""
    campaign.save(update_fields=["status", "shortlist_reason"])
    _event(
        "campaigns.shortlisted",
        actor=actor,
        campaign=campaign,
        after={"shortlist": chosen, "top_by_score": default, "deviates": deviates, "tie": tied},
        reason=reason,
    )
    return campaign


# ------------------------------------------------------------------------------------------ notice


@transaction.atomic
def notice_start(*, actor: Any, campaign: Campaign) -> Campaign:
    """Publish the shortlist for public notice (公示), within the notice period."""
    campaign = _locked(campaign)
    _require_organiser(actor, campaign)
    _require_phase(campaign, Phase.SHORTLISTED)
    day = today()
    if not campaign.notice_from <= day <= campaign.notice_until:
        raise CampaignPhase(
            _("The public notice runs from %(a)s to %(b)s.")
            % {"a": _date(campaign.notice_from), "b": _date(campaign.notice_until)}
        )
    campaign.status = Phase.NOTICE
    campaign.save(update_fields=["status"])
    _event("campaigns.notice_started", actor=actor, campaign=campaign)
    return campaign


def notice_ends(campaign: Campaign, candidate: Candidate) -> dt.date:
    """The last day of a candidate's public notice: the campaign's, or — for a candidate who joined
    the shortlist during the notice (a replacement) — a notice as long counted from the day they
    joined."""
    length = campaign.notice_until - campaign.notice_from
    if candidate.shortlisted_at is None:
        return campaign.notice_until
    joined = timezone.localdate(candidate.shortlisted_at)
    return max(campaign.notice_until, joined + length)


@transaction.atomic
def objection_lodge(*, actor: Any, campaign: Campaign, candidate: Candidate | int, text: str) -> Objection:
    """Anyone signed in objects to a shortlisted candidate during the notice period."""
    if not getattr(actor, "is_authenticated", False):
        raise CampaignDenied(_("Sign in to lodge an objection."))
    campaign = _locked(campaign)
    _require_phase(campaign, Phase.NOTICE)
    cand_pk = candidate.pk if isinstance(candidate, Candidate) else candidate
    found = Candidate.objects.filter(pk=cand_pk, campaign=campaign, shortlisted=True).first()
    if found is None:
        raise CampaignNotFound(_("No such name on the public notice."))
    day = today()
    ends = notice_ends(campaign, found)
    if not campaign.notice_from <= day <= ends:
        raise CampaignPhase(
            _("Objections are taken from %(a)s to %(b)s.")
            % {"a": _date(campaign.notice_from), "b": _date(ends)}
        )
    text = _text(text, _("objection"), 4000)
    objection = Objection.objects.create(candidate=found, lodged_by=actor, text=text, lodged_at=clock.now())
    _event(
        "campaigns.objection_lodged",
        actor=actor,
        campaign=campaign,
        after={"objection": objection.pk, "candidate": found.pk},
    )
    return objection


def next_in_line(campaign: Campaign) -> Candidate | None:
    for r in compute_results(campaign):
        c = r.candidate
        if r.total is not None and not c.shortlisted and not c.removed:
            return c
    return None


@transaction.atomic
def objection_answer(
    *, actor: Any, objection: Objection | int, answer: str, text: str, replace: bool = False
) -> Objection:
    """Answer an objection. Upheld: the candidate leaves the shortlist (and, with ``replace``, the next
    candidate by total who is neither shortlisted nor removed joins it). Dismissed: the reasons."""
    pk = objection.pk if isinstance(objection, Objection) else objection
    found = Objection.objects.select_related("candidate").filter(pk=pk).first()
    if found is None:
        raise CampaignNotFound(_("No such objection."))
    campaign = _locked(found.candidate.campaign_id)
    _require_organiser(actor, campaign)
    _require_phase(campaign, Phase.NOTICE)
    objection = Objection.objects.select_for_update().select_related("candidate").get(pk=pk)
    if objection.answer:
        raise CampaignPhase(_("This objection is already answered."))
    if answer not in Answer.values:
        raise CampaignInvalid(_("Answer with upheld or dismissed."))
    text = _text(text, _("answer"), 4000)
    candidate = objection.candidate
    replacement = None
    if answer == Answer.UPHELD and candidate.shortlisted:
        candidate.shortlisted = False
        candidate.removed = True
        candidate.removed_reason = text
        candidate.save(update_fields=["shortlisted", "removed", "removed_reason"])
        if replace:
            replacement = next_in_line(campaign)
            if replacement is not None:
                replacement.shortlisted = True
                replacement.shortlisted_at = clock.now()
                replacement.save(update_fields=["shortlisted", "shortlisted_at"])
    objection.answer = answer
    objection.answer_text = text
    objection.answered_at = clock.now()
    objection.replacement = replacement
    objection.save(update_fields=["answer", "answer_text", "answered_at", "replacement"])
    _event(
        "campaigns.objection_answered",
        actor=actor,
        campaign=campaign,
        after={
            "objection": objection.pk,
            "candidate": candidate.pk,
            "answer": answer,
            "removed": answer == Answer.UPHELD,
            "replacement": replacement.pk if replacement else None,
            "replacement_notice_until": _date(notice_ends(campaign, replacement)) if replacement else None,
        },
        reason=text,
    )
    return objection


@transaction.atomic
def campaign_announce(*, actor: Any, campaign: Campaign) -> Campaign:
    """The final list, once the notice has ended, on or after the announcement date, with every
    objection answered."""
    campaign = _locked(campaign)
    _require_organiser(actor, campaign)
    _require_phase(campaign, Phase.NOTICE)
    day = today()
    if day <= campaign.notice_until:
        raise CampaignPhase(
            _("The public notice runs until %(day)s; announce after it ends.")
            % {"day": _date(campaign.notice_until)}
        )
    # Every name on the list has had a whole notice: a replacement's runs from the day they joined.
    late = [(notice_ends(campaign, c), c) for c in campaign.candidates.filter(shortlisted=True)]
    late = [(ends, c) for ends, c in late if day <= ends]
    if late:
        ends, cand = max(late, key=lambda pair: (pair[0], pair[1].pk))
        raise CampaignPhase(
            _(
                "%(name)s joined the shortlist during the notice; their public notice runs "
                "until %(day)s; announce after it ends."
            )
            % {"name": cand.name, "day": _date(ends)}
        )
    if day < campaign.announce_on:
        raise CampaignPhase(_("The announcement is set for %(day)s.") % {"day": _date(campaign.announce_on)})
    open_objections = Objection.objects.filter(candidate__campaign=campaign, answer="").count()
    if open_objections:
        raise CampaignPhase(
            _("%(n)s objections are still unanswered: answer them before the announcement.")
            % {"n": open_objections}
        )
    final = list(campaign.candidates.filter(shortlisted=True).values_list("pk", flat=True))
    if not final:
        raise CampaignInvalid(_("Nobody is left on the shortlist."))
    campaign.status = Phase.ANNOUNCED
    campaign.announced_at = clock.now()
    campaign.save(update_fields=["status", "announced_at"])
    _event("campaigns.announced", actor=actor, campaign=campaign, after={"final": final})
    return campaign
