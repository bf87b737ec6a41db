"""``chuishao notify-run [--once]``: fan events out and send deliveries, in a loop.

Several may run at once (on several machines): the fan-out serialises on its cursor row, and
deliveries are claimed with SKIP LOCKED, so none is sent twice by live workers.
"""

import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from chuishao.notify.services import deliver_pending, fanout
from chuishao.notify.services.delivery import default_worker


class Command(BaseCommand):
    # A worker checks no URLs or templates (as ``audit``): it starts even while the web layer is broken.
    requires_system_checks: list[str] = []
    help = "Fan new events out to inboxes and channels, and send pending deliveries (loops unless --once)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="one round, then exit")
        parser.add_argument("--interval", type=float, default=5.0, help="seconds to wait when idle")
        parser.add_argument("--batch", type=int, default=100, help="deliveries claimed at a time")
        parser.add_argument("--lease", type=float, default=None, help="seconds a claim lasts unrenewed")
        parser.add_argument("--worker", default="", help="name recorded on claimed rows")

    def handle(self, *args, once: bool, interval: float, batch: int, lease: float | None, worker: str, **o):
        worker = worker or default_worker()
        while True:
            fanned = fanout()
            sent = deliver_pending(batch=batch, worker=worker, lease=lease)
            if fanned.events or sent.claimed:
                self.stdout.write(
                    f"events {fanned.events}, notifications {fanned.notifications}, "
                    f"deliveries {fanned.deliveries} queued; sent {sent.delivered}, "
                    f"retrying {sent.retrying}, failed {sent.failed}"
                )
            if once:
                return
            if not sent.claimed:
                time.sleep(interval)
            # Like a request boundary: drop a connection that broke or outlived CONN_MAX_AGE.
            close_old_connections()
