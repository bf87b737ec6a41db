"""Periodic jobs of the case loop (thin wrappers over services)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from chuishao.cases.sweep import deadline_sweep


@db_periodic_task(crontab(minute="*"))
def deadline_sweep_task() -> None:
    """Every minute: warnings, escalations, expired feedback windows and late whistle reports."""
    deadline_sweep()
