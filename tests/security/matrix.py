"""The access matrix: for every route the project serves, who may reach it and how far its scope goes.

This table is the specification; ``test_access_matrix`` calls every route as every actor and checks the
answers against it, and fails for a route the table does not know. ``python -m tests.security.matrix``
prints it as the Markdown of docs/security.md (a test checks that the document holds the same text).

Each rule is ``"<who> [, flag…]"``: who reaches the route with an object inside their scope (a group
name from ``GROUPS`` or actor names), then flags:

- ``write``: the route changes state (POST only); as every actor it is POSTed with an object outside
  the actor's scope and must be refused without an event being appended.
- ``public``: the route shows every district's objects by design (no personal data); otherwise an
  object outside the actor's scope is refused to everyone but the city-wide roles.
- ``open``: every actor in the group reaches the route for any district's object, but the page holds
  no data of an object outside their scope (the answers are still searched for the markers).
- ``token``: the URL carries a follow token; outside means the wrong token, refused to everyone.
- ``own``: the object is the actor's own (a notification); another person's is refused to everyone.
- ``nocall``: not called (see the note in ``NOTES``).
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.security.args import CASE_ACTIONS

# The actors, in the matrix's column order. Every person is scoped to district A or one of its
# nodes/organisations; the objects outside their scope are in district B.
ACTORS = (
    "anonymous",
    "resident",
    "grid-a",
    "community-a",
    "street-a",
    "um-a",
    "district-a",
    "city",
    "leader",
    "admin",
    "bureau-organiser",
    "key-client",
    "key-street-a",
)
ACTOR_ROLES = {
    "anonymous": "not signed in",
    "resident": "resident (居民), reporter of the inside case",
    "grid-a": "grid_worker of grid A1a-g1",
    "community-a": "community_staff of community A1a",
    "street-a": "street_dispatcher of street A1",
    "um-a": "department_staff of district A's urban management bureau",
    "district-a": "district_centre of district A",
    "city": "city_centre",
    "leader": "leader at city level",
    "admin": "admin (city)",
    "bureau-organiser": "unit_organiser of a unit in street A1 (双报到)",
    "key-client": "API key without a person (scope open311)",
    "key-street-a": "API key acting for street-a (scopes read, write)",
}
CITYWIDE = frozenset({"city", "leader", "admin"})
PEOPLE = frozenset(ACTORS[1:11])
GROUPS = {
    "everyone": frozenset(ACTORS),
    "people": PEOPLE,
    "people+street-key": PEOPLE | {"key-street-a"},
    "nobody": frozenset(),
}


def acts_as_person(actor: str, route: str) -> bool:
    """A signed-in person; a key acting for one counts on the API only (pages ignore keys)."""
    return actor in PEOPLE or (actor == "key-street-a" and route.startswith("v1:"))


FLAGS = frozenset({"write", "public", "open", "token", "own", "nocall"})

RULES: dict[str, str] = {
    # --- operations
    "healthz": "everyone",
    "readyz": "everyone, nocall",
    "metrics": "nobody, nocall",
    "set_language": "everyone",
    # --- accounts (two-factor sign-in)
    "security:totp_login": "nobody",
    "security:totp_setup": "people",
    "security:recovery_codes": "nobody, write",
    "security:totp_people": "city admin",
    "security:totp_reset": "nobody, write",
    # --- REST: cases
    "v1:case-list": "people+street-key",
    "v1:case-detail": "resident grid-a community-a street-a um-a district-a city leader admin key-street-a",
    "v1:case-media": "resident grid-a community-a street-a um-a district-a city leader admin key-street-a",
    "v1:case-rating": "nobody, write",
    **{f"v1:case-action-{a}": "nobody, write" for a in [*CASE_ACTIONS, "unknown"]},
    # --- REST: whistles and summonses
    "v1:whistle-list": "people+street-key",
    "v1:whistle-detail": "grid-a community-a street-a um-a district-a city leader admin key-street-a",
    **{f"v1:whistle-{v}": "nobody, write" for v in ("join", "summon", "confirm_done", "cancel", "rate")},
    "v1:summons-inbox": "people+street-key",
    **{f"v1:summons-{v}": "nobody, write" for v in ("acknowledge", "check_in", "record_action")},
    # --- REST: reference, notifications, evaluation
    "v1:jurisdiction-list": "people+street-key",
    "v1:jurisdiction-detail": "people+street-key, public",
    "v1:category-list": "people+street-key",
    "v1:category-detail": "people+street-key",
    "v1:notification-list": "people+street-key",
    "v1:notification-unread-count": "people+street-key",
    "v1:notification-read-all": "nobody, write",
    "v1:notification-read": "nobody, write, own",
    "v1:evaluation-indicators": "grid-a community-a street-a um-a district-a city leader admin key-street-a",
    "v1:evaluation-trend": "street-a district-a city leader admin key-street-a",
    "v1:evaluation-export": "grid-a community-a street-a um-a district-a city leader admin key-street-a",
    "api-schema": "everyone",
    "api-docs": "everyone",
    "api-redoc": "everyone",
    "api-not-found": "nobody",
    # --- Open311 (public by its standard: descriptions masked, never the reporter)
    "open311:base": "everyone",
    "open311:discovery": "everyone",
    "open311:services": "everyone",
    "open311:service": "everyone",
    "open311:requests": "everyone, public",
    "open311:request": "everyone, public",
    "open311:token": "everyone, public",
    r"open311:open311/v2/^(?P<path>[\s\S]*)$": "nobody",
    # --- pages: public and the reporter's
    "web:home": "everyone",
    "web:login": "everyone",
    "web:logout": "nobody, write, nocall",
    "web:report": "everyone",
    "web:report_nearby": "everyone",
    "web:report_questions": "everyone",
    "web:grids_geojson": "everyone",
    "web:follow": "everyone, token",
    "web:follow_media": "everyone, token",
    "web:follow_data": "everyone, token",
    "web:follow_rate": "nobody, write, token",
    "web:follow_export": "nobody, write, token",
    "web:follow_erase": "nobody, write, token",
    "web:my_reports": "people",
    "web:my_data": "people",
    "web:my_data_export": "nobody, write",
    "web:my_data_erase": "nobody, write",
    # --- pages: cases, whistles, inbox
    "web:case_list": "people",
    "web:case_bulk": "nobody, write",
    "web:case_detail": "resident grid-a community-a street-a um-a district-a city leader admin",
    "web:case_act": "nobody, write",
    "web:case_oversee": "nobody, write",
    "web:case_whistle": "nobody, write",
    "web:case_volunteer": "resident grid-a community-a street-a um-a district-a city leader admin",
    "web:media": "resident grid-a community-a street-a um-a district-a city leader admin",
    "web:whistle_list": "people",
    "web:whistle_detail": "grid-a community-a street-a um-a district-a city leader admin",
    "web:whistle_act": "nobody, write",
    "web:summons_inbox": "people",
    "web:summons_act": "nobody, write",
    "web:notifications": "people",
    "web:notifications_read": "nobody, write",
    "web:evaluation": "grid-a community-a street-a um-a district-a city leader admin",
    "web:dashboard": "district-a city leader admin",
    # --- pages: grid work
    "web:grid": "grid-a",
    "web:patrol_start": "nobody, write",
    "web:patrol_end": "nobody, write",
    "web:patrol_track": "nobody, write",
    "web:visit_new": "grid-a",
    "web:visits": "grid-a community-a street-a district-a city leader admin",
    "web:patrol_coverage": "community-a street-a district-a city leader admin",
    # --- pages: dual reporting (双报到)
    "web:serve": "people",
    "web:serve_register": "nobody, write",
    "web:serve_registration_end": "nobody, write",
    "web:serve_claim": "nobody, write",
    "web:serve_claim_act": "nobody, write",
    "web:serve_wish": "people",
    "web:serve_centres": "everyone",
    "web:serve_calendar": "everyone, public",
    "web:serve_community_home": "community-a street-a district-a city admin",
    "web:serve_community": "community-a street-a district-a city admin",
    "web:serve_community_post": "nobody, write",
    "web:serve_community_act": "nobody, write",
    "web:serve_unit_home": "bureau-organiser",
    "web:serve_unit": "bureau-organiser",
    "web:serve_unit_post": "nobody, write",
    "web:serve_unit_report": "bureau-organiser",
    # --- pages: party building
    "web:party_coverage": "community-a street-a district-a city leader admin",
    "web:party_coverage_node": "street-a district-a city leader admin",
    "web:party_org": "street-a district-a city leader admin",
    "web:party_member_add": "nobody, write",
    "web:party_member_end": "nobody, write",
    "web:party_org_found": "nobody, write",
    "web:party_org_dissolve": "nobody, write",
    "web:party_boards": "community-a street-a district-a city leader admin",
    "web:party_board": "community-a street-a district-a city leader admin",
    "web:party_board_seat_add": "nobody, write",
    "web:party_board_seat_end": "nobody, write",
    "web:party_board_meeting_add": "nobody, write",
    "web:party_board_decision_done": "nobody, write",
    # --- pages: workforce
    "web:workforce_home": "community-a street-a district-a city leader admin",
    "web:workforce_roster": "community-a street-a district-a city leader admin",
    "web:workforce_hire": "nobody, write",
    "web:workforce_act": "nobody, write",
    "web:workforce_worker": "community-a street-a district-a city leader admin",
    "web:admissions": "community-a street-a um-a district-a city leader admin",
    "web:admission_new": "nobody, write",
    "web:admission_act": "nobody, write",
    "web:reports": "community-a street-a district-a city leader admin",
    "web:report_community": "community-a street-a district-a city leader admin",
    "web:report_community_node": "community-a street-a district-a city leader admin",
    # --- pages: activities
    "web:activities_mine": "people",
    "web:activities_organise": "street-a district-a city admin",
    "web:activities_reports": "community-a street-a district-a city leader admin",
    "web:activities_report_org": "street-a district-a city leader admin",
    "web:activities_report_node": "community-a street-a district-a city leader admin",
    "web:activity": "street-a district-a city leader admin",
    "web:activity_qr": "street-a district-a city admin",
    "web:activity_check_in": "people, open",
    **{
        f"web:activity_{v}": "nobody, write"
        for v in ("signup", "signup_cancel", "leave", "mark", "close", "cancel", "figure")
    },
    # --- pages: campaigns, library, demonstration, monthly problems
    "web:campaigns": "everyone",
    "web:campaign_new": "district-a city leader admin",
    "web:campaign": "resident community-a street-a district-a city leader admin bureau-organiser",
    "web:campaign_review": "resident",
    "web:campaign_audit": "district-a city leader admin",
    "web:campaign_attachment": "resident street-a district-a city leader admin",
    **{
        f"web:campaign_{v}": "nobody, write"
        for v in ("step", "reviewer_add", "exemplars", "recommend", "score", "conflict", "object", "answer")
    },
    "web:library": "everyone",
    "web:library_exemplar": "street-a district-a city leader admin",
    "web:library_photo": "street-a district-a city leader admin",
    "web:library_mine": "street-a um-a bureau-organiser",
    "web:library_new": "street-a um-a bureau-organiser",
    "web:library_edit": "street-a",
    "web:library_review": "district-a city leader admin",
    **{
        f"web:library_{v}": "nobody, write"
        for v in ("submit", "withdraw", "photos_add", "photo_remove", "publish", "return", "unpublish")
    },
    "web:demonstration": "community-a street-a district-a city leader admin",
    "web:demonstration_programme": "community-a street-a district-a city leader admin",
    "web:demonstration_unit": "community-a street-a district-a city leader admin",
    "web:demonstration_review": "district-a city leader admin",
    **{
        f"web:demonstration_{v}": "nobody, write"
        for v in ("unit_name", "quota", "review_run", "review_decide")
    },
    "web:monthly": "district-a city leader admin",
    "web:monthly_candidate": "district-a city leader admin",
    "web:monthly_problems": "um-a district-a city leader admin",
    "web:monthly_problem": "um-a district-a city leader admin",
    **{f"web:monthly_{v}": "nobody, write" for v in ("take_on", "task_add", "task_done")},
}
NOTES = {
    "readyz": "not called: it probes the database and the queue (tests/ops)",
    "metrics": "not called: loopback, allow-list or token only (tests/ops)",
    "web:logout": "not called: signing out ends the test's session",
    "security:totp_login": "the second step of signing in: reached only after the password",
    "security:totp_people": (
        "the accounts whose second factor the reader may reset: the admin and the city centre, for the "
        "people holding roles in their city (the admin's own and a superuser's: the admin only)"
    ),
    "web:party_boards": "the boards over the person's node (one board: straight to its page)",
    "web:party_board": (
        "a complex's joint board (红色物业): its seats' people, the complex's community staff and the "
        "levels above, leaders over the community"
    ),
    "open311:requests": "public by the Open311 standard: descriptions (phones masked), never the reporter",
    "open311:request": "public by the Open311 standard: descriptions (phones masked), never the reporter",
    "open311:token": "a request's token is its number (intake is never deferred): public like the request",
    "v1:jurisdiction-detail": "reference data (the map of jurisdictions)",
    "v1:evaluation-trend": "called for streets A1 and B1: a grid, community or department is not a street",
    "web:serve_calendar": "a community's public calendar",
    "web:serve_community": (
        "the managers' desk of a community's dual reporting (confirm, post, evaluate members): managers "
        "over the community; leaders oversee through the reports, they do not manage"
    ),
    "web:visits": (
        "household and unit visits (personal data): the grid's workers, its chain of command and the "
        "admin (the city centre's reach)"
    ),
    "web:activities_report_org": (
        "a party organisation's or residents' committee's activities: its organisers and the readers of "
        "party coverage over its node (here street A1's branch: not the community below it)"
    ),
    "web:campaign": (
        "a district's campaign open for recommendations: its organisers, the recommenders inside the "
        "district (unit, street, community) and its named reviewer (here the resident)"
    ),
    "web:campaign_review": "the scoring sheet: the campaign's named reviewers only",
    "web:campaign_attachment": "a candidate's photo: organisers, reviewers and the recommender who sent it",
    "web:demonstration": "the programmes whose area holds the person's node (none: not found)",
    "web:demonstration_programme": (
        "a district's programme: its owners (centres, leader, admin over the district) and the staff "
        "with a node inside it"
    ),
    "web:demonstration_unit": "a named community: its staff and the levels above, the programme's owners",
    "web:demonstration_review": "the year's review: the programme's owners only",
    "web:library_exemplar": (
        "an exemplary case submitted for review: its street office's people and the reviewers over its "
        "region (city/district centre, leader, admin); once published it is public"
    ),
    "web:library_photo": "the submitted exemplary case's photo: who reads the case",
    "web:library_edit": "its organisation's people only (a submitted case sends them back to its page)",
    "web:activity_check_in": (
        "the QR code's target: a members-only activity's title shown only to those who may see it"
    ),
}


@dataclass(frozen=True)
class Rule:
    who: frozenset[str]
    flags: frozenset[str]

    def allowed(self, actor: str, outside: bool) -> bool:
        """Whether ``actor`` gets the route's normal answer (inside or outside their scope)."""
        if actor not in self.who:
            return False
        if not outside:
            return True
        if self.flags & {"token", "own"}:
            return False
        return bool(self.flags & {"public", "open"}) or actor in CITYWIDE


def parse(text: str) -> Rule:
    who_text, *flags = (part.strip() for part in text.split(","))
    who: set[str] = set()
    for word in who_text.split():
        if word in GROUPS:
            who |= GROUPS[word]
        elif word in ACTORS:
            who.add(word)
        else:
            raise ValueError(f"unknown actor or group {word!r} in {text!r}")
    unknown = set(flags) - FLAGS
    if unknown:
        raise ValueError(f"unknown flags {unknown} in {text!r}")
    return Rule(who=frozenset(who), flags=frozenset(flags))


def rules() -> dict[str, Rule]:
    return {name: parse(text) for name, text in RULES.items()}


AREAS = (
    ("v1:case", "REST API: cases"),
    ("v1:whistle", "REST API: whistles and summonses"),
    ("v1:summons", "REST API: whistles and summonses"),
    ("v1:", "REST API: reference, notifications, evaluation"),
    ("api-", "REST API: schema and documentation"),
    ("open311:", "Open311 GeoReport v2"),
    ("security:", "Accounts"),
    ("web:case", "Pages: cases, whistles, inbox"),
    ("web:whistle", "Pages: cases, whistles, inbox"),
    ("web:summons", "Pages: cases, whistles, inbox"),
    ("web:media", "Pages: cases, whistles, inbox"),
    ("web:notifications", "Pages: cases, whistles, inbox"),
    ("web:evaluation", "Pages: cases, whistles, inbox"),
    ("web:dashboard", "Pages: cases, whistles, inbox"),
    ("web:grid", "Pages: grid work"),
    ("web:patrol", "Pages: grid work"),
    ("web:visit", "Pages: grid work"),
    ("web:serve", "Pages: dual reporting (双报到)"),
    ("web:party", "Pages: party building"),
    ("web:workforce", "Pages: workforce and reports"),
    ("web:admission", "Pages: workforce and reports"),
    ("web:report_community", "Pages: workforce and reports"),
    ("web:reports", "Pages: workforce and reports"),
    ("web:activit", "Pages: activities"),
    ("web:campaign", "Pages: campaigns, library, demonstration, monthly problems"),
    ("web:library", "Pages: campaigns, library, demonstration, monthly problems"),
    ("web:demonstration", "Pages: campaigns, library, demonstration, monthly problems"),
    ("web:monthly", "Pages: campaigns, library, demonstration, monthly problems"),
    ("web:", "Pages: public, the reporter's own"),
    ("", "Operations"),
)
SHORT = {
    "anonymous": "anon",
    "resident": "res",
    "grid-a": "grid",
    "community-a": "comm",
    "street-a": "street",
    "um-a": "dept",
    "district-a": "distr",
    "city": "city",
    "leader": "lead",
    "admin": "admin",
    "bureau-organiser": "unit",
    "key-client": "key",
    "key-street-a": "key→street",
}


def area_of(name: str) -> str:
    return next(area for prefix, area in AREAS if name.startswith(prefix))


def cell(rule: Rule, actor: str, scoped: bool) -> str:
    if not rule.allowed(actor, outside=False):
        return "✗"
    if scoped and not rule.allowed(actor, outside=True):
        return "◐"
    return "✓"


def markdown(patterns: dict[str, str], scoped: dict[str, bool]) -> str:
    """The matrix as Markdown: reads by area, then the writes; ``patterns`` and ``scoped`` by route."""
    table = rules()
    out: list[str] = []
    legend = (
        "✓ reaches it (with any object the route was called with) · ◐ only inside their own scope: the "
        "same route on district B's object is refused · ✗ refused (403/404, or the sign-in page)"
    )
    out.append(legend)
    out.append("")
    out.append("Columns: " + "; ".join(f"**{SHORT[a]}** {ACTOR_ROLES[a]}" for a in ACTORS) + ".")
    by_area: dict[str, list[str]] = {}
    for name in sorted(table):
        by_area.setdefault(area_of(name), []).append(name)
    order = list(dict.fromkeys(area for _, area in AREAS))
    head = "| Route | " + " | ".join(SHORT[a] for a in ACTORS) + " | Note |"
    rule_line = "|---|" + "---|" * len(ACTORS) + "---|"
    writes: dict[str, list[str]] = {}
    for area in order:
        names = [n for n in by_area.get(area, []) if "write" not in table[n].flags]
        for n in by_area.get(area, []):
            if "write" in table[n].flags:
                writes.setdefault(area, []).append(n)
        if not names:
            continue
        out += ["", f"### {area}", "", head, rule_line]
        for n in names:
            r = table[n]
            note = NOTES.get(n, "")
            if "token" in r.flags:
                note = note or "with the case's follow link only; a wrong token is refused"
            if "nocall" in r.flags:
                cells = ["·"] * len(ACTORS)
            else:
                cells = [cell(r, a, scoped.get(n, False)) for a in ACTORS]
            route = "`/" + patterns.get(n, n).replace("|", "\\|") + "`"
            out.append(f"| {route} | " + " | ".join(cells) + f" | {note} |")
    out += [
        "",
        "### Writes",
        "",
        "A write that names an object is POSTed by every actor below the city with an object outside "
        "their scope: district B's case, whistle, summons, notification, community, unit, party "
        "organisation or member, community worker, admission request, meeting, problem of the month or "
        "its task or candidate, exemplary case, campaign, dual-reporting registration, task or claim, "
        "board seat or decision, demonstration programme, objection lodged in a campaign's public "
        "notice, or staff member with a second factor; a wrong follow token. A write without an object "
        "(the desk's bulk action, renewing one's recovery codes, "
        "signing up, exporting one's data…) is POSTed anonymously and with the Open311 key. Every such "
        "call must be refused — 401/403/404/405, the sign-in page, or on a page a redirect back with a "
        "message — and must append no event. Writes inside the scope are the domain tests' business.",
    ]
    for area in order:
        if area in writes:
            routes = ", ".join("`/" + patterns.get(n, n) + "`" for n in writes[area] if n in patterns)
            out += ["", f"- **{area}**: {routes}"]
    return "\n".join(out) + "\n"


def current_markdown() -> str:
    from tests.security.args import args_for
    from tests.security.engine import is_scoped
    from tests.security.routes import route_names

    patterns = route_names()
    scoped = {n: is_scoped(args_for(n, p)) for n, p in patterns.items() if n in RULES}
    return markdown(patterns, scoped)


DOC_START, DOC_END = "<!-- access-matrix:start -->", "<!-- access-matrix:end -->"


def write_doc(path: str) -> None:
    """Replace the matrix section of ``path`` (docs/security.md) with the current table."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    head, rest = text.split(DOC_START, 1)
    tail = rest.split(DOC_END, 1)[1]
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"{head}{DOC_START}\n{current_markdown()}{DOC_END}{tail}")


if __name__ == "__main__":
    import os
    import sys

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chuishao.settings")
    django.setup()
    if sys.argv[1:2] == ["--write"]:
        write_doc(sys.argv[2] if len(sys.argv) > 2 else "docs/security.md")
    else:
        print(current_markdown(), end="")
