"""``chuishao demo``: load the demo city once, then print the demo logins."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from chuishao.demo.activities import ACTIVITIES_LOGINS
from chuishao.demo.campaigns import CAMPAIGN_LOGINS
from chuishao.demo.city import DEMO_LOGINS
from chuishao.demo.engagement import ENGAGEMENT_LOGINS
from chuishao.demo.loader import DEMO_PASSWORD, demo_is_loaded, load_demo
from chuishao.demo.redproperty import REDPROPERTY_LOGINS

ALL_LOGINS = DEMO_LOGINS + ENGAGEMENT_LOGINS + REDPROPERTY_LOGINS + ACTIVITIES_LOGINS + CAMPAIGN_LOGINS


class Command(BaseCommand):
    help = "Load the demo city (geography, organisations, people, months of cases) unless it is loaded."

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=1200)
        parser.add_argument("--days", type=int, default=120)

    def handle(self, *args, cases: int, days: int, **options):
        if demo_is_loaded():
            self.stdout.write("The demo city is already loaded (remove var/ to start afresh).")
        else:
            started = time.monotonic()
            result = load_demo(log=self.stdout.write, cases=cases, days=days)
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo city loaded: {result['cases']} cases in {time.monotonic() - started:.0f} s."
                )
            )
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
        printed: set[str] = set()
        for username, chinese, english in ALL_LOGINS:
            if username not in printed:  # a showcase account of several parts is printed once
                printed.add(username)
                self.stdout.write(f"  {username:<32} {chinese} · {english}")
