"""Fixtures for the operations tests: fresh metric figures, and a second database alias for the router."""

from __future__ import annotations

import copy

import pytest
from django.core.cache import cache
from django.db import connections


@pytest.fixture(autouse=True)
def _uncached_metric_figures(settings):
    settings.CHUISHAO_METRICS_CACHE_SECONDS = 0
    cache.delete("chuishao:ops:domain-gauges")
    yield
    cache.delete("chuishao:ops:domain-gauges")


@pytest.fixture
def replica_alias(db):
    """A ``replica`` alias: its own connection to the test database, as a replica would be its own server.

    Being a separate connection, it does not see the rows the test writes in its (uncommitted)
    transaction on ``default`` — which is how a test tells which alias a query used.
    """
    connections.settings["replica"] = copy.deepcopy(connections["default"].settings_dict)
    # Connected here: the test case only lets aliases it knew at its start open a connection lazily.
    connections["replica"].connect()
    try:
        yield "replica"
    finally:
        connections["replica"].close()
        del connections["replica"]
        del connections.settings["replica"]
