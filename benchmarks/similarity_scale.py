"""Similar conversations, free-text search, embedding backfill, recurring issues and publish
at scale (DESIGN.md section 11).

    .venv/bin/python benchmarks/similarity_scale.py [--conversations 250000] [--sample 20000]
        [--full] [--keep DIR]

(a) A DuckDB file with --conversations rows in `conversation_embeddings` (random unit
    vectors of 384 dimensions, ids `<chat_id>:<UTC start>` and days over a year) and in
    `conversations`, published as the analysts' copy: there, the median of 20
    `similar_conversations(id, 10)` calls (target < 200 ms), and of 20 free-text searches: the
    query embedded in-process by the offline model plus the top-k SQL of similarity.search
    (target < 500 ms); and the macro on the work DB's FLOAT[] lists for comparison.
(b) Embedding a 1M-message backfill: customer texts of samples.dialogues.generate_threads
    (90 days), each conversation's first message given its own account number so that the
    cache (keyed by text) gets no help real chats would not give. The pipeline path,
    assets.conversation_embeddings.write_embeddings into a DuckDB file, against the bound: the
    same model encoding the same texts in one call. When both would take more than ~10
    minutes for 1M messages, a sample of --sample conversations is measured and scaled.
(c) write_recurring_issues over the 90 days of (b), then over one changed day: the second
    rebuilds only that day's week and month and the ones after, and its time is proportional
    to their conversations.
(d) publish.publish of the file of (a), with and without the embeddings (a copy of the file
    whose conversation_embeddings is emptied): seconds and bytes of the analysts' copy.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from powerpulse_pipeline.assets.conversation_embeddings import (  # noqa: E402
    vectors_to_arrow,
    write_embeddings,
)
from powerpulse_pipeline.assets.recurring_issues import (  # noqa: E402
    _PERIODS,
    write_recurring_issues,
)
from powerpulse_pipeline.samples.dialogues import generate_threads  # noqa: E402
from powerpulse_pipeline.similarity import minilm  # noqa: E402
from powerpulse_pipeline.similarity.embedders import OFFLINE, OfflineEmbedder  # noqa: E402
from powerpulse_pipeline.similarity.search import _SEARCH  # noqa: E402
from powerpulse_pipeline.similarity.texts import CUSTOMER_TEXTS  # noqa: E402
from powerpulse_pipeline.warehouse.publish import PUBLISHED_TABLES, publish  # noqa: E402
from powerpulse_pipeline.warehouse.schema import SIMILAR_MACRO, ensure_schema  # noqa: E402

YEAR_START = datetime(2025, 1, 1, tzinfo=UTC)
BACKFILL_START = datetime(2025, 1, 6, tzinfo=UTC)  # a Monday
BACKFILL_DAYS = 90
TARGET_MESSAGES = 1_000_000
CALLS = 20
K = 10
TARGET_SIMILAR_MS = 200
TARGET_SEARCH_MS = 500
FULL_RUN_LIMIT_S = 600
CHUNK = 50_000
QUERIES = (
    "my bill is almost double this month",
    "no power on our street since this morning",
    "internet keeps dropping, router light is orange",
    "I paid by card but the app says the payment is due",
    "how do I send my meter reading, the form is broken",
    "password reset email never arrives",
    "I was charged twice and want a refund",
    "moving house, can I take my contract to the new address",
    "nobody tells us when the power comes back",
    "la factura está mal, me cobraron dos veces",
    "wir sind umgezogen und der Vertrag muss mit",
    "still waiting for the technician",
    "why is my invoice an estimate and not my real reading",
    "can't log in to the app",
    "the outage map says everything is fine but we have no electricity",
    "please cancel my contract",
    "the router restarted five times and it still drops",
    "refund for the double payment has not arrived",
    "the website gives an error when I submit the reading",
    "hello? is anyone there?",
)
SUMMARIES = (
    "Customer reports a bill about twice the usual; estimated reading corrected.",
    "Street-wide power outage; crew on site, restoration time given.",
    "Internet connection drops every few minutes; line reset remotely.",
    "Card payment not yet shown in the app; receipt confirmed.",
    "Meter reading form fails; reading taken in chat.",
    "Password reset email not arriving; account email updated.",
    "Contract move to a new address booked.",
    "Duplicate charge refunded.",
)


def median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def mb(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"


# (a) ------------------------------------------------------------------------------------


def build_scale_db(path: Path, n: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    ids: list[str] = []
    with duckdb.connect(str(path)) as conn:
        ensure_schema(conn)  # every table, SIMILAR_MACRO among the analysts' macros
        conn.execute(SIMILAR_MACRO)
        for start in range(0, n, CHUNK):
            size = min(CHUNK, n - start)
            chats = rng.integers(10**15, 10**16, size)
            seconds = rng.integers(0, 365 * 86400, size)
            started = [YEAR_START + timedelta(seconds=int(s)) for s in seconds]
            chunk_ids = [
                f"{chat}:{at:%Y-%m-%dT%H:%M:%SZ}" for chat, at in zip(chats, started, strict=True)
            ]
            ids += chunk_ids
            vectors = rng.standard_normal((size, minilm.DIMENSIONS), dtype=np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            days = pa.array([at.date() for at in started], pa.date32())
            embeddings = pa.table(
                {
                    "conversation_id": chunk_ids,
                    "day": days,
                    "model": pa.repeat(pa.scalar(OFFLINE), size),
                    "text_hash": [hashlib.sha256(i.encode()).hexdigest() for i in chunk_ids],
                    "embedding": vectors_to_arrow(vectors),
                }
            )
            facts = pa.table(
                {
                    "conversation_id": chunk_ids,
                    "chat_id": [str(c) for c in chats],
                    "day": days,
                    "started_at": pa.array(started, pa.timestamp("us", tz="UTC")),
                    "summary": [SUMMARIES[i % len(SUMMARIES)] for i in range(start, start + size)],
                    "satisfaction": pa.array(rng.integers(1, 6, size), pa.int32()),
                }
            )
            conn.register("new_embeddings", embeddings)
            conn.register("new_facts", facts)
            conn.execute("INSERT INTO conversation_embeddings BY NAME SELECT * FROM new_embeddings")
            conn.execute(
                "INSERT INTO conversations BY NAME SELECT conversation_id, chat_id, day, "
                "started_at, started_at + INTERVAL 25 MINUTE AS ended_at, 2 AS customer_messages, "
                "1 AS agent_messages, 0 AS autoresponses, 1 AS response_waits, "
                "600.0 AS response_seconds_total, 600.0 AS first_response_seconds, summary, "
                "satisfaction, 'scored' AS score_status, md5(conversation_id) AS content_hash "
                "FROM new_facts"
            )
            conn.unregister("new_embeddings")
            conn.unregister("new_facts")
        conn.execute("CHECKPOINT")
    return ids


def time_queries(path: Path, ids: list[str], seed: int) -> dict[str, float]:
    rng = random.Random(seed)
    model = minilm.load()
    with duckdb.connect(str(path), read_only=True) as conn:
        started = time.perf_counter()
        conn.execute("SELECT * FROM similar_conversations($id, 10)", {"id": ids[0]}).fetchall()
        cold = time.perf_counter() - started
        similar = []
        for conversation in rng.sample(ids, CALLS):
            started = time.perf_counter()
            rows = conn.execute(
                "SELECT * FROM similar_conversations($id, $k)", {"id": conversation, "k": K}
            ).fetchall()
            similar.append(time.perf_counter() - started)
            assert len(rows) == K, rows
        embed, sql, search = [], [], []
        for text in QUERIES[:CALLS]:
            started = time.perf_counter()
            vector = model.encode([text])[0]
            embedded = time.perf_counter()
            rows = conn.execute(
                _SEARCH, {"query": vector.tolist(), "model": OFFLINE, "k": K}
            ).fetchall()
            done = time.perf_counter()
            assert len(rows) == K, rows
            embed.append(embedded - started)
            sql.append(done - embedded)
            search.append(done - started)
    return {
        "cold_ms": cold * 1000,
        "similar_ms": median_ms(similar),
        "similar_max_ms": max(similar) * 1000,
        "embed_ms": median_ms(embed),
        "search_sql_ms": median_ms(sql),
        "search_ms": median_ms(search),
        "search_max_ms": max(search) * 1000,
    }


# (b) ------------------------------------------------------------------------------------


def conversations_of(threads) -> list[tuple[str, str, list]]:
    """(conversation_id, chat_id, lines): a thread's conversations are a day or more apart."""
    result = []
    for thread in threads:
        groups: list[list] = []
        for line in thread.lines:
            if not groups or line.sent_at - groups[-1][-1].sent_at > timedelta(days=1):
                groups.append([])
            groups[-1].append(line)
        for lines in groups:
            conversation = f"{thread.chat_id}:{lines[0].sent_at:%Y-%m-%dT%H:%M:%SZ}"
            result.append((conversation, thread.chat_id, lines))
    return result


def generate(conversations: int, seed: int) -> list[tuple[str, str, list]]:
    # generate_threads makes a second conversation in 20% of the threads.
    threads = generate_threads(
        threads=max(1, round(conversations / 1.2)),
        first_day=BACKFILL_START,
        days=BACKFILL_DAYS,
        seed=seed,
        multi_conversation_share=0.2,
    )
    return conversations_of(threads)


def build_backfill_db(path: Path, conversations: list[tuple[str, str, list]], seed: int) -> int:
    rng = random.Random(seed)
    rows: dict[str, list] = {
        k: []
        for k in (
            "conversation_id",
            "chat_id",
            "message_id",
            "message_key",
            "sent_at",
            "sender_role",
            "sender_name",
            "agent_name",
            "text",
            "is_autoresponse",
            "source_file",
            "day",
        )
    }
    facts: dict[str, list] = {
        k: [] for k in ("conversation_id", "chat_id", "day", "started_at", "ended_at", "n")
    }
    for conversation, chat, lines in conversations:
        day = lines[0].sent_at.date()
        first_customer = True
        for number, line in enumerate(lines):
            text = line.text
            if line.role == "customer" and first_customer:
                # Its own details, as every real conversation has: a distinct text to embed.
                text = f"{text} (account {rng.randrange(10**7, 10**8)})"
                first_customer = False
            key = f"{chat}:{number}:{line.sent_at.timestamp():.0f}"
            rows["conversation_id"].append(conversation)
            rows["chat_id"].append(chat)
            rows["message_id"].append(key)
            rows["message_key"].append(key)
            rows["sent_at"].append(line.sent_at)
            rows["sender_role"].append(line.role)
            rows["sender_name"].append(line.agent if line.role == "agent" else "customer")
            rows["agent_name"].append(line.agent)
            rows["text"].append(text)
            rows["is_autoresponse"].append(line.bot)
            rows["source_file"].append("benchmark.json")
            rows["day"].append(day)
        facts["conversation_id"].append(conversation)
        facts["chat_id"].append(chat)
        facts["day"].append(day)
        facts["started_at"].append(lines[0].sent_at)
        facts["ended_at"].append(lines[-1].sent_at)
        facts["n"].append(len(lines))
    with duckdb.connect(str(path)) as conn:
        ensure_schema(conn)
        conn.register("new_messages", pa.table(rows))
        conn.execute("INSERT INTO messages BY NAME SELECT * FROM new_messages")
        conn.register("new_facts", pa.table(facts))
        common = (
            "conversation_id, chat_id, day, started_at, ended_at, n - 1 AS customer_messages, "
            "1 AS agent_messages, 0 AS autoresponses, 1 AS response_waits, "
            "600.0 AS response_seconds_total, md5(conversation_id) AS content_hash"
        )
        conn.execute(f"INSERT INTO conversation_facts BY NAME SELECT {common} FROM new_facts")
        conn.execute(
            f"INSERT INTO conversations BY NAME SELECT {common}, 'scored' AS score_status, "
            "1 + hash(conversation_id) % 5 AS satisfaction, 'generated' AS summary FROM new_facts"
        )
        conn.execute("CHECKPOINT")
    return len(rows["text"])


def texts_to_embed(path: Path, first: date, last: date) -> list[str]:
    with duckdb.connect(str(path), read_only=True) as conn:
        return [
            row[0]
            for row in conn.execute(
                f"SELECT any_value(text) FROM ({CUSTOMER_TEXTS}) GROUP BY text_hash "
                "ORDER BY text_hash",
                {"first_day": first, "last_day": last},
            ).fetchall()
        ]


# (c) ------------------------------------------------------------------------------------


def period_conversations(path: Path, first: date, last: date) -> int:
    """Conversations read by a run over these days: the sum over the periods it rebuilds."""
    with duckdb.connect(str(path), read_only=True) as conn:
        periods = conn.execute(_PERIODS, {"first_day": first, "last_day": last}).fetchall()
        return sum(
            conn.execute(
                "SELECT count(*) FROM conversation_embeddings WHERE day BETWEEN $a AND $b",
                {"a": start, "b": end},
            ).fetchone()[0]
            for _, start, end, _ in periods
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=250_000, help="rows for (a), (d)")
    parser.add_argument("--sample", type=int, default=20_000, help="conversations for (b), (c)")
    parser.add_argument("--full", action="store_true", help="(b): embed all of 1M messages")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--keep", type=Path, default=None, help="keep the files in this dir")
    args = parser.parse_args()
    workdir = Path(args.keep or tempfile.mkdtemp(prefix="powerpulse-similarity-"))
    workdir.mkdir(parents=True, exist_ok=True)
    summary: list[tuple[str, str, str, str]] = []
    cores = os.cpu_count()
    print(f"{cores} cores; load average at start {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    try:
        run(args, workdir, summary)
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)
    print("\nsummary")
    print(f"{'figure':<46}{'measured':>16}{'target/bound':>16}{'ratio':>9}")
    for name, value, bound, ratio in summary:
        print(f"{name:<46}{value:>16}{bound:>16}{ratio:>9}")
    print(
        "load average at the end (1, 5, 15 min): "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; other work on the machine "
        "slows every figure"
    )


def run(args, workdir: Path, summary: list) -> None:
    # (a)
    n = args.conversations
    scale_db = workdir / "scale.duckdb"
    print(f"(a) {n:,} conversations with embeddings over a year -> {scale_db}")
    started = time.perf_counter()
    ids = build_scale_db(scale_db, n, args.seed)
    print(f"    built in {time.perf_counter() - started:.1f} s, {mb(scale_db.stat().st_size)}")
    minilm.load()
    # Measured where analysts ask: the published copy.
    analysts = workdir / "analysts_lookup.duckdb"
    with duckdb.connect(str(scale_db)) as conn:
        publish(conn, analysts, OFFLINE)
    timings = time_queries(analysts, ids, args.seed)
    print(
        f"    similar_conversations(id, {K}): first call {timings['cold_ms']:.0f} ms; median of "
        f"{CALLS} {timings['similar_ms']:.0f} ms (max {timings['similar_max_ms']:.0f}), "
        f"target < {TARGET_SIMILAR_MS} ms"
    )
    print(
        f"    free-text search: median of {CALLS} {timings['search_ms']:.0f} ms (max "
        f"{timings['search_max_ms']:.0f}) = embedding {timings['embed_ms']:.0f} ms + SQL "
        f"{timings['search_sql_ms']:.0f} ms, target < {TARGET_SEARCH_MS} ms"
    )
    fixed = time_queries(scale_db, ids, args.seed)["similar_ms"]
    print(
        f"    for comparison, the same macro on the work DB's FLOAT[] lists: median of {CALLS} "
        f"{fixed:.0f} ms (copy / work DB: {timings['similar_ms'] / fixed:.2f})"
    )
    summary.append(
        (
            f"(a) similar_conversations, {n:,} rows",
            f"{timings['similar_ms']:.0f} ms",
            f"< {TARGET_SIMILAR_MS} ms",
            f"{timings['similar_ms'] / TARGET_SIMILAR_MS:.2f}",
        )
    )
    summary.append(
        (
            "(a) the same on the work DB's FLOAT[] lists",
            f"{fixed:.0f} ms",
            f"< {TARGET_SIMILAR_MS} ms",
            f"{fixed / TARGET_SIMILAR_MS:.2f}",
        )
    )
    summary.append(
        (
            f"(a) free-text search, {n:,} rows",
            f"{timings['search_ms']:.0f} ms",
            f"< {TARGET_SEARCH_MS} ms",
            f"{timings['search_ms'] / TARGET_SEARCH_MS:.2f}",
        )
    )

    # (b)
    print(f"\n(b) embedding backfill of {TARGET_MESSAGES:,} messages (generate_threads, 90 days)")
    sample = generate(args.sample, args.seed)
    messages = sum(len(lines) for _, _, lines in sample)
    per_conversation = messages / len(sample)
    full_conversations = round(TARGET_MESSAGES / per_conversation)
    model = minilm.load()
    probe = [
        f"{line.text} (account {i})"
        for i, (_, _, lines) in enumerate(sample[:512])
        for line in lines[:1]
    ]
    started = time.perf_counter()
    model.encode(probe)
    probe_rate = len(probe) / (time.perf_counter() - started)
    estimate = 2 * full_conversations / probe_rate
    if args.full or estimate <= FULL_RUN_LIMIT_S:
        conversations = generate(full_conversations, args.seed)
        scaled = False
    else:
        conversations = sample
        scaled = True
    print(
        f"    {per_conversation:.2f} messages a conversation: {TARGET_MESSAGES:,} messages = "
        f"{full_conversations:,} conversations; probe {probe_rate:,.0f} texts/s, so both paths "
        f"would take about {estimate / 60:.0f} min"
    )
    if scaled:
        print(
            f"    SCALED: measuring {len(conversations):,} conversations and scaling to "
            f"{full_conversations:,} (more than {FULL_RUN_LIMIT_S // 60} min in full; --full "
            "to run it all)"
        )
    backfill_db = workdir / "backfill.duckdb"
    stored = build_backfill_db(backfill_db, conversations, args.seed)
    first, last = BACKFILL_START.date(), BACKFILL_START.date() + timedelta(BACKFILL_DAYS - 1)
    texts = texts_to_embed(backfill_db, first, last)
    print(
        f"    {stored:,} messages, {len(conversations):,} conversations, {len(texts):,} "
        f"distinct customer texts, {sum(model.token_counts(texts)) / len(texts):.1f} "
        "word pieces each"
    )
    started = time.perf_counter()
    model.encode(texts)
    bound = time.perf_counter() - started
    print(
        f"    bound, minilm.load().encode(all texts): {bound:.1f} s, "
        f"{len(texts) / bound:,.0f} texts/s"
    )
    written = write_embeddings(
        lambda: duckdb.connect(str(backfill_db)),
        OfflineEmbedder(),
        first,
        last,
        log=lambda line: print(f"      {line}"),
    )
    pipeline = written.seconds
    ratio = pipeline / bound
    print(
        f"    pipeline, write_embeddings into DuckDB: {pipeline:.1f} s, "
        f"{written.embedded / pipeline:,.0f} texts/s, {written.embedded:,} embedded; "
        f"pipeline / bound: {ratio:.2f}"
    )
    factor = full_conversations / len(conversations)
    if scaled:
        print(
            f"    scaled to {TARGET_MESSAGES:,} messages (x{factor:.1f}): pipeline "
            f"{pipeline * factor / 60:.1f} min, bound {bound * factor / 60:.1f} min"
        )
    summary.append(
        (
            "(b) embed texts/s, pipeline (bound)",
            f"{written.embedded / pipeline:,.0f}",
            f"{len(texts) / bound:,.0f}",
            f"{ratio:.2f}",
        )
    )
    summary.append(
        (
            f"(b) 1M messages{' (scaled)' if scaled else ''}, min",
            f"{pipeline * factor / 60:.1f}",
            f"{bound * factor / 60:.1f}",
            f"{ratio:.2f}",
        )
    )

    # (c)
    print(f"\n(c) recurring issues over the {BACKFILL_DAYS} days of (b)")

    def factory():
        return duckdb.connect(str(backfill_db))

    whole_read = period_conversations(backfill_db, first, last)
    whole = write_recurring_issues(factory, OFFLINE, first, last, log=lambda _: None)
    print(
        f"    {first}..{last}: {whole.periods} weeks and months (with the ones after), "
        f"{whole.issues} issues, {whole.members:,} grouped, {whole_read:,} period-conversations "
        f"read, {whole.seconds:.1f} s"
    )
    changed = first + timedelta(days=BACKFILL_DAYS // 2)
    with duckdb.connect(str(backfill_db)) as conn:  # one conversation of the day changes
        conn.execute(
            "UPDATE messages SET text = text || ' (edited)' WHERE conversation_id = "
            "(SELECT min(conversation_id) FROM messages WHERE day = $d) "
            "AND sender_role = 'customer'",
            {"d": changed},
        )
    write_embeddings(factory, OfflineEmbedder(), changed, changed, log=lambda _: None)
    one_read = period_conversations(backfill_db, changed, changed)
    one = write_recurring_issues(factory, OFFLINE, changed, changed, log=lambda _: None)
    time_share = one.seconds / whole.seconds
    work_share = one_read / whole_read
    print(
        f"    one changed day {changed}: {one.periods} periods (its week and month, the week "
        f"and month after), {one.issues} issues, {one_read:,} period-conversations read, "
        f"{one.seconds:.1f} s"
    )
    print(
        f"    one day / 90 days: time {time_share:.2f}, conversations read {work_share:.2f}; "
        f"ms per 1k period-conversations: 90 days {whole.seconds / whole_read * 1e6:.0f}, "
        f"one day {one.seconds / one_read * 1e6:.0f}"
    )
    summary.append(
        (
            f"(c) recurring issues, 90 days ({len(conversations):,} conv.)",
            f"{whole.seconds:.1f} s",
            "",
            "",
        )
    )
    summary.append(
        (
            "(c) one changed day: time share (work share)",
            f"{one.seconds:.1f} s",
            f"{work_share:.2f}",
            f"{time_share:.2f}",
        )
    )

    # (d)
    print(f"\n(d) publish the analysts' copy of (a) ({', '.join(PUBLISHED_TABLES)})")
    with duckdb.connect(str(scale_db)) as conn:
        with_embeddings = publish(conn, workdir / "analysts_with.duckdb", OFFLINE)
    bare_db = workdir / "scale_without_embeddings.duckdb"
    shutil.copyfile(scale_db, bare_db)
    with duckdb.connect(str(bare_db)) as conn:
        conn.execute("DROP TABLE conversation_embeddings")
        ensure_schema(conn)  # empty again, so the macros still resolve
        conn.execute("CHECKPOINT")
        without = publish(conn, workdir / "analysts_without.duckdb", OFFLINE)
    extra = with_embeddings.bytes - without.bytes
    for name, published in (("with", with_embeddings), ("without", without)):
        print(
            f"    {name} embeddings: {published.seconds:.1f} s, {mb(published.bytes)} "
            f"({published.rows['conversation_embeddings']:,} embedding rows)"
        )
    raw = n * minilm.DIMENSIONS * 4
    print(
        f"    embeddings add {mb(extra)} = {extra / n:,.0f} bytes a conversation (raw float32 "
        f"{minilm.DIMENSIONS * 4:,}); {with_embeddings.seconds - without.seconds:+.1f} s; "
        f"messages table empty here, so only the embeddings' and conversations' share"
    )
    summary.append(
        (
            "(d) publish s, with (without) embeddings",
            f"{with_embeddings.seconds:.1f}",
            f"{without.seconds:.1f}",
            f"{with_embeddings.seconds / without.seconds:.2f}",
        )
    )
    summary.append(
        (
            "(d) copy size, with (without) embeddings",
            mb(with_embeddings.bytes),
            mb(without.bytes),
            f"{with_embeddings.bytes / without.bytes:.2f}",
        )
    )
    summary.append(("(d) embeddings bytes / raw float32", mb(extra), mb(raw), f"{extra / raw:.2f}"))


if __name__ == "__main__":
    main()
