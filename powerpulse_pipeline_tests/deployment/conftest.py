from __future__ import annotations

import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from powerpulse_pipeline.deployment import postgres
from powerpulse_pipeline.deployment.postgres import LocalPostgres


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[LocalPostgres]:
    """A real PostgreSQL on 127.0.0.1 with a password over TCP, for the whole session."""
    if not postgres.available():
        pytest.skip(postgres.INSTALL_HINT)
    # Not under the test's TMPDIR: as root the server runs as nobody, who must reach its folder.
    folder = Path(tempfile.mkdtemp(prefix="powerpulse-pg-", dir="/tmp"))
    folder.chmod(0o755)
    server = LocalPostgres(folder / "pg", port=free_port(), password=secrets.token_urlsafe(18))
    server.start()
    try:
        yield server
    finally:
        server.stop()
        # the cluster's files are nobody's (as root) and closed to root without its override
        subprocess.run([*server._as_owner(), "rm", "-rf", str(server.data)], check=False)
        shutil.rmtree(folder, ignore_errors=True)


def new_database(server: LocalPostgres, name: str) -> str:
    """An empty database on the server; its URL (with the password)."""
    import psycopg2

    conn = psycopg2.connect(
        dbname="postgres", user="postgres", password=server.password,
        host="127.0.0.1", port=server.port,
    )  # fmt: skip
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    return server.url.rsplit("/", 1)[0] + f"/{name}"
