"""Periodic jobs of the APIs."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from chuishao.api.idempotency import idempotency_forget


@db_periodic_task(crontab(minute="17"))
def idempotency_cleanup() -> None:
    """Forget answers remembered under an Idempotency-Key longer than the configured window (hourly)."""
    idempotency_forget()
