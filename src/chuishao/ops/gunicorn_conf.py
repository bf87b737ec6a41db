"""gunicorn settings that ``chuishao serve --production`` passes with ``--config python:…``.

- A worker that exits is marked dead for prometheus-client's multiprocess mode (its files stay, so
  counters and histograms keep what it counted; its live gauges are dropped).
- With ``CHUISHAO_LOG_FORMAT=json`` gunicorn's own lines (boot, worker timeouts) are JSON as well.
"""

from __future__ import annotations

import os


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
