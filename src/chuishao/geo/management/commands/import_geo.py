"""``chuishao import-geo FILE.geojson [--dry-run] [--by USERNAME]``: import boundaries.

An interface only: it reads the file, calls ``geo_import`` (or only validates, with ``--dry-run``)
and prints every problem as ``CODE: message`` or a summary per kind.
"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from chuishao.actors import SYSTEM
from chuishao.geo.errors import GeoFileError, GeoImportError, Problem
from chuishao.geo.importer import geo_import, parse_geojson, validate_feature_collection


class Command(BaseCommand):
    help = "Import jurisdictions and complexes from a GeoJSON FeatureCollection (all or nothing)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="validate only; write nothing")
        parser.add_argument(
            "--by", metavar="USERNAME", help="the user recorded as the importer (default: system)"
        )

    def handle(self, *args, file: Path, dry_run: bool, by: str | None, **options):
        actor = SYSTEM
        if by:
            try:
                actor = get_user_model().objects.get(username=by)
            except get_user_model().DoesNotExist as exc:
                raise CommandError(f"no user {by!r}") from exc
        try:
            data = parse_geojson(file.read_bytes())
        except FileNotFoundError as exc:
            raise CommandError(f"{file}: no such file") from exc
        except OSError as exc:
            raise CommandError(f"{file}: cannot read ({exc})") from exc
        except GeoFileError as exc:
            raise CommandError(f"{file}: {exc}") from exc
        features = data.get("features") if isinstance(data.get("features"), list) else []

        if dry_run:
            result = validate_feature_collection(data)
            if not result.ok:
                self._fail(file, result.problems)
            created, updated = result.counts()
            self._summary(f"{file}: valid, nothing written (dry run); would", created, updated)
            return
        with tqdm(
            total=len(features), unit="feature", desc="importing", disable=None, file=self.stderr._out
        ) as bar:
            try:
                summary = geo_import(actor=actor, data=data, progress=bar.update)
            except GeoImportError as exc:
                bar.close()
                self._fail(file, exc.problems)
        self._summary(f"{file}: imported (revision {summary.revision_id});", summary.created, summary.updated)

    def _fail(self, file: Path, problems: list[Problem]) -> None:
        for problem in problems:
            self.stderr.write(f"{problem.code}: {problem.message}")
        raise CommandError(f"{file}: {len(problems)} problem(s); nothing imported")

    def _summary(self, lead: str, created: dict[str, int], updated: dict[str, int]) -> None:
        kinds = sorted(set(created) | set(updated))
        self.stdout.write(
            self.style.SUCCESS(f"{lead} create {sum(created.values())}, update {sum(updated.values())}")
        )
        for kind in kinds:
            self.stdout.write(
                f"  {kind:<10} created {created.get(kind, 0):>6}  updated {updated.get(kind, 0):>6}"
            )
