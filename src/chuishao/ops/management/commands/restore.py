"""``chuishao restore PATH [--force]``: put a SQLite backup in place, then verify the audit chains."""

from django.core.management.base import BaseCommand, CommandError

from chuishao.ops.backup import BackupError, postgres_commands, restore


class Command(BaseCommand):
    requires_system_checks: list[str] = []
    help = "Restore a SQLite backup over the configured database (--force to replace one) and verify it."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--force", action="store_true", help="replace a database that already exists")

    def handle(self, *args, path: str, force: bool, **options):
        from django.db import connection

        if connection.vendor != "sqlite":
            self.stdout.write("PostgreSQL: restore with pg_restore into a new database (docs/deployment.md):")
            for line in postgres_commands(path)[1:]:
                self.stdout.write("  " + line)
            return
        try:
            found = restore(path, force=force)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(f"restored {path} ({found.migrations} migrations); audit chain intact")
        )
