"""/metrics: bounded request labels, the domain gauges, caching, access control, several processes."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.urls import resolve
from huey import SqliteHuey
from prometheus_client import CollectorRegistry, generate_latest, multiprocess

from chuishao import clock
from chuishao.actors import SYSTEM
from chuishao.cases.models import Case
from chuishao.cases.services import case_dispatch, case_file
from chuishao.cases.sweep import deadline_sweep
from chuishao.notify.models import Delivery, DeliveryState
from chuishao.notify.services import channel_create, fanout
from tests.factories import build_small_city, grid_centre

ROOT = Path(__file__).resolve().parents[2]


def _scrape(client, **extra) -> str:
    response = client.get("/metrics", **extra)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/plain")
    return response.content.decode()


def _labels(text: str) -> str:
    """Every label set in an exposition, without the values: a raw path could only leak into a label,
    and a sample's value (a float such as 0.123459...) may contain any run of digits by chance."""
    return "\n".join(line.split("{", 1)[1].rsplit("}", 1)[0] for line in text.splitlines() if "{" in line)


def _value(text: str, series: str) -> float | None:
    """The value of one series (name with its labels, as printed) in an exposition."""
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.rsplit(" ", 1)[1])
    return None


@pytest.fixture
def sqlite_queue(settings, tmp_path):
    settings.REDIS_URL = ""
    settings.HUEY = SqliteHuey("chuishao-test", filename=str(tmp_path / "huey.sqlite3"))
    return settings.HUEY


@pytest.mark.django_db
def test_request_latency_is_labelled_by_route_never_by_raw_path(client, sqlite_queue):
    client.get("/cases/987654/?phone=13812341234")
    route = resolve("/cases/987654/").view_name
    text = _scrape(client)
    assert f'route="{route}"' in text
    labels = f'method="GET",route="{route}",status="3xx"'
    assert "chuishao_http_request_duration_seconds_count{" + labels + "}" in text
    labels = _labels(text)
    assert "987654" not in labels and "13812341234" not in labels
    client.get("/no/such/page/12345/")
    labels = _labels(_scrape(client))
    assert 'route="<unmatched>"' in labels
    assert "12345" not in labels and "/no/such" not in labels


@pytest.mark.django_db
def test_queue_depth_counts_what_waits_in_the_workers_queue(client, sqlite_queue):
    from chuishao.ops.metrics import queue_storage

    storage = queue_storage()
    assert _value(_scrape(client), "chuishao_queue_pending_tasks") == 0
    storage.enqueue(b"one")
    storage.enqueue(b"two")
    assert _value(_scrape(client), "chuishao_queue_pending_tasks") == 2


@pytest.fixture
def city(db):
    return build_small_city()


def _filed_case(city) -> Case:
    from chuishao.cases.services import case_report

    lat, lng = grid_centre("110901001001001")
    case = case_report(
        actor=city.people["resident"],
        source="resident_web",
        category="S0102",
        description="楼下垃圾堆了三天没人清",
        lat=lat,
        lng=lng,
    )
    case_file(case=case, actor=city.people["street-a"])
    return case_dispatch(case=case, actor=city.people["street-a"], lead=city.orgs["um-110901"])


def test_overdue_cases_are_counted_per_city_once_the_sweep_turns_them_red(client, city, sqlite_queue):
    late = _filed_case(city)
    on_time = _filed_case(city)
    assert 'chuishao_cases_overdue_open{city="110000"}' not in _scrape(client)
    later = late.deadline_at + dt.timedelta(hours=1)
    Case.objects.filter(pk=on_time.pk).update(deadline_at=later + dt.timedelta(days=30), sweep_at=None)
    with clock.frozen(later):
        deadline_sweep()
        text = _scrape(client)
    assert Case.objects.get(pk=late.pk).warn_level == "red"
    assert _value(text, 'chuishao_cases_overdue_open{city="110000"}') == 1


def test_failed_deliveries_are_counted(client, city, sqlite_queue):
    channel_create(
        actor=SYSTEM, organisation=city.orgs["um-110901"], kind="email", target="um@example.invalid"
    )
    _filed_case(city)
    fanout()
    assert Delivery.objects.exists()
    assert _value(_scrape(client), "chuishao_notify_deliveries_failed") == 0
    Delivery.objects.update(state=DeliveryState.FAILED)
    assert _value(_scrape(client), "chuishao_notify_deliveries_failed") == Delivery.objects.count()


@pytest.mark.django_db
def test_the_database_figures_are_cached(client, settings, sqlite_queue, django_assert_max_num_queries):
    settings.CHUISHAO_METRICS_CACHE_SECONDS = 30
    _scrape(client)
    with django_assert_max_num_queries(0):
        text = _scrape(client)
    assert "chuishao_notify_deliveries_failed" in text


# --- access ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_metrics_answer_loopback(client, sqlite_queue):
    _scrape(client, REMOTE_ADDR="127.0.0.1")
    _scrape(client, REMOTE_ADDR="::1")


@pytest.mark.django_db
def test_metrics_are_hidden_from_other_addresses(client, sqlite_queue):
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.5").status_code == 404


@pytest.mark.django_db
def test_metrics_answer_an_allowed_network(client, settings, sqlite_queue):
    settings.CHUISHAO_METRICS_ALLOW = ("10.0.5.0/24", "192.0.2.7")
    _scrape(client, REMOTE_ADDR="10.0.5.20")
    _scrape(client, REMOTE_ADDR="192.0.2.7")
    assert client.get("/metrics", REMOTE_ADDR="10.0.6.20").status_code == 404


@pytest.mark.django_db
def test_metrics_through_a_proxy_are_hidden_even_from_loopback(client, settings, sqlite_queue):
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.9")
    assert response.status_code == 404


@pytest.mark.django_db
def test_metrics_answer_the_bearer_token_only(client, settings, sqlite_queue):
    settings.CHUISHAO_METRICS_TOKEN = "scrape-me-0123456789"
    _scrape(client, REMOTE_ADDR="203.0.113.5", HTTP_AUTHORIZATION="Bearer scrape-me-0123456789")
    wrong = client.get("/metrics", REMOTE_ADDR="203.0.113.5", HTTP_AUTHORIZATION="Bearer scrape-me")
    assert wrong.status_code == 404
    # A wrong token is refused even from loopback: whoever sends one meant to use it.
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer nope").status_code == 404


# --- several processes ------------------------------------------------------------------------------

SERVE_ONE = textwrap.dedent(
    """
    import django
    django.setup()
    from django.test import Client
    assert Client().get("/healthz").status_code == 200
    """
)


def test_worker_processes_share_one_histogram_through_the_multiprocess_folder(tmp_path):
    """Two processes each serve a request; one scrape of the folder sums both, as under gunicorn."""
    folder = tmp_path / "prometheus"
    folder.mkdir()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "chuishao.settings",
        "PROMETHEUS_MULTIPROC_DIR": str(folder),
        "CHUISHAO_VAR": str(tmp_path / "var"),
    }
    for _ in range(2):
        subprocess.run([sys.executable, "-c", SERVE_ONE], env=env, cwd=ROOT, check=True, timeout=120)  # noqa: S603
    assert len(list(folder.glob("histogram_*.db"))) == 2
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=str(folder))
    text = generate_latest(registry).decode()
    count = 'chuishao_http_request_duration_seconds_count{method="GET",route="healthz",status="2xx"}'
    assert _value(text, count) == 2
