"""Liveness touches nothing; readiness checks the databases and the queue and says which part failed."""

from __future__ import annotations

import socket

import pytest
from django.db import OperationalError
from huey import SqliteHuey


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens here once the socket is closed


def _redis_listening() -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", 6379)) == 0


@pytest.fixture
def sqlite_queue(settings, tmp_path):
    settings.REDIS_URL = ""
    settings.HUEY = SqliteHuey("chuishao-test", filename=str(tmp_path / "huey.sqlite3"))
    return settings.HUEY


def test_liveness_answers_without_touching_the_database(client):
    # No django_db mark: any query here would raise.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_ready_when_the_database_and_the_queue_answer(client, sqlite_queue):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database:default": "ok", "queue": "ok"}}


@pytest.mark.django_db
def test_not_ready_when_redis_does_not_answer(client, settings):
    port = _closed_port()
    settings.REDIS_URL = f"redis://:hunter2@127.0.0.1:{port}/0"
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert body["checks"]["database:default"] == "ok"
    assert body["checks"]["queue"].startswith("error: ")
    raw = response.content.decode()
    assert str(port) not in raw and "hunter2" not in raw and "Traceback" not in raw


@pytest.mark.django_db
def test_ready_on_a_redis_queue(client, settings):
    if not _redis_listening():
        pytest.skip("no Redis on 127.0.0.1:6379")
    settings.REDIS_URL = "redis://127.0.0.1:6379/0"
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json()["checks"]["queue"] == "ok"


@pytest.mark.django_db
def test_not_ready_when_the_sqlite_queue_cannot_be_opened(client, settings, tmp_path):
    settings.REDIS_URL = ""
    # A folder where the queue file should be: SQLite cannot open it.
    (tmp_path / "queue-is-a-folder").mkdir()
    settings.HUEY = SqliteHuey("chuishao-test", filename=str(tmp_path / "ok.sqlite3"))
    settings.HUEY.storage_kwargs["filename"] = str(tmp_path / "queue-is-a-folder")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["queue"].startswith("error: ")


@pytest.mark.django_db
def test_not_ready_when_the_database_fails(client, monkeypatch, sqlite_queue):
    from django.db.backends.utils import CursorWrapper

    real_execute = CursorWrapper.execute

    def failing(self, sql, params=None):
        if sql == "SELECT 1":
            raise OperationalError("could not connect to server at 10.1.2.3 as user chuishao")
        return real_execute(self, sql, params)

    monkeypatch.setattr(CursorWrapper, "execute", failing)
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"] == {"database:default": "error: OperationalError", "queue": "ok"}
    assert "10.1.2.3" not in response.content.decode()


@pytest.mark.django_db
def test_readiness_checks_the_replica_when_there_is_one(client, sqlite_queue, replica_alias):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database:default": "ok", "database:replica": "ok", "queue": "ok"}
