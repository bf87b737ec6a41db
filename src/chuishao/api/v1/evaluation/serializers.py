"""Shapes of the evaluation API, built from ``evaluation.definitions`` so that every count and rate the
rollup keeps is a documented property (and a new one appears in the schema by itself)."""

from __future__ import annotations

import re

from django.utils import timezone
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from chuishao import clock
from chuishao.api.v1.common import MAX_ID, NamedChoiceField, NodeSerializer
from chuishao.evaluation.definitions import COUNTS, RATES, UNIT_KINDS, UNIT_LABELS

PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
UNIT_CHOICES = [(k, str(UNIT_LABELS[k])) for k in UNIT_KINDS]
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

CountsSerializer = extend_schema_serializer(component_name="EvaluationCounts")(
    type(
        "CountsSerializer",
        (serializers.Serializer,),
        {c.name: serializers.IntegerField(min_value=0, help_text=c.definition) for c in COUNTS},
    )
)
RatesSerializer = extend_schema_serializer(component_name="EvaluationRates")(
    type(
        "RatesSerializer",
        (serializers.Serializer,),
        {
            r.name: serializers.FloatField(
                allow_null=True, help_text=f"{r.definition} (per cent; null without a denominator)"
            )
            for r in RATES
        },
    )
)


def unit_kind_field(**kwargs: object) -> NamedChoiceField:
    return NamedChoiceField(enum_name="EvaluationUnitKindEnum", choices=UNIT_CHOICES, **kwargs)


@extend_schema_serializer(component_name="EvaluationRow")
class IndicatorRowSerializer(serializers.Serializer):
    unit_kind = unit_kind_field()
    unit_id = serializers.IntegerField(
        help_text="A jurisdiction id (grid … city), an organisation id (department) or a user id "
        "(grid worker)."
    )
    unit_name = serializers.CharField(allow_blank=True)
    period = serializers.CharField(help_text="The month, `YYYY-MM`.")
    counts = CountsSerializer()
    rates = RatesSerializer()
    composite = serializers.FloatField(allow_null=True, help_text="Weighted composite, 0–100.")
    grade = serializers.CharField(allow_null=True, help_text="A–E from the composite.")
    rank = serializers.IntegerField(allow_null=True, help_text="City-wide rank among units of the kind.")
    whistle_band = serializers.CharField(
        allow_null=True, help_text="`low` / `ok` / `high`: whistles per 100 filed against the city's band."
    )


@extend_schema_serializer(component_name="EvaluationIndicators")
class IndicatorsSerializer(serializers.Serializer):
    period = serializers.CharField()
    unit_kind = unit_kind_field()
    city = NodeSerializer(allow_null=True)
    rows = IndicatorRowSerializer(many=True, help_text="Best first; only units within the caller's reach.")


@extend_schema_serializer(component_name="EvaluationTrend")
class TrendSerializer(serializers.Serializer):
    unit_kind = unit_kind_field()
    unit_id = serializers.IntegerField()
    unit_name = serializers.CharField(allow_blank=True)
    rows = IndicatorRowSerializer(many=True, help_text="One row per month, oldest first (zeros where none).")


def current_period() -> str:
    return f"{timezone.localtime(clock.now()):%Y-%m}"


class PeriodField(serializers.RegexField):
    default_error_messages = {"invalid": "Give the month as YYYY-MM, e.g. 2026-03."}

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", "The month, `YYYY-MM` (default: this month).")
        super().__init__(PERIOD.pattern, max_length=7, **kwargs)


class IndicatorsQuery(serializers.Serializer):
    period = PeriodField()
    unit = serializers.ChoiceField(
        choices=UNIT_CHOICES, required=False, default="street", help_text="Unit kind."
    )


class ExportQuery(IndicatorsQuery):
    format = serializers.ChoiceField(choices=list(FORMATS), required=False, default="csv")


class TrendQuery(serializers.Serializer):
    unit_kind = serializers.ChoiceField(choices=UNIT_CHOICES)
    unit = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="The unit's id (`unit_id`).")
    months = serializers.IntegerField(min_value=1, max_value=36, required=False, default=12)
    period = PeriodField(help_text="The last month of the trend, `YYYY-MM` (default: this month).")
