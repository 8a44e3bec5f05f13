"""The Page token, read afresh at every tick so a new token needs no restart.

POWERPULSE_FB_PAGE_TOKEN_FILE holds one token for every Page, or one `page_id=token` line per
Page (blank lines and `#` comments are ignored); POWERPULSE_FB_PAGE_TOKEN holds one token.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ...settings import Settings


@dataclass(frozen=True)
class PageToken:
    token: str | None
    # Changes when the token, its file or the Page's settings change: a stopped sync resumes.
    fingerprint: str
    problem: str | None = None


def page_token(settings: Settings, page_id: str) -> PageToken:
    path = settings.fb_page_token_file
    stamp = f"{page_id}|{settings.fb_graph_url}"
    if path is not None:
        try:
            text = path.read_text(encoding="utf-8")
            stat = path.stat()
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8"
            return PageToken(
                None,
                _fingerprint(stamp, "unreadable"),
                f"POWERPULSE_FB_PAGE_TOKEN_FILE {path} cannot be read ({reason})",
            )
        stamp += f"|{stat.st_mtime_ns}|{stat.st_size}"
        token = _token_for(text, page_id)
        if token is None:
            return PageToken(
                None,
                _fingerprint(stamp, ""),
                f"POWERPULSE_FB_PAGE_TOKEN_FILE {path} has no token for Page {page_id} "
                "(one token, or one page_id=token line per Page)",
            )
        return PageToken(token, _fingerprint(stamp, token))
    if settings.fb_page_token is not None:
        token = settings.fb_page_token.reveal()
        return PageToken(token, _fingerprint(stamp, token))
    return PageToken(
        None,
        _fingerprint(stamp, ""),
        "no Page token: write it to a file named by POWERPULSE_FB_PAGE_TOKEN_FILE "
        "(or set POWERPULSE_FB_PAGE_TOKEN)",
    )


def _token_for(text: str, page_id: str) -> str | None:
    lines = [
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    ]
    pairs = [line.partition("=") for line in lines]
    if len(lines) == 1 and not pairs[0][1]:
        return lines[0]
    for key, sep, value in pairs:
        if sep and key.strip() == page_id and value.strip():
            return value.strip()
    return None


def _fingerprint(stamp: str, token: str) -> str:
    return hashlib.sha256(f"{stamp}|{token}".encode()).hexdigest()[:16]
