"""Fixtures for the notifications tests: the small city, a reporter, and a webhook receiver on loopback."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from chuishao.notify.payloads import signature_valid
from tests.factories import build_small_city, grid_centre

SECRET = "s3cret-for-tests"


@pytest.fixture
def city(db):
    return build_small_city()


@pytest.fixture
def report(city):
    """Report a case as the resident in grid A1a-g1 (district A), with a name and phone on it."""
    from chuishao.cases.services import case_report

    def make(*, grid: str = "110901001001001", category: str = "S0102"):
        lat, lng = grid_centre(grid)
        return case_report(
            actor=city.people["resident"],
            source="resident_web",
            category=category,
            description="楼下垃圾堆了三天没人清，张三 13812341234",
            lat=lat,
            lng=lng,
            reporter_name="张三",
            reporter_phone="13812341234",
        )

    return make


@dataclass
class Receiver:
    """What the test webhook endpoint got, and how it answers."""

    url: str = ""
    secret: str = SECRET
    # Status codes to answer with, in order; 200 once they run out.
    script: list[int] = field(default_factory=list)
    delay: float = 0.0
    requests: list[dict] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def delivery_ids(self) -> list[int]:
        with self.lock:
            return [int(r["headers"]["X-Chuishao-Delivery"]) for r in self.requests]


def serve(receiver: Receiver):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 — the http.server API
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with receiver.lock:
                receiver.requests.append(
                    {
                        "at": time.monotonic(),
                        "headers": dict(self.headers),
                        "body": body,
                        "json": json.loads(body),
                        "signature_ok": signature_valid(
                            receiver.secret, body, self.headers.get("X-Chuishao-Signature", "")
                        ),
                    }
                )
                status = receiver.script.pop(0) if receiver.script else 200
            if receiver.delay:
                time.sleep(receiver.delay)
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server


@pytest.fixture
def receiver():
    rec = Receiver()
    server = serve(rec)
    yield rec
    server.shutdown()
    server.server_close()
