"""Pages of activities (included into the "web" namespace by chuishao.web.urls)."""

from django.urls import path

from chuishao.web.views import activities as v

urlpatterns: list = [
    path("activities/", v.my_page, name="activities_mine"),
    path("activities/organise/", v.organise_page, name="activities_organise"),
    path("activities/reports/", v.reports_page, name="activities_reports"),
    path("activities/reports/org/<int:pk>/", v.org_report_page, name="activities_report_org"),
    path("activities/reports/node/<str:code>/", v.node_report_page, name="activities_report_node"),
    path("activities/<int:pk>/", v.activity_page, name="activity"),
    path("activities/<int:pk>/qr/", v.qr_page, name="activity_qr"),
    path("activities/<int:pk>/check-in/", v.check_in_view, name="activity_check_in"),
    path("activities/<int:pk>/sign-up/", v.signup_view, name="activity_signup"),
    path("activities/<int:pk>/sign-up/cancel/", v.signup_cancel_view, name="activity_signup_cancel"),
    path("activities/<int:pk>/leave/", v.leave_view, name="activity_leave"),
    path("activities/<int:pk>/mark/", v.mark_view, name="activity_mark"),
    path("activities/<int:pk>/close/", v.close_view, name="activity_close"),
    path("activities/<int:pk>/cancel/", v.cancel_view, name="activity_cancel"),
    path("activities/<int:pk>/figures/", v.figure_view, name="activity_figure"),
]
