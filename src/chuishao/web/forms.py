"""Forms of the pages: they parse what people type; the case services decide whether it is valid."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from chuishao.cases.errors import CaseNotFound
from chuishao.cases.models import (
    AssignmentRole,
    Case,
    Resolution,
    Satisfaction,
    Source,
    Status,
    WarnLevel,
    WhistleKind,
    WhistleReason,
)
from chuishao.cases.selectors import case_get
from chuishao.cases.transitions import TABLE
from chuishao.evaluation.definitions import period_bounds
from chuishao.geo.models import Jurisdiction, Kind
from chuishao.orgs.models import Organisation
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


def _attrs(attrs: dict[str, Any]) -> str:
    """Attributes in their order, escaped, as Django's widget attrs template writes them (flatatt
    reorders them)."""
    return "".join(
        f" {escape(name)}" if value is True else f' {escape(name)}="{escape(str(value))}"'
        for name, value in attrs.items()
        if value is not False
    )


class ListSelect(forms.Select):
    """A select written out in Python: the same HTML as Django's template-rendered select, for lists
    of hundreds of options (a street's grids on the case desk) where rendering two templates per option
    cost more than the page's queries."""

    def render(self, name: str, value: Any, attrs: dict | None = None, renderer: Any = None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [f'<select name="{escape(widget["name"])}"{_attrs(widget["attrs"])}>']
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(f'<optgroup label="{conditional_escape(group_name)}">')
            parts.extend(
                f'<option value="{escape(str(o["value"]))}"{_attrs(o["attrs"]) if o["attrs"] else ""}>'
                f"{conditional_escape(o['label'])}</option>"
                for o in options
            )
            if group_name:
                parts.append("</optgroup>")
        parts.append("</select>")
        return mark_safe("".join(parts))  # noqa: S308 (every name, value and label above is escaped)


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
    reporter_email = forms.CharField(label=_("Your e-mail (optional)"), required=False, max_length=120)
    anonymous = forms.BooleanField(label=_("Report anonymously"), required=False)
    photos = MultipleFileField(label=_("Photos (up to 3)"))
    keep_photo_location = forms.BooleanField(
        label=_("Keep the position stored in my photos (it helps find the place)"), required=False
    )


class CaseFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("State"), required=False, widget=ListSelect)
    category = forms.TypedChoiceField(
        label=_("Category"), required=False, coerce=int, empty_value=None, widget=ListSelect
    )
    node = forms.TypedChoiceField(
        label=_("Jurisdiction"), required=False, coerce=int, empty_value=None, widget=ListSelect
    )
    overdue = forms.ChoiceField(
        label=_("Overdue"),
        required=False,
        widget=ListSelect,
        choices=[("", _("any")), ("yes", _("overdue")), ("no", _("not overdue"))],
    )
    warn = forms.ChoiceField(
        label=_("Colour"),
        required=False,
        widget=ListSelect,
        choices=[
            ("", _("any")),
            ("yellow", _("yellow")),
            ("red", _("red")),
            ("escalated", _("escalated")),
        ],
    )
    source = forms.ChoiceField(label=_("Source"), required=False, widget=ListSelect)
    open_only = forms.BooleanField(label=_("Open only"), required=False)
    month = forms.RegexField(
        label=_("Reported in"),
        required=False,
        regex=r"^20\d\d-(0[1-9]|1[0-2])$",
        widget=forms.TextInput(attrs={"type": "month"}),
        error_messages={"invalid": _("A month looks like 2026-11.")},
    )
    q = forms.CharField(label=_("Number or text"), required=False, max_length=100)

    def __init__(self, *args: Any, categories: list, nodes: list[Jurisdiction], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("any")), *Status.choices]
        self.fields["source"].choices = [("", _("any")), *Source.choices]
        self.fields["category"].choices = [("", _("any"))] + [
            (c.pk, f"{c.full_code} {c.name}") for c in categories
        ]
        # A grid asked for by a link (the dashboard's map) is offered too, though the list leaves grids
        # out above the street; the case scope still decides what is listed.
        asked = str((self.data or {}).get("node") or "")
        if (
            asked.isascii()
            and asked.isdigit()
            and len(asked) < 19
            and int(asked) not in {n.pk for n in nodes}
        ):
            nodes = [*nodes, *Jurisdiction.objects.filter(pk=int(asked), kind=Kind.GRID)]
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

    def extra_q(self) -> Q:
        """Filters ``case_list`` has no parameter for, applied to the scoped queryset it returns: the
        colour the deadline sweep wrote (``warn_level``) or escalated one level up at least once in the
        running stage (``escalated_to``); the source; the month the case was reported in."""
        warn = (self.cleaned_data.get("warn") if self.is_valid() else "") or ""
        q = WARN_FILTERS.get(warn, Q())
        source = (self.cleaned_data.get("source") if self.is_valid() else "") or ""
        if source:
            q &= Q(source=source)
        month = (self.cleaned_data.get("month") if self.is_valid() else "") or ""
        if month:
            start, end = period_bounds(month)
            q &= Q(created_at__gte=start, created_at__lt=end)
        return q


WARN_FILTERS = {
    "yellow": Q(warn_level=WarnLevel.YELLOW),
    "red": Q(warn_level=WarnLevel.RED),
    "escalated": Q(escalated_to__isnull=False),
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


class ArbitrateForm(DispatchForm):
    """The level above decides who owns a twice-returned case (lead, assisting, notify, why)."""

    note = None
    reason = _reason(False)


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
    "arbitrate": ArbitrateForm,
    "accept": ActionForm,
    "return": ReasonForm,
    "refer": ReasonForm,
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


# --- oversight and the whistle: each form's cleaned data are its service's keyword arguments ------


class OversightForm(forms.Form):
    """Supervise (督办) or chase (催办): what the level above expects of the owner."""

    note = _reason(True, _("What you expect of the owner"))


SCORE_CHOICES = [(str(n), str(n)) for n in range(5, 0, -1)]


def _org_choices(orgs: list[Organisation]) -> list[tuple[int, str]]:
    return [(o.pk, f"{o.name} · {o.jurisdiction.name}") for o in orgs]


class WhistleBlowForm(forms.Form):
    """Blow the whistle on one case: kind, why, what for, and whom to summon in which role."""

    kind = forms.ChoiceField(label=_("Kind of whistle"), choices=WhistleKind.choices)
    reason = forms.ChoiceField(label=_("Why the street whistles"), choices=WhistleReason.choices)
    description = forms.CharField(
        label=_("What the departments are summoned for"),
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 4000}),
    )
    lead = forms.TypedChoiceField(
        label=_("Lead department (主办)"), coerce=int, required=False, empty_value=None
    )
    assisting = forms.TypedMultipleChoiceField(label=_("Assisting (协办)"), coerce=int, required=False)
    notify = forms.TypedMultipleChoiceField(label=_("Notify only (知会)"), coerce=int, required=False)
    joint_streets = forms.TypedMultipleChoiceField(
        label=_("Also bring in these streets (optional)"), coerce=int, required=False
    )

    def __init__(self, *args: Any, case: Case, orgs: list[Organisation], streets: list, **kwargs: Any):
        super().__init__(*args, **kwargs)
        choices = _org_choices(orgs)
        self.fields["lead"].choices = [("", "—"), *choices]
        self.fields["assisting"].choices = self.fields["notify"].choices = choices
        if streets:
            self.fields["joint_streets"].choices = [(s.pk, s.name) for s in streets]
        else:
            del self.fields["joint_streets"]  # every other street is already across the boundary
        for name in ("assisting", "notify", "joint_streets"):
            if name in self.fields:
                self.fields[name].widget.attrs["size"] = min(len(self.fields[name].choices), 5) or 1
        self.fields["lead"].initial = case.lead_org_id or case.suggested_org_id

    def params(self) -> dict[str, Any]:
        d = self.cleaned_data
        named = [(d.get("lead"), AssignmentRole.LEAD)] if d.get("lead") else []
        named += [(pk, AssignmentRole.ASSIST) for pk in d.get("assisting") or []]
        named += [(pk, AssignmentRole.NOTIFY) for pk in d.get("notify") or []]
        return {
            "kind": d["kind"],
            "reason": d["reason"],
            "description": d["description"],
            "summons": [{"organisation": pk, "role": role} for pk, role in named],
            "joint_streets": d.get("joint_streets") or [],
        }


class SummonForm(forms.Form):
    organisation = forms.TypedChoiceField(label=_("Organisation"), coerce=int)
    role = forms.ChoiceField(label=_("Role"), choices=AssignmentRole.choices)

    def __init__(self, *args: Any, orgs: list[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = _org_choices(orgs)


class JoinForm(forms.Form):
    street = forms.TypedChoiceField(label=_("Street"), coerce=int)

    def __init__(self, *args: Any, streets: list[Jurisdiction], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["street"].choices = [(s.pk, s.name) for s in streets if s.kind == Kind.STREET]


class WhistleNoteForm(forms.Form):
    """Confirm done or record an action: a required note."""

    note = _reason(True, _("Note"))


class WhistleCancelForm(forms.Form):
    reason = _reason(True)


class CheckInForm(forms.Form):
    """Where the department stands now; the browser fills it in, the service validates it."""

    lat = forms.CharField(label=_("Latitude"), max_length=32)
    lng = forms.CharField(label=_("Longitude"), max_length=32)


class WhistleRateForm(forms.Form):
    on_time_report = forms.ChoiceField(label=_("Reported on time"), choices=SCORE_CHOICES)
    problem_solved = forms.ChoiceField(label=_("Problem solved"), choices=SCORE_CHOICES)
    attitude = forms.ChoiceField(label=_("Attitude"), choices=SCORE_CHOICES)
    comment = forms.CharField(
        label=_("Comment (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
