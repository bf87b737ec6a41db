"""Exemplary-case library pages (典型案例库).

- The library (``/library/``) and an exemplar's page: published exemplars for anyone, signed in or not,
  with Chinese search and filters by region, tag and kind of author organisation. Public pages show the
  author organisation, never the person who wrote it up.
- "Our exemplars" (``/library/mine/``): the organisations' people write, edit, attach photos, submit
  and withdraw.
- The review queue (``/library/review/``): city and district centres and leaders publish, return with a
  reason, or unpublish.

Reads are scoped by ``library.selectors``; writes go through ``library.services``. A refusal comes back
as a message, a bad form re-renders with its errors (status 400), nothing half-saved.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from chuishao.geo.models import Jurisdiction
from chuishao.library import selectors, services
from chuishao.library.errors import LibraryConflict, LibraryError, LibraryNotFound
from chuishao.library.models import AUTHOR_ORG_KINDS, ExemplarAttachment
from chuishao.library.scopes import author_orgs, nav_review, subtree_q
from chuishao.library.services import ResultRow
from chuishao.orgs.models import Organisation, OrgKind
from chuishao.web.views.common import media_response

PAGE_SIZE = 20
RESULT_ROWS = 6
MAX_ID = 2**31 - 1
REGION_KINDS = ("city", "district", "street", "community")


# What each event of an exemplar's history says on its page.
VERB_LABELS = {
    "library.exemplar_drafted": gettext_lazy("draft written"),
    "library.exemplar_edited": gettext_lazy("edited"),
    "library.attachments_added": gettext_lazy("photos attached"),
    "library.attachment_removed": gettext_lazy("photo removed"),
    "library.exemplar_submitted": gettext_lazy("submitted for review"),
    "library.exemplar_returned": gettext_lazy("returned"),
    "library.exemplar_published": gettext_lazy("published"),
    "library.exemplar_unpublished": gettext_lazy("unpublished by the reviewer"),
    "library.exemplar_withdrawn": gettext_lazy("withdrawn by the organisation"),
}


def _message(exc: LibraryError) -> str:
    if isinstance(exc, LibraryConflict):
        return _("Someone acted on this exemplary case first, so nothing was changed. (%(detail)s)") % {
            "detail": exc.message
        }
    return exc.message


def _view(request: HttpRequest, pk: int) -> selectors.ExemplarView:
    try:
        return selectors.exemplar_for(request.user, min(pk, MAX_ID))
    except LibraryNotFound as exc:
        raise Http404(exc.message) from exc


def _org_kind_choices() -> list[tuple[str, str]]:
    labels = dict(OrgKind.choices)
    return [("", _("All kinds"))] + [(k, labels[k]) for k in AUTHOR_ORG_KINDS]


# ------------------------------------------------------------------------------------------ the library


def _region_choices() -> list[tuple[str, str]]:
    """Districts and streets to filter by (communities are reached through ``region=<code>`` links)."""
    nodes = (
        Jurisdiction.objects.filter(kind__in=("district", "street"))
        .order_by("code")
        .only("code", "name", "name_en", "kind")
    )
    from chuishao.web.templatetags.web_tags import local

    return [("", _("All regions"))] + [
        (n.code, ("— " if n.kind == "street" else "") + local(n)) for n in nodes[:400]
    ]


def library_page(request: HttpRequest) -> HttpResponse:
    """The public library: search, filters and the published exemplars, best match first."""
    query = request.GET.get("q", "").strip()[:100]
    code = request.GET.get("region", "").strip()[:32]
    region = Jurisdiction.objects.filter(code=code).first() if code else None
    tag = services.normalise_tag(request.GET.get("tag", ""))[:30]
    kind = request.GET.get("kind", "").strip()
    if kind not in AUTHOR_ORG_KINDS:
        kind = ""
    found = selectors.library_search(selectors.Filters(query=query, region=region, tag=tag, org_kind=kind))
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    keep = request.GET.copy()
    keep.pop("page", None)
    context = {
        "page": page,
        "total": page.paginator.count,
        "query": query,
        "region": region,
        "region_code": region.code if region else "",
        "regions": _region_choices(),
        "tag": tag,
        "kind": kind,
        "kinds": _org_kind_choices(),
        "tags": selectors.popular_tags(),
        "keep": keep.urlencode(),
        "writes": author_orgs(request.user).exists() if request.user.is_authenticated else False,
        "reviews": nav_review(request.user),
    }
    return render(request, "web/library/library.html", context)


def exemplar_page(request: HttpRequest, pk: int) -> HttpResponse:
    view = _view(request, pk)
    show_history = view.is_insider
    context = {
        "view": view,
        "e": view.exemplar,
        "history": [
            (event, VERB_LABELS.get(event.verb, event.verb)) for event in selectors.history(view.exemplar)
        ]
        if show_history
        else [],
        "show_status": show_history,
        "attach_form": AttachForm() if view.may_edit else None,
    }
    return render(request, "web/library/exemplar.html", context)


def attachment_file(request: HttpRequest, pk: int) -> HttpResponse:
    """A photo of an exemplar, to whoever may read the exemplar (anyone, once it is published)."""
    attachment = ExemplarAttachment.objects.filter(pk=min(pk, MAX_ID)).first()
    if attachment is None:
        raise Http404
    _view(request, attachment.exemplar_id)
    return media_response(attachment)


# ------------------------------------------------------------------------------------------ writing


class ExemplarForm(forms.Form):
    organisation = forms.ChoiceField(label=gettext_lazy("Written up by"))
    title = forms.CharField(label=gettext_lazy("Title"), max_length=services.MAX_TITLE)
    region = forms.ChoiceField(label=gettext_lazy("Region"))
    problem = forms.CharField(
        label=gettext_lazy("The problem"),
        max_length=services.MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    actions = forms.CharField(
        label=pgettext_lazy("good practice", "What was done"),
        max_length=services.MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    tags = forms.CharField(
        label=gettext_lazy("Tags (separated by 、 or commas)"), max_length=400, required=False
    )

    def __init__(self, *args: Any, orgs: list[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from chuishao.web.templatetags.web_tags import local

        self.orgs = {str(o.pk): o for o in orgs}
        self.fields["organisation"].choices = [
            (str(o.pk), f"{local(o)} · {o.get_kind_display()}") for o in orgs
        ]
        area = Q()
        for o in orgs:
            area |= subtree_q(o.jurisdiction)
        nodes = Jurisdiction.objects.filter(area, kind__in=REGION_KINDS).order_by("code") if orgs else []
        self.fields["region"].choices = [
            (n.code, f"{'　' * REGION_KINDS.index(n.kind)}{local(n)}") for n in list(nodes)[:1000]
        ]
        for n in range(1, RESULT_ROWS + 1):
            self.fields[f"result_{n}_label"] = forms.CharField(
                label=_("Result %(n)s") % {"n": n}, max_length=services.MAX_LABEL, required=False
            )
            self.fields[f"result_{n}_value"] = forms.CharField(
                label=gettext_lazy("Figure"), max_length=20, required=False
            )
            self.fields[f"result_{n}_unit"] = forms.CharField(
                label=pgettext_lazy("unit of measure", "Unit"), max_length=services.MAX_UNIT, required=False
            )
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("id", f"exemplar_{name}")
            if name.startswith("result_"):
                n = name.split("_")[1]
                aria = str(field.label) if name.endswith("_label") else f"{field.label} ({n})"
                field.widget.attrs.setdefault("aria-label", aria)

    def main_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("organisation", "title", "region", "problem", "actions", "tags")]

    def result_rows(self) -> list[list[forms.BoundField]]:
        return [
            [self[f"result_{n}_{part}"] for part in ("label", "value", "unit")]
            for n in range(1, RESULT_ROWS + 1)
        ]

    def clean_organisation(self) -> Organisation:
        org = self.orgs.get(self.cleaned_data["organisation"])
        if org is None:
            raise forms.ValidationError(_("Choose one of your organisations."))
        return org

    def clean_region(self) -> Jurisdiction:
        region = Jurisdiction.objects.filter(code=self.cleaned_data["region"]).first()
        if region is None:
            raise forms.ValidationError(_("Choose a region."))
        return region

    def results(self) -> list[ResultRow]:
        return [
            ResultRow(
                label=self.cleaned_data.get(f"result_{n}_label", ""),
                value=self.cleaned_data.get(f"result_{n}_value", ""),
                unit=self.cleaned_data.get(f"result_{n}_unit", ""),
            )
            for n in range(1, RESULT_ROWS + 1)
        ]

    @staticmethod
    def initial_for(exemplar: Any) -> dict[str, Any]:
        initial = {
            "organisation": str(exemplar.organisation_id),
            "title": exemplar.title,
            "region": exemplar.region.code,
            "problem": exemplar.problem,
            "actions": exemplar.actions,
            "tags": "、".join(t.name for t in exemplar.tags.all()),
        }
        for n, r in enumerate(exemplar.results.all(), 1):
            if n > RESULT_ROWS:
                break
            initial |= {
                f"result_{n}_label": r.label,
                f"result_{n}_value": r.value_text,
                f"result_{n}_unit": r.unit,
            }
        return initial


class AttachForm(forms.Form):
    photos = forms.FileField(
        label=gettext_lazy("Photos (JPEG, PNG, WebP or GIF, at most 5 MB each)"),
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp,image/gif", "id": "exemplar_photos"}
        ),
    )


def _orgs_or_404(request: HttpRequest) -> list[Organisation]:
    orgs = list(author_orgs(request.user))
    if not orgs:
        raise Http404
    return orgs


@login_required
def mine_page(request: HttpRequest) -> HttpResponse:
    """The exemplars of the organisations the person writes for, in every state."""
    orgs = _orgs_or_404(request)
    items = list(selectors.organisation_exemplars(request.user)[:500])
    return render(request, "web/library/mine.html", {"orgs": orgs, "items": items})


def _form_page(
    request: HttpRequest, form: ExemplarForm, exemplar: Any = None, status: int = 200
) -> HttpResponse:
    return render(request, "web/library/form.html", {"form": form, "e": exemplar}, status=status)


@login_required
def exemplar_new(request: HttpRequest) -> HttpResponse:
    orgs = _orgs_or_404(request)
    if request.method != "POST":
        initial = {"region": orgs[0].jurisdiction.code} if orgs else {}
        return _form_page(request, ExemplarForm(orgs=orgs, initial=initial))
    form = ExemplarForm(request.POST, orgs=orgs)
    if not form.is_valid():
        return _form_page(request, form, status=400)
    data = form.cleaned_data
    try:
        exemplar = services.exemplar_create(
            actor=request.user,
            organisation=data["organisation"],
            title=data["title"],
            region=data["region"],
            problem=data["problem"],
            actions=data["actions"],
            results=form.results(),
            tags=data["tags"],
        )
    except LibraryError as exc:
        form.add_error(None, _message(exc))
        return _form_page(request, form, status=400)
    messages.success(request, _("The draft is saved. Attach photos, then submit it for review."))
    return redirect("web:library_exemplar", pk=exemplar.pk)


@login_required
def exemplar_edit(request: HttpRequest, pk: int) -> HttpResponse:
    view = _view(request, pk)
    if not view.is_own:
        raise Http404
    exemplar = view.exemplar
    orgs = [exemplar.organisation]
    if request.method != "POST":
        if not view.may_edit:
            messages.error(request, _("Only a draft, returned or withdrawn exemplary case can be edited."))
            return redirect("web:library_exemplar", pk=pk)
        return _form_page(
            request, ExemplarForm(orgs=orgs, initial=ExemplarForm.initial_for(exemplar)), exemplar
        )
    form = ExemplarForm(request.POST, orgs=orgs)
    if not form.is_valid():
        return _form_page(request, form, exemplar, status=400)
    data = form.cleaned_data
    try:
        services.exemplar_update(
            actor=request.user,
            exemplar=exemplar,
            title=data["title"],
            region=data["region"],
            problem=data["problem"],
            actions=data["actions"],
            results=form.results(),
            tags=data["tags"],
        )
    except LibraryError as exc:
        form.add_error(None, _message(exc))
        return _form_page(request, form, exemplar, status=400)
    messages.success(request, _("The changes are saved."))
    return redirect("web:library_exemplar", pk=pk)


def _act(request: HttpRequest, pk: int, do: Any, done: str, **kwargs: Any) -> HttpResponse:
    view = _view(request, pk)
    try:
        do(actor=request.user, exemplar=view.exemplar, **kwargs)
    except LibraryError as exc:
        messages.error(request, _message(exc))
    else:
        messages.success(request, done)
    return redirect("web:library_exemplar", pk=pk)


@login_required
@require_POST
def exemplar_submit(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, services.exemplar_submit, _("Submitted for review."))


@login_required
@require_POST
def exemplar_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request, pk, services.exemplar_withdraw, _("Withdrawn. Edit it and submit it again when ready."),
        reason=request.POST.get("reason", ""),
    )  # fmt: skip


@login_required
@require_POST
def attachments_add(request: HttpRequest, pk: int) -> HttpResponse:
    view = _view(request, pk)
    files = request.FILES.getlist("photos")
    try:
        services.attachments_add(actor=request.user, exemplar=view.exemplar, files=files)
    except LibraryError as exc:
        messages.error(request, _message(exc))
    else:
        messages.success(request, _("Photos attached."))
    return redirect(reverse("web:library_exemplar", args=[pk]) + "#attachments")


@login_required
@require_POST
def attachment_remove(request: HttpRequest, pk: int, attachment: int) -> HttpResponse:
    view = _view(request, pk)
    found = view.exemplar.attachments.filter(pk=min(attachment, MAX_ID)).first()
    if found is None:
        raise Http404
    try:
        services.attachment_remove(actor=request.user, attachment=found)
    except LibraryError as exc:
        messages.error(request, _message(exc))
    else:
        messages.success(request, _("Photo removed."))
    return redirect(reverse("web:library_exemplar", args=[pk]) + "#attachments")


# ------------------------------------------------------------------------------------------ reviewing


@login_required
def review_page(request: HttpRequest) -> HttpResponse:
    if not nav_review(request.user):
        raise Http404
    context = {
        "queue": list(selectors.review_queue(request.user)[:200]),
        "recent": selectors.reviewed_recently(request.user),
    }
    return render(request, "web/library/review.html", context)


@login_required
@require_POST
def exemplar_publish(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, services.exemplar_publish, _("Published: it is in the library now."))


@login_required
@require_POST
def exemplar_return(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request, pk, services.exemplar_return, _("Returned to its organisation with your reason."),
        reason=request.POST.get("reason", ""),
    )  # fmt: skip


@login_required
@require_POST
def exemplar_unpublish(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request, pk, services.exemplar_unpublish, _("Taken out of the library."),
        reason=request.POST.get("reason", ""),
    )  # fmt: skip
