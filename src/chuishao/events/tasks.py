"""Periodic jobs of the event log (thin wrappers over services)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from chuishao.events.services import checkpoint_create


@db_periodic_task(crontab(minute="*/5"))
def audit_checkpoint() -> None:
    """Seal the events written since the last checkpoint (the last minute waits for the next run)."""
    checkpoint_create()
