"""``chuishao catalog load`` (load the shipped catalogue) and ``chuishao catalog list`` (print it)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from chuishao.actors import SYSTEM
from chuishao.catalog.models import Level
from chuishao.catalog.selectors import category_list, dept_types
from chuishao.catalog.services import catalog_load_defaults

# Widest first, as a reader scans an owner list.
LEVEL_ORDER = {level: i for i, level in enumerate(Level.values)}


class Command(BaseCommand):
    help = "Load the default category catalogue, or list the catalogue as a tree."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["load", "list"])
        parser.add_argument("--kind", choices=["component", "event"], help="list only one kind")
        parser.add_argument(
            "--all", action="store_true", dest="include_retired", help="list retired categories too"
        )

    def handle(self, *args, action: str, kind: str | None = None, include_retired: bool = False, **options):
        if action == "load":
            counts = catalog_load_defaults(actor=SYSTEM)
            for table in ("categories", "deadlines", "responsibilities"):
                self.stdout.write(
                    f"{table}: {counts[f'{table}_created']} created, {counts[f'{table}_updated']} updated"
                )
            return
        names = dept_types()
        categories = category_list(kind=kind, active_only=not include_retired).prefetch_related(
            "responsibilities"
        )
        for category in categories:
            if category.parent_id is None:
                self.stdout.write(f"{category.full_code}  {category.name}  {category.name_en}")
                continue
            generic = [r for r in category.responsibilities.all() if r.city_id is None]
            generic.sort(key=lambda r: LEVEL_ORDER.get(r.level, len(LEVEL_ORDER)))
            owners = ", ".join(f"{r.level}:{names.get(r.dept_type, r.dept_type)}" for r in generic)
            self.stdout.write(f"  {category.full_code}  {category.name}  {category.name_en}  [{owners}]")
