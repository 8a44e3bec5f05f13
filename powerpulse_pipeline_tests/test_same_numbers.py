"""Every contract table is identical to what the row-by-row pipeline produced before the
set-based rewrite (issue 9), on the samples and on a generated 25k-message set, with and
without business hours.

The digests in golden/contract_tables.json were written by the Python implementation
(commit f51dda2) with POWERPULSE_WRITE_GOLDEN=1; they are never rewritten by a normal run.
One was rewritten on purpose since: `generated_25k_business_hours`, when the session gap
began to count business time (issue 10; 6,916 conversations became 6,853, the rest of the
tables identical). The three other cases still hold f51dda2's digests, so without a schedule
the numbers are exactly what they were. Columns added later (observed FCR) are left out here
and tested by hand in assets/test_observed_fcr.py.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dagster import instance_for_test

from powerpulse_pipeline.pipeline import build_definitions
from powerpulse_pipeline.samples.dialogues import generate_threads
from powerpulse_pipeline.samples.formats import dumps, grouped_export
from powerpulse_pipeline.scoring import quality
from powerpulse_pipeline.settings import Settings

from .canonical import canonical
from .harness import SensorDriver

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
GOLDEN = Path(__file__).resolve().parent / "golden" / "contract_tables.json"

# The quality review (issue 16) came after the digests: its columns are tested by hand in
# scoring/test_offline_quality.py and assets/test_quality_review.py. `scorer` names the
# offline rules' version, which the review moved from 2 to 3 without changing any score.
_REVIEW = (*quality.COLUMNS, "coaching_note", "qa_score")
_REVIEW_METRICS = ("reviewed_conversations", "qa_score")
_AGENT_REVIEW_METRICS = (*_REVIEW_METRICS, *(f"qa_{name}_pct" for name in quality.NAMES))

# Columns that record when something ran, not what the data says.
TABLES: dict[str, str] = {
    "ingested_files": "* EXCLUDE (ingested_at)",
    "messages": "*",
    # repeat_contact and score_cost_usd came after the row-by-row pipeline the digests are from
    "conversations": "* EXCLUDE (repeat_contact, score_cost_usd, scorer_version, "
    f"agent_excluded, {', '.join(_REVIEW)}) "
    "REPLACE (replace(scorer, 'offline:3', 'offline:2') AS scorer)",
    "daily_metrics": "* EXCLUDE (observed_fcr_pct, repeat_window_open, "
    f"{', '.join(_REVIEW_METRICS)})",
    "topic_metrics": "*",
    "agent_metrics": f"* EXCLUDE ({', '.join(_AGENT_REVIEW_METRICS)})",
}

BUSINESS = {
    "POWERPULSE_TIMEZONE": "Europe/Berlin",
    "POWERPULSE_BUSINESS_HOURS": "mon-fri 09:00-17:00; sat 10:00-13:00",
    "POWERPULSE_SESSION_GAP_HOURS": "6",
}

CASES: dict[str, tuple[str, dict[str, str]]] = {
    "samples": ("samples", {}),
    "samples_business_hours": ("samples", BUSINESS),
    "generated_25k": ("generated", {}),
    "generated_25k_business_hours": ("generated", BUSINESS),
}


def digest(path: Path) -> dict[str, dict[str, Any]]:
    result = {}
    with duckdb.connect(str(path), read_only=True) as conn:
        for table, columns in TABLES.items():
            rows = conn.execute(f"SELECT {columns} FROM {table}").fetchall()
            lines = sorted(json.dumps(canonical(list(row)), ensure_ascii=False) for row in rows)
            result[table] = {
                "rows": len(rows),
                "sha256": hashlib.sha256("\n".join(lines).encode()).hexdigest(),
            }
    return result


def write_generated(inbox: Path) -> None:
    """About 25,000 messages in three files over 40 days (seeded: the same every run)."""
    threads = generate_threads(
        threads=5300,
        first_day=datetime(2025, 3, 3, tzinfo=UTC),
        days=40,
        seed=25,
        multi_conversation_share=0.3,
    )
    inbox.mkdir(parents=True, exist_ok=True)
    for part in range(3):
        chunk = threads[part::3]
        (inbox / f"generated_{part}.json").write_text(
            dumps(grouped_export(chunk)), encoding="utf-8"
        )


def run_case(tmp_path: Path, source: str, env: dict[str, str]) -> dict[str, dict[str, Any]]:
    # The row-by-row reference has no similarity: its steps would only add time here.
    settings = Settings.from_env(
        {
            "POWERPULSE_DATA_DIR": str(tmp_path / "data"),
            "POWERPULSE_EMBEDDING_MODEL": "off",
            **env,
        }
    )
    if source == "samples":
        shutil.copytree(SAMPLES, settings.inbox_dir, dirs_exist_ok=True)
    else:
        write_generated(settings.inbox_dir)
    for path in settings.inbox_dir.rglob("*.json"):
        os.utime(path, (0, 0))  # long stable: taken on the first tick
    home = tmp_path / "dagster_home"
    home.mkdir()
    with instance_for_test(temp_dir=str(home)) as instance:
        driver = SensorDriver(build_definitions(settings), instance)
        driver.ingest()
    return digest(settings.duckdb_path)


@pytest.mark.parametrize("case", list(CASES))
def test_contract_tables_match_the_row_by_row_pipeline(tmp_path: Path, case: str) -> None:
    source, env = CASES[case]
    found = run_case(tmp_path, source, env)
    if os.environ.get("POWERPULSE_WRITE_GOLDEN") == "1":
        golden = json.loads(GOLDEN.read_text()) if GOLDEN.exists() else {}
        golden[case] = found
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(golden, indent=2, sort_keys=True) + "\n")
    expected = json.loads(GOLDEN.read_text())[case]
    differing = sorted(table for table in TABLES if found[table] != expected[table])
    assert differing == [], f"{differing} differ: {found} != {expected}"
    assert found["messages"]["rows"] > 0 and found["conversations"]["rows"] > 0
