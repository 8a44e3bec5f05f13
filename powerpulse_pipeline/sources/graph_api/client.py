"""One call to the Graph API: what came back, how much of the rate limit is used, and what an
error means for the sync (wait, retry, or stop until the token or setting changes).

The token travels only in the Authorization header, never in a URL: paging URLs the API
returns carry `access_token`, which `strip_token` removes before they are stored or followed.
Every text that leaves this module (an error, a URL) has been through `redact`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import httpx2

# Meta's error codes (Graph API "Handling Errors" and "Rate Limiting").
# 341 (application limit) and 368 (temporarily blocked) are also limits that pass.
THROTTLE_CODES = frozenset({4, 17, 32, 341, 368, 613, 80001, 80006})
TRANSIENT_CODES = frozenset({1, 2})
TOKEN_CODES = frozenset({102, 190})
PERMISSION_CODES = frozenset({10, *range(200, 300)})
TOKEN_SUBCODES = {
    458: "the app was removed from the account that made the token",
    460: "the password of the account that made the token was changed",
    463: "the token expired",
    467: "the token is no longer valid",
    492: "the account that made the token is no longer an admin of the Page",
}
USAGE_HEADERS = ("x-business-use-case-usage", "x-page-usage", "x-app-usage")
# A call begun just before the tick's 20 s budget ends still returns well within 60 s.
TIMEOUT_SECONDS = 15.0
_TOKEN_IN_TEXT = re.compile(r"(access_token=)[^&\s\"']+", re.IGNORECASE)


class GraphError(Exception):
    """A failed call, already classified; `str()` is a plain reason with no token in it."""

    def __init__(self, reason: str, *, code: int | None = None, subcode: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.subcode = subcode


class Transient(GraphError):
    """Worth retrying soon: a dropped connection, a timeout, a 5xx, codes 1 and 2."""


class Throttled(GraphError):
    """A rate limit was hit: no call for this Page until `regain_seconds` have passed."""

    def __init__(self, reason: str, *, regain_seconds: float | None, code: int | None = None):
        super().__init__(reason, code=code)
        self.regain_seconds = regain_seconds


class Permanent(GraphError):
    """Retrying cannot help (bad token, missing permission, unknown Page): stop this Page."""


class CursorExpired(GraphError):
    """A stored paging URL the API no longer accepts: start the pass again from the top."""


@dataclass(frozen=True)
class Usage:
    """The highest share of any rate limit the usage headers report, and the longest wait."""

    percent: float = 0.0
    regain_seconds: float = 0.0


@dataclass(frozen=True)
class Reply:
    body: dict[str, Any]
    usage: Usage


def redact(text: str, token: str | None) -> str:
    text = _TOKEN_IN_TEXT.sub(r"\1***", text)
    return text.replace(token, "***") if token else text


def strip_token(url: str) -> str:
    """A paging URL without its `access_token` (and `appsecret_proof`) parameter."""
    parts = urlsplit(url)
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k not in {"access_token", "appsecret_proof"}
    ]
    return urlunsplit(parts._replace(query=urlencode(query, safe="(){},.")))


def parse_usage(headers: httpx2.Headers) -> Usage:
    """X-Business-Use-Case-Usage, X-Page-Usage and X-App-Usage, read as Meta documents them
    (percentages; `estimated_time_to_regain_access` in minutes). A malformed header counts as
    no information, not as an error: it must never stop the sync."""
    percent = 0.0
    regain = 0.0
    for name in USAGE_HEADERS:
        raw = headers.get(name)
        if not raw:
            continue
        try:
            value = json.loads(raw)
        except ValueError:
            continue
        entries: list[Any] = []
        if name == "x-business-use-case-usage" and isinstance(value, dict):
            for items in value.values():
                entries.extend(items if isinstance(items, list) else [items])
        else:
            entries.append(value)
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            for key in ("call_count", "total_cputime", "total_time"):
                percent = max(percent, _number(entry.get(key)))
            regain = max(regain, _number(entry.get("estimated_time_to_regain_access")) * 60)
    return Usage(percent=percent, regain_seconds=regain)


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0.0
    return float(value) if 0 <= value < 1e9 else 0.0


class GraphClient:
    """Blocking GETs against `base_url` (POWERPULSE_FB_GRAPH_URL) with a Page token."""

    def __init__(self, base_url: str, token: str, timeout: float = TIMEOUT_SECONDS) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self._token = token
        self.calls = 0
        self.timeout = timeout
        self._http = httpx2.Client(
            timeout=timeout,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            follow_redirects=False,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> GraphClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def url(self, path: str, params: dict[str, str] | None = None) -> str:
        url = urljoin(self.base_url, path.lstrip("/"))
        return f"{url}?{urlencode(params, safe='(){},.')}" if params else url

    def get(self, url: str, timeout: float | None = None) -> Reply:
        """GET one URL (built by `url`, or a paging URL from a reply)."""
        url = strip_token(url)
        if urlsplit(url)[:2] != urlsplit(self.base_url)[:2]:
            # A paging URL for another host would carry the token there.
            raise Permanent(
                f"the Graph API returned a paging URL outside POWERPULSE_FB_GRAPH_URL "
                f"({self.redact(url)[:120]}); not followed"
            )
        self.calls += 1
        try:
            response = self._http.get(url, timeout=timeout or self.timeout)
        except httpx2.TimeoutException as exc:
            raise Transient(
                f"the Graph API did not answer in time ({type(exc).__name__})"
            ) from None
        except httpx2.TransportError as exc:
            raise Transient(
                f"could not reach the Graph API ({type(exc).__name__}: {self.redact(str(exc))})"
            ) from None
        usage = parse_usage(response.headers)
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code == 200 and isinstance(body, dict) and "error" not in body:
            return Reply(body, usage)
        raise self._classify(response.status_code, body, usage)

    def redact(self, text: str) -> str:
        return redact(text, self._token)

    def _classify(self, status: int, body: Any, usage: Usage) -> GraphError:
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            if status >= 500 or status in (200, 408, 425):
                what = "an unreadable reply" if status == 200 else f"HTTP {status}"
                return Transient(f"the Graph API sent {what}")
            if status == 429:
                return Throttled("the Graph API answered HTTP 429", regain_seconds=None)
            return Permanent(f"the Graph API answered HTTP {status} with no error details")
        code = error.get("code") if isinstance(error.get("code"), int) else None
        subcode = (
            error.get("error_subcode") if isinstance(error.get("error_subcode"), int) else None
        )
        message = self.redact(str(error.get("message") or "no message"))[:300]
        said = f"Graph API error {code}" + (f"/{subcode}" if subcode else "") + f": {message}"
        if code in THROTTLE_CODES:
            return Throttled(
                f"rate limit reached ({said})",
                regain_seconds=usage.regain_seconds or None,
                code=code,
            )
        if code in TRANSIENT_CODES or status >= 500 or error.get("is_transient") is True:
            return Transient(said, code=code, subcode=subcode)
        if code in TOKEN_CODES:
            why = TOKEN_SUBCODES.get(subcode or 0, "the token is not accepted")
            return Permanent(
                f"the Page token is invalid or expired ({why}; {said}). Create a new Page "
                "access token (README, 'Messenger sync') and put it in "
                "POWERPULSE_FB_PAGE_TOKEN_FILE: the sync resumes by itself when the file changes",
                code=code,
                subcode=subcode,
            )
        if code in PERMISSION_CODES:
            return Permanent(
                f"the Page token lacks a permission the sync needs ({said}). Grant the app "
                "pages_messaging, pages_read_engagement and pages_manage_metadata, make a new "
                "token and put it in POWERPULSE_FB_PAGE_TOKEN_FILE (or touch that file once "
                "the permission is granted): the sync resumes by itself when the file changes",
                code=code,
                subcode=subcode,
            )
        if code == 100 and "cursor" in message.lower():
            return CursorExpired(said, code=code, subcode=subcode)
        return Permanent(
            f"the Graph API refused the request ({said}); check POWERPULSE_FB_PAGE_IDS and "
            "the token's Page",
            code=code,
            subcode=subcode,
        )
