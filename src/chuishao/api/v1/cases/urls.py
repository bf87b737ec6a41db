"""REST API v1: cases — list and intake, one case, its actions, the reporter's rating, its photos."""

from django.urls import path

from chuishao.api.v1.cases import actions, views

urlpatterns = [
    path("cases/", views.CaseCollectionView.as_view(), name="case-list"),
    path("cases/<str:number>/", views.CaseDetailView.as_view(), name="case-detail"),
    path("cases/<str:number>/rating/", views.CaseRatingView.as_view(), name="case-rating"),
    path("cases/<str:number>/media/<int:media_id>/", views.CaseMediaView.as_view(), name="case-media"),
    *[
        path(
            f"cases/<str:number>/actions/{action}/", actions.action_view(action), name=f"case-action-{action}"
        )
        for action in actions.WHAT
    ],
    path("cases/<str:number>/actions/<str:action>/", actions.unknown_action_view, name="case-action-unknown"),
]
