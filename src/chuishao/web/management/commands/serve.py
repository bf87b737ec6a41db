"""``chuishao serve``: the development server for the demo, or gunicorn with ``--production``.

``--production`` refuses the demo secret key unless ``CHUISHAO_DEBUG=1``, prepares the folder through
which gunicorn's workers share their metrics, and writes the safe access log of ``chuishao.ops``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

# settings.py's fallback key starts so; production must bring its own (CHUISHAO_SECRET_KEY).
DEMO_KEY_PREFIX = "chuishao-insecure-"


class Command(BaseCommand):
    help = "Serve Chuishao on http://127.0.0.1:PORT (PORT from --port or the PORT variable)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--production", action="store_true", help="run gunicorn with several workers")
        parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1)
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument(
            "--with-worker",
            action="store_true",
            help="also run `chuishao worker` (sweeps, notifications, rollups) until the server stops",
        )

    def handle(self, *args, port: int, host: str, production: bool, workers: int, threads: int, **options):
        if not production:
            worker = self._start_worker() if options["with_worker"] else None
            self.stdout.write(f"Chuishao on http://{host}:{port}/  (Ctrl-C stops it)")
            try:
                call_command("runserver", f"{host}:{port}", use_reloader=False, use_threading=True)
            finally:
                if worker is not None:
                    worker.terminate()
                    worker.wait(timeout=10)
            return
        if not settings.DEBUG and settings.SECRET_KEY.startswith(DEMO_KEY_PREFIX):
            raise CommandError(
                "refusing to serve in production with the demo secret key: set CHUISHAO_SECRET_KEY "
                "(a long random string, the same on every app server)"
            )
        gunicorn = shutil.which("gunicorn", path=os.path.dirname(sys.executable)) or shutil.which("gunicorn")
        if gunicorn is None:
            raise CommandError("gunicorn is not installed in this environment")
        self._prepare_metrics_folder(port)
        # One access line per request from chuishao.ops (route, status, time), instead of gunicorn's,
        # whose request line carries the query string (phone numbers, search words).
        os.environ.setdefault("CHUISHAO_ACCESS_LOG", "1")
        os.execv(  # noqa: S606 — replaces this process with gunicorn, arguments are ours
            gunicorn,
            [
                gunicorn,
                "chuishao.wsgi:application",
                "--config",
                "python:chuishao.ops.gunicorn_conf",
                "--bind",
                f"{host}:{port}",
                "--workers",
                str(workers),
                "--threads",
                str(threads),
                *self._no_control_socket(),
            ],
        )

    @staticmethod
    def _prepare_metrics_folder(port: int) -> None:
        """gunicorn's workers are separate processes: prometheus-client sums their figures through files
        in ``PROMETHEUS_MULTIPROC_DIR``, which must be set before a worker imports it and be empty at
        start (files of a previous run would count again). Default: one folder per port under var/."""
        folder = Path(os.environ.get("PROMETHEUS_MULTIPROC_DIR") or settings.VAR_DIR / f"prometheus-{port}")
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.db"):
            stale.unlink()
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)

    @staticmethod
    def _no_control_socket() -> list[str]:
        """gunicorn 27 opens a control socket at one fixed path per user; nothing here uses it, and two
        servers on one machine (a rolling restart, a benchmark beside the demo) would contend for it."""
        import gunicorn

        return ["--no-control-socket"] if gunicorn.version_info >= (27,) else []

    def _start_worker(self) -> subprocess.Popen:
        """The background worker as a child process, so the demo's deadlines and notifications move."""
        self.stdout.write("Worker started: deadline sweeps, notifications and rollups every minute.")
        return subprocess.Popen(  # noqa: S603 — our own interpreter and command
            [sys.executable, "-m", "chuishao.cli", "worker"]
        )
