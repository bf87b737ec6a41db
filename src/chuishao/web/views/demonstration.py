"""Demonstration programme pages (示范创建): the programmes, a programme with its units per region and
their quota, a unit with its goals and each year's review and evidence, and the review of a year with
the rule's proposals to confirm or override.

Owners (city or district centre, leaders, administrators over the programme's node) start programmes,
set quotas, name units and review; staff of a unit's node and above read the unit. Anyone else is
answered "not found". Writes go through ``chuishao.demonstration.services``; a refusal comes back as
a message or a form error, with nothing saved.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from chuishao.demonstration import services as svc
from chuishao.demonstration.errors import DemonstrationError
from chuishao.demonstration.indicators import INDICATORS, LABELS, today
from chuishao.demonstration.models import Level, Outcome, Programme, Review, Unit
from chuishao.demonstration.scopes import OWNER_ROLES, may_read_unit, may_run
from chuishao.geo.models import Jurisdiction, Kind
from chuishao.orgs.scopes import grants_of

MAX_ID = 2**31 - 1
BECAUSE = {
    svc.BECAUSE_ALL_MET: gettext_lazy("every target met"),
    svc.BECAUSE_SOME_MISSED: gettext_lazy("some targets missed"),
    svc.BECAUSE_MOST_MISSED: gettext_lazy("more than half of the targets missed"),
    svc.BECAUSE_MISSED_AFTER_WARNING: gettext_lazy("targets missed again after last year's warning"),
}


def _target_fields(form: forms.Form, prefix: str, required: bool = False) -> None:
    for code in INDICATORS:
        form.fields[f"{prefix}{code}"] = forms.DecimalField(
            label=LABELS[code], required=required, min_value=0, max_value=100, decimal_places=1
        )
        form.fields[f"{prefix}{code}"].widget.attrs.update({"id": f"{prefix}{code}", "step": "0.1"})


def _targets(form: forms.Form, prefix: str) -> dict[str, float]:
    out = {}
    for code in INDICATORS:
        value = form.cleaned_data.get(f"{prefix}{code}")
        if value is not None:
            out[code] = float(value)
    return out


class ProgrammeForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    name_en = forms.CharField(label=gettext_lazy("English name"), max_length=200, required=False)
    owner = forms.ChoiceField(label=gettext_lazy("Run by"))
    level = forms.ChoiceField(label=gettext_lazy("Units are"), choices=Level.choices)
    quota = forms.IntegerField(label=gettext_lazy("Places per region"), min_value=1, max_value=svc.MAX_QUOTA)
    description = forms.CharField(
        label=gettext_lazy("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, owners: list[Jurisdiction], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.owners = {str(n.pk): n for n in owners}
        self.fields["owner"].choices = [(str(n.pk), n.name) for n in owners]
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("id", f"programme_{name}")
        _target_fields(self, "target_")

    def indicator_fields(self) -> list[forms.BoundField]:
        return [self[f"target_{c}"] for c in INDICATORS]

    def main_fields(self) -> list[forms.BoundField]:
        return [self[n] for n in ("name", "name_en", "owner", "level", "quota", "description")]


class NameForm(forms.Form):
    node = forms.ChoiceField(label=pgettext_lazy("a demonstration unit", "Unit"))
    note = forms.CharField(label=gettext_lazy("Why it is named"), required=False, max_length=svc.MAX_TEXT)

    def __init__(self, *args: Any, candidates: list[Jurisdiction], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["node"].choices = [(str(n.pk), f"{n.parent.name} · {n.name}") for n in candidates]
        self.fields["node"].widget.attrs["id"] = "name_node"
        self.fields["note"].widget.attrs["id"] = "name_note"
        _target_fields(self, "goal_")

    def goal_fields(self) -> list[forms.BoundField]:
        return [self[f"goal_{c}"] for c in INDICATORS]


# ------------------------------------------------------------------------------------------ helpers


def _owner_nodes(actor: Any) -> list[Jurisdiction]:
    ids = {g.node_id for g in grants_of(actor) if g.role in OWNER_ROLES and g.node_id}
    return list(Jurisdiction.objects.filter(pk__in=ids, kind__in=["city", "district"]).order_by("code"))


def _programme(request: HttpRequest, pk: int) -> Programme:
    programme = Programme.objects.select_related("owner_node").filter(pk=min(pk, MAX_ID)).first()
    if programme is None or not svc.may_read_programme(request.user, programme):
        raise Http404
    return programme


def _candidates(programme: Programme) -> list[Jurisdiction]:
    owner = programme.owner_node
    taken = Unit.objects.filter(programme=programme).values_list("node_id", flat=True)
    return list(
        Jurisdiction.objects.filter(kind=programme.level, **{f"{owner.kind}_id": owner.pk})
        .exclude(pk__in=taken)
        .select_related("parent")
        .order_by("code")
    )


def _indicator_rows(review: Review) -> list[dict]:
    return [
        {**row, "label": LABELS.get(row["code"], row["code"])}
        for row in review.evidence.get("indicators", [])
    ]


def _targets_rows(targets: dict[str, float], programme: Programme | None = None) -> list[tuple]:
    rows = []
    for code in INDICATORS:
        if code in targets:
            base = programme.targets.get(code) if programme else None
            rows.append((code, LABELS[code], targets[code], base))
    return rows


# ------------------------------------------------------------------------------------------ pages


@login_required
def programme_list(request: HttpRequest) -> HttpResponse:
    owners = _owner_nodes(request.user)
    found = svc.programmes_visible_to(request.user)
    if not found and not owners:
        raise Http404
    form = None
    if owners:
        form = ProgrammeForm(
            request.POST or None, owners=owners, initial={"quota": 2, "level": Level.COMMUNITY}
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                programme = svc.programme_create(
                    actor=request.user,
                    owner_node=form.owners[data["owner"]],
                    name=data["name"],
                    name_en=data["name_en"],
                    level=data["level"],
                    quota=data["quota"],
                    targets=_targets(form, "target_"),
                    description=data["description"],
                )
            except DemonstrationError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("The programme is started."))
                return redirect("web:demonstration_programme", pk=programme.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "web/demonstration/list.html", {"programmes": found, "form": form}, status=status)


def _programme_context(request: HttpRequest, programme: Programme, name_form=None) -> dict:
    runs = may_run(request.user, programme)
    regions = svc.regions_of(programme)
    for row in regions:
        row.visible = [u for u in row.units if runs or may_read_unit(request.user, u)]
        for unit in row.visible:
            reviews = sorted(unit.reviews.all(), key=lambda r: -r.year)
            unit.last_review = reviews[0] if reviews else None
    candidates = _candidates(programme) if runs else []
    years = sorted({r.year for r in Review.objects.filter(unit__programme=programme)}, reverse=True)
    return {
        "programme": programme,
        "regions": regions,
        "runs": runs,
        "targets": _targets_rows(programme.targets),
        "name_form": name_form or (NameForm(candidates=candidates) if runs and candidates else None),
        "years": years,
        "this_year": today().year,
        "level_label": Level(programme.level).label,
        "region_label": Kind(svc.region_kind(programme.level)).label,
    }


@login_required
def programme_page(request: HttpRequest, pk: int) -> HttpResponse:
    programme = _programme(request, pk)
    return render(request, "web/demonstration/programme.html", _programme_context(request, programme))


@login_required
@require_POST
def unit_name_view(request: HttpRequest, pk: int) -> HttpResponse:
    programme = _programme(request, pk)
    if not may_run(request.user, programme):
        raise Http404
    candidates = _candidates(programme)
    form = NameForm(request.POST, candidates=candidates)
    if form.is_valid():
        node = next(n for n in candidates if str(n.pk) == form.cleaned_data["node"])
        try:
            svc.unit_name(
                actor=request.user,
                programme=programme,
                node=node,
                goals=_targets(form, "goal_"),
                note=form.cleaned_data["note"],
            )
        except DemonstrationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("%(node)s is named a demonstration unit.") % {"node": node.name})
            return redirect(reverse("web:demonstration_programme", args=[programme.pk]) + "#regions")
    context = _programme_context(request, programme, name_form=form)
    return render(request, "web/demonstration/programme.html", context, status=400)


@login_required
@require_POST
def quota_view(request: HttpRequest, pk: int) -> HttpResponse:
    programme = _programme(request, pk)
    if not may_run(request.user, programme):
        raise Http404
    region = Jurisdiction.objects.filter(code=str(request.POST.get("region", ""))[:40]).first()
    try:
        quota = int(request.POST.get("quota", ""))
    except ValueError:
        quota = -1
    if region is None:
        messages.error(request, _("Choose a region."))
    else:
        try:
            svc.quota_set(actor=request.user, programme=programme, region=region, quota=quota)
        except DemonstrationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, _("The quota of %(region)s is now %(n)s.") % {"region": region.name, "n": quota}
            )
    return redirect(reverse("web:demonstration_programme", args=[programme.pk]) + "#regions")


@login_required
def unit_page(request: HttpRequest, pk: int, unit_pk: int) -> HttpResponse:
    programme = _programme(request, pk)
    unit = (
        Unit.objects.select_related("node", "region", "programme", "named_by")
        .filter(pk=min(unit_pk, MAX_ID), programme=programme)
        .first()
    )
    if unit is None or not (may_run(request.user, programme) or may_read_unit(request.user, unit)):
        raise Http404
    reviews = list(unit.reviews.select_related("decided_by__profile").order_by("-year"))
    for review in reviews:
        review.rows = _indicator_rows(review)
        review.because_label = BECAUSE.get(review.evidence.get("because", ""), "")
    return render(
        request,
        "web/demonstration/unit.html",
        {
            "programme": programme,
            "unit": unit,
            "targets": _targets_rows(unit.targets(), programme),
            "reviews": reviews,
            "runs": may_run(request.user, programme),
        },
    )


@login_required
def review_page(request: HttpRequest, pk: int, year: int) -> HttpResponse:
    programme = _programme(request, pk)
    runs = may_run(request.user, programme)
    if not runs or not svc.year_in_range(year):
        raise Http404
    reviews = list(
        Review.objects.filter(unit__programme=programme, year=year)
        .select_related("unit", "unit__node", "unit__region", "decided_by__profile")
        .order_by("unit__region__code", "unit__node__code")
    )
    for review in reviews:
        review.rows = _indicator_rows(review)
        review.because_label = BECAUSE.get(review.evidence.get("because", ""), "")
    waiting = [u for u in svc.reviewable_units(programme, year) if u.pk not in {r.unit_id for r in reviews}]
    return render(
        request,
        "web/demonstration/review.html",
        {
            "programme": programme,
            "year": year,
            "reviews": reviews,
            "waiting": waiting,
            "outcomes": Outcome.choices,
            "counts": {o: sum(1 for r in reviews if (r.outcome or r.proposed) == o) for o in Outcome.values},
        },
    )


@login_required
@require_POST
def review_run_view(request: HttpRequest, pk: int) -> HttpResponse:
    programme = _programme(request, pk)
    if not may_run(request.user, programme):
        raise Http404
    try:
        year = int(request.POST.get("year", ""))
    except ValueError:
        year = 0
    try:
        reviews = svc.review_run(actor=request.user, programme=programme, year=year)
    except DemonstrationError as exc:
        messages.error(request, exc.message)
        return redirect("web:demonstration_programme", pk=programme.pk)
    messages.success(request, _("%(n)s units reviewed for %(year)s.") % {"n": len(reviews), "year": year})
    return redirect("web:demonstration_review", pk=programme.pk, year=year)


@login_required
@require_POST
def review_decide_view(request: HttpRequest, pk: int, review_pk: int) -> HttpResponse:
    programme = _programme(request, pk)
    review = Review.objects.filter(pk=min(review_pk, MAX_ID), unit__programme=programme).first()
    if review is None or not may_run(request.user, programme):
        raise Http404
    try:
        svc.review_decide(
            actor=request.user,
            review=review,
            outcome=str(request.POST.get("outcome", "")),
            reason=str(request.POST.get("reason", "")),
        )
    except DemonstrationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The review of %(node)s is decided.") % {"node": review.unit.node.name})
    return redirect(
        reverse("web:demonstration_review", args=[programme.pk, review.year]) + f"#review-{review.pk}"
    )
