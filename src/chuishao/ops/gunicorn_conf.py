"""gunicorn settings that ``chuishao serve --production`` passes with ``--config python:…``.

- A worker that exits is marked dead for prometheus-client's multiprocess mode (its files stay, so
  counters and histograms keep what it counted; its live gauges are dropped).
- With ``CHUISHAO_LOG_FORMAT=json`` gunicorn's own lines (boot, worker timeouts) are JSON as well.
- At start, a warning when ``CHUISHAO_HTTPS`` is not set: the server then runs as plain HTTP (cookies
  without ``Secure``, no redirect to HTTPS, no HSTS), which production almost never means. Setting
  ``CHUISHAO_HTTPS=0`` says it does (a private network, TLS handled where cookies do not matter) and
  leaves one INFO line instead. The master logs it once, whichever command started gunicorn.
"""

from __future__ import annotations

import os


def tls_notice(environ) -> tuple[str, str] | None:
    """(level, message) about serving without TLS settings, from the environment; None when HTTPS is on."""
    value = environ.get("CHUISHAO_HTTPS")
    if value == "1":
        return None
    consequences = (
        "session and CSRF cookies are sent without Secure, plain HTTP is not redirected to HTTPS and no "
        "HSTS header is sent"
    )
    if value == "0":
        return "info", f"CHUISHAO_HTTPS=0: serving plain HTTP by choice ({consequences})"
    what = "is not set" if value in (None, "") else f"is {value!r}, neither 1 nor 0"
    return (
        "warning",
        f"CHUISHAO_HTTPS {what}: {consequences}. Served over HTTPS (or behind a proxy that ends TLS, "
        "with CHUISHAO_BEHIND_PROXY=1), set CHUISHAO_HTTPS=1; to serve plain HTTP knowingly, set "
        "CHUISHAO_HTTPS=0.",
    )


def on_starting(server) -> None:
    notice = tls_notice(os.environ)
    if notice is not None:
        level, message = notice
        getattr(server.log, level)(message)


def child_exit(server, worker) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


if os.environ.get("CHUISHAO_LOG_FORMAT") == "json":
    # gunicorn lays this over its defaults key by key, so each key is given whole. Its access log stays
    # silent: the request line holds the query string, and ``chuishao.access`` writes a safe line.
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "root": {"level": "WARNING", "handlers": ["error_console"]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["error_console"], "propagate": False},
            "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
        },
        "handlers": {
            "error_console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "formatters": {"json": {"()": "chuishao.ops.logs.JsonFormatter"}},
    }
