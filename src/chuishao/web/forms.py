"""Forms of the pages: they parse what people type; the case services decide whether it is valid."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from chuishao.cases.errors import CaseNotFound
from chuishao.cases.models import Case, Resolution, Satisfaction, Status
from chuishao.cases.selectors import case_get
from chuishao.cases.transitions import TABLE
from chuishao.geo.models import Jurisdiction
from chuishao.web.reads import dispatch_candidates

MAX_PHOTOS = 3


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented recipe)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*"}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class ReportForm(forms.Form):
    """A resident's report. Fields are lenient so that ``case_report`` gives the one verdict."""

    category = forms.CharField(label=_("What kind of problem"), required=False)
    description = forms.CharField(
        label=_("Describe the problem"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": 4000}),
    )
    lat = forms.CharField(label=_("Latitude"), required=False)
    lng = forms.CharField(label=_("Longitude"), required=False)
    address = forms.CharField(label=_("Address or landmark"), required=False, max_length=200)
    reporter_name = forms.CharField(label=_("Your name (optional)"), required=False, max_length=60)
    reporter_phone = forms.CharField(label=_("Your phone (optional)"), required=False, max_length=20)
    anonymous = forms.BooleanField(label=_("Report anonymously"), required=False)
    photos = MultipleFileField(label=_("Photos (up to 3)"))


class CaseFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("State"), required=False)
    category = forms.TypedChoiceField(label=_("Category"), required=False, coerce=int, empty_value=None)
    node = forms.TypedChoiceField(label=_("Jurisdiction"), required=False, coerce=int, empty_value=None)
    overdue = forms.ChoiceField(
        label=_("Overdue"),
        required=False,
        choices=[("", _("any")), ("yes", _("overdue")), ("no", _("not overdue"))],
    )
    open_only = forms.BooleanField(label=_("Open only"), required=False)
    q = forms.CharField(label=_("Number or text"), required=False, max_length=100)

    def __init__(self, *args: Any, categories: list, nodes: list[Jurisdiction], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("any")), *Status.choices]
        self.fields["category"].choices = [("", _("any"))] + [
            (c.pk, f"{c.full_code} {c.name}") for c in categories
        ]
        self.fields["node"].choices = [("", _("anywhere I reach"))] + [
            (n.pk, f"{'· ' * _DEPTH.get(n.kind, 0)}{n.name}") for n in nodes
        ]

    def query(self) -> dict[str, Any]:
        """Keyword arguments for ``case_list``."""
        d = self.cleaned_data if self.is_valid() else {}
        overdue = {"yes": True, "no": False}.get(d.get("overdue") or "")
        return {
            "status": d.get("status") or None,
            "category_id": d.get("category"),
            "node_id": d.get("node"),
            "overdue": overdue,
            "open_only": bool(d.get("open_only")),
            "text": d.get("q") or "",
        }


_DEPTH = {"city": 0, "district": 1, "street": 2, "community": 3, "grid": 4}


# --- one small form per action; cleaned_data are the service's keyword arguments -----------------


def _reason(required: bool, label: Any = None) -> forms.CharField:
    return forms.CharField(
        label=label or (_("Reason") if required else _("Note (optional)")),
        required=required,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ActionForm(forms.Form):
    """An action without parameters (accept, start). Subclasses add the action's own fields."""

    def __init__(self, *args: Any, case: Case, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.case, self.actor = case, actor

    def params(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class NoteForm(ActionForm):
    note = _reason(False)


class RequiredNoteForm(ActionForm):
    note = _reason(True, _("What you did"))


class ReasonForm(ActionForm):
    reason = _reason(True)


class DeclineForm(ActionForm):
    reason = _reason(True)
    duplicate_of = forms.CharField(label=_("Duplicate of case number (optional)"), required=False)

    def clean_duplicate_of(self) -> int | None:
        number = self.cleaned_data["duplicate_of"].strip()
        if not number:
            return None
        try:
            return case_get(actor=self.actor, number=number).pk
        except CaseNotFound as exc:
            raise forms.ValidationError(exc.message) from exc


class DispatchForm(ActionForm):
    lead = forms.TypedChoiceField(label=_("Lead organisation (主办)"), coerce=int)
    assisting = forms.TypedMultipleChoiceField(label=_("Assisting (协办)"), coerce=int, required=False)
    notify = forms.TypedMultipleChoiceField(label=_("Notify only (知会)"), coerce=int, required=False)
    note = _reason(False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(o.pk, f"{o.name} · {o.jurisdiction.name}") for o in dispatch_candidates(self.case)]
        for name in ("lead", "assisting", "notify"):
            self.fields[name].choices = choices
        for name in ("assisting", "notify"):
            self.fields[name].widget.attrs["size"] = min(len(choices), 5) or 1
        self.fields["lead"].initial = self.case.suggested_org_id


class RequestExtensionForm(ActionForm):
    reason = _reason(True)
    working_days = forms.DecimalField(label=_("Working days"), min_value=0.5, max_value=60, initial=2)


class GrantExtensionForm(ActionForm):
    working_days = forms.DecimalField(
        label=_("Working days (empty: as requested)"), min_value=0.5, max_value=60, required=False
    )
    note = _reason(False)

    def params(self) -> dict[str, Any]:
        d = dict(self.cleaned_data)
        if d.get("working_days") is None:
            d.pop("working_days", None)
        return d


class HandleForm(ActionForm):
    result = _reason(True, _("What was done"))
    evidence = MultipleFileField(label=_("Photos"))


class CheckForm(ActionForm):
    note = _reason(False)
    evidence = MultipleFileField(label=_("Photos"))


class RateForm(ActionForm):
    satisfaction = forms.ChoiceField(label=_("Satisfaction"), choices=Satisfaction.choices)
    resolution = forms.ChoiceField(label=_("Was it solved?"), choices=Resolution.choices)
    comment = forms.CharField(
        label=_("Comment (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


ACTION_FORMS: dict[str, type[ActionForm]] = {
    "verify": NoteForm,
    "self_handle": RequiredNoteForm,
    "file": NoteForm,
    "decline": DeclineForm,
    "withdraw": ReasonForm,
    "cancel": ReasonForm,
    "dispatch": DispatchForm,
    "accept": ActionForm,
    "return": ReasonForm,
    "start": ActionForm,
    "request_extension": RequestExtensionForm,
    "grant_extension": GrantExtensionForm,
    "refuse_extension": ReasonForm,
    "handle": HandleForm,
    "check": CheckForm,
    "rework": ReasonForm,
    "close": NoteForm,
    "rate": RateForm,
    "reopen": ReasonForm,
    "park": ReasonForm,
    "unpark": NoteForm,
}
assert set(ACTION_FORMS) == set(TABLE), "every transition has a form"
