"""The access matrix: every page, REST endpoint and Open311 endpoint, called as every role inside and
outside its scope, anonymously and with API keys, against the table in ``tests/security/matrix.py``.

A route the table does not know fails ``test_every_route_has_a_rule``: a new page cannot ship without a
line saying who may reach it. The city is built once per module (inside a transaction rolled back at the
end) and each actor's calls run in a savepoint of their own, so one actor's writes never reach another.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.db import transaction

from tests.security import matrix
from tests.security.args import ARGS, args_for
from tests.security.engine import UNKNOWN_PK, build_url, client_for, is_scoped, judge
from tests.security.routes import route_names
from tests.security.seed import build_world

# Marks the module as using the database, so that pytest-django creates it before the module's city.
pytestmark = pytest.mark.django_db

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"
START, END = matrix.DOC_START, matrix.DOC_END
# What a write is POSTed with: enough to pass a form's checks if the scope check were missing.
FORM = {
    "text": "matrix",
    "note": "matrix",
    "reason": "matrix",
    "comment": "matrix",
    "satisfaction": "5",
    "solved": "yes",
}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    from django.test import override_settings

    media = tmp_path_factory.mktemp("matrix-media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media), transaction.atomic():
        built = build_world()
        built.media_root = media
        yield built
        transaction.set_rollback(True)


def test_every_route_has_a_rule():
    routes = route_names()
    missing = [
        f"route {n} ({p}) has no rule in the access matrix"
        for n, p in routes.items()
        if n not in matrix.RULES
    ]
    stale = [f"rule {n} names no route" for n in matrix.RULES if n not in routes]
    unfilled = []
    for name, pattern in routes.items():
        try:
            args_for(name, pattern)
        except KeyError as exc:
            unfilled.append(str(exc))
    stale_args = [f"URL arguments for {n}, which is no route" for n in ARGS if n not in routes]
    problems = missing + stale + unfilled + stale_args
    assert not problems, "\n".join(problems)
    matrix.rules()  # every rule parses


def test_docs_security_holds_the_current_matrix():
    text = DOC.read_text(encoding="utf-8")
    assert START in text and END in text, f"{DOC} lacks the {START} … {END} section"
    written = text.split(START, 1)[1].split(END, 1)[0].strip()
    assert written == matrix.current_markdown().strip(), (
        "docs/security.md's matrix is out of date: run `python -m tests.security.matrix --write`"
    )


def _post(client, name: str, url: str, side, world) -> object:
    if name.startswith("v1:"):
        body = {
            **FORM,
            "street": world.a.street,
            "organisation": world.city.orgs["um-110901"].pk,
            "role": "assist",
            "summons": side.summons.pk,
            "on_time_report": 5,
            "problem_solved": 5,
            "attitude": 5,
            "lat": side.case.lat,
            "lng": side.case.lng,
        }
        return client.post(url, data=json.dumps(body, default=str), content_type="application/json")
    return client.post(url, {**FORM, "seen_status": side.case.status, "lead": UNKNOWN_PK})


@pytest.mark.parametrize("actor", matrix.ACTORS)
def test_access_matrix(world, actor, settings):
    from chuishao.events.models import Event
    from chuishao.notify.models import Notification

    settings.MEDIA_ROOT = world.media_root  # where the city's photos were stored
    table = matrix.rules()
    routes = {n: p for n, p in route_names().items() if n in table}
    failures: list[str] = []
    calls = 0
    with transaction.atomic():
        client = client_for(actor, world)
        for name, pattern in routes.items():
            rule = table[name]
            if "nocall" in rule.flags:
                continue
            args = args_for(name, pattern)
            scoped = is_scoped(args)
            sides = [(False, world.a), (True, world.b)] if scoped else [(False, world.a)]
            for outside, side in sides:
                url = build_url(name, args, side, world, pattern)
                got = judge(client.get(url))
                calls += 1
                where = "outside" if outside else ("inside" if scoped else "")
                if rule.allowed(actor, outside):
                    if not got.ok:
                        failures.append(f"{name} {where} GET {url}: expected its answer, got {got.status}")
                elif not got.refused:
                    failures.append(
                        f"{name} {where} GET {url}: expected a refusal, got {got.status} {got.location}"
                    )
                if actor not in matrix.CITYWIDE:
                    if got.leaked and "public" not in rule.flags:
                        failures.append(f"{name} {where} GET {url}: shows district B's case ({got.status})")
                    if got.personal:
                        failures.append(
                            f"{name} {where} GET {url}: shows district B's reporter ({got.status})"
                        )
                if "write" not in rule.flags:
                    continue
                # A write: POSTed outside the actor's scope, it must be refused and change nothing.
                if not outside and (scoped or (not args and matrix.acts_as_person(actor, name))):
                    continue
                if outside and actor in matrix.CITYWIDE and not rule.flags & {"token", "own"}:
                    continue
                before = Event.objects.count()
                response = _post(client, name, url, side, world)
                calls += 1
                posted = judge(response)
                # A page may answer a refused form with a redirect and a message (the event check below
                # shows it changed nothing); the API answers 403/404.
                page_redirect = posted.ok and posted.status != 200 and not name.startswith("v1:")
                if not posted.refused and not page_redirect:
                    failures.append(
                        f"{name} POST {url}: expected a refusal, got {posted.status} {posted.location}"
                    )
                if Event.objects.count() != before:
                    failures.append(f"{name} POST {url}: appended an event ({posted.status})")
        if Notification.objects.filter(pk=world.b.notification.pk, read_at__isnull=False).exists():
            failures.append("district B's notification was marked read")
        transaction.set_rollback(True)
    print(f"{actor}: {calls} calls")
    assert not failures, f"{len(failures)} of {calls} calls broke the matrix for {actor}:\n" + "\n".join(
        failures
    )
