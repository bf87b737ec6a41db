"""REST API v1: the evaluation (考核) read from the rollup tables."""

from django.urls import path

from chuishao.api.v1.evaluation import views

urlpatterns = [
    path("evaluation/indicators/", views.IndicatorsView.as_view(), name="evaluation-indicators"),
    path("evaluation/trend/", views.TrendView.as_view(), name="evaluation-trend"),
    path("evaluation/export/", views.ExportView.as_view(), name="evaluation-export"),
]
