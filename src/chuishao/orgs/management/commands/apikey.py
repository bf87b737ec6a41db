"""``chuishao apikey create NAME [--scope …] [--person USERNAME] | list | revoke NAME``.

``create`` prints the new key once; only its hash is kept, so a lost key is revoked and replaced.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from chuishao.actors import SystemActor
from chuishao.orgs.apikeys import apikey_create, apikey_find, apikey_revoke
from chuishao.orgs.errors import OrgError
from chuishao.orgs.models import ApiKey, ApiScope

CLI = SystemActor(label="command line")


class Command(BaseCommand):
    requires_system_checks: list[str] = []
    help = "Create, list or revoke API keys."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a key and print it once")
        create.add_argument("name", help="what the key is for, e.g. the system that uses it")
        create.add_argument(
            "--scope",
            action="append",
            choices=ApiScope.values,
            help="repeat for several scopes (default: open311)",
        )
        create.add_argument("--person", help="username the key acts for (needed by read and write)")
        sub.add_parser("list", help="list keys (never their secrets)")
        revoke = sub.add_parser("revoke", help="revoke a key by name or prefix")
        revoke.add_argument("name")
        revoke.add_argument("--reason", default="")

    def handle(self, *args, action: str, **options):
        try:
            if action == "create":
                person = None
                if options["person"]:
                    person = get_user_model().objects.filter(username=options["person"]).first()
                    if person is None:
                        raise CommandError(f"No person has the username {options['person']!r}.")
                key, raw = apikey_create(
                    actor=CLI, name=options["name"], scopes=options["scope"] or ["open311"], person=person
                )
                self.stdout.write(raw)
                self.stderr.write(
                    f"Key {key.name!r} ({key.prefix}, scopes: {', '.join(key.scopes)}) created. "
                    "Store it now: it is not kept and cannot be shown again."
                )
            elif action == "list":
                for key in ApiKey.objects.select_related("person").order_by("name"):
                    state = "revoked " + key.revoked_at.isoformat() if key.revoked_at else "active"
                    used = key.last_used_at.isoformat() if key.last_used_at else "never used"
                    person = key.person.username if key.person else "-"
                    self.stdout.write(
                        f"{key.prefix}\t{key.name}\t{','.join(key.scopes)}\t{person}\t{state}\t{used}"
                    )
            else:
                key = apikey_revoke(actor=CLI, key=apikey_find(options["name"]), reason=options["reason"])
                self.stdout.write(f"Key {key.name!r} ({key.prefix}) revoked.")
        except OrgError as exc:
            raise CommandError(exc.message) from exc
