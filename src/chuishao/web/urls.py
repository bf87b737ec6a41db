"""Pages for people: residents report and follow, staff work their cases."""

from django.urls import path

from chuishao.web.views import accounts, cases, inbox, public, whistles

app_name = "web"
urlpatterns = [
    path("", accounts.home, name="home"),
    path("login/", accounts.LoginView.as_view(), name="login"),
    path("logout/", accounts.LogoutView.as_view(), name="logout"),
    path("cases/", cases.case_list_page, name="case_list"),
    path("cases/<int:pk>/", cases.case_page, name="case_detail"),
    path("cases/<int:pk>/act/<slug:action>/", cases.case_act_page, name="case_act"),
    path("cases/<int:pk>/oversee/<slug:action>/", cases.case_oversee_page, name="case_oversee"),
    path("cases/<int:pk>/whistle/", whistles.whistle_blow_page, name="case_whistle"),
    path("whistles/", whistles.whistle_list_page, name="whistle_list"),
    path("whistles/<int:pk>/", whistles.whistle_page, name="whistle_detail"),
    path("whistles/<int:pk>/act/<slug:action>/", whistles.whistle_act_page, name="whistle_act"),
    path("summons/", whistles.summons_inbox_page, name="summons_inbox"),
    path("summons/<int:pk>/<slug:action>/", whistles.summons_act_page, name="summons_act"),
    path("media/<int:pk>/", cases.case_media, name="media"),
    path("report/", public.report, name="report"),
    path("report/nearby/", public.report_nearby, name="report_nearby"),
    path("report/questions/", public.report_questions, name="report_questions"),
    path("geo/grids.geojson", public.grids_geojson, name="grids_geojson"),
    path("follow/<str:number>/<str:token>/", public.follow, name="follow"),
    path("follow/<str:number>/<str:token>/rate/", public.follow_rate, name="follow_rate"),
    path("follow/<str:number>/<str:token>/media/<int:pk>/", public.follow_media, name="follow_media"),
    path("my/", public.my_reports, name="my_reports"),
    path("notifications/", inbox.notifications_page, name="notifications"),
    path("notifications/read/", inbox.notifications_read, name="notifications_read"),
    path("evaluation/", inbox.evaluation_page, name="evaluation"),
]
