"""Prometheus metrics at ``/metrics``: request latency, queue depth, overdue cases, failed deliveries.

The request histogram is observed in every serving process. Under gunicorn each worker is its own
process, so ``chuishao serve --production`` sets ``PROMETHEUS_MULTIPROC_DIR`` before gunicorn starts:
prometheus-client then keeps the histogram's values in memory-mapped files in that folder, and a
scrape of any one worker sums the files of all of them (``MultiProcessCollector``). Without the
variable (the demo server, tests) the values live in this process.

The domain gauges are not kept anywhere: they are read from the database and the queue when scraped,
and the database figures are cached (``CHUISHAO_METRICS_CACHE_SECONDS``, 30 s by default, in the
shared cache) so that several scrapers and workers cost one query per period, not one per scrape.

Labels stay bounded: the route is the URL pattern's name (never the raw path with its ids), the
method one of the HTTP verbs, the status a class (2xx … 5xx); cities are few.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import time
from collections.abc import Iterator
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from prometheus_client import CollectorRegistry, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Seconds: a case desk page should answer in tens of milliseconds; exports may take seconds.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
DOMAIN_CACHE_KEY = "chuishao:ops:domain-gauges"

REGISTRY = CollectorRegistry()
REQUEST_SECONDS = Histogram(
    "chuishao_http_request_duration_seconds",
    "Time to answer an HTTP request, by route name, method and status class.",
    ["route", "method", "status"],
    buckets=BUCKETS,
    registry=REGISTRY,
)


def observe_request(*, route: str, method: str, status: int, seconds: float) -> None:
    REQUEST_SECONDS.labels(
        route=route, method=method if method in METHODS else "other", status=f"{status // 100}xx"
    ).observe(seconds)


# --- what is read at scrape time ----------------------------------------------------------------


def queue_storage():
    """The storage the workers read (Redis or the SQLite file), never the in-memory one of tests."""
    return _queue_storage(
        settings.REDIS_URL, settings.HUEY.name, settings.HUEY.storage_kwargs.get("filename")
    )


@lru_cache(maxsize=4)
def _queue_storage(redis_url: str, name: str, filename: str | None):
    if redis_url:
        from huey.storage import RedisStorage
        from redis import ConnectionPool

        # Short timeouts: a probe or a scrape must answer even when Redis does not.
        pool = ConnectionPool.from_url(redis_url, socket_connect_timeout=2, socket_timeout=2)
        return RedisStorage(name, connection_pool=pool)
    from huey.storage import SqliteStorage

    return SqliteStorage(name, filename=filename, timeout=2)


def overdue_by_city() -> dict[str, int]:
    """Open cases whose running deadline has passed and turned red, per city code.

    A red case's deadline is in the past (the sweep turns it red at the deadline, and a new stage or
    closing clears the colour and the deadline), so the query walks the index on ``deadline_at`` over
    the cases past their deadline, not the table.
    """
    from chuishao import clock
    from chuishao.cases.models import Case, WarnLevel
    from chuishao.cases.transitions import TERMINAL
    from chuishao.geo.models import Jurisdiction

    rows = (
        Case.objects.filter(deadline_at__lte=clock.now(), warn_level=WarnLevel.RED)
        .exclude(status__in=TERMINAL)
        .order_by()
        .values("city_id")
        .annotate(n=Count("id"))
    )
    counts = {r["city_id"]: r["n"] for r in rows}
    codes = dict(Jurisdiction.objects.filter(pk__in=counts).values_list("pk", "code"))
    return {codes.get(pk, str(pk)): n for pk, n in counts.items()}


def deliveries_failed() -> int:
    from chuishao.notify.models import Delivery, DeliveryState

    return Delivery.objects.filter(state=DeliveryState.FAILED).count()


def domain_figures() -> dict:
    """The database figures, from the shared cache when fresh."""
    figures = cache.get(DOMAIN_CACHE_KEY)
    if figures is None:
        started = time.perf_counter()
        figures = {"overdue": overdue_by_city(), "deliveries_failed": deliveries_failed()}
        figures["seconds"] = time.perf_counter() - started
        seconds = settings.CHUISHAO_METRICS_CACHE_SECONDS
        if seconds > 0:
            cache.set(DOMAIN_CACHE_KEY, figures, seconds)
    return figures


class DomainCollector(Collector):
    """Gauges read at scrape time; a part that cannot be read is left out and logged, not fatal."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            depth = queue_storage().queue_size()
        except Exception as exc:  # noqa: BLE001 — a scrape reports what it can
            log.warning("metrics: queue not readable (%s)", type(exc).__name__)
        else:
            yield GaugeMetricFamily(
                "chuishao_queue_pending_tasks", "Background tasks waiting in the queue.", value=depth
            )
        try:
            figures = domain_figures()
        except Exception as exc:  # noqa: BLE001
            log.warning("metrics: database figures not readable (%s)", type(exc).__name__)
            return
        overdue = GaugeMetricFamily(
            "chuishao_cases_overdue_open", "Open cases past their deadline (red), per city.", labels=["city"]
        )
        for city, n in sorted(figures["overdue"].items()):
            overdue.add_metric([city], n)
        yield overdue
        yield GaugeMetricFamily(
            "chuishao_notify_deliveries_failed",
            "Notification deliveries that gave up after their last attempt.",
            value=figures["deliveries_failed"],
        )
        yield GaugeMetricFamily(
            "chuishao_metrics_database_seconds",
            "How long the last uncached read of the database figures took.",
            value=figures["seconds"],
        )


REGISTRY.register(DomainCollector())


def exposition() -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        registry.register(DomainCollector())
        return generate_latest(registry)
    return generate_latest(REGISTRY)


# --- who may read them ----------------------------------------------------------------------------

FORWARDING_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")


@lru_cache(maxsize=8)
def _networks(allow: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(a.strip(), strict=False) for a in allow if a.strip())


def metrics_allowed(request: HttpRequest) -> bool:
    """A bearer token, or a direct connection from loopback or an allowed network.

    A request that came through a proxy (it carries a forwarding header) is never let in by its
    address: to a proxy on the same machine, every visitor from the internet looks like loopback.
    """
    token = settings.CHUISHAO_METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    if token and given.startswith("Bearer "):
        return hmac.compare_digest(given.removeprefix("Bearer ").strip().encode(), token.encode())
    if any(request.META.get(h) for h in FORWARDING_HEADERS):
        return False
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return address.is_loopback or any(address in net for net in _networks(settings.CHUISHAO_METRICS_ALLOW))


def metrics_view(request: HttpRequest) -> HttpResponse:
    if not metrics_allowed(request):
        raise Http404
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
