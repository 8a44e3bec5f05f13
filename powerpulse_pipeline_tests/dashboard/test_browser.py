"""The dashboard in a real headless Chromium (the system's, driven by selenium): it loads from
disk with no console error and no network request, draws its charts, and the period selector
changes the numbers. Skipped, with the reason, where no Chromium is installed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from powerpulse_pipeline.assets.dashboard import write_dashboard
from powerpulse_pipeline.settings import Settings
from powerpulse_pipeline.warehouse.schema import ensure_schema

from ..browser import chromium, needs_chromium, requested_urls
from .embedded import embedded_data

pytestmark = needs_chromium

CHARTS = {
    "chart-daily-quality": ".scatterlayer .trace",
    "chart-daily-volume": ".scatterlayer .trace",
    "chart-daily-response": ".scatterlayer .trace",
    "chart-weekly": ".scatterlayer .trace",
    "chart-topic-volume": ".barlayer .trace",
    "chart-topic-csat": ".barlayer .trace",
}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as driver:
        yield driver


def _open(browser: Any, page: Path, fragment: str = "") -> None:
    browser.get_log("browser")  # drop what earlier pages logged
    browser.get_log("performance")
    browser.get(page.as_uri() + fragment)
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 20).until(
        lambda d: d.execute_script("return document.body.dataset.period !== undefined")
    )


def _problems(browser: Any) -> tuple[list[str], list[str]]:
    """Console messages at warning level or worse, and every URL the page requested that is
    not the page itself."""
    console = [
        entry["message"]
        for entry in browser.get_log("browser")
        if entry["level"] in ("SEVERE", "WARNING")
    ]
    requests = [url for url in requested_urls(browser) if not url.startswith("file://")]
    return console, requests


def _cards(browser: Any) -> dict[str, str]:
    return browser.execute_script(
        "return Object.fromEntries([...document.querySelectorAll('#cards [data-metric]')]"
        ".map(e => [e.dataset.metric, e.dataset.value]))"
    )


def _expected_cards(data: dict[str, Any], period: str) -> dict[str, str]:
    figures = data["figures"][period]
    names = [h["column"] for h in data["headline"]] + ["repeat_window_open"]
    return {n: "" if figures[n] is None else _js_number(figures[n]) for n in names}


def _js_number(value: float) -> str:
    """How JavaScript writes a number into an attribute."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _assert_drawn(browser: Any) -> None:
    for chart, traces in CHARTS.items():
        drawn = browser.execute_script(
            f"return document.querySelectorAll('#{chart} {traces}').length"
        )
        assert drawn > 0, f"{chart} drew nothing"


def test_loads_offline_draws_charts_and_the_selector_changes_the_numbers(browser, page) -> None:
    data = embedded_data(page.read_text(encoding="utf-8"))
    _open(browser, page)
    assert browser.execute_script("return document.body.dataset.period") == "last-30"
    assert _cards(browser) == _expected_cards(data, "last-30")
    _assert_drawn(browser)

    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    Select(browser.find_element(By.ID, "period")).select_by_value("month-2025-02")
    february = _cards(browser)
    assert february == _expected_cards(data, "month-2025-02")
    assert february != _expected_cards(data, "last-30")
    _assert_drawn(browser)  # redrawn, not only re-fed
    x_axis = browser.execute_script(
        "return document.getElementById('chart-daily-volume').data[0].x"
    )
    assert x_axis == [d["day"] for d in data["daily"]["month-2025-02"]]

    # a listed conversation's messages are one click away
    first = browser.find_element(By.CSS_SELECTOR, "[data-list='lowest_satisfaction'] summary")
    first.click()
    shown = browser.find_elements(By.CSS_SELECTOR, "details[open] .msg")
    assert shown and all(m.is_displayed() for m in shown)

    console, requests = _problems(browser)
    assert console == [] and requests == []


def test_no_recent_data_offers_the_latest_month(browser, warehouse: Settings, tmp_path) -> None:
    later = Settings.from_env(
        {"POWERPULSE_DATA_DIR": str(tmp_path), "POWERPULSE_TIMEZONE": "Europe/Berlin"}
    )
    with duckdb.connect(str(warehouse.work_db_path), read_only=True) as conn:
        path, _, data = write_dashboard(conn, later, datetime(2026, 11, 23, tzinfo=UTC))
    _open(browser, path)
    notice = browser.find_element("id", "notice")
    assert notice.is_displayed() and "No conversations between" in notice.text
    browser.find_element("id", "show-latest").click()
    assert browser.execute_script("return document.body.dataset.period") == "month-2025-03"
    assert _cards(browser) == _expected_cards(data, "month-2025-03")
    assert _problems(browser) == ([], [])


def test_an_empty_warehouse_page(browser, tmp_path) -> None:
    settings = Settings.from_env({"POWERPULSE_DATA_DIR": str(tmp_path)})
    with duckdb.connect() as conn:
        ensure_schema(conn)
        path, _, _ = write_dashboard(conn, settings)
    _open(browser, path)
    assert "No conversations yet" in browser.find_element("id", "notice").text
    assert _problems(browser) == ([], [])
