"""`powerpulse ask` as a user runs it: the installed console script, its JSON, exit codes,
follow-ups kept on disk and forgotten with --new, and "today" in POWERPULSE_TIMEZONE."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from powerpulse_pipeline.ask.answer import Asker
from powerpulse_pipeline.settings import Settings

from ..ingest.test_inbox import needs_permissions

SCRIPT = Path(sys.executable).with_name("powerpulse")


def run(data_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI")}
    environment.update({"POWERPULSE_DATA_DIR": str(data_dir), **env})
    return subprocess.run(
        [str(SCRIPT), *args], capture_output=True, text=True, env=environment, timeout=120
    )


def answer(data_dir: Path, question: str, *flags: str) -> dict[str, Any]:
    done = run(data_dir, "ask", question, "--json", "--as-of", "2025-03-12", *flags)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_json_answer(samples_warehouse: Settings) -> None:
    data = samples_warehouse.data_dir
    got = answer(data, "CSAT by week last week", "--new")
    assert set(got) >= {
        "status", "understood", "sql", "columns", "rows", "answer", "follow_ups"
    }  # fmt: skip
    assert got["status"] == "answered"
    assert "2025-03-03..2025-03-09" in got["understood"]
    assert got["columns"] == ["week", "csat_pct"]
    assert got["rows"][0][0] == "2025-03-03"
    assert "%" in got["answer"] and got["follow_ups"]


def test_follow_ups_are_kept_on_disk_and_new_forgets(samples_warehouse: Settings) -> None:
    data = samples_warehouse.data_dir
    answer(data, "CSAT last week", "--new")
    refined = answer(data, "and Maria?")
    assert "agent Maria Lopez" in refined["understood"]
    assert "2025-03-03..2025-03-09" in refined["understood"]
    assert answer(data, "and by week?")["columns"] == ["week", "csat_pct"]
    # forgotten: "by week" of nothing is no question
    assert answer(data, "and by week?", "--new")["status"] == "cannot_answer"
    assert "Maria" not in answer(data, "CSAT last week")["understood"]


def test_cannot_answer_and_refused_exit_zero_with_a_plain_text(samples_warehouse: Settings) -> None:
    done = run(samples_warehouse.data_dir, "ask", "what is the weather in Berlin", "--new")
    assert done.returncode == 0
    assert "can't answer" in done.stdout and "try:" in done.stdout


def test_no_warehouse_and_bad_flags_exit_non_zero(tmp_path: Path) -> None:
    done = run(tmp_path, "ask", "CSAT last week")
    assert done.returncode == 2 and "no warehouse" in done.stderr
    assert "Traceback" not in done.stderr
    bad = run(tmp_path, "ask", "CSAT", "--as-of", "last tuesday")
    assert bad.returncode == 2 and "--as-of" in bad.stderr
    setting = run(tmp_path, "ask", "CSAT", POWERPULSE_TIMEZONE="Mars/Olympus")
    assert setting.returncode == 2 and "POWERPULSE_TIMEZONE" in setting.stderr


def test_an_unwritable_session_folder_costs_only_the_follow_up(
    samples_warehouse: Settings, tmp_path: Path
) -> None:
    needs_permissions(tmp_path)
    settings = Settings.from_env({"POWERPULSE_DATA_DIR": str(samples_warehouse.data_dir)})
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    asker = Asker(settings, locked / "ask" / "session.json")
    assert asker.ask("CSAT last week").status == "answered"


def test_today_is_taken_in_the_report_time_zone(samples_warehouse: Settings) -> None:
    zone = "Pacific/Kiritimati"  # UTC+14: its today is often UTC's tomorrow
    settings = Settings.from_env(
        {"POWERPULSE_DATA_DIR": str(samples_warehouse.data_dir), "POWERPULSE_TIMEZONE": zone}
    )
    got = Asker(settings).ask("CSAT today")
    today = datetime.now(ZoneInfo(zone)).date().isoformat()
    assert f"{today}..{today}" in got.understood
