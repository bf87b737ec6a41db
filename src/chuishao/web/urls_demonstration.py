"""Pages of demonstration (included into the "web" namespace by chuishao.web.urls)."""

from django.urls import path

from chuishao.web.views import demonstration as views

urlpatterns: list = [
    path("demonstration/", views.programme_list, name="demonstration"),
    path("demonstration/<int:pk>/", views.programme_page, name="demonstration_programme"),
    path("demonstration/<int:pk>/name/", views.unit_name_view, name="demonstration_unit_name"),
    path("demonstration/<int:pk>/quota/", views.quota_view, name="demonstration_quota"),
    path("demonstration/<int:pk>/units/<int:unit_pk>/", views.unit_page, name="demonstration_unit"),
    path("demonstration/<int:pk>/review/", views.review_run_view, name="demonstration_review_run"),
    path("demonstration/<int:pk>/review/<int:year>/", views.review_page, name="demonstration_review"),
    path(
        "demonstration/<int:pk>/reviews/<int:review_pk>/decide/",
        views.review_decide_view,
        name="demonstration_review_decide",
    ),
]
