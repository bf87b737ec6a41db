"""Pages of party (included into the "web" namespace by chuishao.web.urls)."""

from django.urls import path  # noqa: F401

from chuishao.web.views import party_boards, party_coverage

urlpatterns: list = [
    # Party organisation coverage (空白点) and a party organisation's people.
    path("party/coverage/", party_coverage.coverage_page, name="party_coverage"),
    path("party/coverage/<str:code>/", party_coverage.coverage_page, name="party_coverage_node"),
    path("party/orgs/<int:pk>/", party_coverage.party_org_page, name="party_org"),
    path("party/orgs/<int:pk>/members/add/", party_coverage.party_member_add_view, name="party_member_add"),
    path("party/members/<int:pk>/end/", party_coverage.party_member_end_view, name="party_member_end"),
    path("party/coverage/<str:code>/found/", party_coverage.party_org_found_view, name="party_org_found"),
    path("party/orgs/<int:pk>/dissolve/", party_coverage.party_org_dissolve_view, name="party_org_dissolve"),
    # Red property (红色物业): a complex's board, its seats, joint meetings and decisions.
    path("party/boards/", party_boards.board_list_page, name="party_boards"),
    path("party/boards/<str:code>/", party_boards.board_page, name="party_board"),
    path("party/boards/<str:code>/seats/add/", party_boards.seat_add, name="party_board_seat_add"),
    path("party/boards/<str:code>/seats/<int:pk>/end/", party_boards.seat_end, name="party_board_seat_end"),
    path("party/boards/<str:code>/meetings/add/", party_boards.meeting_add, name="party_board_meeting_add"),
    path(
        "party/boards/<str:code>/decisions/<int:pk>/done/",
        party_boards.decision_done,
        name="party_board_decision_done",
    ),
]
