"""``chuishao bench-data --grids N --cases M``: bulk-load a synthetic big city for the benchmarks."""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from chuishao.demo.bigcity import HISTORY_CHOICES, BigCityError, bench_data


def _positive(text: str) -> int:
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError as exc:
        raise CommandError(f"not a whole number: {text!r}") from exc
    return value


class Command(BaseCommand):
    help = (
        "Fill an empty database with a synthetic city (grids, organisations, accounts, cases with their "
        "event chains, rebuilt rollup) by bulk loading; migrates first. For benchmarks, never production."
    )

    def add_arguments(self, parser):
        parser.add_argument("--grids", type=_positive, default=100_000)
        parser.add_argument("--cases", type=_positive, default=10_000_000)
        parser.add_argument("--months", type=_positive, default=12, help="history length (default 12)")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--history",
            choices=HISTORY_CHOICES,
            default="counted",
            help="counted: the events the rollup reads (report, verify, file, check, escalation); "
            "full: every step of every case",
        )
        parser.add_argument("--json", metavar="PATH", help="also write what was loaded, as JSON")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, grids, cases, months, seed, history, json: str | None, no_progress, **options):
        call_command("migrate", verbosity=0)
        try:
            result = bench_data(
                grids=grids, cases=cases, months=months, seed=seed, history=history,
                log=self.stdout.write, progress=not no_progress,
            )  # fmt: skip
        except BigCityError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"{result.grids:,} grids, {result.communities:,} communities, {result.streets:,} streets, "
                f"{result.districts:,} districts; {result.organisations:,} organisations, "
                f"{result.people:,} accounts; {result.cases:,} cases, {result.events:,} events, "
                f"{result.rollup_rows:,} rollup rows in {result.seconds['total']:.0f} s"
            )
        )
        self.stdout.write("  " + ", ".join(f"{k} {v:.0f} s" for k, v in result.seconds.items()))
        if json:
            import json as json_module
            from dataclasses import asdict

            with open(json, "w") as out:
                json_module.dump(asdict(result), out, indent=2)
