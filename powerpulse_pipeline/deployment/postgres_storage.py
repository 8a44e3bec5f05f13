"""Dagster's PostgreSQL storage, reached through psycopg2 whatever the URL's spelling.

SQLAlchemy 2.1 reads a bare `postgresql://` URL as psycopg 3 (dagster-io/dagster#33958),
which dagster-postgres does not install, and on which some of Dagster's queries fail
("syntax error at or near $1", seen here with psycopg 3.3). This class is
DagsterPostgresStorage with the URL's driver set to psycopg2 first, so that both spellings
DESIGN.md section 13 promises work. deployment/instance.py names it in dagster.yaml; every
Dagster process (webserver, daemon, code server, run workers) loads it from there.
"""

from __future__ import annotations

from typing import Any

from dagster._serdes import ConfigurableClassData
from dagster_postgres import DagsterPostgresStorage
from dagster_postgres.utils import get_token_provider_from_config, pg_url_from_config

DRIVER = "postgresql+psycopg2"
SCHEMES = ("postgresql", "postgres", "postgresql+psycopg2", "postgresql+psycopg")


def psycopg2_url(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    return f"{DRIVER}://{rest}" if sep and scheme in SCHEMES else url


class PostgresStorage(DagsterPostgresStorage):
    @classmethod
    def from_config_value(  # type: ignore[override]
        cls, inst_data: ConfigurableClassData | None, config_value: Any
    ) -> PostgresStorage:
        return cls(
            inst_data=inst_data,
            postgres_url=psycopg2_url(pg_url_from_config(config_value)),
            should_autocreate_tables=config_value.get("should_autocreate_tables", True),
            token_provider=get_token_provider_from_config(config_value),
        )
