"""How fast a question is answered, and the explorer responds, with a million messages stored.

    .venv/bin/python benchmarks/ask.py [--per-day 2778] [--days 90] [--repeat 3]

Fills an analysts' copy with synthetic conversations (four messages each: 90 x 2,778 x 4 =
1,000,080 messages), named like the samples' agents and topics, then measures:
- ask: every question of the tests' question set (powerpulse_pipeline_tests/ask/questions.py,
  follow-ups in order) answered offline by `Asker.ask`, as `powerpulse ask` does after start;
- bound (same run): the bare SQL of the same answers, run on the same connection;
- explorer: a filter change in the explorer under Streamlit's own test runner (the whole
  script rerun: cards, trend, five breakdowns, the conversation list) and the same selection's
  queries alone; with --browser also in headless Chromium against the served explorer, from
  the agent picked to new cards on the page (needs chromium and chromedriver).
Prints p50/p95 seconds and ratios; targets: ask p95 < 1 s, explorer filter change < 1 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from dashboard import fill  # noqa: E402

from powerpulse_pipeline.ask.answer import Asker  # noqa: E402
from powerpulse_pipeline.ask.readonly import connect_locked  # noqa: E402
from powerpulse_pipeline.explorer import selection as views  # noqa: E402
from powerpulse_pipeline.settings import Settings  # noqa: E402
from powerpulse_pipeline.warehouse.schema import ensure_schema  # noqa: E402
from powerpulse_pipeline_tests.ask.questions import AS_OF, CASES  # noqa: E402

AGENTS = ("Maria Lopez", "James Carter", "Tom Becker", "Aisha Khan", "Lena Vogel", "Omar Haddad")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def line(name: str, values: list[float], bound: list[float] | None = None) -> str:
    text = (
        f"{name:<34} p50 {statistics.median(values):7.3f} s   p95 {percentile(values, 0.95):7.3f} s"
    )
    if bound:
        ratio = percentile(values, 0.95) / max(percentile(bound, 0.95), 1e-9)
        text += f"   ({ratio:.1f}x the bound's p95)"
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-day", type=int, default=2778)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--browser", action="store_true", help="also time it in Chromium")
    args = parser.parse_args()
    first = AS_OF - timedelta(days=args.days - 1)
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings.from_env({"POWERPULSE_DATA_DIR": folder})
        settings.duckdb_path.parent.mkdir(parents=True)
        started = time.perf_counter()
        with duckdb.connect(str(settings.duckdb_path)) as conn:
            ensure_schema(conn)
            n = fill(conn, first, args.days, args.per_day, AGENTS, ("en", "es", "de"))
            messages = conn.execute("SELECT count(*) FROM messages").fetchone()[0]
            conn.execute("CHECKPOINT")
        print(
            f"{n:,} conversations, {messages:,} messages, {first}..{AS_OF} "
            f"(filled in {time.perf_counter() - started:.1f} s)"
        )

        conn = connect_locked(settings.duckdb_path)
        asker = Asker(settings, conn=conn)
        asks, bounds, statuses = [], [], {}
        for _ in range(args.repeat):
            for case in CASES:
                begun = time.perf_counter()
                answer = asker.ask(case.question, as_of=AS_OF, new=case.new)
                asks.append(time.perf_counter() - begun)
                statuses[answer.status] = statuses.get(answer.status, 0) + 1
                if answer.sql:
                    begun = time.perf_counter()
                    cursor = conn.cursor()
                    cursor.execute(answer.sql).fetchall()
                    cursor.close()
                    bounds.append(time.perf_counter() - begun)
        print(f"{len(CASES)} questions x {args.repeat}: {statuses}")
        print(line("ask (offline, whole answer)", asks, bounds))
        print(line("bound: the bare SQL of the answers", bounds))

        selections = [
            views.Selection(first, AS_OF),
            views.Selection(first, AS_OF, ("Maria Lopez",)),
            views.Selection(AS_OF - timedelta(days=29), AS_OF, (), ("billing",)),
            views.Selection(AS_OF - timedelta(days=6), AS_OF, ("James Carter",), (), ("es",)),
        ]
        queries = []
        for _ in range(args.repeat):
            for chosen in selections:
                begun = time.perf_counter()
                views.headline(conn, chosen, "UTC")
                views.trend(conn, chosen, "day", "UTC")
                for dimension in ("topic", "agent", "language", "weekday", "hour"):
                    views.breakdown(conn, chosen, dimension, "UTC")
                views.conversations(conn, chosen, "UTC")
                queries.append(time.perf_counter() - begun)
        print(line("explorer: a selection's queries", queries))
        conn.close()

        os.environ["POWERPULSE_DATA_DIR"] = folder
        from streamlit.testing.v1 import AppTest

        app = AppTest.from_file(
            str(ROOT / "powerpulse_pipeline/explorer/app.py"), default_timeout=120
        )
        begun = time.perf_counter()
        app.run()
        first_load = time.perf_counter() - begun
        reruns = []
        for _ in range(args.repeat):
            for agents in (["Maria Lopez"], [], ["James Carter", "Aisha Khan"], []):
                app.sidebar.multiselect(key="agents").set_value(agents)
                begun = time.perf_counter()
                app.run()
                reruns.append(time.perf_counter() - begun)
                assert not app.exception, app.exception
        print(f"explorer: first load {first_load:.3f} s")
        print(line("explorer: a filter change (rerun)", reruns, queries))
        if args.browser:
            print(line("explorer: a filter change (Chromium)", in_browser(folder, args.repeat)))


CARDS = "return [...document.querySelectorAll('[data-testid=stMetric]')].map(e => e.innerText)"


def in_browser(folder: str, repeat: int) -> list[float]:
    """Seconds from picking an agent in the served explorer to new cards on the page."""
    import socket
    import subprocess
    import urllib.request

    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    from powerpulse_pipeline.explorer.serve import command
    from powerpulse_pipeline_tests.browser import chromium

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        command(port),
        env={**os.environ, "POWERPULSE_DATA_DIR": folder},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    times = []
    try:
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2)
                break
            except OSError:
                time.sleep(0.3)
        with chromium() as driver:
            driver.get(f"http://127.0.0.1:{port}")
            WebDriverWait(driver, 120).until(lambda d: len(d.execute_script(CARDS)) >= 7)
            time.sleep(2)
            picker = "[data-testid=stSidebar] [data-testid=stMultiSelect] input"
            for _ in range(repeat):
                for agent in AGENTS[:4]:
                    before = driver.execute_script(CARDS)
                    box = driver.find_element(By.CSS_SELECTOR, picker)
                    box.click()
                    box.send_keys(agent, Keys.ENTER)
                    begun = time.perf_counter()
                    WebDriverWait(driver, 60, poll_frequency=0.02).until(
                        lambda d, seen=before: d.execute_script(CARDS) != seen
                    )
                    times.append(time.perf_counter() - begun)
                    time.sleep(1.5)  # the rest of the page settles before the next pick
                    box = driver.find_element(By.CSS_SELECTOR, picker)
                    box.send_keys(Keys.BACKSPACE)  # the agent is unpicked again
                    WebDriverWait(driver, 60).until(
                        lambda d, seen=before: d.execute_script(CARDS) == seen
                    )
                    time.sleep(1.5)
    finally:
        server.terminate()
        server.wait(timeout=20)
    return times


if __name__ == "__main__":
    main()
