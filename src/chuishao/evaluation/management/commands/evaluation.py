"""``chuishao manage evaluation refresh | rebuild | export``: keep the rollup up to date, or export
one month's indicators for one unit kind as XLSX or CSV."""

from __future__ import annotations

import getpass
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from chuishao.actors import SYSTEM, SystemActor
from chuishao.evaluation.definitions import UNIT_KINDS
from chuishao.evaluation.exports import FORMATS, evaluation_export
from chuishao.evaluation.selectors import indicators
from chuishao.evaluation.services import rollup_rebuild, rollup_refresh
from chuishao.geo.models import Jurisdiction


class Command(BaseCommand):
    requires_system_checks: list[str] = []
    help = "Refresh or rebuild the evaluation rollup, or export indicators."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        refresh = sub.add_parser("refresh", help="recompute the rows touched by new events")
        refresh.add_argument("--batch", type=int, default=5000)
        rebuild = sub.add_parser("rebuild", help="recompute every row")
        rebuild.add_argument("--city", help="code of one city (default: all)")
        exp = sub.add_parser("export", help="write one month's indicators to a file")
        exp.add_argument("--period", required=True, help="YYYY-MM")
        exp.add_argument("--unit", required=True, choices=UNIT_KINDS)
        exp.add_argument("--format", dest="fmt", choices=FORMATS, default="xlsx")
        exp.add_argument("--out", required=True)
        exp.add_argument("--city", help="code of the city (default: the only one)")

    def handle(self, *args, action: str, **options):
        if action == "refresh":
            result = rollup_refresh(batch=options["batch"])
            self.stdout.write(
                f"{result.events} events read, {len(result.keys)} rows recomputed "
                f"({result.written} written, {result.deleted} emptied); cursor at {result.position}"
            )
        elif action == "rebuild":
            city_id = _city(options.get("city")).pk if options.get("city") else None
            written = rollup_rebuild(city_id=city_id)
            self.stdout.write(", ".join(f"{kind}: {n}" for kind, n in written.items()))
        else:
            city = _city(options.get("city"))
            rows = indicators(
                actor=SYSTEM, unit_kind=options["unit"], period=options["period"], city_id=city.pk
            )
            # A file taken at the command line is an export like a download: the event names the OS account.
            actor = SystemActor(label=f"command line ({getpass.getuser()})")
            data = evaluation_export(
                actor=actor,
                rows=rows,
                fmt=options["fmt"],
                unit_kind=options["unit"],
                period=options["period"],
                city_id=city.pk,
            )
            Path(options["out"]).write_bytes(data)
            self.stdout.write(f"{len(rows)} rows written to {options['out']}")


def _city(code: str | None) -> Jurisdiction:
    cities = Jurisdiction.objects.filter(kind="city")
    if code:
        cities = cities.filter(code=code)
    found = list(cities[:2])
    if len(found) != 1:
        raise CommandError("name the city with --city CODE" if found else "no such city")
    return found[0]
