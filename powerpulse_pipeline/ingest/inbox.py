"""The drop folder: which files are there, when they are stable, what their content is."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

IGNORED_SUFFIXES = (".tmp", ".part", ".crdownload", ".partial", ".swp", ".error.txt")


@dataclass(frozen=True)
class InboxFile:
    relpath: str  # POSIX path relative to the inbox
    size: int
    mtime_ns: int


def is_candidate_name(relpath: str) -> bool:
    """Dotfiles and the usual in-progress names are never read (DESIGN.md 3)."""
    parts = relpath.split("/")
    if any(part.startswith(".") for part in parts):
        return False
    return not relpath.lower().endswith(IGNORED_SUFFIXES)


def scan_inbox(inbox: Path) -> Iterator[InboxFile]:
    """Every regular file below the inbox, subfolders included, without following links."""
    stack = [inbox]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except FileNotFoundError:
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_dir(follow_symlinks=False):
                stack.append(Path(entry.path))
            elif entry.is_file(follow_symlinks=False):
                relpath = Path(entry.path).relative_to(inbox).as_posix()
                if not is_candidate_name(relpath):
                    continue
                stat = entry.stat(follow_symlinks=False)
                yield InboxFile(relpath, stat.st_size, stat.st_mtime_ns)


def content_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def partition_key_for(relpath: str, sha256: str) -> str:
    """Readable in the UI, identified by content: `<short name>-<first 16 hex of sha256>`."""
    parts = Path(relpath).parts
    # DYI trees name every thread file alike, so keep the thread folder in the name.
    name = "_".join(parts[-2:]) if len(parts) > 1 else parts[-1]
    short = _UNSAFE.sub("_", name).strip("_")[-60:] or "file"
    return f"{short}-{sha256[:16]}"


def sha_prefix_of_key(key: str) -> str:
    return key.rsplit("-", 1)[-1]


def move_to_rejected(inbox: Path, rejected: Path, relpath: str, error: str) -> Path:
    """Move the file (keeping its subfolder) and write `<name>.error.txt` beside it."""
    source = inbox / relpath
    target = rejected / relpath
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        stem, suffix = os.path.splitext(target.name)
        counter = 1
        while (candidate := target.with_name(f"{stem}.{counter}{suffix}")).exists():
            counter += 1
        target = candidate
    shutil.move(str(source), str(target))
    target.with_name(target.name + ".error.txt").write_text(
        f"Rejected: {relpath}\n\n{error}\n\n"
        "Nothing from this file was stored. Fix the file (or the setting named above) and drop "
        "it into the inbox again.\n",
        encoding="utf-8",
    )
    return target
