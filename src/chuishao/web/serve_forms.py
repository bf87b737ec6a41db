"""Forms of the dual-reporting pages (双报到). They parse what people type; the engagement services decide."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from chuishao.engagement.models import (
    Grade,
    Need,
    NeedKind,
    NeedStatus,
    Resource,
    ServiceCentre,
    ServicePost,
)
from chuishao.geo.models import Jurisdiction
from chuishao.orgs.models import Organisation, OrgKind


def _local_name(obj: Any) -> str:
    english = (get_language() or "").startswith("en")
    return obj.name_en if english and getattr(obj, "name_en", "") else obj.name


class NamedChoice(forms.ModelChoiceField):
    """Choices named in the page's language (``name_en`` in English when there is one)."""

    def label_from_instance(self, obj: Any) -> str:
        return _local_name(obj)


class PostsChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return _local_name(obj)


class _Ids:
    """Several forms share a page: each form's ids start with its own prefix (``task_title`` …)."""

    ids = "id_%s"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", self.ids)
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]


def _posts() -> Any:
    return ServicePost.objects.filter(active=True)


class RegisterForm(forms.Form):
    community = NamedChoice(
        label=_("The community where you live"), queryset=Jurisdiction.objects.filter(kind="community")
    )
    unit = NamedChoice(
        label=_("The unit you work for"), queryset=Organisation.objects.filter(kind=OrgKind.UNIT)
    )
    posts = PostsChoice(
        label=_("The service posts you take"), queryset=_posts(), widget=forms.CheckboxSelectMultiple
    )


class WishForm(forms.Form):
    community = NamedChoice(label=_("Your community"), queryset=Jurisdiction.objects.filter(kind="community"))
    title = forms.CharField(label=_("Your small wish"), max_length=120)
    description = forms.CharField(
        label=_("More about it"), required=False, widget=forms.Textarea(attrs={"rows": 3, "maxlength": 2000})
    )


class NeedForm(_Ids, forms.Form):
    ids = "need_%s"
    kind = forms.ChoiceField(label=_("Kind"), choices=NeedKind.choices, initial=NeedKind.NEED)
    title = forms.CharField(label=_("What is needed"), max_length=120)
    description = forms.CharField(
        label=_("Details"), required=False, widget=forms.Textarea(attrs={"rows": 3, "maxlength": 2000})
    )
    post = NamedChoice(label=_("Service post"), queryset=_posts(), required=False)


class _When(forms.Form):
    day = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}))
    start = forms.TimeField(label=_("From"), widget=forms.TimeInput(attrs={"type": "time"}))
    end = forms.TimeField(label=_("To"), widget=forms.TimeInput(attrs={"type": "time"}))
    capacity = forms.IntegerField(label=_("Places"), min_value=1, max_value=500, initial=5)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if {"day", "start", "end"} <= data.keys():
            tz = timezone.get_current_timezone()
            data["starts_at"] = timezone.make_aware(dt.datetime.combine(data["day"], data["start"]), tz)
            data["ends_at"] = timezone.make_aware(dt.datetime.combine(data["day"], data["end"]), tz)
            if data["ends_at"] <= data["starts_at"]:
                self.add_error("end", _("The task ends after it starts."))
        return data


class TaskForm(_Ids, _When):
    ids = "task_%s"
    title = forms.CharField(label=_("Task"), max_length=120)
    post = NamedChoice(label=_("Service post"), queryset=_posts())
    place = forms.CharField(label=_("Where"), max_length=200)
    description = forms.CharField(
        label=_("What to do"), required=False, widget=forms.Textarea(attrs={"rows": 2, "maxlength": 2000})
    )
    need = forms.ModelChoiceField(label=_("For the need"), queryset=Need.objects.none(), required=False)
    centre = forms.ModelChoiceField(
        label=_("At the service centre"), queryset=ServiceCentre.objects.none(), required=False
    )
    field_order = [
        "title",
        "post",
        "need",
        "day",
        "start",
        "end",
        "capacity",
        "place",
        "centre",
        "description",
    ]

    def __init__(self, *args: Any, node: Jurisdiction, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["need"].queryset = Need.objects.filter(node=node, status=NeedStatus.OPEN)
        self.fields["centre"].queryset = ServiceCentre.objects.filter(node_id__in=[node.pk, node.street_id])


class VolunteerForm(_When):
    """Turn a light case into volunteer work."""

    title = forms.CharField(label=_("Task"), max_length=120)
    post = NamedChoice(label=_("Service post"), queryset=_posts())
    place = forms.CharField(label=_("Where"), max_length=200, required=False)
    field_order = ["title", "post", "day", "start", "end", "capacity", "place"]


class ProjectForm(_Ids, forms.Form):
    ids = "project_%s"
    title = forms.CharField(label=_("Project"), max_length=120)
    goal = forms.CharField(label=_("Goal"), widget=forms.Textarea(attrs={"rows": 2, "maxlength": 2000}))
    owner = NamedChoice(label=_("Unit in charge"), queryset=Organisation.objects.none())
    need = forms.ModelChoiceField(label=_("Meets the need"), queryset=Need.objects.none(), required=False)
    resource = forms.ModelChoiceField(
        label=_("With the resource"), queryset=Resource.objects.none(), required=False
    )
    starts_on = forms.DateField(label=_("Starts"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("Ends"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, node: Jurisdiction, units: Any, resources: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = units
        self.fields["need"].queryset = Need.objects.filter(node=node, status=NeedStatus.OPEN)
        self.fields["resource"].queryset = resources


class ConfirmForm(forms.Form):
    hours = forms.DecimalField(label=_("Hours"), required=False, min_value=0, max_digits=5, decimal_places=2)
    note = forms.CharField(label=_("Note"), required=False, max_length=1000)


class ReasonForm(forms.Form):
    note = forms.CharField(label=_("Reason"), required=False, max_length=1000)


class EvaluateForm(forms.Form):
    grade = forms.ChoiceField(label=_("Evaluation"), choices=Grade.choices)
    note = forms.CharField(label=_("Note"), required=False, max_length=1000)


class ResourceForm(_Ids, forms.Form):
    ids = "resource_%s"
    node = NamedChoice(label=_("Offered to"), queryset=Jurisdiction.objects.none())
    title = forms.CharField(label=_("What the unit offers"), max_length=120)
    capacity = forms.IntegerField(label=_("How much (people, places or sessions)"), min_value=1)
    post = NamedChoice(label=_("Service post"), queryset=_posts(), required=False)
    description = forms.CharField(
        label=_("Details"), required=False, widget=forms.Textarea(attrs={"rows": 2, "maxlength": 2000})
    )

    def __init__(self, *args: Any, nodes: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["node"].queryset = nodes


class UnitRegisterForm(_Ids, forms.Form):
    ids = "unitreg_%s"
    node = NamedChoice(label=_("Register with"), queryset=Jurisdiction.objects.none())
    posts = PostsChoice(
        label=_("Service posts the unit takes"),
        queryset=_posts(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args: Any, unit: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The street where the unit sits and its communities.
        where = unit.jurisdiction
        street_id = where.pk if where.kind == "street" else where.street_id
        self.fields["node"].queryset = Jurisdiction.objects.filter(
            Q(pk=street_id) | Q(street_id=street_id, kind="community")
        ).order_by("kind", "code")


class RosterForm(_Ids, forms.Form):
    ids = "roster_%s"
    username = forms.CharField(label=_("Member's account name"), max_length=150)
