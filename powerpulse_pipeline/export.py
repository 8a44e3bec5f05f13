"""Export metric tables and scored conversations for a day or a date range.

    .venv/bin/python -m powerpulse_pipeline.export --start 2025-03-03 --end 2025-03-09
    .venv/bin/python -m powerpulse_pipeline.export --start 2025-03-04 --format parquet

Writes one file per table into `$POWERPULSE_DATA_DIR/exports/<start>_<end>/` (or --out).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

import duckdb

from .settings import Settings

# name -> query over the range (? = start day, ? = end day)
EXPORTS: dict[str, str] = {
    "summary": "SELECT CAST(? AS DATE) AS start_day, CAST(? AS DATE) AS end_day, * "
    "FROM metrics_between(?, ?)",
    "daily_metrics": "SELECT * FROM daily_metrics WHERE day BETWEEN ? AND ? ORDER BY day",
    "topics": "SELECT * FROM topic_metrics_between(?, ?)",
    "topic_metrics": "SELECT * FROM topic_metrics WHERE day BETWEEN ? AND ? ORDER BY day, topic",
    "agents": "SELECT * FROM agent_metrics_between(?, ?)",
    "agent_metrics": "SELECT * FROM agent_metrics WHERE day BETWEEN ? AND ? "
    "ORDER BY day, agent_name",
    "conversations": "SELECT * EXCLUDE (content_hash) FROM conversations_between(?, ?)",
}


def connect_read_only(path: Path, wait_seconds: float = 30.0) -> duckdb.DuckDBPyConnection:
    """Open the analysts' copy; wait a little if an analyst's read-write session holds it."""
    if not path.exists():
        raise SystemExit(f"no warehouse at {path}: drop files into the inbox first")
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            return duckdb.connect(str(path), read_only=True)
        except duckdb.IOException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def export(
    conn: duckdb.DuckDBPyConnection, start: date, end: date, out: Path, formats: list[str]
) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, query in EXPORTS.items():
        params = [start, end] * query.count("?")
        relation = conn.sql(query, params=params[: query.count("?")]).to_arrow_table()
        for fmt in formats:
            target = out / f"{name}.{fmt}"
            conn.register("export_rows", relation)
            try:
                option = "FORMAT csv, HEADER" if fmt == "csv" else "FORMAT parquet"
                conn.execute(f"COPY export_rows TO '{target}' ({option})")
            finally:
                conn.unregister("export_rows")
            written.append(target)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--start", type=date.fromisoformat, required=True)
    parser.add_argument("--end", type=date.fromisoformat, help="inclusive; default: --start")
    parser.add_argument("--format", choices=["csv", "parquet", "both"], default="csv")
    parser.add_argument("--out", type=Path, help="default: exports/<start>_<end>")
    args = parser.parse_args(argv)
    end = args.end or args.start
    if end < args.start:
        parser.error("--end is before --start")
    settings = Settings.from_env()
    out = args.out or settings.exports_dir / f"{args.start}_{end}"
    formats = ["csv", "parquet"] if args.format == "both" else [args.format]
    with connect_read_only(settings.duckdb_path) as conn:
        for path in export(conn, args.start, end, out, formats):
            print(path)


if __name__ == "__main__":
    sys.exit(main())
