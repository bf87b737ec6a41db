"""How to fill each route's URL arguments, for an object inside the actor's scope (side A) or outside it
(side B). A spec names an object of the side (``case.pk``, ``whistle``, ``community``…); ``=x`` is a
literal; ``unknown`` is an id no object has (the route's objects are not seeded: only refusal is shown)."""

from __future__ import annotations

CASE = {"pk": "case"}
NUMBER = {"number": "case.number"}
# Outside: the other case's number with the inside case's token (a follow link is its own key).
FOLLOW = {"number": "case.number", "token": "a:case.follow_token"}

ARGS: dict[str, dict[str, str]] = {
    "web:case_detail": CASE,
    "web:case_act": {**CASE, "action": "=verify"},
    "web:case_oversee": {**CASE, "action": "=supervise"},
    "web:case_whistle": CASE,
    "web:case_volunteer": CASE,
    "web:whistle_detail": {"pk": "whistle"},
    "web:whistle_act": {"pk": "whistle", "action": "=confirm_done"},
    "web:summons_act": {"pk": "summons", "action": "=acknowledge"},
    "web:media": {"pk": "media"},
    "web:follow": FOLLOW,
    "web:follow_rate": FOLLOW,
    "web:follow_media": {**FOLLOW, "pk": "media"},
    "web:follow_data": FOLLOW,
    "web:follow_export": FOLLOW,
    "web:follow_erase": FOLLOW,
    "web:serve_registration_end": {"pk": "serve_registration"},
    "web:serve_claim": {"pk": "serve_task"},
    "web:serve_claim_act": {"pk": "serve_claim", "action": "=withdraw"},
    "web:serve_calendar": {"code": "community"},
    "web:serve_community": {"code": "community"},
    "web:serve_community_post": {"code": "community", "what": "=resource"},
    "web:serve_community_act": {
        "code": "community",
        "kind": "=task",
        "pk": "serve_task",
        "action": "=cancel",
    },
    "web:serve_unit": {"pk": "org"},
    "web:serve_unit_post": {"pk": "org", "what": "=resource"},
    "web:serve_unit_report": {"pk": "org"},
    "web:party_coverage_node": {"code": "street"},
    "web:party_org": {"pk": "partyorg"},
    "web:party_member_add": {"pk": "partyorg"},
    "web:party_member_end": {"pk": "party_member"},
    "web:party_org_found": {"code": "community"},
    "web:party_org_dissolve": {"pk": "partyorg"},
    "web:party_board": {"code": "complex"},
    "web:party_board_seat_add": {"code": "complex"},
    "web:party_board_seat_end": {"code": "complex", "pk": "board_seat"},
    "web:party_board_meeting_add": {"code": "complex"},
    "web:party_board_decision_done": {"code": "complex", "pk": "board_decision"},
    "web:workforce_roster": {"code": "community"},
    "web:workforce_hire": {"code": "community"},
    "web:workforce_act": {"code": "community", "pk": "worker", "action": "=leave"},
    "web:workforce_worker": {"pk": "worker"},
    "web:admission_act": {"pk": "admission", "action": "=admit"},
    "web:report_community_node": {"code": "community"},
    # An organisation that holds activities (a party organisation; a unit holds none: always not found).
    "web:activities_report_org": {"pk": "partyorg"},
    "web:activities_report_node": {"code": "community"},
    **{
        f"web:activity{suffix}": {"pk": "activity"}
        for suffix in (
            "",
            "_qr",
            "_check_in",
            "_signup",
            "_signup_cancel",
            "_leave",
            "_mark",
            "_close",
            "_cancel",
        )
    },
    "web:activity_figure": {"pk": "activity"},
    "web:campaign": {"pk": "campaign"},
    "web:campaign_step": {"pk": "campaign", "step": "=open"},
    "web:campaign_reviewer_add": {"pk": "campaign"},
    "web:campaign_exemplars": {"pk": "campaign"},
    "web:campaign_recommend": {"pk": "campaign"},
    "web:campaign_review": {"pk": "campaign"},
    "web:campaign_score": {"pk": "campaign", "cand": "candidate"},
    "web:campaign_conflict": {"pk": "campaign", "cand": "candidate"},
    "web:campaign_object": {"pk": "campaign"},
    # The objection lodged during the second campaign's public notice.
    "web:campaign_answer": {"pk": "notice_campaign", "oid": "objection"},
    "web:campaign_audit": {"pk": "campaign"},
    "web:campaign_attachment": {"pk": "campaign", "aid": "candidate_photo"},
    **{
        f"web:library_{suffix}": {"pk": "exemplar"}
        for suffix in (
            "exemplar",
            "edit",
            "submit",
            "withdraw",
            "photos_add",
            "publish",
            "return",
            "unpublish",
        )
    },
    "web:library_photo": {"pk": "exemplar_photo"},
    "web:library_photo_remove": {"pk": "exemplar", "attachment": "exemplar_photo"},
    "web:demonstration_programme": {"pk": "programme"},
    "web:demonstration_unit_name": {"pk": "programme"},
    "web:demonstration_quota": {"pk": "programme"},
    "web:demonstration_unit": {"pk": "programme", "unit_pk": "demo_unit"},
    "web:demonstration_review_run": {"pk": "programme"},
    "web:demonstration_review": {"pk": "programme", "year": "demo_year"},
    "web:demonstration_review_decide": {"pk": "programme", "review_pk": "demo_review"},
    "web:monthly_candidate": {"key": "monthly_key"},
    "web:monthly_take_on": {"key": "monthly_key"},
    "web:monthly_problem": {"pk": "problem"},
    "web:monthly_task_add": {"pk": "problem"},
    "web:monthly_task_done": {"pk": "problem", "task": "monthly_task"},
    "security:totp_reset": {"pk": "totp_person"},
    "v1:case-detail": NUMBER,
    "v1:case-rating": NUMBER,
    "v1:case-media": {**NUMBER, "media_id": "media"},
    "v1:case-action-unknown": {**NUMBER, "action": "=fly"},
    "v1:whistle-detail": {"pk": "whistle"},
    **{
        f"v1:whistle-{verb}": {"pk": "whistle"}
        for verb in ("join", "summon", "confirm_done", "cancel", "rate")
    },
    **{f"v1:summons-{verb}": {"pk": "summons"} for verb in ("acknowledge", "check_in", "record_action")},
    "v1:notification-read": {"pk": "notification"},
    "v1:evaluation-trend": {"?unit_kind": "=street", "?unit": "streetnode"},
    "v1:jurisdiction-detail": {"code": "community"},
    "v1:category-detail": {"full_code": "=S0102"},
    "open311:service": {"code": "=S0102"},
    "open311:request": NUMBER,
    "open311:token": {"token": "case.number"},
    r"open311:open311/v2/^(?P<path>[\s\S]*)$": {"path": "=nothing/here"},
    "api-not-found": {"path": "=v9/nothing/"},
}
CASE_ACTIONS = [
    "verify",
    "self_handle",
    "file",
    "decline",
    "withdraw",
    "cancel",
    "dispatch",
    "arbitrate",
    "accept",
    "return",
    "refer",
    "start",
    "request_extension",
    "grant_extension",
    "refuse_extension",
    "handle",
    "check",
    "rework",
    "close",
    "rate",
    "reopen",
    "park",
    "unpark",
    "supervise",
    "chase",
]
ARGS.update({f"v1:case-action-{a}": NUMBER for a in CASE_ACTIONS})


def args_for(name: str, pattern: str) -> dict[str, str]:
    if name in ARGS:
        return ARGS[name]
    if "<" in pattern.replace("(?P<ext>", ""):
        raise KeyError(f"route {name} ({pattern}) has URL arguments but no rule to fill them")
    return {}
