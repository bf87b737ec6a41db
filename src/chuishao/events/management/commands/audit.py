"""``chuishao audit verify`` and ``chuishao audit checkpoint``."""

from django.core.management.base import BaseCommand, CommandError

from chuishao.events.audit import audit_verify
from chuishao.events.services import checkpoint_create


class Command(BaseCommand):
    requires_system_checks: list[str] = []
    help = "Verify the event chains and checkpoints, or seal new events with a checkpoint."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify", "checkpoint"])

    def handle(self, *args, action: str, **options):
        if action == "checkpoint":
            cp = checkpoint_create()
            if cp is None:
                self.stdout.write("nothing new to seal")
            else:
                self.stdout.write(
                    f"checkpoint {cp.id}: events {cp.first_event_id}–{cp.last_event_id} "
                    f"({cp.event_count}) sealed"
                )
            return
        report = audit_verify()
        summary = (
            f"{report.events_checked} events in {report.chains_checked} chains, "
            f"{report.checkpoints_checked} checkpoints"
        )
        if report.ok:
            self.stdout.write(self.style.SUCCESS(f"audit chain intact: {summary}"))
            return
        first = report.problems[0]
        for problem in report.problems[:20]:
            self.stderr.write(f"- {problem.message}")
        if len(report.problems) > 20:
            self.stderr.write(f"… and {len(report.problems) - 20} more")
        raise CommandError(
            f"audit chain broken ({len(report.problems)} problems; first: {first.message}); checked {summary}"
        )
