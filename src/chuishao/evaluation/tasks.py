"""Periodic job of the evaluation (a thin wrapper over the service)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from chuishao.evaluation.services import rollup_refresh


@db_periodic_task(crontab(minute="*"))
def rollup_refresh_task() -> None:
    """Every minute: recompute the rollup rows that the newest events touched."""
    rollup_refresh()
