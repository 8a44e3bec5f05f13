"""A million messages from drop to metrics, through the real sensors and jobs.

    .venv/bin/python benchmarks/scale.py [--threads 77000] [--small-threads 100]
    .venv/bin/python benchmarks/scale.py --make-dev     # the same drop under `dagster dev`
    .venv/bin/python benchmarks/scale.py --compare      # SQLite / PostgreSQL, event batching

Generates its own grouped export (samples.dialogues.generate_history: every conversation
with its own account numbers and details, so the score cache gets no help real chats would
not give), then on a persistent temporary Dagster instance ticks the inbox sensor, runs the
ingest run, ticks the days sensor and runs the daily run, with the offline scorer. Prints:
- the bound, measured in the same process: json.loads of the file, its messages flattened
  to Arrow, one DuckDB insert, one GROUP BY per day; the least any pipeline must do;
- each step's seconds (from the run's own events), the whole path, and whole / bound;
- the peak RSS of this process and of its children (scorer workers);
- then a small export (--small-threads threads on one day) dropped on top of the million
  stored messages: seconds from the drop to its day's metrics.
With --make-dev, `dagster dev` runs on a temporary DAGSTER_HOME with deploy/dagster.yaml and
the export is dropped into its inbox; the time is from the drop until the analysts' copy
holds every day, and the peak RSS is of the largest process of `dagster dev`'s tree.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


from powerpulse_pipeline.samples.dialogues import generate_history  # noqa: E402
from powerpulse_pipeline.samples.formats import grouped_export  # noqa: E402

FIRST_DAY = datetime(2025, 1, 6, 0, 0, tzinfo=UTC)
DAYS = 90
# Past every conversation of the history (a thread goes on for up to 3 x 12 days after its
# first): the small export is the only thing on its day.
SMALL_DAY = FIRST_DAY + timedelta(days=DAYS + 60)


def write_export(
    path: Path, threads: int, seed: int, days: int, first_day: datetime, conversations: int = 3
) -> int:
    history = generate_history(
        threads=threads,
        first_day=first_day,
        days=days,
        seed=seed,
        max_conversations=conversations,
    )
    document = grouped_export(history)
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return sum(len(t.lines) for t in history)


def cached_export(threads: int) -> tuple[Path, int]:
    path = Path(tempfile.gettempdir()) / f"powerpulse-scale-{threads}.json"
    count_file = path.with_suffix(".count")
    if not path.exists() or not count_file.exists():
        count = write_export(path, threads, seed=9, days=DAYS, first_day=FIRST_DAY)
        count_file.write_text(str(count))
    return path, int(count_file.read_text())


def bound_seconds(path: Path) -> float:
    """The best of two runs: the first pays for the process's fresh memory."""
    return min(_bound_once(path) for _ in range(2))


def _bound_once(path: Path) -> float:
    """json.loads + flatten to Arrow + one insert + one GROUP BY per day."""
    started = time.perf_counter()
    document = json.loads(path.read_bytes())
    chat, ms, text, role = [], [], [], []
    for chat_id, messages in document.items():
        for m in messages:
            chat.append(chat_id)
            ms.append(m.get("timestamp_ms") or 0)
            text.append(m.get("message") or m.get("text"))
            role.append(m.get("role") or m.get("sender_type"))
    flat = pa.table({"chat_id": chat, "ms": ms, "text": text, "role": role})
    with duckdb.connect() as conn:
        conn.register("flat", flat)
        conn.execute("CREATE TABLE m AS SELECT * FROM flat")
        conn.execute(
            "SELECT (to_timestamp(ms / 1000))::DATE AS day, count(*), count(DISTINCT chat_id) "
            "FROM m GROUP BY day"
        ).fetchall()
    return time.perf_counter() - started


def step_seconds(instance, run_id: str) -> dict[str, tuple[float, float]]:
    """Each step's (seconds, Dagster's share): the share is the time from the step's first
    output or materialization (its compute has returned) to its end, which Dagster spends
    handling outputs and writing one materialization event per asset and day."""
    from dagster import DagsterEventType

    after_compute = {
        DagsterEventType.STEP_OUTPUT,
        DagsterEventType.HANDLED_OUTPUT,
        DagsterEventType.ASSET_MATERIALIZATION,
    }
    started: dict[str, float] = {}
    returned: dict[str, float] = {}
    seconds: dict[str, tuple[float, float]] = {}
    for record in instance.all_logs(run_id):
        event = record.dagster_event
        if event is None or event.step_key is None:
            continue
        step = event.step_key
        if event.event_type == DagsterEventType.STEP_START:
            started[step] = record.timestamp
        elif event.event_type in after_compute:
            returned.setdefault(step, record.timestamp)
        elif event.event_type == DagsterEventType.STEP_SUCCESS:
            end = record.timestamp
            seconds[step] = (end - started[step], end - returned.get(step, end))
    return seconds


class PeakSampler:
    """Largest RSS of any process of this tree (this one and the scorer's workers)."""

    def __init__(self) -> None:
        self.peak: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for pid, rss in process_tree_rss_mb(os.getpid()).items():
                self.peak[pid] = max(self.peak.get(pid, 0.0), rss)
            self._stop.wait(0.2)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def largest_child(self) -> float:
        return max((v for pid, v in self.peak.items() if pid != os.getpid()), default=0.0)


@contextlib.contextmanager
def storage_overrides(storage: str, tmp: str):
    """Dagster's storage for the run: SQLite in the temporary home, or a PostgreSQL server of
    its own (deployment/postgres.py) in the temporary folder."""
    if storage == "sqlite":
        yield {}
        return
    from powerpulse_pipeline.deployment.postgres import LocalPostgres

    server = LocalPostgres(Path(tmp) / "postgres")
    url = server.start()
    try:
        yield {"storage": {"postgres": {"postgres_url": url}}}
    finally:
        server.stop()


def in_process(args: argparse.Namespace, export: Path, messages: int, bound: float) -> None:
    import logging

    from dagster import instance_for_test

    from powerpulse_pipeline.pipeline import DAILY_JOB, INGEST_JOB, build_definitions
    from powerpulse_pipeline.settings import Settings
    from powerpulse_pipeline_tests.harness import SensorDriver

    logging.getLogger("dagster").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        env = {"POWERPULSE_DATA_DIR": f"{tmp}/data", "POWERPULSE_SCORER": "offline"}
        if args.no_embeddings:
            env["POWERPULSE_EMBEDDING_MODEL"] = "off"
        settings = Settings.from_env(env)
        Path(tmp, "home").mkdir()
        if os.geteuid() == 0:  # PostgreSQL runs as nobody, who must reach its folder
            Path(tmp).chmod(0o755)
        batch = os.environ.get("DAGSTER_EVENT_BATCH_SIZE", "0")
        with (
            storage_overrides(args.storage, tmp) as overrides,
            instance_for_test(temp_dir=f"{tmp}/home", overrides=overrides) as instance,
        ):
            driver = SensorDriver(build_definitions(settings), instance)
            shutil.copy(export, settings.inbox_dir / "history.json")
            os.utime(settings.inbox_dir / "history.json", (0, 0))
            with PeakSampler() as sampler:
                started = time.perf_counter()
                files = driver.tick("inbox_sensor")
                driver.execute(INGEST_JOB, files)
                ingest_wall = time.perf_counter() - started
                days = driver.tick("touched_days_sensor")
                driver.execute(DAILY_JOB, days)
                whole = time.perf_counter() - started
            runs = instance.get_runs()
            steps: dict[str, tuple[float, float]] = {}
            for run in reversed(runs):
                steps.update(step_seconds(instance, run.run_id))
            me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            children = sampler.largest_child()
            print(f"storage: {args.storage}, DAGSTER_EVENT_BATCH_SIZE={batch}")
            print(f"export: {messages:,} messages, {export.stat().st_size / 1e6:.0f} MB")
            print(f"bound (same process): {bound:.2f} s")
            print(f"ingest run wall: {ingest_wall:.2f} s")
            print(f"  {'step':<22} {'seconds':>7}   Dagster's share")
            for step, (secs, dagster) in steps.items():
                print(f"  {step:<22} {secs:7.2f} s {dagster:7.2f} s")
            share = sum(d for _, d in steps.values())
            print(f"Dagster's share of the steps: {share:.2f} s")
            print(f"whole path: {whole:.2f} s   ratio to bound: {whole / bound:.1f}x")
            print(json.dumps({"RESULT": {
                "storage": args.storage, "batch": batch, "whole": whole, "bound": bound,
                "steps": steps, "dagster": share,
            }}))  # fmt: skip
            print(f"peak RSS: this process {me:.0f} MB, largest scorer worker {children:.0f} MB")
            with duckdb.connect(str(settings.duckdb_path), read_only=True) as conn:
                conversations = conn.execute("SELECT count(*) FROM conversations").fetchall()
            print(f"conversations: {conversations[0][0]:,}")

            small_day = SMALL_DAY
            small = Path(tmp) / "small.json"
            count = write_export(
                small, args.small_threads, seed=77, days=1, first_day=small_day, conversations=1
            )
            shutil.copy(small, settings.inbox_dir / "small.json")
            os.utime(settings.inbox_dir / "small.json", (0, 0))
            started = time.perf_counter()
            driver.execute(INGEST_JOB, driver.tick("inbox_sensor"))
            driver.execute(DAILY_JOB, driver.tick("touched_days_sensor"))
            small_seconds = time.perf_counter() - started
            print(json.dumps({"SMALL": small_seconds}))
            print(
                f"small export ({args.small_threads} threads, {count} messages, one day) "
                f"on top: {small_seconds:.2f} s from drop to metrics (the two runs only; under "
                "dagster dev the sensors' ticks and two run launches come on top)"
            )


def explain_runs_since(home: Path, since: float) -> None:
    """Where the small drop's seconds went: each run's wait in the queue, its launch, its
    steps (and Dagster's share of each), counted from the drop."""
    from dagster import DagsterInstance
    from dagster._core.instance.ref import InstanceRef

    instance = DagsterInstance.from_ref(InstanceRef.from_dir(str(home)))
    try:
        records = [
            r for r in instance.get_run_records() if r.create_timestamp.timestamp() >= since
        ]
        for record in sorted(records, key=lambda r: r.create_timestamp):
            run = record.dagster_run
            created = record.create_timestamp.timestamp() - since
            start = (record.start_time or 0) - since
            end = (record.end_time or 0) - since
            tags = run.tags
            span = f"{tags.get('dagster/asset_partition_range_start', '')}.." + tags.get(
                "dagster/asset_partition_range_end", ""
            )
            print(
                f"  run {run.job_name} {span}: requested at +{created:.1f} s, started "
                f"+{start:.1f} s, ended +{end:.1f} s ({run.status.value})"
            )
            for step, (secs, dagster) in step_seconds(instance, run.run_id).items():
                if secs >= 0.3:
                    print(f"      {step:<26} {secs:6.2f} s (Dagster {dagster:.2f} s)")
    finally:
        instance.dispose()


def process_tree_rss_mb(root: int) -> dict[int, float]:
    """RSS of root and its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        children.setdefault(int(stat[1]), []).append(int(entry))
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                rss[int(entry)] = int(line.split()[1]) / 1024
    found: dict[int, float] = {}
    todo = [root]
    while todo:
        pid = todo.pop()
        found[pid] = rss.get(pid, 0.0)
        todo.extend(children.get(pid, []))
    return found


def days_of_history() -> set:
    return {FIRST_DAY.date() + timedelta(days=i) for i in range(DAYS)}


def drop_and_wait(
    source: Path, target: Path, copy: Path, root: int, timeout: float, wanted: set
) -> tuple[float | None, float]:
    """Drop a file as a user would (complete, then renamed in) and wait until the analysts'
    copy has a daily_metrics row for every wanted day. Returns (seconds, peak RSS MB)."""
    shutil.copy(source, target.with_suffix(".part"))
    os.replace(target.with_suffix(".part"), target)
    dropped = time.monotonic()
    peak = 0.0
    while time.monotonic() - dropped < timeout:
        peak = max(peak, max(process_tree_rss_mb(root).values(), default=0.0))
        if copy.exists():
            try:
                with duckdb.connect(str(copy), read_only=True) as conn:
                    days = {r[0] for r in conn.execute("SELECT day FROM daily_metrics").fetchall()}
                if wanted <= days:
                    return time.monotonic() - dropped, peak
            except duckdb.Error:
                pass
        time.sleep(0.5)
    return None, peak


def under_make_dev(
    export: Path | None,
    messages: int,
    bound: float,
    timeout: float,
    small_threads: int,
    workdir: Path | None = None,
    embeddings: bool = True,
) -> None:
    """With `workdir`, the Dagster home and data folder live there and are kept: a second call
    finds the history stored and drops only a small export, on a day of its own."""
    with contextlib.ExitStack() as stack:
        if workdir is None:
            tmp = stack.enter_context(tempfile.TemporaryDirectory())
        else:
            workdir.mkdir(parents=True, exist_ok=True)
            tmp = str(workdir)
        home = Path(tmp) / "home"
        kept = (Path(tmp) / "data" / "warehouse" / "powerpulse.duckdb").exists()
        if kept:
            messages = 0  # the history is there: only the small export
        home.mkdir(exist_ok=True)
        from powerpulse_pipeline.deployment.instance import write_home

        write_home(home)  # as `make dev` writes it (PostgreSQL when POWERPULSE_POSTGRES_URL is set)
        data = Path(tmp) / "data"
        env = {
            **os.environ,
            "DAGSTER_HOME": str(home),
            "POWERPULSE_DATA_DIR": str(data),
            "POWERPULSE_SCORER": "offline",
            **({} if embeddings else {"POWERPULSE_EMBEDDING_MODEL": "off"}),
        }
        port = "3987"
        # dagster dev's own log, to see where the time went
        log_path = Path(tempfile.gettempdir()) / "powerpulse-scale-dagster-dev.log"
        log = log_path.open("w")
        print(f"dagster dev's log: {log_path}")
        server = subprocess.Popen(
            [
                str(ROOT / ".venv/bin/dagster"),
                "dev",
                "-h",
                "127.0.0.1",
                "-p",
                port,
                "-w",
                str(ROOT / "workspace.yaml"),
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            copy = data / "warehouse" / "powerpulse.duckdb"
            inbox = data / "inbox"
            deadline = time.monotonic() + 120
            while not inbox.exists() and time.monotonic() < deadline:
                time.sleep(1)
            time.sleep(20)  # let the daemon and sensors settle
            if messages:
                whole, peak = drop_and_wait(
                    export, inbox / "history.json", copy, server.pid, timeout, days_of_history()
                )
                print(f"export: {messages:,} messages; bound (same run): {bound:.2f} s")
                if whole is None:
                    print(f"not complete after {timeout:.0f} s")
                else:
                    print(
                        f"make dev, drop -> analysts' copy complete: {whole:.1f} s, "
                        f"ratio to bound: {whole / bound:.1f}x"
                    )
                print(f"peak RSS of the largest dagster dev process: {peak:.0f} MB")
            earlier = len(list(inbox.glob("small*.json")))
            small_day = SMALL_DAY + timedelta(days=2 * earlier)
            small = Path(tmp) / "small.json"
            count = write_export(small, small_threads, 77 + earlier, 1, small_day, conversations=1)
            seconds, _ = drop_and_wait(
                small, inbox / f"small{earlier}.json", copy, server.pid, timeout, {small_day.date()}
            )
            print(
                f"small export ({small_threads} threads, {count} messages, one day) dropped "
                f"{'on top' if messages or kept else 'on a fresh instance'}: "
                f"{seconds if seconds is None else round(seconds, 1)} s from drop to its "
                "day in the analysts' copy"
            )
            explain_runs_since(home, time.time() - (seconds or timeout) - 1)
        finally:
            # dagster dev's daemon and code servers live in their own sessions: stop the
            # whole tree, not just the process group
            tree = list(process_tree_rss_mb(server.pid))
            os.killpg(server.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                server.wait(timeout=60)
            for pid in tree:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


BATCH = 100
PYTHON_SCRIPT = (sys.executable, __file__)
NO_EMBED = ("--no-embeddings",)


def compare(args: argparse.Namespace) -> None:
    results = []
    for storage in ("sqlite", "postgres"):
        for batch in ("0", str(BATCH)):
            print(f"--- {storage}, DAGSTER_EVENT_BATCH_SIZE={batch}", flush=True)
            done = subprocess.run(
                [*PYTHON_SCRIPT, "--threads", str(args.threads), "--storage", storage, *NO_EMBED],
                env={**os.environ, "DAGSTER_EVENT_BATCH_SIZE": batch},
                capture_output=True,
                text=True,
            )
            print(done.stdout[-4000:], done.stderr[-2000:] if done.returncode else "", flush=True)
            result = next(
                json.loads(line)["RESULT"]
                for line in done.stdout.splitlines()
                if line.startswith('{"RESULT"')
            )
            result["small"] = next(
                json.loads(line)["SMALL"]
                for line in done.stdout.splitlines()
                if line.startswith('{"SMALL"')
            )
            results.append(result)
    names = list(dict.fromkeys(step for r in results for step in r["steps"]))
    header = [r["storage"] + (f" batch {r['batch']}" if r["batch"] != "0" else "") for r in results]
    print("\n| step | " + " | ".join(header) + " |")
    print("|---|" + "---|" * len(results))
    for step in names:
        cells = []
        for r in results:
            secs, dagster = r["steps"].get(step, (float("nan"), float("nan")))
            cells.append(f"{secs:.2f} s ({dagster:.2f})")
        print(f"| {step} | " + " | ".join(cells) + " |")
    shares = " | ".join(f"{r['dagster']:.1f} s" for r in results)
    print(f"| Dagster's share, all steps | {shares} |")
    print(
        "| **whole path** (x bound) | "
        + " | ".join(f"{r['whole']:.1f} s ({r['whole'] / r['bound']:.1f}x)" for r in results)
        + " |"
    )
    print("| small export on top | " + " | ".join(f"{r['small']:.1f} s" for r in results) + " |")


def fill_vectors(work: Path) -> None:
    from powerpulse_pipeline.similarity.embedders import OFFLINE

    with duckdb.connect(str(work)) as conn:
        started = time.perf_counter()
        conn.execute(
            """
            INSERT INTO conversation_embeddings
            SELECT conversation_id, day, $model, md5(conversation_id),
                list_transform(v, lambda x: (x / norm)::FLOAT)
            FROM (
                SELECT *, sqrt(list_sum(list_transform(v, lambda y: y * y))) AS norm
                FROM (SELECT conversation_id, day,
                        list_transform(range(384), lambda i: random() - 0.5) AS v
                      FROM conversations
                      WHERE conversation_id NOT IN
                          (SELECT conversation_id FROM conversation_embeddings)))
            """,
            {"model": OFFLINE},
        )
        count = conn.execute("SELECT count(*) FROM conversation_embeddings").fetchone()[0]
    print(f"{count:,} vectors stored in {time.perf_counter() - started:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=77000, help="0: only the small export")
    parser.add_argument("--small-threads", type=int, default=100)
    parser.add_argument("--make-dev", action="store_true")
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument(
        "--workdir", type=Path,
        help="--make-dev: keep the Dagster home and data here; run again to drop only a small "
        "export on top of the history already stored",
    )  # fmt: skip
    parser.add_argument(
        "--storage", choices=("sqlite", "postgres"), default="sqlite",
        help="Dagster's storage for the in-process path (postgres: a server of its own)",
    )  # fmt: skip
    parser.add_argument(
        "--no-embeddings", action="store_true",
        help="POWERPULSE_EMBEDDING_MODEL=off: the path as it was before similar conversations "
        "(the embedding step is measured by similarity_scale.py; --compare sets this)",
    )  # fmt: skip
    parser.add_argument(
        "--compare", action="store_true",
        help="the in-process path four times, without embeddings: SQLite and PostgreSQL, each "
        f"without and with DAGSTER_EVENT_BATCH_SIZE={BATCH}, one process each; a table of "
        "steps at the end",
    )  # fmt: skip
    parser.add_argument(
        "--fill-vectors", action="store_true",
        help="with --workdir: give every stored conversation without one a random unit vector "
        "of the offline model, as if the history had been embedded (which takes the offline "
        "model about 20 minutes for the million); then --make-dev drops on top of it",
    )  # fmt: skip
    args = parser.parse_args()
    if args.fill_vectors:
        fill_vectors(args.workdir / "data" / "pipeline" / "work.duckdb")
        return
    if args.compare:
        compare(args)
        return
    if args.make_dev and args.threads == 0:  # only the small export, on a fresh instance
        under_make_dev(
            None, 0, 0.0, args.timeout, args.small_threads, args.workdir, not args.no_embeddings
        )
        return
    export, messages = cached_export(args.threads)
    bound = bound_seconds(export)
    if args.make_dev:
        under_make_dev(
            export, messages, bound, args.timeout, args.small_threads, args.workdir,
            not args.no_embeddings,
        )  # fmt: skip
    else:
        in_process(args, export, messages, bound)


if __name__ == "__main__":
    main()
