"""``chuishao backup`` / ``restore`` on SQLite: a copy taken while writes go on restores to a database
whose chains verify; restore refuses what is not a Chuishao backup, a newer schema, and overwriting.
On PostgreSQL the commands print the pg_dump / pg_restore commands (the soak test runs them)."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from chuishao.actors import SYSTEM
from chuishao.events.audit import audit_verify
from chuishao.events.models import Event
from chuishao.ops.backup import BackupError, inspect, restore
from chuishao.orgs.apikeys import apikey_create
from chuishao.orgs.models import ApiKey

sqlite_only = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="chuishao backup/restore copy SQLite files; PostgreSQL uses pg_dump"
)


def _rows(path, table: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608 — our table names
    finally:
        conn.close()


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_a_backup_taken_under_writes_restores_to_a_verified_database(tmp_path, capsys):
    for i in range(20):
        apikey_create(actor=SYSTEM, name=f"before-{i}", scopes=["open311"])
    stop, written = threading.Event(), []

    def writer():  # another connection keeps appending events while the copy is taken
        try:
            while not stop.is_set():
                apikey_create(actor=SYSTEM, name=f"during-{len(written)}", scopes=["open311"])
                written.append(1)
        finally:
            connection.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(written) < 5:
            pass
        call_command("backup", str(tmp_path / "copy.sqlite3"))
        while len(written) < 10:
            pass
    finally:
        stop.set()
        thread.join()
    assert "backup written" in capsys.readouterr().out
    copy = tmp_path / "copy.sqlite3"
    assert not (tmp_path / "copy.sqlite3.partial").exists()
    events, keys = _rows(copy, "events_event"), _rows(copy, "orgs_apikey")
    assert 20 <= keys < ApiKey.objects.count()  # a snapshot from the middle of the writes
    assert events >= keys

    # The database holds a schema: restore refuses to overwrite it without --force.
    with pytest.raises(CommandError, match="--force"):
        call_command("restore", str(copy))
    call_command("restore", str(copy), "--force")
    assert "audit chain intact" in capsys.readouterr().out
    assert Event.objects.count() == events and ApiKey.objects.count() == keys
    assert audit_verify().ok
    apikey_create(actor=SYSTEM, name="after-restore", scopes=["open311"])  # the restored database works
    assert audit_verify().ok


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_backup_refuses_to_overwrite_a_file(tmp_path):
    (tmp_path / "taken").write_text("mine")
    with pytest.raises(CommandError, match="exists"):
        call_command("backup", str(tmp_path / "taken"))
    assert (tmp_path / "taken").read_text() == "mine"


@pytest.mark.django_db
def test_restore_refuses_what_is_not_a_chuishao_backup(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("not a database")
    with pytest.raises(BackupError, match="not a SQLite database"):
        inspect(text)
    other = tmp_path / "other.sqlite3"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE things (id integer)")
    conn.close()
    with pytest.raises(BackupError, match="not a Chuishao database"):
        inspect(other)
    with pytest.raises(BackupError, match="no such file"):
        inspect(tmp_path / "missing.sqlite3")


def _fake_backup(path, extra: tuple[str, str] | None = None):
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE django_migrations (id integer primary key, app text, name text, applied text)")
    rows = [("orgs", "0001_initial"), ("cases", "0001_initial"), ("events", "0001_initial")]
    conn.executemany(
        "INSERT INTO django_migrations (app, name, applied) VALUES (?, ?, '')", rows + [extra] * bool(extra)
    )
    conn.commit()
    conn.close()


@pytest.mark.django_db
def test_restore_refuses_a_backup_from_a_newer_version(tmp_path):
    _fake_backup(tmp_path / "known.sqlite3")
    assert inspect(tmp_path / "known.sqlite3").migrations == 3
    _fake_backup(tmp_path / "newer.sqlite3", ("cases", "9999_from_the_future"))
    with pytest.raises(BackupError, match="newer version"):
        inspect(tmp_path / "newer.sqlite3")
    if connection.vendor == "sqlite":
        with pytest.raises(BackupError, match="newer version"):
            restore(tmp_path / "newer.sqlite3", force=True)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only: the pg_dump commands")
def test_on_postgresql_the_commands_print_pg_dump_and_pg_restore(capsys, tmp_path):
    dump = str(tmp_path / "chuishao.dump")
    call_command("backup", dump)
    out = capsys.readouterr().out
    assert "pg_dump" in out and "-Fc" in out and dump in out
    call_command("restore", dump)
    out = capsys.readouterr().out
    assert "pg_restore" in out and "createdb" in out and "audit verify" in out
