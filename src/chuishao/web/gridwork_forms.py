"""Forms of the grid-work pages. They parse what people type; the grid-work services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from chuishao.geo.models import Jurisdiction
from chuishao.gridwork.models import VisitKind
from chuishao.orgs.models import Organisation, OrgKind


class _Named(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        from chuishao.web.templatetags.web_tags import local

        return local(obj)


class VisitForm(forms.Form):
    grid = _Named(label=_("Grid"), queryset=Jurisdiction.objects.none())
    kind = forms.ChoiceField(label=_("Kind of visit"), choices=VisitKind.choices, initial=VisitKind.HOUSEHOLD)
    household = forms.CharField(label=_("Household (building, unit, room)"), max_length=120, required=False)
    unit = _Named(label=_("Unit visited"), queryset=Organisation.objects.none(), required=False)
    person_name = forms.CharField(label=_("Person met"), max_length=60, required=False)
    person_phone = forms.CharField(label=_("Their phone"), max_length=20, required=False)
    discussed = forms.CharField(
        label=_("What was discussed"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    follow_up = forms.BooleanField(label=_("Follow-up needed"), required=False)
    follow_up_note = forms.CharField(
        label=_("Follow-up"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, grids: list[Jurisdiction], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "visit_%s")
        super().__init__(*args, **kwargs)
        self.fields["grid"].queryset = Jurisdiction.objects.filter(pk__in=[g.pk for g in grids]).order_by(
            "code"
        )
        if grids:
            self.fields["grid"].initial = grids[0].pk
        near = Q(pk__in=[])
        for g in grids:
            near |= Q(jurisdiction_id__in=[g.pk, g.community_id, g.street_id])
        self.fields["unit"].queryset = Organisation.objects.filter(near, kind=OrgKind.UNIT).order_by("code")


class PatrolEndForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=500, required=False)
