"""``chuishao worker``: run the background worker (Huey consumer with its periodic jobs)."""

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Run the background worker: the deadline sweep, notification delivery and rollup refresh every "
        "minute, audit checkpoints every five, forgetting old Idempotency-Key answers every hour."
    )

    def add_arguments(self, parser):
        parser.add_argument("--workers", type=int, default=2)

    def handle(self, *args, workers: int, **options):
        call_command("run_huey", workers=workers, worker_type="thread")
