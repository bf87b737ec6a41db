"""Pages of gridwork (included into the "web" namespace by chuishao.web.urls)."""

from django.urls import path

from chuishao.web.views import gridwork

urlpatterns: list = [
    path("grid/patrol/start/", gridwork.patrol_start_view, name="patrol_start"),
    path("grid/patrol/end/", gridwork.patrol_end_view, name="patrol_end"),
    path("grid/patrol/track/", gridwork.patrol_track_view, name="patrol_track"),
    path("grid/visits/new/", gridwork.visit_new, name="visit_new"),
    path("visits/", gridwork.visits_page, name="visits"),
    path("coverage/patrols/", gridwork.coverage_page, name="patrol_coverage"),
]
