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
    # A new URL that differs only in its fragment would not reload the file (a page an earlier
    # test rewrote would stay as it was): leave it first.
    browser.get("about:blank")
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


def test_the_recurring_issues_panel(browser, page) -> None:
    """The latest week's and month's issues in the data's order, an example one click from
    its messages."""
    from selenium.webdriver.common.by import By

    data = embedded_data(page.read_text(encoding="utf-8"))
    _open(browser, page)
    for period, shown in data["recurring_issues"].items():
        rows = browser.execute_script(
            f"return [...document.querySelectorAll('[data-recurring={period}] tr[data-issue]')]"
            ".map(r => [Number(r.dataset.issue), r.dataset.trend])"
        )
        assert rows == [[r["issue_id"], r["trend"]] for r in shown["issues"]]
    example = browser.find_element(By.CSS_SELECTOR, "[data-recurring=week] details summary")
    example.click()
    shown = browser.find_elements(By.CSS_SELECTOR, "[data-recurring=week] details[open] .msg")
    assert shown and all(m.is_displayed() for m in shown)
    assert _problems(browser) == ([], [])


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


def _expand_agent(browser: Any, agent: str) -> Any:
    from selenium.webdriver.common.by import By

    row = browser.find_element(By.CSS_SELECTOR, f"tr.agent[data-agent='{agent}']")
    row.find_element(By.CSS_SELECTOR, "button.expand").click()
    detail = browser.find_element(By.CSS_SELECTOR, f"tr.agent-detail[data-agent='{agent}']")
    assert detail.is_displayed()
    return row, detail


def test_an_agents_quality_and_coaching_one_click_away(browser, page) -> None:
    from selenium.webdriver.common.by import By

    data = embedded_data(page.read_text(encoding="utf-8"))
    period = "month-2025-03"
    _open(browser, page, f"#period={period}")
    agent = next(a for a in data["agents"][period] if data["coaching"][period].get(a["agent_name"]))
    name = agent["agent_name"]
    row, detail = _expand_agent(browser, name)

    # the quality score column and the weekly trend, one dot per reviewed week
    cell = row.find_element(By.CSS_SELECTOR, "[data-metric=qa_score]")
    assert cell.get_attribute("data-value") == _js_number(agent["qa_score"])
    assert cell.text == f"{agent['qa_score']:.1f} %"
    weeks = [w for w in data["agent_trend"][period][name] if w["qa_score"] is not None]
    dots = row.find_elements(By.CSS_SELECTOR, "svg.spark circle")
    assert [d.get_attribute("data-week") for d in dots] == [w["week_start"] for w in weeks]

    # every category: its label, pass rate and counts
    categories = detail.find_elements(By.CSS_SELECTOR, "table.cats tr[data-category]")
    counts = data["agent_categories"][period][name]
    assert [c.get_attribute("data-category") for c in categories] == [
        c["name"] for c in data["quality_categories"]
    ]
    for element, category in zip(categories, data["quality_categories"], strict=True):
        value = agent[category["metric"]]
        assert element.get_attribute("data-value") == ("" if value is None else _js_number(value))
        n = counts[category["name"]]
        assert element.get_attribute("data-passed") == str(n["passed"])
        assert element.text.startswith(category["label"])
        if n["applicable"]:
            failed = n["applicable"] - n["passed"]
            assert f"{n['passed']} passed · {failed} failed" in element.text

    # the coaching of the month (open) and of its weeks, each point with its conversations
    coaching = data["coaching"][period][name]
    blocks = detail.find_elements(By.CSS_SELECTOR, "details.coach")
    assert [b.get_attribute("data-coaching") for b in blocks] == [
        f"{r['period']}:{r['period_start']}" for r in coaching
    ]
    month = blocks[0]
    assert month.get_attribute("open") is not None
    points = month.find_elements(By.CSS_SELECTOR, "li[data-point]")
    assert [p.text.split("\n")[0].split(" (")[0] for p in points] == [
        t.split(" (")[0] for t in coaching[0]["strengths"] + coaching[0]["improvements"]
    ]
    improvement = month.find_element(By.CSS_SELECTOR, "li[data-point=improvement]")
    example = improvement.find_element(By.CSS_SELECTOR, "details[data-conversation]")
    cited = example.get_attribute("data-conversation")
    assert cited == coaching[0]["improvement_examples"][0][0]
    assert not example.find_element(By.CSS_SELECTOR, ".msgs").is_displayed()
    example.find_element(By.TAG_NAME, "summary").click()
    shown = example.find_elements(By.CSS_SELECTOR, ".msgs .msg")
    assert shown and all(m.is_displayed() for m in shown)
    texts = [m.get_attribute("textContent") for m in shown]
    for text, message in zip(texts, data["conversations"][cited], strict=True):
        assert text.endswith(message[4])
    assert "✗" in example.find_element(By.CSS_SELECTOR, ".review").text  # it failed the point

    # a click closes the agent again; another period redraws the table closed
    row.find_element(By.CSS_SELECTOR, "button.expand").click()
    assert not detail.is_displayed()
    assert _problems(browser) == ([], [])


def test_text_from_chats_in_coaching_stays_text(browser, page, tmp_path) -> None:
    """A summary, a coaching note, a point or a message that looks like HTML is shown as
    those characters: nothing from the data becomes an element."""
    from selenium.webdriver.common.by import By

    from powerpulse_pipeline.dashboard.page import render, write

    data = embedded_data(page.read_text(encoding="utf-8"))
    period = "month-2025-03"
    hostile = '<img src=x onerror="document.title=1"><b>bold</b></script>'
    name, (row, *_) = next(iter(data["coaching"][period].items()))
    row["improvements"][0] = hostile
    cited = row["improvement_examples"][0][0]
    data["cited"][cited]["summary"] = hostile
    data["cited"][cited]["coaching_note"] = hostile
    data["conversations"][cited][0][4] = hostile
    path = tmp_path / "hostile.html"
    write(path, render(data))
    _open(browser, path, f"#period={period}")
    _, detail = _expand_agent(browser, name)
    example = detail.find_element(By.CSS_SELECTOR, f"details[data-conversation='{cited}']")
    example.find_element(By.TAG_NAME, "summary").click()
    assert hostile in detail.text.replace("\n", "")
    assert hostile in example.get_attribute("textContent")
    assert detail.find_elements(By.CSS_SELECTOR, "img, b") == []
    assert browser.title != "1"
    assert _problems(browser) == ([], [])
