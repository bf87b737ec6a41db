"""The retention job, once a night (a thin wrapper over the service)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from chuishao.privacy.services import retention_run


@db_periodic_task(crontab(minute="17", hour="3"))
def retention_task() -> None:
    """Every night at 03:17: anonymise closed cases older than the retention period, in batches."""
    retention_run()
