"""The Dagster instance PowerPulse runs on: deploy/dagster.yaml, on SQLite or PostgreSQL.

`make dev` and `make serve` call `prepare()` before they start Dagster. It writes
`$DAGSTER_HOME/dagster.yaml` from deploy/dagster.yaml, adding a PostgreSQL `storage:` block when
POWERPULSE_POSTGRES_URL is set. The block names the variable (`env:`), never its value, so the
password is in neither the file nor the UI's instance page, which shows the file's settings.
Then it migrates the storage when its schema is behind the installed Dagster, and sets the
DuckDB writer pool's limit in the storage itself: pool limits live there, and a fresh database
has none until a run first asks.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

from ..partitions import DUCKDB_POOL
from ..settings import project_root
from .postgres_storage import SCHEMES

DEPLOY_YAML = project_root() / "deploy" / "dagster.yaml"
POSTGRES_URL_VAR = "POWERPULSE_POSTGRES_URL"
# A site's own settings (say, a shorter run-monitoring poll), kept beside the written file.
LOCAL_YAML = "local.yaml"
CONNECT_TIMEOUT_SECONDS = 10
# Dagster writes a run's materialization events (one per asset and day) in batches of this many,
# one insert each, where the storage can (PostgreSQL; SQLite stores them one by one either
# way): on the million-message path, Dagster's share on PostgreSQL fell from 19.8 s to 1.7 s
# (benchmarks/scale.py --compare). definitions.py sets it for every run worker; make serve,
# compose and the Helm values for the other services.
EVENT_BATCH_SIZE = "100"
# The one writer of the DuckDB work file (partitions.DUCKDB_POOL).
POOL_LIMIT = 1


class InstanceError(RuntimeError):
    """The instance cannot be set up; the message says why, without the URL's password."""


def instance_config(home: Path, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """deploy/dagster.yaml, then the site's own `$DAGSTER_HOME/local.yaml` over it, plus
    PostgreSQL storage when POWERPULSE_POSTGRES_URL is set."""
    env = os.environ if env is None else env
    config: dict[str, Any] = yaml.safe_load(DEPLOY_YAML.read_text())
    local = home / LOCAL_YAML
    if local.exists():
        try:
            overrides = yaml.safe_load(local.read_text()) or {}
        except yaml.YAMLError as error:
            raise InstanceError(f"{local} is not valid YAML: {error}") from None
        if not isinstance(overrides, dict):
            raise InstanceError(f"{local} must hold a mapping of dagster.yaml settings")
        config = _merge(config, overrides)
    url = env.get(POSTGRES_URL_VAR, "").strip()
    if url:
        check_postgres_url(url)
        # Dagster's own postgres block, but through psycopg2 whatever the URL says
        config["storage"] = {
            "custom": {
                "module": "powerpulse_pipeline.deployment.postgres_storage",
                "class": "PostgresStorage",
                "config": {"postgres_url": {"env": POSTGRES_URL_VAR}},
            }
        }
    return config


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def check_postgres_url(url: str) -> None:
    scheme, sep, _ = url.partition("://")
    if not sep or scheme not in SCHEMES:
        raise InstanceError(
            f"{POSTGRES_URL_VAR} must start with postgresql:// or postgresql+psycopg2:// "
            f"(it starts with {scheme[:20]!r})"
        )
    if not urlsplit(url).path.strip("/"):
        raise InstanceError(f"{POSTGRES_URL_VAR} names no database (…/<database> at its end)")


def write_home(home: Path, env: Mapping[str, str] | None = None) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    path = home / "dagster.yaml"
    text = (
        f"# Written by PowerPulse from deploy/dagster.yaml and {LOCAL_YAML} beside it, at every\n"
        "# start: edit those, not this file.\n"
    )
    text += yaml.safe_dump(instance_config(home, env), sort_keys=False)
    tmp = path.with_name(".dagster.yaml.tmp")
    tmp.write_text(text)
    tmp.replace(path)
    return path


def storage_behind(instance: Any) -> bool:
    """Whether any storage's schema is older than the installed Dagster expects."""
    for storage in (instance.run_storage, instance.event_log_storage, instance.schedule_storage):
        version = getattr(storage, "alembic_version", None)
        if version is None:
            continue
        current, head = version()
        if current != head:
            return True
    return False


def prepare(home: Path, say: Callable[[str], None] = print) -> None:
    """Write the instance file, migrate its storage where needed, set the pool's limit."""
    from dagster import DagsterInstance
    from dagster._core.instance.ref import InstanceRef

    write_home(home)
    url = os.environ.get(POSTGRES_URL_VAR, "").strip()
    backend = "PostgreSQL" if url else "SQLite"
    if url:
        reachable(url)
    try:
        instance = DagsterInstance.from_ref(InstanceRef.from_dir(str(home)))
    except Exception as error:  # a connection error: _plain() keeps host and port, no password
        problem = _plain(error)
        raise InstanceError(f"Dagster's {backend} storage cannot be opened: {problem}") from None
    try:
        if storage_behind(instance):
            say(f"PowerPulse: migrating Dagster's {backend} storage (dagster instance migrate)")
            instance.upgrade(print_fn=say)
        storage = instance.event_log_storage
        info = storage.get_concurrency_info(DUCKDB_POOL)
        if info.slot_count != POOL_LIMIT:
            storage.set_concurrency_slots(DUCKDB_POOL, POOL_LIMIT)
            say(f"PowerPulse: pool {DUCKDB_POOL} limited to {POOL_LIMIT} on {backend} storage")
    finally:
        instance.dispose()


def reachable(url: str) -> None:
    """One connection first: a wrong host or password is said in seconds, where Dagster's own
    start-up retries for a while and then shows a long trace."""
    import psycopg2

    from .postgres_storage import psycopg2_url

    parts = urlsplit(psycopg2_url(url))
    dsn = parts._replace(scheme="postgresql").geturl()
    try:
        psycopg2.connect(dsn, connect_timeout=CONNECT_TIMEOUT_SECONDS).close()
    except psycopg2.Error as error:
        problem = _plain(error)
        raise InstanceError(f"Dagster's PostgreSQL storage cannot be opened: {problem}") from None


def _plain(error: BaseException, url: str | None = None) -> str:
    """An error's first line with the URL's credentials removed: libpq quotes pieces of an
    address it cannot parse, a password among them."""
    line = (str(error).strip().splitlines() or [type(error).__name__])[0]
    url = os.environ.get(POSTGRES_URL_VAR, "") if url is None else url
    userinfo = url.partition("://")[2].rpartition("@")[0]
    secrets = {userinfo, userinfo.partition(":")[2]}
    secrets |= {unquote(s) for s in secrets}
    # libpq splits at the first "@" or ":" where the URL meant the last: its pieces too
    secrets |= {piece for s in list(secrets) for piece in re.split(r"[@:]", s)}
    for secret in sorted((s for s in secrets if len(s) >= 3), key=len, reverse=True):
        line = line.replace(secret, "***")
    return re.sub(r"://[^@/\s]*@", "://***@", line)[:300]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=Path(os.environ.get("DAGSTER_HOME", "")))
    args = parser.parse_args(argv)
    if not str(args.home):
        sys.exit("PowerPulse: DAGSTER_HOME is not set")
    try:
        prepare(args.home.resolve())
    except InstanceError as error:
        sys.exit(f"PowerPulse: {error}")


if __name__ == "__main__":
    main()
