"""The drop folder: which files are there, when they are stable, what their content is."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path

from .records import has_lone_surrogate, printable

IGNORED_SUFFIXES = (".tmp", ".part", ".crdownload", ".partial", ".swp", ".error.txt")


@dataclass(frozen=True)
class InboxFile:
    relpath: str  # POSIX path relative to the inbox
    size: int
    mtime_ns: int
    ctime_ns: int  # changes on every write, even when the writer restores the mtime
    inode: int

    @property
    def signature(self) -> list[int]:
        return [self.size, self.mtime_ns, self.ctime_ns, self.inode]


@dataclass(frozen=True)
class EntryProblem:
    """An inbox entry that cannot be read as a chat export, and what the user can do."""

    relpath: str  # as shown to a user (see `shown`), even when the name is not valid UTF-8
    reason: str


@dataclass
class InboxScan:
    files: list[InboxFile] = field(default_factory=list)
    problems: list[EntryProblem] = field(default_factory=list)


class NotRegularFile(OSError):
    """The entry is a link, a folder, a pipe or a device: never opened as an export."""


def is_candidate_name(relpath: str) -> bool:
    """Dotfiles and the usual in-progress names are never read (DESIGN.md 3)."""
    parts = relpath.split("/")
    if any(part.startswith(".") for part in parts):
        return False
    return not relpath.lower().endswith(IGNORED_SUFFIXES)


def _name_problem(name: str) -> str | None:
    if has_lone_surrogate(name):  # how Python spells bytes that are not UTF-8 in a file name
        return "its name is not valid UTF-8"
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        return "its name holds a line break or another control character"
    return None


def scan_inbox(inbox: Path) -> InboxScan:
    """Every regular file below the inbox, and a plain reason for every entry that is not one.

    Nothing here raises for one entry: an unreadable folder, a link or an odd name is reported
    and the rest of the tree is still listed. Links are never followed.
    """
    scan = InboxScan()
    root = os.path.realpath(inbox)
    stack = [inbox]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except FileNotFoundError:
            continue
        except OSError as exc:
            relfolder = _relpath(folder, inbox) or "."
            scan.problems.append(
                EntryProblem(
                    shown(relfolder) + "/",
                    f"folder cannot be read ({describe(exc)}); its files are picked up as soon "
                    "as the user running PowerPulse can read it",
                )
            )
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            relpath = _relpath(Path(entry.path), inbox)
            try:
                problem = _classify(entry, relpath, root, scan, stack)
            except OSError as exc:
                problem = f"cannot be inspected ({describe(exc)}); it is looked at again"
            if problem:
                scan.problems.append(EntryProblem(shown(relpath), problem))
    return scan


def _classify(
    entry: os.DirEntry[str], relpath: str, root: str, scan: InboxScan, stack: list[Path]
) -> str | None:
    if entry.is_symlink():
        return _link_problem(entry.path, root)
    name_problem = _name_problem(entry.name)
    if entry.is_dir(follow_symlinks=False):
        if name_problem:
            return f"folder skipped: {name_problem}; rename it and its files are picked up"
        stack.append(Path(entry.path))
        return None
    if not entry.is_file(follow_symlinks=False):
        return "not a regular file (a pipe, socket or device); it is never read"
    if not is_candidate_name(relpath):
        return None
    if name_problem:
        return f"file skipped: {name_problem}; rename it and it is picked up"
    stat = entry.stat(follow_symlinks=False)
    scan.files.append(
        InboxFile(relpath, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)
    )
    return None


def _link_problem(path: str, root: str) -> str:
    try:
        target = os.path.realpath(path, strict=True)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symbolic link that loops; links are never followed"
        return "broken symbolic link (its target does not exist); links are never followed"
    if os.path.commonpath([root, target]) != root:
        return (
            "symbolic link to a place outside the inbox; links are never followed: copy the "
            "file into the inbox instead"
        )
    return (
        "symbolic link; links are never followed (its target inside the inbox is read at its "
        "own path)"
    )


def _relpath(path: Path, inbox: Path) -> str:
    return path.relative_to(inbox).as_posix() if path != inbox else ""


def shown(relpath: str) -> str:
    """A path as a user can read it in a log line: bytes that are not UTF-8 as \\xNN, a line
    break as \\n."""
    text = os.fsencode(relpath).decode("utf-8", "backslashreplace")
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def describe(exc: BaseException) -> str:
    """A plain account of an error, without a stack trace or the exception's class path."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    text = str(exc) or type(exc).__name__
    return printable(text if len(text) <= 300 else text[:300] + "…")


def read_inbox_file(inbox: Path, relpath: str, limit: int = -1) -> bytes:
    """Read a file (at most `limit` bytes) without following a link swapped in for it after
    the sensor saw it."""
    path = inbox / relpath
    root = os.path.realpath(inbox)
    if os.path.commonpath([root, os.path.realpath(path.parent)]) != root:
        raise NotRegularFile(errno.EXDEV, "its folder now leads outside the inbox")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise NotRegularFile(
                errno.ELOOP, "it is now a symbolic link, and links are never followed"
            ) from exc
        raise
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise NotRegularFile(errno.EINVAL, "it is no longer a regular file")
        return handle.read(limit)


# A file up to this size that already holds one whole JSON object or array is complete: a file
# still being written is cut off inside its document and does not parse. Such a file need not
# wait a tick to show it holds still (every accepted format is a JSON object or array).
WHOLE_JSON_MAX_BYTES = 8 << 20


def is_whole_json(inbox: Path, relpath: str, size: int) -> bool:
    """Whether the file is, right now, one complete JSON object or array of `size` bytes, read
    as every inbox file is (no link followed, no pipe or device opened) and at most that
    many bytes."""
    if not 3 <= size <= WHOLE_JSON_MAX_BYTES:  # "{}" and "[]" are placeholders: wait
        return False
    try:
        data = read_inbox_file(inbox, relpath, limit=size + 1)
    except OSError:
        return False
    if len(data) != size or data.lstrip()[:1] not in (b"{", b"["):
        return False
    try:
        json.loads(data)
    except (ValueError, RecursionError):  # cut off, not JSON, or nested too deep to tell
        return False
    return True


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
