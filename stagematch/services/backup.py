"""Back-up and restore. SQLite: the online backup API (consistent while the site runs).
PostgreSQL: pg_dump in custom format and pg_restore --clean, with the server binaries on PATH."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess

from sqlalchemy.engine import make_url

from stagematch.extensions import db


def _pg_args(url) -> tuple[list[str], dict]:
    args = [
        "-h",
        url.host or "localhost",
        "-p",
        str(url.port or 5432),
        "-U",
        url.username or "postgres",
    ]
    env = {"PGPASSWORD": url.password} if url.password else {}
    return args, env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        import glob

        found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
        if not found:
            raise RuntimeError(f"{name} not found; install the PostgreSQL client tools")
        path = found[-1]
    return path


def backup(target: str) -> None:
    url = make_url(db.engine.url.render_as_string(hide_password=False))
    if url.get_backend_name() == "sqlite":
        source = db.engine.raw_connection()
        try:
            with sqlite3.connect(target) as destination:
                source.driver_connection.backup(destination)
        finally:
            source.close()
        return
    args, env = _pg_args(url)
    import os

    subprocess.run(
        [_tool("pg_dump"), *args, "-Fc", "-f", target, url.database],
        check=True,
        env={**os.environ, **env},
    )


def restore(source: str) -> None:
    url = make_url(db.engine.url.render_as_string(hide_password=False))
    db.session.remove()
    if url.get_backend_name() == "sqlite":
        connection = db.engine.raw_connection()
        try:
            with sqlite3.connect(source) as origin:
                origin.backup(connection.driver_connection)
        finally:
            connection.close()
        db.engine.dispose()
        return
    db.engine.dispose()
    args, env = _pg_args(url)
    import os

    subprocess.run([_tool("pg_restore"), *args, "--clean", "--if-exists", "--no-owner", "-d", url.database, source],
                   check=True, env={**os.environ, **env})  # fmt: skip
