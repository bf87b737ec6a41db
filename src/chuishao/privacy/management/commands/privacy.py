"""``chuishao privacy retention [--dry-run] [--days N]``, ``privacy export USERNAME``,
``privacy erase USERNAME``: the retention job by hand, and a resident's request taken at a desk."""

import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from chuishao.privacy.services import PrivacyError, person_erase, person_export, retention_run


class Command(BaseCommand):
    help = "Anonymise closed cases past the retention period; export or erase a resident's data."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["retention", "export", "erase"])
        parser.add_argument("username", nargs="?", default="")
        parser.add_argument("--dry-run", action="store_true", help="count and list, change nothing")
        parser.add_argument("--days", type=int, default=None, help="override the retention period")
        parser.add_argument("--batch", type=int, default=200)

    def handle(self, *args, action: str, username: str, **options):
        if action == "retention":
            result = retention_run(days=options["days"], batch=options["batch"], dry_run=options["dry_run"])
            if not result.days:
                self.stdout.write("retention is off (CHUISHAO_RETENTION_DAYS = 0)")
                return
            if options["dry_run"]:
                self.stdout.write(
                    f"{result.found} cases closed before {result.cutoff:%Y-%m-%d} still hold personal data"
                )
                for number in result.numbers[:50]:
                    self.stdout.write(f"  {number}")
                return
            cutoff = f"{result.cutoff:%Y-%m-%d}"
            done = f"{result.anonymised} of {result.found}"
            self.stdout.write(f"anonymised {done} cases closed before {cutoff}")
            return
        person = get_user_model().objects.filter(username=username).first()
        if not username or person is None:
            raise CommandError(f"no account {username!r}")
        if action == "export":
            self.stdout.write(json.dumps(person_export(person=person), ensure_ascii=False, indent=2))
            return
        try:
            result = person_erase(person=person)
        except PrivacyError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"account closed; {result.anonymised} of {result.cases} cases anonymised")
