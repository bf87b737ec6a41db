"""``chuishao serve --production``: no demo key in production; gunicorn's workers share their metrics."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

ROOT = Path(__file__).resolve().parents[2]
DEMO_KEY = "chuishao-insecure-demo-key-never-in-production"


class Execd(Exception):
    pass


@pytest.fixture
def execv(monkeypatch):
    """Stands in for os.execv: records what gunicorn would have been started with."""
    calls: list[list[str]] = []

    def fake(path, args):
        calls.append(list(args))
        raise Execd

    monkeypatch.setattr(os, "execv", fake)
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    monkeypatch.delenv("CHUISHAO_ACCESS_LOG", raising=False)
    yield calls
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    os.environ.pop("CHUISHAO_ACCESS_LOG", None)


def test_production_refuses_the_demo_secret_key(settings, execv):
    settings.DEBUG = False
    settings.SECRET_KEY = DEMO_KEY
    with pytest.raises(CommandError, match="CHUISHAO_SECRET_KEY"):
        call_command("serve", "--production")
    assert execv == []


def test_debugging_a_production_server_may_use_the_demo_key(settings, execv, tmp_path):
    settings.DEBUG = True
    settings.SECRET_KEY = DEMO_KEY
    settings.VAR_DIR = tmp_path
    with pytest.raises(Execd):
        call_command("serve", "--production")


def test_production_starts_gunicorn_with_our_config_and_an_empty_metrics_folder(settings, execv, tmp_path):
    settings.DEBUG = False
    settings.SECRET_KEY = "a-real-key-" + "x" * 40
    settings.VAR_DIR = tmp_path
    stale = tmp_path / "prometheus-8123" / "histogram_999.db"
    stale.parent.mkdir()
    stale.write_bytes(b"old")
    with pytest.raises(Execd):
        call_command("serve", "--production", "--port", "8123")
    (args,) = execv
    assert args[args.index("--config") + 1] == "python:chuishao.ops.gunicorn_conf"
    assert "--access-logfile" not in args
    assert os.environ["PROMETHEUS_MULTIPROC_DIR"] == str(stale.parent)
    assert not stale.exists()
    assert os.environ["CHUISHAO_ACCESS_LOG"] == "1"


class _Log:
    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []

    def info(self, message: str) -> None:
        self.lines.append(("info", message))

    def warning(self, message: str) -> None:
        self.lines.append(("warning", message))


class _Server:
    def __init__(self) -> None:
        self.log = _Log()


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, ("warning", "CHUISHAO_HTTPS is not set")),
        ({"CHUISHAO_HTTPS": ""}, ("warning", "CHUISHAO_HTTPS is not set")),
        ({"CHUISHAO_HTTPS": "yes"}, ("warning", "CHUISHAO_HTTPS is 'yes', neither 1 nor 0")),
        ({"CHUISHAO_HTTPS": "0"}, ("info", "CHUISHAO_HTTPS=0: serving plain HTTP by choice")),
        ({"CHUISHAO_HTTPS": "1"}, None),
    ],
)
def test_production_start_says_when_it_serves_without_tls(monkeypatch, environ, expected):
    from chuishao.ops import gunicorn_conf

    monkeypatch.delenv("CHUISHAO_HTTPS", raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    server = _Server()
    gunicorn_conf.on_starting(server)
    if expected is None:
        assert server.log.lines == []
        return
    ((level, message),) = server.log.lines
    assert (level, message[: len(expected[1])]) == expected
    assert "without Secure" in message and "HSTS" in message
    if level == "warning":
        assert "set CHUISHAO_HTTPS=1" in message and "set CHUISHAO_HTTPS=0" in message


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(port: int, path: str) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def test_two_gunicorn_workers_report_one_histogram_and_log_json(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "CHUISHAO_SECRET_KEY": "test-" + "k" * 50,
        "CHUISHAO_VAR": str(tmp_path / "var"),
        "CHUISHAO_LOG_FORMAT": "json",
        "CHUISHAO_LOG_LEVEL": "INFO",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    for name in (
        "CHUISHAO_REDIS_URL",
        "REDIS_URL",
        "PROMETHEUS_MULTIPROC_DIR",
        "CHUISHAO_DEBUG",
        "CHUISHAO_HTTPS",
    ):
        env.pop(name, None)
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(  # noqa: S603 — our interpreter and command
            [sys.executable, "-m", "chuishao.cli", "serve", "--production", "--port", str(port)]
            + ["--workers", "2", "--threads", "1"],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if _get(port, "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the server did not start: " + log_path.read_text()[-2000:])
            time.sleep(0.3)
        for _ in range(19):
            assert _get(port, "/healthz?phone=13812341234")[0] == 200
        folder = tmp_path / "var" / f"prometheus-{port}"
        workers_seen = {p.name for p in folder.glob("histogram_*.db")}
        status, text = _get(port, "/metrics")
        assert status == 200
        series = 'chuishao_http_request_duration_seconds_count{method="GET",route="healthz",status="2xx"} '
        (line,) = [x for x in text.splitlines() if x.startswith(series)]
        # Every /healthz (the first one that answered included) is counted, whichever worker served it.
        assert float(line.rsplit(" ", 1)[1]) >= 20
        assert len(workers_seen) >= 1
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    lines = [x for x in log_path.read_text().splitlines() if x.strip()]
    records = [json.loads(x) for x in lines]  # every line is one JSON object
    access = [r for r in records if r["logger"] == "chuishao.access"]
    assert len(access) >= 20
    assert all(r["route"] in {"healthz", "metrics"} and r["request_id"] for r in access)
    assert "13812341234" not in log_path.read_text()
    assert any(r["logger"] == "gunicorn.error" for r in records)
    # Started without CHUISHAO_HTTPS: the master says once what that means.
    tls = [r for r in records if r["level"] == "WARNING" and "CHUISHAO_HTTPS is not set" in r["message"]]
    assert len(tls) == 1, [r["message"] for r in records if r["logger"] == "gunicorn.error"]
    assert "without Secure" in tls[0]["message"] and "HSTS" in tls[0]["message"]
