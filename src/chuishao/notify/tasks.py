"""Periodic job of the notifications app (a thin wrapper over services)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from chuishao.notify.services import deliver_pending, fanout


@db_periodic_task(crontab(minute="*"))
def notify_tick() -> None:
    """Fan new events out to inboxes and delivery rows, then send what is due."""
    fanout()
    deliver_pending()
