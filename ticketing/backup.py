"""Backups of the whole database while the service runs, and restoring one.

- SQLite: the online backup API (``sqlite3.Connection.backup``) copies every page in one step, inside
  one read transaction, so the copy is the database as it was at one instant even while counters keep
  selling (WAL lets them write meanwhile). The copy is written beside the target and renamed into place.
- PostgreSQL: ``pg_dump --format=custom`` reads everything in one snapshot (REPEATABLE READ), so the dump
  is one instant too; ``pg_restore --clean --if-exists --single-transaction`` puts it back all or nothing.

The audit chain survives both: links are written at commit under one lock, so any snapshot holds links
1…N with no hole, and ``audit verify`` passes on the copy.
"""
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(Exception):
    """The backup or restore could not be made; the message says why."""


def _libpq_url(url) -> str:
    """The URL as pg_dump and pg_restore read it (no SQLAlchemy driver name)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _sqlite_path(url) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing to back up")
    return Path(database)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed (PostgreSQL's client tools: apt install postgresql-client)")
    return path


def _run(args: list[str]) -> None:
    done = subprocess.run(args, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed: {done.stderr.strip()[-2000:]}")


def _sqlite_copy(source: Path, target: Path) -> None:
    """Copy ``source`` into ``target`` with the online backup API, in one step."""
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)  # pages=-1: everything at once, so the copy is one instant
    finally:
        dst.close()
        src.close()


def backup(url, out: Path) -> None:
    """Write a backup of the database at ``url`` to ``out`` (replaced only once the backup is complete)."""
    out = Path(out)
    if not out.parent.is_dir():
        raise BackupError(f"{out.parent}: no such folder")
    partial = out.with_name(f".{out.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        if make_url(url).get_backend_name() == "sqlite":
            source = _sqlite_path(url)
            if not source.is_file():
                raise BackupError(f"{source}: no such database file")
            _sqlite_copy(source, partial)
            check = sqlite3.connect(partial)
            try:
                check.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
                if check.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                    raise BackupError("the copy failed SQLite's integrity check")
            finally:
                check.close()
        else:
            _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(partial),
                  "--dbname", _libpq_url(url)])
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)


def kind(path: Path) -> str:
    """What a backup file is: ``sqlite`` or ``pg_dump`` (else BackupError)."""
    try:
        with open(path, "rb") as f:
            magic = f.read(16)
    except OSError as err:
        raise BackupError(f"{path}: {err.strerror}")
    if magic.startswith(b"SQLite format 3\x00"):
        return "sqlite"
    if magic.startswith(b"PGDMP"):
        return "pg_dump"
    raise BackupError(f"{path} is neither an SQLite database nor a pg_dump archive")


def restore(url, source: Path) -> None:
    """Replace the database at ``url`` with the backup ``source``. Stop the service first: connections
    left open would keep reading the old data (SQLite) or block the restore (PostgreSQL)."""
    source = Path(source)
    found = kind(source)
    if make_url(url).get_backend_name() == "sqlite":
        if found != "sqlite":
            raise BackupError(f"{source} is a PostgreSQL dump; the database here is SQLite")
        check = sqlite3.connect(source)
        try:
            if check.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError(f"{source} failed SQLite's integrity check")
        finally:
            check.close()
        target = _sqlite_path(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        _sqlite_copy(source, target)  # page by page into the live file, in one write transaction
    else:
        if found != "pg_dump":
            raise BackupError(f"{source} is an SQLite database; the database here is PostgreSQL")
        _run([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
              "--exit-on-error", "--dbname", _libpq_url(url), str(source)])
