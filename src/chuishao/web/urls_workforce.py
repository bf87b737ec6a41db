"""Pages of workforce (included into the "web" namespace by chuishao.web.urls)."""

from django.urls import path

from chuishao.web.views import workforce

urlpatterns: list = [
    path("workers/", workforce.roster_page, name="workforce_home"),
    path("workers/<str:code>/", workforce.roster_page, name="workforce_roster"),
    path("workers/<str:code>/hire/", workforce.roster_hire, name="workforce_hire"),
    path("workers/<str:code>/<int:pk>/<slug:action>/", workforce.worker_act, name="workforce_act"),
    path("worker/<int:pk>/", workforce.worker_page, name="workforce_worker"),
    path("admissions/", workforce.admissions_page, name="admissions"),
    path("admissions/new/", workforce.admission_new, name="admission_new"),
    path("admissions/<int:pk>/<slug:action>/", workforce.admission_act, name="admission_act"),
    path("reports/", workforce.reports_page, name="reports"),
    path("reports/community/", workforce.community_report_page, name="report_community"),
    path("reports/community/<str:code>/", workforce.community_report_page, name="report_community_node"),
]
