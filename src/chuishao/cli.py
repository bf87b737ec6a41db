"""The ``chuishao`` command: a thin front over Django's management commands.

``chuishao import-geo FILE`` runs the ``import_geo`` command, ``chuishao audit verify`` the ``audit``
command, and so on; ``chuishao manage …`` reaches any Django command.
"""

from __future__ import annotations

import os
import sys

ALIASES = {"serve": "serve", "demo": "demo", "worker": "worker"}


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chuishao.settings")
    from django.core.management import execute_from_command_line

    if len(argv) < 2 or argv[1] in {"-h", "--help", "help"}:
        print(
            "usage: chuishao COMMAND [ARGS]\n\n"
            "commands:\n"
            "  serve [--port N] [--production]   serve the web app (development server; gunicorn with\n"
            "                            --production, which warns unless CHUISHAO_HTTPS is set)\n"
            "  demo [--reset]            load the demo city\n"
            "  import-geo FILE.geojson   import jurisdictions and complexes\n"
            "  catalog load | list       the category catalogue (load the defaults, print the tree)\n"
            "  calendar load-official | import FILE   load the work calendar\n"
            "  audit verify | checkpoint  verify the event chains / seal new events\n"
            "  apikey create NAME [--scope S] [--person U] | list | revoke NAME   API keys\n"
            "  worker [--no-scheduler]   run the task queue (sweeps, notifications, rollups, retention)\n"
            "  notify-run [--once]       only fan out and send notifications (the worker does this too)\n"
            "  evaluation refresh | rebuild | export   the rollup behind the rates, or a spreadsheet\n"
            "  backup PATH | restore PATH [--force]   copy / restore the SQLite database (PG: pg_dump)\n"
            "  privacy retention [--dry-run] | export USER | erase USER   personal data (PIPL)\n"
            "  security totp-reset USER --by USER --reason TEXT   reset a lost second factor (audited)\n"
            "  bench-data --grids N --cases M   a synthetic city for the benchmarks\n"
            "  manage COMMAND …          any Django management command (migrate, createsuperuser …)\n"
        )
        return
    command, rest = argv[1], argv[2:]
    if command == "manage":
        execute_from_command_line([argv[0], *rest])
        return
    execute_from_command_line([argv[0], command.replace("-", "_"), *rest])


if __name__ == "__main__":
    main()
