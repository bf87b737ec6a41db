"""Shared test setup: no network, media under a temporary folder."""

from __future__ import annotations

import socket

import pytest


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    """Tests never reach the network; loopback stays open for live-server tests."""
    real_connect = socket.socket.connect

    def guarded(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if (
            isinstance(host, str)
            and host not in {"127.0.0.1", "localhost", "::1"}
            and not host.startswith("/")
        ):
            raise RuntimeError(f"tests must not use the network (tried {address!r})")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_process_caches():
    """Per-process caches (work calendar, routing index) outlive each test's rolled-back transaction."""
    from chuishao.catalog.calendar import work_calendar_invalidate
    from chuishao.geo import routing

    work_calendar_invalidate()
    routing.routing_index_invalidate()
    yield
    work_calendar_invalidate()
    routing.routing_index_invalidate()


@pytest.fixture(autouse=True)
def _huey_immediate(settings):
    """Tasks run in the calling thread during tests."""
    settings.HUEY.immediate = True
    yield
    settings.HUEY.immediate = False


@pytest.fixture(autouse=True)
def _domain_messages_in_english(request, settings):
    """Domain tests read messages in English; pages are tested in the default language (zh-Hans)."""
    from django.utils import translation

    path = str(request.node.path)
    if "/tests/web/" in path or "/tests/e2e/" in path or path.endswith("test_translations.py"):
        yield
        return
    settings.LANGUAGE_CODE = "en"  # threads of concurrency tests see settings, not the override
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _own_sign_in_budget(monkeypatch, request):
    """Each test counts sign-ins per address afresh (the count lives in a cache that outlives tests)."""
    from chuishao.security import throttle

    monkeypatch.setattr(throttle, "KEY_PREFIX", f"test-signin:{request.node.nodeid}")
