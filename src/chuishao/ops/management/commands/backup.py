"""``chuishao backup PATH``: a consistent copy of the SQLite database (PostgreSQL: the pg_dump command)."""

from django.core.management.base import BaseCommand, CommandError

from chuishao.ops.backup import BackupError, backup, postgres_commands


class Command(BaseCommand):
    requires_system_checks: list[str] = []
    help = "Copy the SQLite database to PATH while the app runs; on PostgreSQL print the pg_dump command."

    def add_arguments(self, parser):
        parser.add_argument("path")

    def handle(self, *args, path: str, **options):
        from django.db import connection

        if connection.vendor != "sqlite":
            self.stdout.write("PostgreSQL: back up with pg_dump (docs/deployment.md):")
            self.stdout.write("  " + postgres_commands(path)[0])
            return
        try:
            written = backup(path)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"backup written to {written} ({written.stat().st_size} bytes)"))
