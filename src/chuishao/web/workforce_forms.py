"""Forms of the community-worker and admission pages. They parse what people type; the workforce
services decide (bands, dates, who may)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from chuishao.geo.models import Jurisdiction
from chuishao.orgs.models import Organisation
from chuishao.web.serve_forms import NamedChoice
from chuishao.workforce.models import Frequency, ItemKind, Post


class _Prefixed(forms.Form):
    """Several forms share a page: each form's ids carry its own prefix."""

    id_prefix = "f"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class HireForm(_Prefixed):
    id_prefix = "hire"
    community = NamedChoice(label=_("Community"), queryset=Jurisdiction.objects.none())
    name = forms.CharField(label=pgettext_lazy("a person", "Name"), max_length=60)
    position = forms.CharField(label=_("Position title"), max_length=60, required=False)
    post = forms.ChoiceField(label=pgettext_lazy("community worker post", "Post"), choices=Post.choices)
    grade = forms.IntegerField(label=_("Grade"), min_value=1, max_value=18)
    started_on = forms.DateField(
        label=_("Started community work on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    grade_since = forms.DateField(
        label=_("On this grade since"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, communities: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if communities is not None:
            self.fields["community"].queryset = communities


class ChangeForm(_Prefixed):
    """One form for the three changes of a worker: post, grade adjustment, leaving."""

    id_prefix = "change"
    post = forms.ChoiceField(
        label=pgettext_lazy("community worker post", "Post"), choices=Post.choices, required=False
    )
    grade = forms.IntegerField(label=_("Grade"), min_value=1, max_value=18, required=False)
    effective_on = forms.DateField(
        label=_("Effective on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class AdmissionForm(_Prefixed):
    id_prefix = "adm"
    scope = NamedChoice(label=_("Communities under"), queryset=Jurisdiction.objects.none())
    org = NamedChoice(label=_("On behalf of"), queryset=Organisation.objects.none(), required=False)
    kind = forms.ChoiceField(label=_("What is pushed down"), choices=ItemKind.choices)
    title = forms.CharField(label=_("Title"), max_length=120)
    basis = forms.CharField(label=_("Basis (the law, regulation or decision behind it)"), max_length=200)
    frequency = forms.ChoiceField(label=_("How often"), choices=Frequency.choices)
    starts_on = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, scopes: Any = None, orgs: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if scopes is not None:
            self.fields["scope"].queryset = scopes
        if orgs is not None:
            self.fields["org"].queryset = orgs
        if not self.fields["org"].queryset.exists():
            del self.fields["org"]
