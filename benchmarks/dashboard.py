"""How long the dashboard takes with two years of daily data, from tables to drawn charts.

    .venv/bin/python benchmarks/dashboard.py [--per-day 150] [--days 730]

Fills a work DB with synthetic conversations (varied satisfaction, topics, agents, waits,
unanswered and repeat contacts) and their messages over `--days` days, builds the metric
tables with the pipeline's own SQL, then measures:
- build: what the `dashboard` asset does (every period's figures in DuckDB, the page written);
- open: a headless Chromium opening the file until every chart is drawn;
- switch: choosing another period in the selector until its charts are redrawn;
- bound (same run, same browser): opening a page that holds only the same Plotly bundle and
  one small chart, the least any Plotly page costs to open.
Prints seconds and ratios; the target is build + open under 5 s. Needs chromium and
chromedriver (Debian: apt-get install chromium chromium-driver).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from powerpulse_pipeline.assets.dashboard import write_dashboard  # noqa: E402
from powerpulse_pipeline.assets.metrics import (  # noqa: E402
    AGENT_SELECT,
    DAILY_SELECT,
    TOPIC_SELECT,
    replace_range,
)
from powerpulse_pipeline.dashboard.page import plotly_bundle  # noqa: E402
from powerpulse_pipeline.settings import Settings  # noqa: E402
from powerpulse_pipeline.warehouse.schema import ensure_schema  # noqa: E402

TOPICS = ["billing", "outage", "payment", "account", "moving", "meter_reading", "contract"]


def fill(
    conn: duckdb.DuckDBPyConnection,
    first: date,
    days: int,
    per_day: int,
    agents: tuple[str, ...] = tuple(f"Agent {i}" for i in range(6)),
    languages: tuple[str, ...] = ("en",),
) -> int:
    """Synthetic conversations (and four messages each) over `days` days from `first`."""
    n = days * per_day
    agent_list = "[" + ", ".join(f"'{a}'" for a in agents) + "]"
    language_list = "[" + ", ".join(f"'{lang}'" for lang in languages) + "]"
    conn.execute(
        f"""
        INSERT INTO conversations BY NAME
        SELECT 'chat-' || (i % {max(n // 3, 1)}) || ':' || i AS conversation_id,
            'chat-' || (i % {max(n // 3, 1)}) AS chat_id,
            DATE '{first}' + (i // {per_day})::INTEGER AS day,
            TIMESTAMPTZ '{first} 08:00:00+00' + to_days((i // {per_day})::INTEGER)
                + to_seconds((i % {per_day}) * 60) AS started_at,
            started_at + to_seconds(600 + hash(i) % 7200) AS ended_at,
            2 AS customer_messages, 2 AS agent_messages, 0 AS autoresponses,
            CASE WHEN hash(i) % 10 = 0 THEN NULL ELSE 60.0 + hash(i * 3) % 20000 END
                AS first_response_seconds,
            first_response_seconds AS avg_response_seconds,
            CASE WHEN first_response_seconds IS NULL THEN 0 ELSE 1 END AS response_waits,
            coalesce(first_response_seconds, 0) AS response_seconds_total,
            first_response_seconds / 3 AS first_response_business_seconds,
            {agent_list}[1 + (hash(i * 7) % {len(agents)})::INTEGER] AS agent_name,
            (hash(i * 11) % 200) / 100.0 - 1 AS sentiment,
            1 + (hash(i * 13) % 5)::INTEGER AS satisfaction,
            hash(i * 17) % 3 > 0 AS resolved,
            ['{"', '".join(TOPICS)}'][1 + (hash(i * 19) % {len(TOPICS)})::INTEGER:
                1 + (hash(i * 19) % {len(TOPICS)})::INTEGER] AS topics,
            {language_list}[1 + (hash(i * 29) % {len(languages)})::INTEGER] AS language,
            'Customer ' || i || ' asked about a bill that looks twice as high.' AS summary,
            'offline:2' AS scorer, 'scored' AS score_status, md5(i::VARCHAR) AS content_hash,
            CASE WHEN day > DATE '{first}' + {days - 8} THEN NULL ELSE hash(i * 23) % 4 = 0 END
                AS repeat_contact
        FROM range({n}) t(i)
        """
    )
    conn.execute(
        """
        INSERT INTO messages BY NAME
        SELECT c.conversation_id, c.chat_id, NULL AS message_id,
            c.conversation_id || '/' || k AS message_key,
            c.started_at + to_seconds(k * 300) AS sent_at,
            CASE WHEN k % 2 = 0 THEN 'customer' ELSE 'agent' END AS sender_role,
            NULL AS sender_name, CASE WHEN k % 2 = 1 THEN c.agent_name END AS agent_name,
            'Message ' || k || ' of a conversation about a bill that looks too high.' AS text,
            false AS is_autoresponse, 'synthetic.json' AS source_file, c.day
        FROM conversations c, range(4) r(k)
        """
    )
    last = first + timedelta(days=days - 1)
    for table, select in (
        ("daily_metrics", DAILY_SELECT),
        ("topic_metrics", TOPIC_SELECT),
        ("agent_metrics", AGENT_SELECT),
    ):
        replace_range(conn, table, select, first, last)
    return n


def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium = next(filter(None, map(shutil.which, ("chromium", "chromium-browser"))), None)
    driver_path = shutil.which("chromedriver")
    if chromium is None or driver_path is None:
        sys.exit("needs chromium and chromedriver (apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,1600"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(executable_path=driver_path), options=options)


DRAWN = (
    "return document.querySelectorAll('.js-plotly-plot .trace').length > 0 "
    "&& document.body.dataset.period === arguments[0]"
)


def open_seconds(driver, page: Path, period: str) -> float:
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get("about:blank")
    started = time.perf_counter()
    driver.get(page.as_uri())
    WebDriverWait(driver, 60, poll_frequency=0.01).until(lambda d: d.execute_script(DRAWN, period))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-day", type=int, default=150)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    today = date(2026, 6, 30)
    first = today - timedelta(days=args.days - 1)
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings.from_env({"POWERPULSE_DATA_DIR": folder})
        with duckdb.connect(str(Path(folder) / "work.duckdb")) as conn:
            ensure_schema(conn)
            conversations = fill(conn, first, args.days, args.per_day)
            builds = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                path, size, data = write_dashboard(
                    conn, settings, datetime.combine(today, datetime.min.time(), tzinfo=UTC)
                )
                builds.append(time.perf_counter() - started)
        bound_page = Path(folder) / "bound.html"
        bound_page.write_text(
            "<!DOCTYPE html><html><body><div id='c' style='height:300px'></div><script>"
            + plotly_bundle()
            + "</script><script>Plotly.newPlot('c', [{x: [1, 2, 3], y: [2, 1, 3]}]);"
            "document.body.dataset.period = 'bound';</script></body></html>",
            encoding="utf-8",
        )
        from selenium.webdriver.support.ui import WebDriverWait

        driver = browser()
        try:
            bounds, opens, switches = [], [], []
            for _ in range(args.repeat):
                bounds.append(open_seconds(driver, bound_page, "bound"))
                opens.append(open_seconds(driver, path, "last-30"))
                started = time.perf_counter()
                driver.execute_script(
                    "const s = document.getElementById('period'); s.value = 'last-90';"
                    "s.dispatchEvent(new Event('change'));"
                )
                WebDriverWait(driver, 60, poll_frequency=0.01).until(
                    lambda d: d.execute_script(DRAWN, "last-90")
                )
                switches.append(time.perf_counter() - started)
        finally:
            driver.quit()
    build, opened, switch, bound = min(builds), min(opens), min(switches), min(bounds)
    print(
        f"data: {conversations:,} conversations over {args.days} days, "
        f"{len(data['periods'])} periods"
    )
    print(f"page: {size / 1e6:.2f} MB ({(size - len(plotly_bundle())) / 1e6:.2f} MB of it data)")
    print(f"build (dashboard asset's work):       {build:6.2f} s")
    print(f"open until every chart is drawn:      {opened:6.2f} s")
    print(f"switch to another period:             {switch:6.2f} s")
    print(
        f"bound: open a bare Plotly page:       {bound:6.2f} s  "
        f"(open / bound = {opened / bound:.1f}x)"
    )
    total = build + opened
    print(
        f"build + open: {total:.2f} s against the 5 s target: {'met' if total < 5 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
