"""A Page's first sync (the backfill) against the local Graph API server, under a call budget
(DESIGN.md section 12), through the real sensor on a real Dagster instance.

    .venv/bin/python benchmarks/graph_sync.py [--conversations 10000] [--budget 200]
        [--window 60] [--latency 0.1] [--no-ingest]

The server holds --conversations generated conversations over 90 days and allows --budget
calls per --window seconds: its usage headers rise with the calls in the window, and past the
budget it refuses calls with error 80001. Every --latency seconds a call takes, as the real
API's nested reads do. The sensor is ticked as Dagster's daemon does (every 30 s, each tick
at most 20 s of work) until the Page is up to date. Printed:

- calls made against the minimum the paging needs (one per page of 25 conversations: every
  thread here fits in its first page of messages), and refusals (the sync should see none);
- time against the bound: the budget's (minimum calls / budget per second) or the latency's
  (minimum calls x latency, with the daemon's 10 s rest between 20 s ticks), whichever is
  longer;
- then (unless --no-ingest) the inbox, ingestion and daily runs over the landed files: the time
  from the last pull to the tables, and the messages stored against those the server holds.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
from dagster import instance_for_test

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from powerpulse_pipeline.pipeline import INGEST_JOB, build_definitions
from powerpulse_pipeline.sensors.messenger import TICK_BUDGET_SECONDS, TICK_SECONDS, sensor_name
from powerpulse_pipeline.settings import Settings
from powerpulse_pipeline.sources.graph_api.sync import CONVERSATIONS_PER_PAGE
from powerpulse_pipeline_tests.fake_graph import (
    DETAILS_LIMIT,
    PAGE_ID,
    TOKEN,
    GraphState,
    fake_graph_server,
    generate_page,
)
from powerpulse_pipeline_tests.harness import SensorDriver


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--budget", type=int, default=200, help="calls per window")
    parser.add_argument("--window", type=float, default=60.0, help="seconds")
    parser.add_argument("--latency", type=float, default=0.1, help="seconds per call")
    parser.add_argument("--no-ingest", action="store_true")
    args = parser.parse_args()

    first_day = (datetime.now(UTC) - timedelta(days=92)).replace(hour=0, minute=0, second=0)
    page = GraphState(
        conversations=generate_page(args.conversations, first_day, 90, until=datetime.now(UTC)),
        budget=args.budget,
        window=args.window,
        latency=args.latency,
    )
    held = sum(min(len(c.messages), DETAILS_LIMIT) for c in page.conversations.values())
    minimum_calls = -(-args.conversations // CONVERSATIONS_PER_PAGE)
    print(
        f"Page: {args.conversations:,} conversations, {held:,} messages with details; "
        f"budget {args.budget} calls / {args.window:g} s; {args.latency:g} s a call"
    )
    with tempfile.TemporaryDirectory() as folder, fake_graph_server(page) as url:
        root = Path(folder)
        (root / "token").write_text(TOKEN)
        settings = Settings.from_env(
            {
                "POWERPULSE_DATA_DIR": str(root / "data"),
                "POWERPULSE_START_DATE": first_day.date().isoformat(),
                "POWERPULSE_EMBEDDING_MODEL": "off",
                "POWERPULSE_FB_PAGE_IDS": PAGE_ID,
                "POWERPULSE_FB_PAGE_TOKEN_FILE": str(root / "token"),
                "POWERPULSE_FB_GRAPH_URL": url,
            }
        )
        (root / "dagster").mkdir()
        with instance_for_test(temp_dir=str(root / "dagster")) as instance:
            driver = SensorDriver(build_definitions(settings), instance)
            name = sensor_name(PAGE_ID)
            started = time.monotonic()
            ticks = 0
            while True:
                tick_start = time.monotonic()
                driver.tick(name)
                ticks += 1
                message = driver.skip_reasons[name] or ""
                if "up to date" in message:
                    break
                if ticks % 4 == 0 or "paused" in message:
                    print(f"  tick {ticks}: {message[:150]}", flush=True)
                # The daemon's cadence: the next tick 30 s after this one began; a pause is
                # waited out in ticks that make no call.
                time.sleep(max(0.0, tick_start + TICK_SECONDS - time.monotonic()))
            pulled = time.monotonic() - started

            rest = TICK_SECONDS - TICK_BUDGET_SECONDS
            latency_bound = minimum_calls * args.latency
            latency_bound += (latency_bound // TICK_BUDGET_SECONDS) * rest
            budget_bound = minimum_calls / args.budget * args.window
            bound = max(latency_bound, budget_bound)
            print(
                f"calls: {page.calls} made, {minimum_calls} needed "
                f"(ratio {page.calls / minimum_calls:.2f}); refused: {page.statuses[400]}"
            )
            print(
                f"time: {pulled:.0f} s in {ticks} ticks; bound {bound:.0f} s (budget "
                f"{budget_bound:.0f} s, latency {latency_bound:.0f} s); ratio {pulled / bound:.2f}"
            )
            if args.no_ingest:
                return
            started = time.monotonic()
            driver.execute(INGEST_JOB, driver.tick("inbox_sensor"))
            driver.ingest()
            stored_in = time.monotonic() - started
            with duckdb.connect(str(settings.work_db_path), read_only=True) as conn:
                stored = conn.execute("SELECT count(DISTINCT message_id) FROM raw_messages")
                count = stored.fetchone()[0]
            print(
                f"landed files to tables: {stored_in:.0f} s; messages stored {count:,} of "
                f"{held:,} ({count / held:.4f})"
            )


if __name__ == "__main__":
    main()
