"""JSON log lines and the request id: what a line holds, and what it never holds."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from chuishao.ops.context import current_request_id
from chuishao.ops.logs import JsonFormatter

ROOT = Path(__file__).resolve().parents[2]


def _record(msg: str, *args, exc_info=None, **extra) -> logging.LogRecord:
    record = logging.getLogger("chuishao.test").makeRecord(
        "chuishao.test", logging.WARNING, __file__, 1, msg, args, exc_info
    )
    record.__dict__.update(extra)
    return record


def test_a_line_is_one_json_object_with_time_level_logger_message():
    line = JsonFormatter().format(_record("case %s filed", "C-1"))
    assert "\n" not in line
    data = json.loads(line)
    assert data["level"] == "WARNING" and data["logger"] == "chuishao.test"
    assert data["message"] == "case C-1 filed"
    assert data["time"].endswith("+00:00")
    assert "request_id" not in data


def test_the_request_id_and_the_traceback_are_included():
    token = current_request_id.set("req-12345678")
    try:
        try:
            raise ValueError("boom")
        except ValueError:
            line = JsonFormatter().format(_record("failed", exc_info=sys.exc_info()))
    finally:
        current_request_id.reset(token)
    data = json.loads(line)
    assert data["request_id"] == "req-12345678"
    assert "ValueError: boom" in data["exc"] and "Traceback" in data["exc"]


def test_extra_objects_are_not_copied_into_the_line():
    """Django passes the request as ``extra``; its contents (a body, a phone) never become fields."""

    class Request:
        def __str__(self) -> str:
            return "<POST body phone=13812341234>"

    line = JsonFormatter().format(_record("Bad Request", request=Request(), status_code=400))
    assert "13812341234" not in line
    assert set(json.loads(line)) == {"time", "level", "logger", "message"}


def test_a_well_formed_request_id_is_kept_and_echoed(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="lb-7f3a9c2e-0001")
    assert response["X-Request-ID"] == "lb-7f3a9c2e-0001"


@pytest.mark.parametrize("given", ["", "short", "has spaces in it", "x" * 200, "bad\r\nheader: injected"])
def test_a_missing_or_malformed_request_id_is_replaced(client, given):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=given)
    assert response["X-Request-ID"] != given
    assert len(response["X-Request-ID"]) == 32


def test_the_access_line_has_the_route_never_the_query(client, caplog):
    with caplog.at_level(logging.INFO, logger="chuishao.access"):
        response = client.get("/healthz?phone=13812341234&q=张三", HTTP_X_REQUEST_ID="req-access-0001")
    (record,) = [r for r in caplog.records if r.name == "chuishao.access"]
    line = JsonFormatter().format(record)
    data = json.loads(line)
    assert data["route"] == "healthz" and data["status"] == 200 and data["method"] == "GET"
    assert data["request_id"] == "req-access-0001" == response["X-Request-ID"]
    assert "13812341234" not in line and "张三" not in line


def test_the_json_format_is_chosen_by_the_environment(tmp_path):
    script = "import django, logging; django.setup(); logging.getLogger('chuishao.x').warning('hello %s', 1)"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "chuishao.settings", "CHUISHAO_VAR": str(tmp_path)}
    as_json = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script],
        env={**env, "CHUISHAO_LOG_FORMAT": "json"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(as_json.stderr.strip())["message"] == "hello 1"
    as_text = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert "WARNING chuishao.x [-] hello 1" in as_text.stderr
