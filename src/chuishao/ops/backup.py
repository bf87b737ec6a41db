"""``chuishao backup PATH`` and ``chuishao restore PATH`` for the embedded SQLite database.

**Backup** copies the live database with SQLite's online backup API (``sqlite3.Connection.backup``):
the copy is one consistent snapshot even while the app keeps writing. It copies every page in one
step, that is inside one read transaction: in WAL mode that sees one committed state and blocks no
writer (copying a few pages at a time instead would start over whenever a writer changed the
database, and might never finish under steady load). The result is a single file, written next to ``PATH`` and
renamed into place only when complete, so a crash mid-backup never leaves a half file under ``PATH``.

**Restore** checks the file first: it must be a SQLite database with Django's migration table,
Chuishao's apps in it, and no migration the running code does not know (a backup from a newer
version would be silently misread). It refuses to overwrite a database that already holds a Chuishao
schema unless ``force`` is given, copies the backup in with the same API (so an open WAL is handled by
SQLite, not by copying files), and then runs ``audit verify`` on the result: a restore that breaks
an event chain or a checkpoint is reported as a failure.

On PostgreSQL neither copies anything: the database's own tools do it better (``pg_dump -Fc`` takes
one consistent snapshot in a single transaction under load; ``pg_restore`` loads it into an empty
database). ``postgres_commands`` returns the commands docs/deployment.md documents, for the command
to print.
"""

from __future__ import annotations

import os
import shlex
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connections
from django.db.migrations.loader import MigrationLoader

# Apps whose tables make a database a Chuishao database.
REQUIRED_APPS = ("orgs", "cases", "events")
PAGES_PER_STEP = -1  # all pages in one step: one snapshot (see above)


class BackupError(Exception):
    pass


@dataclass
class Inspection:
    """What a database file holds: its applied migrations, by app."""

    applied: dict[str, set[str]] = field(default_factory=dict)

    @property
    def migrations(self) -> int:
        return sum(len(names) for names in self.applied.values())


def _vendor(alias: str = "default") -> str:
    return connections[alias].vendor


def database_path(alias: str = "default") -> Path:
    if _vendor(alias) != "sqlite":
        raise BackupError("backup and restore copy SQLite files; on PostgreSQL use pg_dump / pg_restore")
    return Path(connections[alias].settings_dict["NAME"])


def backup(target: str | os.PathLike, *, alias: str = "default") -> Path:
    """Copy the live SQLite database to ``target`` (one consistent snapshot). Returns the path."""
    source = database_path(alias)
    target = Path(target)
    if target.exists():
        raise BackupError(f"{target} exists; choose a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst, pages=PAGES_PER_STEP)
            # A single file: the copy is not left in WAL mode, so no -wal file has to travel with it.
            dst.execute("PRAGMA journal_mode=DELETE")
            check = dst.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            dst.close()
    finally:
        src.close()
    if check != "ok":
        partial.unlink(missing_ok=True)
        raise BackupError(f"the copy failed its integrity check: {check}")
    inspect(partial)
    partial.replace(target)
    return target


def inspect(path: str | os.PathLike) -> Inspection:
    """Check that ``path`` is a Chuishao SQLite database at migrations this code knows."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    with path.open("rb") as f:
        if f.read(16) != b"SQLite format 3\x00":
            raise BackupError(f"{path} is not a SQLite database")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        try:
            rows = conn.execute("SELECT app, name FROM django_migrations").fetchall()
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{path} is not a Chuishao database (no migration table: {exc})") from exc
    finally:
        conn.close()
    found = Inspection()
    for app, name in rows:
        found.applied.setdefault(app, set()).add(name)
    missing = [app for app in REQUIRED_APPS if app not in found.applied]
    if missing:
        raise BackupError(f"{path} is not a Chuishao database (no {', '.join(missing)} migrations)")
    known = MigrationLoader(None, ignore_no_migrations=True).disk_migrations
    unknown = sorted(
        f"{app}.{name}"
        for app, names in found.applied.items()
        for name in names
        if (app, name) not in known
        if any(a == app for a, _ in known)
    )
    if unknown:
        raise BackupError(
            f"{path} was written by a newer version (unknown migrations: {', '.join(unknown[:5])}); "
            "upgrade Chuishao before restoring it"
        )
    return found


def _holds_schema(path: Path) -> bool:
    if not path.exists() or path.stat().st_size == 0:
        return False
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return bool(
            conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name='django_migrations'"
            ).fetchone()
        )
    except sqlite3.DatabaseError:
        return True  # not a database we can read: never overwrite it silently
    finally:
        conn.close()


def restore(source: str | os.PathLike, *, force: bool = False, alias: str = "default") -> Inspection:
    """Replace the configured SQLite database with the backup ``source``; then verify the audit chains.

    Raises ``BackupError`` if the file is not a usable backup, if the database already holds a
    Chuishao schema and ``force`` is not given, or if ``audit verify`` finds a problem afterwards.
    """
    from chuishao.events.audit import audit_verify

    found = inspect(source)
    target = database_path(alias)
    if _holds_schema(target) and not force:
        raise BackupError(f"{target} already holds a Chuishao database; restore with --force to replace it")
    connections[alias].close()
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{Path(source)}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst, pages=PAGES_PER_STEP)
            dst.execute("PRAGMA journal_mode=WAL")
        finally:
            dst.close()
    finally:
        src.close()
    connections[alias].close()
    report = audit_verify()
    if not report.ok:
        first = report.problems[0].message
        raise BackupError(
            f"restored, but audit verify found {len(report.problems)} problems (first: {first})"
        )
    return found


def postgres_commands(path: str, alias: str = "default") -> list[str]:
    """The documented pg_dump / pg_restore commands for the configured PostgreSQL database."""
    db = connections[alias].settings_dict
    args = ["-h", db.get("HOST") or "127.0.0.1", "-p", str(db.get("PORT") or 5432)]
    if db.get("USER"):
        args += ["-U", db["USER"]]
    conn = " ".join(shlex.quote(a) for a in args)
    name, target = shlex.quote(db["NAME"]), shlex.quote(path)
    return [
        f"pg_dump {conn} -Fc --no-owner -f {target} {name}",
        f"createdb {conn} NEW_DATABASE && "
        f"pg_restore {conn} --no-owner --exit-on-error -d NEW_DATABASE {target}",
        "DATABASE_URL=postgres://…/NEW_DATABASE chuishao audit verify",
    ]
