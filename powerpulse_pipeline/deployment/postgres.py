"""A PostgreSQL server of PowerPulse's own in a data folder, for `make serve` without
POWERPULSE_POSTGRES_URL (and for the tests).

By default it listens on a Unix socket only, in a folder only its owner can enter (as root:
`nobody`, who runs it, and root's group), so no other user of the machine can reach it and it
needs no password. With a port it also listens on
127.0.0.1 (the tests, and a team whose webserver runs elsewhere use their own server).
PostgreSQL refuses to run as root: as root it runs as `nobody`, which owns its folder.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

DATABASE = "dagster"
SUPERUSER = "postgres"
START_TIMEOUT_SECONDS = 60
# Debian installs the server binaries outside PATH; other systems put them on it.
INSTALL_HINT = (
    "PostgreSQL's server programs (initdb, pg_ctl) are not installed: "
    "`apt-get install postgresql` on Debian or Ubuntu, `brew install postgresql` on macOS, "
    "or set POWERPULSE_POSTGRES_URL to an existing server"
)


class PostgresError(RuntimeError):
    pass


def binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    return versions[-1] if versions else None


def available() -> bool:
    return all(binary(name) for name in ("initdb", "pg_ctl", "postgres"))


@dataclass
class LocalPostgres:
    """The server in `folder` (`folder/db` its data, `folder/socket` its socket)."""

    folder: Path
    port: int | None = None
    # With a port: the superuser's password over TCP (the socket stays trusted).
    password: str | None = field(default=None, repr=False)
    # Whether start() started the server (it may have been running already): stop() stops
    # only a server it started.
    started_here: bool = False

    @property
    def data(self) -> Path:
        return self.folder / "db"

    @property
    def socket_dir(self) -> Path:
        return self.folder / "socket"

    @property
    def url(self) -> str:
        if self.port is not None:
            user = SUPERUSER + (f":{quote(self.password, safe='')}" if self.password else "")
            return f"postgresql+psycopg2://{user}@127.0.0.1:{self.port}/{DATABASE}"
        return f"postgresql+psycopg2://{SUPERUSER}@/{DATABASE}?host={self.socket_dir}"

    def start(self) -> str:
        """Create the cluster and its database where missing, start it, return its URL."""
        if not available():
            raise PostgresError(INSTALL_HINT)
        self._make_folders()
        if not self._initialised():
            auth = ["--auth=trust"]
            if self.password:  # set over the socket once started: never in a file
                auth = ["--auth-local=trust", "--auth-host=scram-sha-256"]
            self._run(
                binary("initdb"), "-D", str(self.data), "-U", SUPERUSER, *auth,
                "--encoding=UTF8", "--locale=C.UTF-8",
            )  # fmt: skip
        if self._status() != 0:
            self.started_here = True
            listen = f"-c listen_addresses={'127.0.0.1' if self.port else chr(39) * 2}"
            port = self.port or 5432
            self._run(
                binary("pg_ctl"), "-D", str(self.data), "-l", str(self.folder / "server.log"),
                "-w", "-t", str(START_TIMEOUT_SECONDS),
                "-o", f"-p {port} -k {self.socket_dir} {listen} -c max_connections=200",
                "start",
            )  # fmt: skip
        self._create_database()
        return self.url

    def stop(self, only_if_started_here: bool = False) -> None:
        if only_if_started_here and not self.started_here:
            return
        if self._initialised() and self._status() == 0:
            self._run(binary("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def _initialised(self) -> bool:
        # as the owner: as root without root's override, nobody's 0700 folder is closed to us
        marker = str(self.data / "PG_VERSION")
        return subprocess.run([*self._as_owner(), "test", "-f", marker]).returncode == 0

    def _status(self) -> int:
        return subprocess.run(
            [*self._as_owner(), binary("pg_ctl"), "-D", str(self.data), "status"],
            capture_output=True,
        ).returncode

    def _create_database(self) -> None:
        import psycopg2

        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            try:
                conn = psycopg2.connect(
                    dbname="postgres", user=SUPERUSER, host=str(self.socket_dir),
                    port=self.port or 5432,
                )  # fmt: skip
                break
            except psycopg2.OperationalError:
                if time.monotonic() > deadline:
                    raise PostgresError(
                        f"PostgreSQL in {self.folder} did not accept connections; "
                        f"see {self.folder / 'server.log'}"
                    ) from None
                time.sleep(0.2)
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                if self.password:
                    cur.execute(f"ALTER USER {SUPERUSER} PASSWORD %s", (self.password,))
                cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,))
                if cur.fetchone() is None:
                    cur.execute(f'CREATE DATABASE "{DATABASE}"')
        finally:
            conn.close()

    def _make_folders(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(exist_ok=True)
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            # nobody owns them; root's group may pass through to the socket (root without its
            # override, as the tests run, is neither owner nor other); nobody else may enter
            for path in (self.folder, self.socket_dir):
                os.chown(path, nobody.pw_uid, os.getegid())
                path.chmod(0o710)
        else:
            self.folder.chmod(0o700)
            self.socket_dir.chmod(0o700)

    def _as_owner(self) -> list[str]:
        if os.geteuid() != 0:
            return []
        return ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"]

    def _run(self, *args: str | None) -> None:
        done = subprocess.run(
            [*self._as_owner(), *(a for a in args if a is not None)],
            capture_output=True,
            text=True,
            cwd=self.folder,
        )
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            raise PostgresError(f"{Path(str(args[0])).name} failed: " + " / ".join(tail))
