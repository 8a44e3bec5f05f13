from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from powerpulse_pipeline.settings import Settings, SettingsError, project_root


def test_defaults_follow_the_contract() -> None:
    s = Settings.from_env({})
    root = project_root()
    assert s.data_dir == root / "data"
    assert s.inbox_dir == root / "data" / "inbox"
    assert s.duckdb_path == root / "data" / "warehouse" / "powerpulse.duckdb"
    assert s.rejected_dir == root / "data" / "rejected"
    assert (s.timezone, s.start_date, s.session_gap) == (
        "UTC",
        date(2024, 1, 1),
        timedelta(hours=24),
    )
    assert s.autoresponse_patterns == ("*977#",) and s.page_names == ()
    assert (s.scorer, s.llm_model, s.llm_concurrency) == ("auto", "gpt-4o-mini", 32)


def test_overrides_and_lists(tmp_path: Path) -> None:
    s = Settings.from_env(
        {
            "POWERPULSE_DATA_DIR": str(tmp_path),
            "POWERPULSE_INBOX_DIR": str(tmp_path / "drop"),
            "POWERPULSE_TIMEZONE": "Asia/Kathmandu",
            "POWERPULSE_SESSION_GAP_HOURS": "1.5",
            "POWERPULSE_AUTORESPONSE_PATTERNS": "*977# | Away Message|",
            "POWERPULSE_PAGE_NAMES": "Acme|12345",
        }
    )
    assert s.inbox_dir == tmp_path / "drop"
    assert s.duckdb_path == tmp_path / "warehouse" / "powerpulse.duckdb"
    assert s.session_gap == timedelta(minutes=90)
    assert s.page_names == ("Acme", "12345")
    assert s.is_autoresponse_text("We are AWAY MESSAGE now")
    assert not s.is_autoresponse_text("a real answer")


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("POWERPULSE_TIMEZONE", "Mars/Olympus", "not an IANA time zone"),
        ("POWERPULSE_START_DATE", "01/01/2024", "not a date"),
        ("POWERPULSE_SESSION_GAP_HOURS", "-2", "greater than 0"),
        ("POWERPULSE_LLM_CONCURRENCY", "many", "not a number"),
        ("POWERPULSE_SCORER", "magic", "auto, openai, offline"),
    ],
)
def test_bad_values_say_which_variable(name: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=f"{name}.*{message}"):
        Settings.from_env({name: value})
