"""Pages of party (included into the "web" namespace by chuishao.web.urls)."""

from django.urls import path  # noqa: F401

from chuishao.web.views import party_coverage

urlpatterns: list = [
    # Party organisation coverage (空白点) and a party organisation's people.
    path("party/coverage/", party_coverage.coverage_page, name="party_coverage"),
    path("party/coverage/<str:code>/", party_coverage.coverage_page, name="party_coverage_node"),
    path("party/orgs/<int:pk>/", party_coverage.party_org_page, name="party_org"),
    path("party/orgs/<int:pk>/members/add/", party_coverage.party_member_add_view, name="party_member_add"),
    path("party/members/<int:pk>/end/", party_coverage.party_member_end_view, name="party_member_end"),
]
