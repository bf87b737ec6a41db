"""Selection campaign pages (评选): the list (public notices and results for everyone, one's own
campaigns when signed in), a new campaign for organisers, the campaign's page with a section per role
(organiser's steps and progress, a recommender's form and candidates, the public shortlist or final
list with the objection form), the reviewer's scoring sheet, the organiser's audit trail and the
candidates' photos.

Reads go through ``chuishao.campaigns.selectors`` (a campaign one may not read is "not found"; scores
stay sealed until the round closes); writes through ``chuishao.campaigns.services`` — a refusal comes
back as a message, a bad form re-renders with its errors.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from chuishao.campaigns import scopes
from chuishao.campaigns import selectors as sel
from chuishao.campaigns import services as svc
from chuishao.campaigns.errors import CampaignError, CampaignNotFound
from chuishao.campaigns.models import Answer, Attachment, Campaign, Candidate, Objection, Phase
from chuishao.geo.models import Jurisdiction
from chuishao.library.selectors import published_exemplars
from chuishao.orgs.models import Organisation
from chuishao.orgs.scopes import grants_of

MAX_ID = 2**31 - 1
CRITERION_ROWS = 6
EXEMPLAR_LINKS = "web/library/_exemplar_links.html"


def _campaign(request: HttpRequest, pk: int) -> tuple[Campaign, sel.Access]:
    try:
        return sel.campaign_for(request.user, min(pk, MAX_ID))
    except CampaignNotFound as exc:
        raise Http404(exc.message) from exc


def _back(pk: int, anchor: str = "") -> HttpResponse:
    return redirect(reverse("web:campaign", args=[pk]) + (f"#{anchor}" if anchor else ""))


def _organiser_nodes(user: Any) -> list[Jurisdiction]:
    ids = [
        g.node_id
        for g in grants_of(user)
        if g.role in scopes.ORGANISER_ROLES and g.node_kind in scopes.ORGANISER_NODE_KINDS
    ]
    nodes = list(Jurisdiction.objects.filter(pk__in=ids).order_by("code"))
    # A city's organisers may also run a campaign in any of its districts.
    cities = [n.pk for n in nodes if n.kind == "city"]
    if cities:
        nodes += list(Jurisdiction.objects.filter(kind="district", city_id__in=cities).order_by("code"))
    return list({n.pk: n for n in nodes}.values())


def _exemplar_template() -> str:
    try:
        get_template(EXEMPLAR_LINKS)
    except TemplateDoesNotExist:
        return ""
    return EXEMPLAR_LINKS


# ------------------------------------------------------------------------------------------ forms

DATE = {"widget": forms.DateInput(attrs={"type": "date"})}


class CampaignForm(forms.Form):
    node = forms.ChoiceField(label=gettext_lazy("Run by"))
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("Description"),
        max_length=8000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    places = forms.IntegerField(label=gettext_lazy("Places"), min_value=1, max_value=100, initial=10)
    quota = forms.IntegerField(
        label=gettext_lazy("Recommendations per unit, street or community"),
        min_value=1,
        max_value=50,
        initial=3,
    )
    recommend_until = forms.DateField(label=gettext_lazy("Recommendations until"), **DATE)
    review_until = forms.DateField(label=gettext_lazy("Review until"), **DATE)
    notice_from = forms.DateField(label=gettext_lazy("Public notice from"), **DATE)
    notice_until = forms.DateField(label=gettext_lazy("Public notice until"), **DATE)
    announce_on = forms.DateField(label=gettext_lazy("Announcement on"), **DATE)

    def __init__(self, *args: Any, nodes: list[Jurisdiction], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.nodes = {str(n.pk): n for n in nodes}
        self.fields["node"].choices = [(str(n.pk), n.name) for n in nodes]
        for n in range(1, CRITERION_ROWS + 1):
            self.fields[f"c{n}_name"] = forms.CharField(
                label=_("Criterion %(n)s") % {"n": n}, max_length=80, required=False
            )
            self.fields[f"c{n}_description"] = forms.CharField(
                label=gettext_lazy("What it means"), max_length=500, required=False
            )
            self.fields[f"c{n}_max"] = forms.IntegerField(
                label=gettext_lazy("Maximum score"), min_value=1, max_value=1000, required=False
            )
            self.fields[f"c{n}_weight"] = forms.DecimalField(
                label=gettext_lazy("Weight"), min_value=0.01, max_value=100, decimal_places=2, required=False
            )
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("id", f"campaign_{name}")

    def top_fields(self) -> list[forms.BoundField]:
        return [self[n] for n in self.fields if not (n[0] == "c" and n[1:2].isdigit())]

    def criterion_rows(self) -> list[list[forms.BoundField]]:
        return [
            [self[f"c{n}_{part}"] for part in ("name", "description", "max", "weight")]
            for n in range(1, CRITERION_ROWS + 1)
        ]

    def criteria(self) -> list[svc.CriterionInput]:
        out = []
        for n in range(1, CRITERION_ROWS + 1):
            name = (self.cleaned_data.get(f"c{n}_name") or "").strip()
            if not name:
                continue
            maximum = self.cleaned_data.get(f"c{n}_max")
            if maximum is None:
                raise CampaignError(_("Criterion %(n)s needs its maximum score.") % {"n": n})
            weight = self.cleaned_data.get(f"c{n}_weight") or 1
            out.append(
                svc.CriterionInput(
                    name=name,
                    description=self.cleaned_data.get(f"c{n}_description") or "",
                    max_score=maximum,
                    weight=weight,
                )
            )
        return out


class RecommendForm(forms.Form):
    on_behalf_of = forms.ChoiceField(label=gettext_lazy("Recommended by"))
    name = forms.CharField(label=gettext_lazy("Candidate's name"), max_length=60)
    unit = forms.CharField(label=gettext_lazy("Candidate's unit"), max_length=120)
    title = forms.CharField(label=gettext_lazy("Short title"), max_length=120)
    deeds = forms.CharField(
        label=gettext_lazy("Deeds (事迹)"), max_length=8000, widget=forms.Textarea(attrs={"rows": 5})
    )
    contact_phone = forms.CharField(
        label=gettext_lazy("Contact phone (seen only by the organisers)"), max_length=40, required=False
    )

    def __init__(self, *args: Any, bodies: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.bodies = {self.key(b): b for b in bodies}
        self.fields["on_behalf_of"].choices = [(k, b.name) for k, b in self.bodies.items()]
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("id", f"rec_{name}")

    @staticmethod
    def key(body: Any) -> str:
        return f"org-{body.pk}" if isinstance(body, Organisation) else f"node-{body.pk}"


# ------------------------------------------------------------------------------------------ pages


def campaign_list(request: HttpRequest) -> HttpResponse:
    """Public notices and announced results for everyone; one's own campaigns when signed in."""
    mine = sel.campaigns_for(request.user)
    public = [c for c in sel.campaigns_public()[:200] if c.pk not in {m.pk for m in mine}]
    may_create = bool(request.user.is_authenticated and _organiser_nodes(request.user))
    return render(
        request, "web/campaigns/list.html", {"mine": mine, "public": public, "may_create": may_create}
    )


@login_required
def campaign_new(request: HttpRequest) -> HttpResponse:
    nodes = _organiser_nodes(request.user)
    if not nodes:
        raise Http404
    form = CampaignForm(request.POST or None, nodes=nodes)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                campaign = svc.campaign_create(
                    actor=request.user,
                    node=form.nodes[data["node"]],
                    title=data["title"],
                    description=data["description"],
                    places=data["places"],
                    quota=data["quota"],
                    criteria=form.criteria(),
                    recommend_until=data["recommend_until"],
                    review_until=data["review_until"],
                    notice_from=data["notice_from"],
                    notice_until=data["notice_until"],
                    announce_on=data["announce_on"],
                )
            except CampaignError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("The campaign is drafted. Name its reviewers and open it."))
                return _back(campaign.pk)
        return render(request, "web/campaigns/new.html", {"form": form}, status=400)
    return render(request, "web/campaigns/new.html", {"form": form})


def _page(request: HttpRequest, campaign: Campaign, access: sel.Access, *, rec_form=None, status=200):
    user = request.user
    candidates = sel.candidates_listed(user, campaign, access)
    today = svc.today()
    objectable = []
    if campaign.status == Phase.NOTICE:
        for c in candidates:
            if c.shortlisted:
                c.notice_ends = svc.notice_ends(campaign, c)
                if campaign.notice_from <= today <= c.notice_ends:
                    objectable.append(c)
    context: dict[str, Any] = {
        "campaign": campaign,
        "access": access,
        "criteria": list(campaign.criteria.all()),
        "candidates": candidates,
        "today": today,
        "objectable": objectable,
        "outcome": sel.sees_outcome(access, campaign),
        "exemplars": published_exemplars(campaign.exemplars.order_by("pk").values_list("pk", flat=True)),
        "exemplar_template": _exemplar_template(),
        "objections": sel.objections_for(user, campaign),
        "Phase": {p.name: p.value for p in Phase},
    }
    if access.bodies and campaign.status == Phase.RECOMMENDING:
        context["rec_form"] = rec_form or RecommendForm(bodies=access.bodies)
        context["quotas"] = [(b, svc.quota_left(campaign, b)) for b in access.bodies]
    if access.organiser:
        context["reviewers"] = list(campaign.reviewers.select_related("person"))
        if campaign.status == Phase.REVIEWING:
            context["progress"] = sel.score_progress(user, campaign)
            context["missing"] = sel.still_missing(user, campaign)
        context["exemplar_choices"] = _exemplar_choices(campaign)
    if campaign.round_closed and (access.organiser or access.reviewer is not None):
        results = sel.results(user, campaign)
        context["results"] = results
        if campaign.status == Phase.REVIEWING:
            context["top"] = svc.top_n(campaign, results)
            context["tie"] = svc.tie_at_cutoff(campaign, results)
    return render(request, "web/campaigns/campaign.html", context, status=status)


def _exemplar_choices(campaign: Campaign) -> list:
    from chuishao.library.models import Exemplar, Status

    return list(Exemplar.objects.filter(status=Status.PUBLISHED).order_by("-published_at")[:200])


def campaign_page(request: HttpRequest, pk: int) -> HttpResponse:
    campaign, access = _campaign(request, pk)
    return _page(request, campaign, access)


STEPS = {
    "open": (svc.campaign_open, gettext_lazy("Recommendations are open.")),
    "review": (svc.review_start, gettext_lazy("The review has started.")),
    "close": (svc.round_close, gettext_lazy("The round is closed: the scores are open.")),
    "shortlist": (svc.shortlist_confirm, gettext_lazy("The shortlist is confirmed.")),
    "notice": (svc.notice_start, gettext_lazy("The shortlist is on public notice.")),
    "announce": (svc.campaign_announce, gettext_lazy("The final list is announced.")),
    "cancel": (svc.campaign_cancel, gettext_lazy("The campaign is cancelled.")),
}


@login_required
@require_POST
def campaign_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """The organiser's steps; each refusal (wrong phase, outside the timetable) is a message."""
    campaign, access = _campaign(request, pk)
    if step not in STEPS or not access.organiser:
        raise Http404
    func, done = STEPS[step]
    kwargs: dict[str, Any] = {}
    if step in ("close", "cancel", "shortlist"):
        kwargs["reason"] = request.POST.get("reason", "")
    if step == "shortlist" and request.POST.get("custom"):
        try:
            kwargs["candidates"] = [int(v) for v in request.POST.getlist("candidate")]
        except ValueError as exc:
            raise Http404 from exc
    try:
        func(actor=request.user, campaign=campaign, **kwargs)
    except CampaignError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, str(done))
    return _back(campaign.pk)


@login_required
@require_POST
def reviewer_add(request: HttpRequest, pk: int) -> HttpResponse:
    campaign, access = _campaign(request, pk)
    if not access.organiser:
        raise Http404
    username = request.POST.get("username", "").strip()[:150]
    person = get_user_model().objects.filter(username=username, is_active=True).first()
    if person is None:
        messages.error(request, _("No account %(u)s.") % {"u": username})
        return _back(pk, "reviewers")
    try:
        svc.reviewer_add(actor=request.user, campaign=campaign, person=person)
    except CampaignError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(u)s now reviews this campaign.") % {"u": username})
    return _back(pk, "reviewers")


@login_required
@require_POST
def exemplars_link(request: HttpRequest, pk: int) -> HttpResponse:
    campaign, access = _campaign(request, pk)
    if not access.organiser:
        raise Http404
    try:
        ids = [int(v) for v in request.POST.getlist("exemplar")]
        svc.campaign_link_exemplars(actor=request.user, campaign=campaign, exemplars=ids)
    except ValueError as exc:
        raise Http404 from exc
    except CampaignError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The exemplary cases are linked."))
    return _back(pk, "exemplars")


@login_required
@require_POST
def recommend(request: HttpRequest, pk: int) -> HttpResponse:
    campaign, access = _campaign(request, pk)
    form = RecommendForm(request.POST, request.FILES, bodies=access.bodies)
    if not access.bodies:
        raise Http404
    if not form.is_valid():
        return _page(request, campaign, access, rec_form=form, status=400)
    data = form.cleaned_data
    try:
        svc.candidate_recommend(
            actor=request.user,
            campaign=campaign,
            on_behalf_of=form.bodies[data["on_behalf_of"]],
            name=data["name"],
            unit=data["unit"],
            title=data["title"],
            deeds=data["deeds"],
            contact_phone=data["contact_phone"],
            attachments=request.FILES.getlist("attachments"),
        )
    except CampaignError as exc:
        form.add_error(None, exc.message)
        return _page(request, campaign, access, rec_form=form, status=400)
    messages.success(request, _("%(name)s is recommended.") % {"name": data["name"]})
    return _back(pk, "recommend")


# ------------------------------------------------------------------------------------------ review


def _review(request: HttpRequest, campaign: Campaign, access: sel.Access, *, errors=None, status=200):
    if access.reviewer is None:
        raise Http404
    mine = sel.my_scores(request.user, campaign)
    criteria = list(campaign.criteria.all())
    conflicts = sel.my_conflicts(request.user, campaign)
    rows = []
    for cand in campaign.candidates.prefetch_related("attachments"):
        cells = [(c, mine.get((cand.pk, c.pk))) for c in criteria]
        rows.append(
            {
                "candidate": cand,
                "cells": cells,
                "conflict": cand.pk in conflicts,
                "done": all(s is not None for _c, s in cells),
                "error": (errors or {}).get(cand.pk),
            }
        )
    may_score = (
        campaign.status == Phase.REVIEWING
        and not campaign.round_closed
        and svc.today() <= campaign.review_until
    )
    context = {"campaign": campaign, "rows": rows, "criteria": criteria, "may_score": may_score}
    return render(request, "web/campaigns/review.html", context, status=status)


@login_required
def review_page(request: HttpRequest, pk: int) -> HttpResponse:
    campaign, access = _campaign(request, pk)
    return _review(request, campaign, access)


def _candidate(campaign: Campaign, cand: int) -> Candidate:
    found = Candidate.objects.filter(pk=min(cand, MAX_ID), campaign=campaign).first()
    if found is None:
        raise Http404
    return found


@login_required
@require_POST
def score(request: HttpRequest, pk: int, cand: int) -> HttpResponse:
    campaign, access = _campaign(request, pk)
    if access.reviewer is None:
        raise Http404
    candidate = _candidate(campaign, cand)
    scores = {
        c.pk: (request.POST.get(f"score_{c.pk}", ""), request.POST.get(f"comment_{c.pk}", ""))
        for c in campaign.criteria.all()
    }
    try:
        svc.scores_set(actor=request.user, campaign=campaign, candidate=candidate, scores=scores)
    except CampaignError as exc:
        return _review(request, campaign, access, errors={candidate.pk: exc.message}, status=400)
    messages.success(request, _("Your scores for %(name)s are saved.") % {"name": candidate.name})
    return redirect(reverse("web:campaign_review", args=[pk]) + f"#c{candidate.pk}")


@login_required
@require_POST
def conflict(request: HttpRequest, pk: int, cand: int) -> HttpResponse:
    campaign, access = _campaign(request, pk)
    if access.reviewer is None:
        raise Http404
    candidate = _candidate(campaign, cand)
    try:
        svc.conflict_declare(
            actor=request.user, campaign=campaign, candidate=candidate, reason=request.POST.get("reason", "")
        )
    except CampaignError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your conflict of interest is recorded."))
    return redirect(reverse("web:campaign_review", args=[pk]) + f"#c{candidate.pk}")


# ------------------------------------------------------------------------------------------ notice


@login_required
@require_POST
def objection_lodge(request: HttpRequest, pk: int) -> HttpResponse:
    campaign, _access = _campaign(request, pk)
    try:
        cand = int(request.POST.get("candidate", ""))
        svc.objection_lodge(
            actor=request.user, campaign=campaign, candidate=cand, text=request.POST.get("text", "")
        )
    except ValueError as exc:
        raise Http404 from exc
    except CampaignError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your objection is lodged; the organisers must answer it."))
    return _back(pk, "notice")


@login_required
@require_POST
def objection_answer(request: HttpRequest, pk: int, oid: int) -> HttpResponse:
    campaign, access = _campaign(request, pk)
    objection = Objection.objects.filter(pk=min(oid, MAX_ID), candidate__campaign=campaign).first()
    if objection is None or not access.organiser:
        raise Http404
    answer = request.POST.get("answer", "")
    try:
        svc.objection_answer(
            actor=request.user,
            objection=objection,
            answer=answer,
            text=request.POST.get("text", ""),
            replace=bool(request.POST.get("replace")),
        )
    except CampaignError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("The objection is upheld.") if answer == Answer.UPHELD else _("The objection is dismissed."),
        )
    return _back(pk, "objections")


# ------------------------------------------------------------------------------------------ audit, files


@login_required
def audit_page(request: HttpRequest, pk: int) -> HttpResponse:
    campaign, access = _campaign(request, pk)
    if not access.organiser:
        raise Http404
    events = sel.audit_trail(request.user, campaign)
    return render(request, "web/campaigns/audit.html", {"campaign": campaign, "events": events})


@login_required
def attachment(request: HttpRequest, pk: int, aid: int) -> FileResponse:
    """A candidate's photo: for the organisers, the reviewers and the recommender who sent it."""
    campaign, access = _campaign(request, pk)
    att = (
        Attachment.objects.select_related("candidate")
        .filter(pk=min(aid, MAX_ID), candidate__campaign=campaign)
        .first()
    )
    if att is None:
        raise Http404
    own = any(
        (isinstance(b, Organisation) and att.candidate.by_org_id == b.pk)
        or (isinstance(b, Jurisdiction) and att.candidate.by_node_id == b.pk)
        for b in access.bodies
    )
    if not (access.organiser or access.reviewer is not None or own):
        raise Http404
    try:
        handle: Any = att.file.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404(_("The file is missing.")) from exc
    response = FileResponse(handle, content_type=att.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
