"""The single transition table of the case loop (GB/T 30428 plus the branches real work needs).

Each action names the states it may start from, the state it leads to (``None``: back to the state
saved in ``resume_status``; a service may pick another outcome, as ``return`` does for a second
return, which goes to arbitration), the roles that may take it and whether a reason is required.
Services in ``cases.services`` execute these rows; nothing else changes ``Case.status``.
"""

from __future__ import annotations

from dataclasses import dataclass

from chuishao.cases.models import Status as S
from chuishao.orgs.models import OrgKind
from chuishao.orgs.models import Role as R

CENTRES = frozenset({R.STREET_DISPATCHER, R.DISTRICT_CENTRE, R.CITY_CENTRE})
UPPER_CENTRES = frozenset({R.DISTRICT_CENTRE, R.CITY_CENTRE})
CHECKERS = frozenset({R.GRID_WORKER, R.COMMUNITY_STAFF})

# States in which a case is finished (it may still be rated or reopened from CLOSED / RATED).
TERMINAL = frozenset({S.DECLINED, S.CANCELLED, S.CLOSED, S.RATED, S.SELF_HANDLED})
# States in which work is under way for a department.
IN_HANDS = frozenset({S.ACCEPTED, S.HANDLING, S.REWORKED})


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str | None
    roles: frozenset[str]
    verb: str
    needs_reason: bool = False
    # Department staff may act only for the case's lead organisation.
    lead_only: bool = False
    # The kinds of organisation the case's lead must be (empty: any).
    lead_kinds: frozenset[str] = frozenset()


def _t(action, sources, target, roles, *, reason=False, lead_only=False, lead_kinds=()) -> Transition:
    return Transition(
        action,
        frozenset(sources),
        target,
        frozenset(roles),
        f"case.{action}",
        reason,
        lead_only,
        frozenset(lead_kinds),
    )


TABLE: dict[str, Transition] = {
    t.action: t
    for t in [
        _t("verify", {S.REPORTED}, S.VERIFIED, CHECKERS),
        _t("self_handle", {S.REPORTED, S.VERIFIED}, S.SELF_HANDLED, {R.GRID_WORKER}),
        _t("file", {S.REPORTED, S.VERIFIED}, S.FILED, CENTRES),
        _t("decline", {S.REPORTED, S.VERIFIED}, S.DECLINED, CENTRES, reason=True),
        _t("withdraw", {S.REPORTED}, S.CANCELLED, {R.RESIDENT}, reason=True),
        _t(
            "cancel",
            {S.FILED, S.DISPATCHED, S.RETURNED, S.REOPENED, S.ARBITRATION},
            S.CANCELLED,
            CENTRES,
            reason=True,
        ),
        _t("dispatch", {S.FILED, S.RETURNED, S.REOPENED}, S.DISPATCHED, CENTRES),
        # A second return of the same case goes up for arbitration (the service picks that target).
        _t("arbitrate", {S.ARBITRATION}, S.DISPATCHED, UPPER_CENTRES),
        _t("accept", {S.DISPATCHED}, S.ACCEPTED, {R.DEPARTMENT_STAFF}, lead_only=True),
        _t("return", {S.DISPATCHED}, S.RETURNED, {R.DEPARTMENT_STAFF}, reason=True, lead_only=True),
        # 上交街道: a complex's board (红色物业) that cannot solve a case passes it back to the street's
        # queue. Not a mis-dispatch: the return count stays, the street dispatches or whistles anew.
        _t(
            "refer",
            {S.DISPATCHED, S.ACCEPTED, S.HANDLING},
            S.RETURNED,
            {R.DEPARTMENT_STAFF},
            reason=True,
            lead_only=True,
            lead_kinds={OrgKind.COMPLEX_BOARD},
        ),
        _t("start", {S.ACCEPTED, S.REWORKED}, S.HANDLING, {R.DEPARTMENT_STAFF}, lead_only=True),
        _t(
            "request_extension",
            IN_HANDS,
            S.EXTENSION_REQUESTED,
            {R.DEPARTMENT_STAFF},
            reason=True,
            lead_only=True,
        ),
        _t("grant_extension", {S.EXTENSION_REQUESTED}, None, CENTRES),
        _t("refuse_extension", {S.EXTENSION_REQUESTED}, None, CENTRES, reason=True),
        _t("handle", IN_HANDS, S.HANDLED, {R.DEPARTMENT_STAFF}, lead_only=True),
        _t("check", {S.HANDLED}, S.CHECKED, CHECKERS),
        _t("rework", {S.HANDLED}, S.REWORKED, CHECKERS | {R.STREET_DISPATCHER}, reason=True),
        _t("close", {S.CHECKED}, S.CLOSED, CENTRES),
        _t("rate", {S.CLOSED}, S.RATED, CENTRES | {R.RESIDENT}),
        _t("reopen", {S.CLOSED, S.RATED}, S.REOPENED, CENTRES, reason=True),
        _t(
            "park",
            {S.FILED, S.DISPATCHED, S.RETURNED, S.ACCEPTED, S.HANDLING, S.REWORKED},
            S.PARKED,
            UPPER_CENTRES,
            reason=True,
        ),
        _t("unpark", {S.PARKED}, None, UPPER_CENTRES),
    ]
}

# Which deadline stage a case is in after entering a state (None: no running deadline).
STAGE_OF_STATUS: dict[str, str | None] = {
    S.REPORTED: "verify",
    S.VERIFIED: "dispatch",
    S.FILED: "dispatch",
    S.RETURNED: "dispatch",
    S.ARBITRATION: "arbitrate",
    S.REOPENED: "dispatch",
    S.DISPATCHED: "accept",
    S.ACCEPTED: "handle",
    S.HANDLING: "handle",
    S.EXTENSION_REQUESTED: "handle",
    S.REWORKED: "handle",
    S.HANDLED: "check",
}


def actions_from(status: str) -> list[Transition]:
    return [t for t in TABLE.values() if status in t.sources]
