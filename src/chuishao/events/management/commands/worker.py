"""``chuishao worker``: run the background worker (Huey consumer with its periodic jobs).

Several workers may run at once on one PostgreSQL and one Redis (docs/workers.md): every job is safe
to run in several of them at the same moment. Each worker's scheduler enqueues the periodic jobs, so
with N workers each runs N times a minute; ``--no-scheduler`` leaves the scheduling to the others.
"""

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Run the background worker: the deadline sweep, notification delivery and rollup refresh every "
        "minute, audit checkpoints every five, forgetting old Idempotency-Key answers every hour."
    )

    def add_arguments(self, parser):
        parser.add_argument("--workers", type=int, default=2, help="threads taking jobs (default 2)")
        parser.add_argument(
            "--no-scheduler",
            action="store_true",
            help="take jobs but do not enqueue the periodic ones (another worker's scheduler does)",
        )

    def handle(self, *args, workers: int, no_scheduler: bool, **options):
        call_command("run_huey", workers=workers, worker_type="thread", periodic=not no_scheduler)
