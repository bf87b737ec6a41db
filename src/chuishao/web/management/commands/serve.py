"""``chuishao serve``: the development server for the demo, or gunicorn with ``--production``."""

from __future__ import annotations

import os
import shutil
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Serve Chuishao on http://127.0.0.1:PORT (PORT from --port or the PORT variable)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--production", action="store_true", help="run gunicorn with several workers")
        parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1)
        parser.add_argument("--threads", type=int, default=4)

    def handle(self, *args, port: int, host: str, production: bool, workers: int, threads: int, **options):
        if not production:
            self.stdout.write(f"Chuishao on http://{host}:{port}/  (Ctrl-C stops it)")
            call_command("runserver", f"{host}:{port}", use_reloader=False, use_threading=True)
            return
        gunicorn = shutil.which("gunicorn", path=os.path.dirname(sys.executable)) or shutil.which("gunicorn")
        if gunicorn is None:
            raise CommandError("gunicorn is not installed in this environment")
        os.execv(  # noqa: S606 — replaces this process with gunicorn, arguments are ours
            gunicorn,
            [
                gunicorn,
                "chuishao.wsgi:application",
                "--bind",
                f"{host}:{port}",
                "--workers",
                str(workers),
                "--threads",
                str(threads),
                "--access-logfile",
                "-",
            ],
        )
