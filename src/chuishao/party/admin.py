"""Admin pages of the party app."""

from __future__ import annotations

from django.contrib import admin

from chuishao.events.admin_bases import ReadOnlyAdmin
from chuishao.party.models import BoardSeat, JointMeeting, MeetingDecision, PartyMember

# ------------------------------------------------------------------------ members of party organisations


@admin.register(PartyMember)
class PartyMemberAdmin(ReadOnlyAdmin):
    """Read-only: secretaries and members are added and ended through ``party.members`` (each with its
    event) on the party organisation's page, never edited or deleted here."""

    list_display = ("name", "role", "party_org", "since", "until", "person")
    list_filter = ("role", ("until", admin.EmptyFieldListFilter))
    search_fields = ("name", "party_org__name", "party_org__code", "person__username")
    list_select_related = ("party_org", "person")
    raw_id_fields = ("party_org", "person")


# ------------------------------------------------------------------------ red property (红色物业)


class _ReadOnly(ReadOnlyAdmin):
    """Read-only: boards' seats, meetings and decisions are written through ``party.boards`` (each with
    its event) on the board's page, never edited or deleted here."""


@admin.register(BoardSeat)
class BoardSeatAdmin(_ReadOnly):
    list_display = ("display_name", "body", "position", "cross_body", "board", "started_on", "ended_on")
    list_filter = ("body", "cross_body", ("ended_on", admin.EmptyFieldListFilter))
    search_fields = ("display_name", "board__name", "board__code", "person__username")
    list_select_related = ("board", "person")
    raw_id_fields = ("board", "body_org", "person")


@admin.register(JointMeeting)
class JointMeetingAdmin(_ReadOnly):
    list_display = ("board", "held_at", "place")
    search_fields = ("board__name", "board__code", "agenda")
    list_select_related = ("board",)
    raw_id_fields = ("board", "recorded_by")
    date_hierarchy = "held_at"


@admin.register(MeetingDecision)
class MeetingDecisionAdmin(_ReadOnly):
    list_display = ("text", "meeting", "case", "owner", "due_on", "done")
    list_filter = ("done",)
    search_fields = ("text", "case__number")
    list_select_related = ("meeting", "meeting__board", "case", "owner")
    raw_id_fields = ("meeting", "case", "owner")
