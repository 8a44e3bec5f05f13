"""`make serve`: the team deployment on one machine, each Dagster service its own process.

PostgreSQL first (POWERPULSE_POSTGRES_URL, or a server of our own under
`$POWERPULSE_DATA_DIR/postgres`), then the instance (deployment/instance.py), then:

- the code server (`dagster code-server start`), the only process that imports the pipeline;
  it launches the run workers;
- the webserver and the daemon, which reach the code server over its gRPC port;
- the explorer.

A service that exits is started again (after 1 s, doubling to 30 s while it keeps failing), so
one can be restarted alone: `python -m powerpulse_pipeline.deployment.serve restart webserver`
stops it and this supervisor starts it again. Ctrl-C or SIGTERM stops them all, and the
PostgreSQL server if this started it.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..settings import Settings, project_root
from . import instance
from .postgres import LocalPostgres, PostgresError

BIN = Path(sys.executable).parent
CODE_SERVER_PORT = 4266
WEBSERVER_PORT = 3000
CODE_SERVER_LOCATION = "powerpulse"
RESTART_FIRST_SECONDS = 1.0
RESTART_MAX_SECONDS = 30.0
# A service up this long is healthy again: its next exit restarts it after 1 s.
HEALTHY_AFTER_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 30.0
SERVICES = ("code-server", "webserver", "daemon", "explorer")
# What each service's command line holds: `restart` signals a pid only if it is the service.
SERVICE_MARKERS = {
    "code-server": "code-server start",
    "webserver": "dagster-webserver",
    "daemon": "dagster-daemon run",
    "explorer": "powerpulse_pipeline.explorer.serve",
}


@dataclass
class Ports:
    code_server: int = CODE_SERVER_PORT
    webserver: int = WEBSERVER_PORT

    @classmethod
    def from_env(cls) -> Ports:
        return cls(
            code_server=int(os.environ.get("POWERPULSE_CODE_SERVER_PORT", CODE_SERVER_PORT)),
            webserver=int(os.environ.get("POWERPULSE_WEBSERVER_PORT", WEBSERVER_PORT)),
        )


def workspace_yaml(ports: Ports) -> str:
    return (
        "# Written by `make serve`: the webserver and daemon reach the code server's gRPC port.\n"
        "load_from:\n"
        "  - grpc_server:\n"
        "      host: 127.0.0.1\n"
        f"      port: {ports.code_server}\n"
        f"      location_name: {CODE_SERVER_LOCATION}\n"
    )


def commands(home: Path, ports: Ports) -> dict[str, list[str]]:
    workspace = str(home / "workspace.yaml")
    return {
        "code-server": [
            str(BIN / "dagster"), "code-server", "start",
            "-h", "127.0.0.1", "-p", str(ports.code_server),
            "-m", "powerpulse_pipeline.definitions",
            "--location-name", CODE_SERVER_LOCATION,
            "--working-directory", str(project_root()),
        ],
        "webserver": [
            str(BIN / "dagster-webserver"), "-h", "127.0.0.1", "-p", str(ports.webserver),
            "-w", workspace,
        ],
        "daemon": [str(BIN / "dagster-daemon"), "run", "-w", workspace],
        "explorer": [sys.executable, "-m", "powerpulse_pipeline.explorer.serve"],
    }  # fmt: skip


@dataclass
class Service:
    name: str
    argv: list[str]
    log: Path
    proc: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    delay: float = RESTART_FIRST_SECONDS
    due: float = 0.0
    restarts: int = 0

    def start(self, env: dict[str, str]) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                self.argv,
                cwd=project_root(),
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its children (run workers) stop with it
            )
        self.started = time.monotonic()

    def signal(self, sig: int) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, sig)


@dataclass
class Supervisor:
    home: Path
    env: dict[str, str]
    ports: Ports
    say: Callable[[str], None] = print
    services: list[Service] = field(default_factory=list)
    stopping: bool = False

    @property
    def run_dir(self) -> Path:
        return self.home / "serve"

    def start(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        (self.home / "workspace.yaml").write_text(workspace_yaml(self.ports))
        argv = commands(self.home, self.ports)
        for name in SERVICES:
            service = Service(name, argv[name], self.run_dir / f"{name}.log")
            self.services.append(service)
            self._launch(service)
            if name == "code-server":
                self._wait_for_port(self.ports.code_server, service)

    def _launch(self, service: Service) -> None:
        service.start(self.env)
        assert service.proc is not None
        (self.run_dir / f"{service.name}.pid").write_text(f"{service.proc.pid}\n")
        self.say(f"PowerPulse: {service.name} started (pid {service.proc.pid}, log {service.log})")

    def _wait_for_port(self, port: int, service: Service, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if service.proc is not None and service.proc.poll() is not None:
                return  # it died: watch() restarts it and says so
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                return
            time.sleep(0.5)
        self.say(f"PowerPulse: the code server is not listening on {port} yet; see {service.log}")

    def watch_once(self) -> None:
        now = time.monotonic()
        for service in self.services:
            proc = service.proc
            if proc is not None and proc.poll() is not None:
                code = proc.returncode
                service.proc = None
                with contextlib.suppress(FileNotFoundError):
                    (self.run_dir / f"{service.name}.pid").unlink()
                if now - service.started >= HEALTHY_AFTER_SECONDS:
                    service.delay = RESTART_FIRST_SECONDS
                service.due = now + service.delay
                self.say(
                    f"PowerPulse: {service.name} exited ({_exit(code)}); "
                    f"starting it again in {service.delay:.0f} s (log {service.log})"
                )
                service.delay = min(service.delay * 2, RESTART_MAX_SECONDS)
            elif proc is None and now >= service.due and not self.stopping:
                service.restarts += 1
                self._launch(service)

    def stop(self) -> None:
        self.stopping = True
        # the daemon first, so that it launches no run while the code server goes
        for service in self.services:
            if service.name == "daemon" and service.proc is not None:
                service.signal(signal.SIGTERM)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    service.proc.wait(timeout=STOP_TIMEOUT_SECONDS / 2)
        for service in self.services:
            service.signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        for service in self.services:
            if service.proc is None:
                continue
            try:
                service.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                service.signal(signal.SIGKILL)
                service.proc.wait()
        for service in self.services:
            with contextlib.suppress(FileNotFoundError):
                (self.run_dir / f"{service.name}.pid").unlink()
        self.say("PowerPulse: all services stopped")


def _exit(code: int) -> str:
    return f"killed by signal {-code}" if code < 0 else f"exit code {code}"


def service_pid(home: Path, name: str) -> int | None:
    """The pid in the service's pid file, if that process is the service (not a reused pid)."""
    try:
        pid = int((home / "serve" / f"{name}.pid").read_text())
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except (OSError, ValueError):
        return None
    return pid if SERVICE_MARKERS[name] in command else None


def restart(home: Path, name: str) -> None:
    """Stop one service; the supervisor starts it again."""
    pid = service_pid(home, name)
    if pid is None:
        sys.exit(f"PowerPulse: {name} is not running under `make serve`; `make serve` starts it")
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
    print(f"PowerPulse: {name} (pid {pid}) stopped; `make serve` starts it again")


def stop_leftovers(home: Path) -> None:
    """Services of a supervisor that was killed outright (they run in sessions of their own)
    would hold the ports: stop them. Only called with the home's lock held, so no live
    supervisor owns them."""
    for name in SERVICES:
        pid = service_pid(home, name)
        if pid is not None:
            print(f"PowerPulse: stopping {name} (pid {pid}), left by a supervisor that died")
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        with contextlib.suppress(FileNotFoundError):
            (home / "serve" / f"{name}.pid").unlink()


def serve(home: Path) -> None:
    settings = Settings.from_env()
    run_dir = home / "serve"
    run_dir.mkdir(parents=True, exist_ok=True)
    lock = (run_dir / ".lock").open("w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        sys.exit(f"PowerPulse: another `make serve` is running on {home}")
    stop_leftovers(home)
    env = dict(os.environ, DAGSTER_HOME=str(home))
    env.setdefault("DAGSTER_EVENT_BATCH_SIZE", instance.EVENT_BATCH_SIZE)
    own_postgres: LocalPostgres | None = None
    ports = Ports.from_env()
    supervisor = Supervisor(home, env, ports)

    def on_signal(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    try:
        if not env.get(instance.POSTGRES_URL_VAR, "").strip():
            own_postgres = LocalPostgres(settings.data_dir / "postgres")
            env[instance.POSTGRES_URL_VAR] = own_postgres.start()
            print(f"PowerPulse: PostgreSQL in {own_postgres.folder} (a socket only it can reach)")
        os.environ[instance.POSTGRES_URL_VAR] = env[instance.POSTGRES_URL_VAR]
        instance.prepare(home)
        supervisor.start()
        print(f"PowerPulse: Dagster at http://127.0.0.1:{ports.webserver}")
        print(f"PowerPulse: explorer at http://127.0.0.1:{settings.explorer_port}")
        print(f"PowerPulse: drop exports into {settings.inbox_dir}; Ctrl-C stops everything")
        while True:
            supervisor.watch_once()
            time.sleep(0.5)
    except (PostgresError, instance.InstanceError) as error:
        print(f"PowerPulse: {error}", file=sys.stderr)
        raise SystemExit(1) from None
    except KeyboardInterrupt:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    finally:
        supervisor.stop()
        if own_postgres is not None and own_postgres.started_here:
            with contextlib.suppress(PostgresError):
                own_postgres.stop()
            print("PowerPulse: PostgreSQL stopped")
        lock.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="The team deployment: `make serve`.")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("start", help="start every service (the default)")
    again = sub.add_parser("restart", help="restart one service")
    again.add_argument("service", choices=SERVICES)
    args = parser.parse_args(argv)
    home = Path(os.environ.get("DAGSTER_HOME") or project_root() / ".dagster_home").resolve()
    if args.command == "restart":
        restart(home, args.service)
    else:
        serve(home)


if __name__ == "__main__":
    main()
