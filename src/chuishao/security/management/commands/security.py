"""``chuishao security totp-reset USERNAME --by USERNAME --reason TEXT``: a lost phone taken at a desk.

The reset goes through the same audited service as the page: ``--by`` names the administrator or city
centre who does it (a superuser too), who is checked as on the page and named in the event."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from chuishao.security.services import SecondFactorError, totp_reset


class Command(BaseCommand):
    help = "Reset a staff member's second factor (audited: who did it and why)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["totp-reset"])
        parser.add_argument("username", help="the account whose second factor is reset")
        parser.add_argument("--by", required=True, help="the administrator or city centre doing it")
        parser.add_argument("--reason", required=True, help="why (recorded in the audit trail)")

    def handle(self, *args, action: str, username: str, by: str, reason: str, **options):
        accounts = get_user_model().objects
        person = accounts.filter(username=username).first()
        if person is None:
            raise CommandError(f"no account {username!r}")
        actor = accounts.filter(username=by, is_active=True).first()
        if actor is None:
            raise CommandError(f"no active account {by!r} (--by)")
        try:
            totp_reset(actor=actor, person=person, reason=reason)
        except SecondFactorError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"second factor of {username} reset by {by}")
