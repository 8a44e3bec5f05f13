"""The instance file `make dev` and `make serve` write, on SQLite and on a real PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from dagster import DagsterInstance
from dagster._core.instance.ref import InstanceRef

from powerpulse_pipeline.deployment import instance
from powerpulse_pipeline.partitions import DUCKDB_POOL

from .conftest import new_database


def test_sqlite_by_default_and_postgres_by_name_only(tmp_path: Path) -> None:
    written = yaml.safe_load(instance.write_home(tmp_path, env={}).read_text())
    assert "storage" not in written and written["run_retries"]["enabled"] is True
    url = "postgresql://powerpulse:hunter2-not-shown@db.example:5432/dagster"
    path = instance.write_home(tmp_path, env={instance.POSTGRES_URL_VAR: url})
    storage = yaml.safe_load(path.read_text())["storage"]["custom"]
    assert storage["config"] == {"postgres_url": {"env": instance.POSTGRES_URL_VAR}}
    assert "hunter2" not in path.read_text()


def test_a_sites_own_settings_are_merged_over_the_projects(tmp_path: Path) -> None:
    (tmp_path / instance.LOCAL_YAML).write_text("run_monitoring:\n  poll_interval_seconds: 5\n")
    written = yaml.safe_load(instance.write_home(tmp_path, env={}).read_text())
    assert written["run_monitoring"]["poll_interval_seconds"] == 5
    assert written["run_monitoring"]["max_resume_run_attempts"] == 0  # the rest is kept
    (tmp_path / instance.LOCAL_YAML).write_text("- not a mapping\n")
    with pytest.raises(instance.InstanceError, match="mapping"):
        instance.write_home(tmp_path, env={})


@pytest.mark.parametrize(
    "url",
    ["mysql://u@h/db", "postgresql://u:secret-pw@h:5432", "db.example:5432/dagster"],
)
def test_a_wrong_url_is_refused_without_its_password(url: str, tmp_path: Path) -> None:
    with pytest.raises(instance.InstanceError) as refused:
        instance.write_home(tmp_path, env={instance.POSTGRES_URL_VAR: url})
    assert "secret-pw" not in str(refused.value)


def _open(home: Path) -> DagsterInstance:
    return DagsterInstance.from_ref(InstanceRef.from_dir(str(home)))


@pytest.mark.parametrize("scheme", ["postgresql", "postgresql+psycopg2"])
def test_a_fresh_database_gets_the_pool_limit_and_later_starts_change_nothing(
    postgres_server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scheme: str
) -> None:
    url = new_database(postgres_server, f"fresh_{scheme.replace('+', '_')}")
    monkeypatch.setenv(instance.POSTGRES_URL_VAR, url.replace("postgresql+psycopg2", scheme))
    said: list[str] = []
    instance.prepare(tmp_path, say=said.append)
    opened = _open(tmp_path)
    try:
        assert type(opened.run_storage).__name__ == "PostgresRunStorage"
        assert opened.run_storage.postgres_url.startswith("postgresql+psycopg2://")
        # the limit is in the database before any run asks for the pool
        assert opened.event_log_storage.get_concurrency_info(DUCKDB_POOL).slot_count == 1
        assert not instance.storage_behind(opened)
    finally:
        opened.dispose()
    assert said == ["PowerPulse: pool duckdb_writer limited to 1 on PostgreSQL storage"]
    said.clear()
    instance.prepare(tmp_path, say=said.append)
    assert said == []


def test_storage_behind_dagster_is_migrated(
    postgres_server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = new_database(postgres_server, "behind")
    monkeypatch.setenv(instance.POSTGRES_URL_VAR, url)
    instance.prepare(tmp_path, say=lambda _: None)
    # as a database left by an older Dagster: its schema stamped one revision back
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        head = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
    import dagster_postgres.run_storage.run_storage as run_storage_module
    from alembic.script import ScriptDirectory
    from dagster_postgres.utils import pg_alembic_config

    script = ScriptDirectory.from_config(pg_alembic_config(run_storage_module.__file__))
    previous = script.get_revision(head).down_revision
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = :v"), {"v": previous})
    engine.dispose()
    said: list[str] = []
    instance.prepare(tmp_path, say=said.append)
    assert any("migrating Dagster's PostgreSQL storage" in line for line in said)
    opened = _open(tmp_path)
    try:
        assert not instance.storage_behind(opened)
    finally:
        opened.dispose()


def test_an_unreachable_server_is_a_plain_error_without_the_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from .conftest import free_port

    url = f"postgresql+psycopg2://powerpulse:pw-never-shown@127.0.0.1:{free_port()}/dagster"
    monkeypatch.setenv(instance.POSTGRES_URL_VAR, url)
    with pytest.raises(instance.InstanceError) as failed:
        instance.prepare(tmp_path, say=lambda _: None)
    assert "cannot be opened" in str(failed.value)
    assert "pw-never-shown" not in str(failed.value)


def test_a_wrong_password_is_said_without_either_password(
    postgres_server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = new_database(postgres_server, "wrong_password")
    wrong = url.replace(postgres_server.password or "", "not-the-password-xyz")
    monkeypatch.setenv(instance.POSTGRES_URL_VAR, wrong)
    with pytest.raises(instance.InstanceError) as failed:
        instance.prepare(tmp_path, say=lambda _: None)
    message = str(failed.value)
    assert "password authentication failed" in message
    assert "not-the-password-xyz" not in message and postgres_server.password not in message


@pytest.mark.parametrize("password", ["s3cr%zzet", "p@ss-word", "pw:with:colons"])
def test_an_address_libpq_cannot_read_is_said_without_its_password(
    password: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"postgresql://powerpulse:{password}@127.0.0.1:1/dagster"
    monkeypatch.setenv(instance.POSTGRES_URL_VAR, url)
    with pytest.raises(instance.InstanceError) as failed:
        instance.prepare(tmp_path, say=lambda _: None)
    shown = str(failed.value)
    for piece in (password, *password.replace(":", "@").split("@")[1:]):
        assert piece not in shown, shown
