"""``chuishao worker`` starts the Huey consumer with or without its scheduler."""

from __future__ import annotations

import logging

from django.core.management import call_command


def test_the_worker_runs_the_consumer_with_its_scheduler_unless_told_not_to(monkeypatch):
    seen = []

    class Consumer:
        def __init__(self, **options):
            seen.append(options)

        def run(self):
            pass

    from huey.contrib.djhuey import HUEY

    monkeypatch.setattr(HUEY, "create_consumer", lambda **options: Consumer(**options))
    # The consumer's command sets up the "huey" logger; leave it as it was for the other tests.
    huey_logger = logging.getLogger("huey")
    monkeypatch.setattr(huey_logger, "handlers", [])
    monkeypatch.setattr(huey_logger, "level", huey_logger.level)
    call_command("worker", "--workers", "3")
    call_command("worker", "--no-scheduler")
    assert [(o["workers"], o["worker_type"], o["periodic"]) for o in seen] == [
        (3, "thread", True),
        (2, "thread", False),
    ]
