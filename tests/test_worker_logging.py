"""The worker's log lines come out once, in the project's format (text or JSON), not twice."""

from __future__ import annotations

import logging

from django.core.management import call_command

from chuishao.ops.logs import JsonFormatter


def _handlers_reached(name: str) -> list[logging.Handler]:
    """Every handler a record logged on ``name`` is written by, following propagation as logging does
    (pytest's own capturing handlers left out)."""
    reached: list[logging.Handler] = []
    logger: logging.Logger | None = logging.getLogger(name)
    while logger is not None:
        reached.extend(h for h in logger.handlers if not type(h).__module__.startswith("_pytest"))
        if not logger.propagate:
            break
        logger = logger.parent
    return reached


def test_a_consumer_line_is_written_once_in_the_projects_format(monkeypatch):
    seen = []

    class Consumer:
        def __init__(self, **options):
            pass

        def run(self):
            seen.append(_handlers_reached("huey.consumer"))

    from huey.contrib.djhuey import HUEY

    monkeypatch.setattr(HUEY, "create_consumer", lambda **options: Consumer(**options))
    call_command("worker")
    [handlers] = seen
    assert len(handlers) == 1, handlers
    formatter = handlers[0].formatter
    assert isinstance(formatter, JsonFormatter) or "%(request_id)s" in formatter._fmt
    assert logging.getLogger("huey.consumer").isEnabledFor(logging.INFO)
