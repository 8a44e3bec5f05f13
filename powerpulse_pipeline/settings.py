"""Configuration read from the environment (DESIGN.md section 2).

Everything is read when `Settings.from_env()` is called, never at import, so tests and
the code server see the environment of the process that builds the definitions.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .business_hours import BusinessHours, ScheduleError
from .scoring import defaults as scorer_defaults

PACKAGE_DIR = Path(__file__).resolve().parent


def project_root() -> Path:
    """The checkout the package lives in (editable install), else the working directory."""
    candidate = PACKAGE_DIR.parent
    if (candidate / "pyproject.toml").exists():
        return candidate
    return Path.cwd()


class SettingsError(ValueError):
    """An environment variable has a value PowerPulse cannot use."""


class Secret:
    """A value (a Page token) that no repr, str or f-string shows: only `reveal()` does."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


# Graph API: a version Meta supports for two years from its release (Messenger sync, section 12).
FB_GRAPH_URL = "https://graph.facebook.com/v25.0/"
FB_SYNC_MINUTES = 15.0
# Page ids go into URL paths and sensor names: digits in practice, never a slash or a query.
_PAGE_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def _split_list(raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.split("|") if part.strip())


def agent_key(name: str) -> str:
    """How agent names are compared: case and runs of spaces do not matter. The SQL twin is
    warehouse/sessions.py's AGENT_KEY."""
    return " ".join(name.split()).lower()


def _aliases(raw: str) -> tuple[tuple[str, str], ...]:
    """`alias=Canonical Name|...` as (agent_key(alias), canonical) pairs."""
    pairs: dict[str, str] = {}
    for part in _split_list(raw):
        alias, sep, canonical = part.partition("=")
        alias, canonical = " ".join(alias.split()), " ".join(canonical.split())
        if not sep or not alias or not canonical:
            raise SettingsError(
                f"POWERPULSE_AGENT_ALIASES: {part!r} is not alias=Canonical Name "
                "(pairs are separated by |)"
            )
        key = agent_key(alias)
        if pairs.get(key, canonical) != canonical:
            raise SettingsError(
                f"POWERPULSE_AGENT_ALIASES maps {alias!r} to both {pairs[key]!r} and {canonical!r}"
            )
        pairs[key] = canonical
    for key, canonical in pairs.items():
        if agent_key(canonical) in pairs and pairs[agent_key(canonical)] != canonical:
            raise SettingsError(
                f"POWERPULSE_AGENT_ALIASES: {canonical!r} is a canonical name and also an alias "
                f"of {pairs[agent_key(canonical)]!r}; map {key!r} to the final name directly"
            )
    return tuple(pairs.items())


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    inbox_dir: Path
    duckdb_path: Path  # the analysts' copy, replaced whole after each successful daily run
    work_db_path: Path  # the pipeline's own database: only runs open it
    timezone: str = "UTC"
    start_date: date = date(2024, 1, 1)
    session_gap: timedelta = timedelta(hours=24)
    autoresponse_patterns: tuple[str, ...] = ("*977#",)
    page_names: tuple[str, ...] = ()
    scorer: str = scorer_defaults.MODE
    llm_model: str = scorer_defaults.MODEL
    llm_concurrency: int = scorer_defaults.CONCURRENCY
    llm_rpm: float | None = None
    llm_tpm: float | None = None
    llm_timeout_seconds: float = scorer_defaults.TIMEOUT_SECONDS
    llm_max_attempts: int = scorer_defaults.MAX_ATTEMPTS
    llm_prices: str = ""
    mask_pii: bool = True
    topics: tuple[str, ...] = ()
    business_hours: BusinessHours | None = None
    # Observed FCR: a conversation is first-contact resolved when its chat starts no other
    # conversation within this long after it ended.
    repeat_contact_window: timedelta = timedelta(days=7)
    explorer_port: int = 8501
    # 127.0.0.1 on a workstation; 0.0.0.0 inside a container, whose port the host publishes.
    explorer_address: str = "127.0.0.1"
    # (agent_key(alias), canonical name): every alias is stored as its canonical name.
    agent_aliases: tuple[tuple[str, str], ...] = ()
    # Names (after aliasing) left out of per-agent figures and coaching.
    excluded_agents: tuple[str, ...] = ()
    # POWERPULSE_EMBEDDING_MODEL: auto (an OpenAI model with a key, else the offline one),
    # offline, off (no similar conversations or recurring issues), or an endpoint's model name.
    embedding_model: str = "auto"
    # Messenger sync (section 12): no Page ids, no sync. The token is read at every tick from
    # POWERPULSE_FB_PAGE_TOKEN_FILE (so a new token needs no restart) or held here.
    fb_page_ids: tuple[str, ...] = ()
    fb_page_token: Secret | None = None
    fb_page_token_file: Path | None = None
    fb_graph_url: str = FB_GRAPH_URL
    fb_sync_minutes: float = FB_SYNC_MINUTES
    _lowered_patterns: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "_lowered_patterns", tuple(p.lower() for p in self.autoresponse_patterns)
        )

    @property
    def rejected_dir(self) -> Path:
        return self.data_dir / "rejected"

    @property
    def dashboard_path(self) -> Path:
        return self.data_dir / "reports" / "dashboard.html"

    @property
    def exports_dir(self) -> Path:
        return self.data_dir / "exports"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def agent_fingerprint(self) -> dict[str, list[str]]:
        """What per-agent tables were built with; a change rebuilds the days it affects."""
        return {
            "aliases": [f"{alias}={name}" for alias, name in self.agent_aliases],
            "excluded": [agent_key(name) for name in self.excluded_agents],
        }

    def is_autoresponse_text(self, text: str | None) -> bool:
        if not text:
            return False
        lowered = text.lower()
        return any(pattern in lowered for pattern in self._lowered_patterns)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)

        def get(name: str, default: str) -> str:
            value = env.get(name, "").strip()
            return value or default

        root = project_root()
        data_dir = Path(get("POWERPULSE_DATA_DIR", "data"))
        if not data_dir.is_absolute():
            data_dir = root / data_dir
        inbox = Path(get("POWERPULSE_INBOX_DIR", str(data_dir / "inbox")))
        duckdb_path = Path(
            get("POWERPULSE_DUCKDB_PATH", str(data_dir / "warehouse" / "powerpulse.duckdb"))
        )
        work_db = Path(
            get("POWERPULSE_WORK_DUCKDB_PATH", str(data_dir / "pipeline" / "work.duckdb"))
        )
        inbox = inbox if inbox.is_absolute() else root / inbox
        duckdb_path = duckdb_path if duckdb_path.is_absolute() else root / duckdb_path
        work_db = work_db if work_db.is_absolute() else root / work_db
        if work_db.resolve() == duckdb_path.resolve():
            raise SettingsError(
                "POWERPULSE_WORK_DUCKDB_PATH must differ from POWERPULSE_DUCKDB_PATH: the "
                "pipeline writes its own database and publishes the analysts' copy from it"
            )

        timezone = get("POWERPULSE_TIMEZONE", "UTC")
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise SettingsError(
                f"POWERPULSE_TIMEZONE={timezone!r} is not an IANA time zone (e.g. Europe/Berlin)"
            ) from exc

        raw_start = get("POWERPULSE_START_DATE", "2024-01-01")
        try:
            start_date = date.fromisoformat(raw_start)
        except ValueError as exc:
            raise SettingsError(
                f"POWERPULSE_START_DATE={raw_start!r} is not a date like 2024-01-01"
            ) from exc

        gap_hours = _positive_number(env, "POWERPULSE_SESSION_GAP_HOURS", "24", float)
        repeat_days = _positive_number(env, "POWERPULSE_REPEAT_CONTACT_DAYS", "7", float)
        explorer_port = int(_positive_number(env, "POWERPULSE_EXPLORER_PORT", "8501", int))
        if explorer_port > 65535:
            raise SettingsError(f"POWERPULSE_EXPLORER_PORT={explorer_port} is not a port")
        concurrency = _positive_number(
            env, "POWERPULSE_LLM_CONCURRENCY", str(scorer_defaults.CONCURRENCY), int
        )

        rpm = _optional_number(env, "POWERPULSE_LLM_RPM")
        tpm = _optional_number(env, "POWERPULSE_LLM_TPM")
        timeout = _positive_number(
            env, "POWERPULSE_LLM_TIMEOUT_SECONDS", str(scorer_defaults.TIMEOUT_SECONDS), float
        )
        attempts = _positive_number(
            env, "POWERPULSE_LLM_MAX_ATTEMPTS", str(scorer_defaults.MAX_ATTEMPTS), int
        )
        mask = get("POWERPULSE_MASK_PII", str(scorer_defaults.MASK_PII)).lower()
        if mask not in {"true", "false", "1", "0", "yes", "no"}:
            raise SettingsError(f"POWERPULSE_MASK_PII={mask!r} must be true or false")

        business_hours = None
        schedule = env.get("POWERPULSE_BUSINESS_HOURS", "").strip()
        if schedule:
            business_zone = get("POWERPULSE_BUSINESS_TIMEZONE", timezone)
            try:
                business_hours = BusinessHours.parse(schedule, ZoneInfo(business_zone))
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise SettingsError(
                    str(exc)
                    if isinstance(exc, ScheduleError)
                    else (
                        f"POWERPULSE_BUSINESS_TIMEZONE={business_zone!r} is not an IANA time zone"
                    )
                ) from exc

        scorer = get("POWERPULSE_SCORER", scorer_defaults.MODE).lower()
        if scorer not in {"auto", "openai", "offline"}:
            raise SettingsError(
                f"POWERPULSE_SCORER={scorer!r} must be one of auto, openai, offline"
            )

        page_ids = _split_list(env.get("POWERPULSE_FB_PAGE_IDS", "").replace(",", "|"))
        for page_id in page_ids:
            if not _PAGE_ID.fullmatch(page_id):
                raise SettingsError(
                    f"POWERPULSE_FB_PAGE_IDS: {page_id!r} is not a Page id (the Page's number, "
                    "from its About section or the Graph API Explorer); ids are separated by |"
                )
        token_file = env.get("POWERPULSE_FB_PAGE_TOKEN_FILE", "").strip()
        token_path = Path(token_file) if token_file else None
        if token_path is not None and not token_path.is_absolute():
            token_path = root / token_path
        raw_token = env.get("POWERPULSE_FB_PAGE_TOKEN", "").strip()
        graph_url = get("POWERPULSE_FB_GRAPH_URL", FB_GRAPH_URL)
        if not graph_url.startswith(("https://", "http://")):
            raise SettingsError(
                f"POWERPULSE_FB_GRAPH_URL={graph_url!r} is not an http(s) URL "
                f"(the default is {FB_GRAPH_URL})"
            )

        return cls(
            data_dir=data_dir,
            inbox_dir=inbox,
            duckdb_path=duckdb_path,
            work_db_path=work_db,
            timezone=timezone,
            start_date=start_date,
            session_gap=timedelta(hours=gap_hours),
            autoresponse_patterns=_split_list(get("POWERPULSE_AUTORESPONSE_PATTERNS", "*977#")),
            page_names=_split_list(env.get("POWERPULSE_PAGE_NAMES", "")),
            scorer=scorer,
            llm_model=get("POWERPULSE_LLM_MODEL", scorer_defaults.MODEL),
            llm_concurrency=concurrency,
            llm_rpm=rpm,
            llm_tpm=tpm,
            llm_timeout_seconds=timeout,
            llm_max_attempts=attempts,
            llm_prices=env.get("POWERPULSE_LLM_PRICES", ""),
            mask_pii=mask in {"true", "1", "yes"},
            embedding_model=get("POWERPULSE_EMBEDDING_MODEL", "auto").strip() or "auto",
            topics=_split_list(env.get("POWERPULSE_TOPICS", "")),
            business_hours=business_hours,
            repeat_contact_window=timedelta(days=repeat_days),
            explorer_port=explorer_port,
            explorer_address=get("POWERPULSE_EXPLORER_ADDRESS", "127.0.0.1"),
            agent_aliases=_aliases(env.get("POWERPULSE_AGENT_ALIASES", "")),
            excluded_agents=_split_list(env.get("POWERPULSE_EXCLUDED_AGENTS", "")),
            fb_page_ids=page_ids,
            fb_page_token=Secret(raw_token) if raw_token else None,
            fb_page_token_file=token_path,
            fb_graph_url=graph_url.rstrip("/") + "/",
            fb_sync_minutes=_positive_number(
                env, "POWERPULSE_FB_SYNC_MINUTES", str(FB_SYNC_MINUTES), float
            ),
        )


def _positive_number(env: dict[str, str], name: str, default: str, kind: type) -> float:
    raw = env.get(name, "").strip() or default
    try:
        value = kind(raw)
    except ValueError as exc:
        raise SettingsError(f"{name}={raw!r} is not a number") from exc
    if value <= 0:
        raise SettingsError(f"{name}={raw!r} must be greater than 0")
    return value


def _optional_number(env: dict[str, str], name: str) -> float | None:
    if not env.get(name, "").strip():
        return None
    return _positive_number(env, name, "0", float)
