"""Storing one parsed export: distinct messages into `raw_messages`, and the days it touches."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from ..settings import Settings
from ..warehouse.io import one_row
from ..warehouse.repeat_contact import WINDOW_CLOSED, WINDOW_END, window_params
from ..warehouse.sessions import sessionized
from ..warehouse.tables import RAW_MESSAGES, UTC_TS
from .formats import parse_export
from .records import RAW_MESSAGE_FIELDS, MessageColumns, ParseResult, RejectedFile, printable

INGESTED = "ingested"
REJECTED = "rejected"

# Clocks of exporting systems drift; a message a few minutes "ahead" is not in the future.
FUTURE_TOLERANCE = timedelta(minutes=10)


@dataclass
class FileOutcome:
    key: str
    relpath: str
    sha256: str
    status: str
    format: str | None = None
    error: str | None = None
    threads: int = 0
    messages_in_file: int = 0
    new_messages: int = 0
    skipped: int = 0
    skipped_detail: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    days_touched: list[date] = field(default_factory=list)


def ingest_export(
    conn: duckdb.DuckDBPyConnection,
    raw: bytes,
    *,
    key: str,
    relpath: str,
    sha256: str,
    settings: Settings,
    now: datetime,
) -> FileOutcome:
    """Parse and store one file. A `RejectedFile` leaves the warehouse untouched."""
    outcome = FileOutcome(key=key, relpath=relpath, sha256=sha256, status=INGESTED)
    try:
        parsed = parse_export(raw, settings.page_names, settings.fb_page_ids)
        in_file = len(parsed.columns)
        kept = _within_dates(parsed, settings, now)
    except RejectedFile as exc:
        outcome.status = REJECTED
        outcome.error = printable(str(exc))
        record_file(conn, outcome, now)
        return outcome

    outcome.format = parsed.format
    outcome.threads = parsed.threads
    outcome.messages_in_file = in_file
    outcome.skipped = sum(parsed.skipped.values())
    outcome.skipped_detail = [printable(line) for line in parsed.skipped_summary()]
    outcome.warnings = [printable(line) for line in parsed.warnings]
    # One file may repeat a message, and earlier files may hold it: store each once.
    conn.register("incoming_raw", kept)
    try:
        conn.execute(
            "CREATE OR REPLACE TEMP TABLE new_raw AS SELECT DISTINCT ON (chat_id, message_key) "
            "i.*, $source_file AS source_file, $file_key AS file_key, $now AS ingested_at "
            "FROM incoming_raw i ANTI JOIN raw_messages r USING (chat_id, message_key)",
            {"source_file": relpath, "file_key": key, "now": now},
        )
    finally:
        conn.unregister("incoming_raw")
    del kept, parsed
    inserted = one_row(conn, "INSERT INTO raw_messages BY NAME SELECT * FROM new_raw")
    outcome.new_messages = int(inserted[0])
    outcome.days_touched = touched_days(conn, settings) if outcome.new_messages else []
    conn.execute("DROP TABLE new_raw")
    record_file(conn, outcome, now)
    return outcome


_PARSED_SCHEMA = pa.schema([f for f in RAW_MESSAGES.arrow_schema() if f.name in RAW_MESSAGE_FIELDS])


def _within_dates(parsed: ParseResult, settings: Settings, now: datetime) -> pa.Table:
    """The parsed messages as Arrow, those outside [POWERPULSE_START_DATE, now] skipped."""
    start = datetime.combine(settings.start_date, datetime.min.time(), tzinfo=settings.zone)
    latest = now + FUTURE_TOLERANCE
    table = parsed.columns.to_table()
    parsed.columns = MessageColumns()  # the lists are in Arrow now: let them go
    sent_at = table.column("sent_at")
    early = pc.sum(pc.less(sent_at, pa.scalar(start, UTC_TS))).as_py() or 0
    late = pc.sum(pc.greater(sent_at, pa.scalar(latest, UTC_TS))).as_py() or 0
    if early:
        setting = f"POWERPULSE_START_DATE={settings.start_date}"
        parsed.skip(f"dated before {setting}", "(date filter)", early)
        parsed.warnings.append(
            f"{early} messages are dated before {setting} and were skipped; "
            "lower the setting to include them"
        )
    if late:
        parsed.skip("dated in the future", "(date filter)", late)
        parsed.warnings.append(f"{late} messages are dated in the future and were skipped")
    if early + late == table.num_rows:
        raise RejectedFile(
            f"none of the {table.num_rows} messages falls between POWERPULSE_START_DATE="
            f"{settings.start_date} ({settings.timezone}) and now; change the setting or the "
            "file and drop it again"
        )
    if early or late:
        inside = pc.and_(
            pc.greater_equal(sent_at, pa.scalar(start, UTC_TS)),
            pc.less_equal(sent_at, pa.scalar(latest, UTC_TS)),
        )
        table = table.filter(inside)
    return table


def touched_days(conn: duckdb.DuckDBPyConnection, settings: Settings) -> list[date]:
    """Days whose conversations change because of the messages in temp table `new_raw`
    (already stored):
    - the days of the conversations that now hold a new message;
    - the days of stored conversations whose messages now belong to one of those (a merge
      empties or moves them);
    - the days of stored conversations of the same chats that ended within the repeat-contact
      window before a new customer message (their `repeat_contact` becomes true);
    - the days of conversations whose repeat-contact window the newest stored message closes
      (their `repeat_contact` is no longer pending)."""
    sql, params = sessionized(conn, "(SELECT DISTINCT chat_id FROM new_raw)", settings)
    rows = conn.execute(
        f"""
        WITH now_split AS ({sql}),
        changed AS (
            SELECT DISTINCT conversation_id, day FROM now_split
            SEMI JOIN new_raw USING (chat_id, message_key)
        )
        SELECT day FROM changed
        UNION
        SELECT m.day FROM messages m JOIN now_split n USING (chat_id, message_key)
        WHERE n.conversation_id IN (SELECT conversation_id FROM changed)
        UNION
        SELECT c.day FROM conversations c JOIN new_raw n ON n.chat_id = c.chat_id
            AND n.sender_role = 'customer'
            AND n.sent_at > c.ended_at AND n.sent_at <= c.{WINDOW_END}
        UNION
        SELECT day FROM conversations WHERE repeat_contact IS NULL AND {WINDOW_CLOSED}
        ORDER BY day
        """,
        {**params, **window_params(settings.repeat_contact_window)},
    ).fetchall()
    return [row[0] for row in rows]


def stored_outcome(conn: duckdb.DuckDBPyConnection, key: str) -> FileOutcome | None:
    """The outcome an earlier attempt committed for this file, if it stored the file."""
    row = conn.execute(
        "SELECT source_path, content_sha256, format, threads, messages_in_file, new_messages, "
        "skipped_messages, skipped_detail, days_touched FROM ingested_files "
        "WHERE file_key = ? AND status = ?",
        [key, INGESTED],
    ).fetchone()
    if row is None:
        return None
    return FileOutcome(
        key=key,
        relpath=row[0],
        sha256=row[1],
        status=INGESTED,
        format=row[2],
        threads=row[3] or 0,
        messages_in_file=row[4] or 0,
        new_messages=row[5] or 0,
        skipped=row[6] or 0,
        skipped_detail=list(row[7] or []),
        days_touched=list(row[8] or []),
    )


def record_file(conn: duckdb.DuckDBPyConnection, outcome: FileOutcome, now: datetime) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO ingested_files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            outcome.key,
            outcome.sha256,
            printable(outcome.relpath),
            outcome.status,
            outcome.format,
            printable(outcome.error) if outcome.error else None,
            outcome.threads,
            outcome.messages_in_file,
            outcome.new_messages,
            outcome.skipped,
            outcome.skipped_detail,
            outcome.days_touched,
            now,
        ],
    )
