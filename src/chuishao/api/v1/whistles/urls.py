"""REST API v1: whistles (吹哨) and the summoned organisations' reports (报到)."""

from django.urls import path

from chuishao.api.v1.whistles import summons, views

urlpatterns = [
    path("whistles/", views.WhistleCollectionView.as_view(), name="whistle-list"),
    path("whistles/<int:pk>/", views.WhistleDetailView.as_view(), name="whistle-detail"),
    *[
        path(f"whistles/<int:pk>/{action}/", views.action_view(action), name=f"whistle-{action}")
        for action in views.ACTIONS
    ],
    path("summons/", summons.SummonsInboxView.as_view(), name="summons-inbox"),
    *[
        path(f"summons/<int:pk>/{action}/", summons.action_view(action), name=f"summons-{action}")
        for action in summons.ACTIONS
    ],
]
