"""Knowing a file's content hash without reading it: a record of its stat signature.

A rebuild of a large site would otherwise read and hash every exam file, every Markdown file and
every published page only to learn that almost none changed. A record is the file's SHA-256 with
its signature (inode, size, mtime and ctime in nanoseconds) when the hash was taken. Writing a
file changes its mtime and ctime, replacing it changes its inode, and ctime cannot be set back
by the tools that restore mtimes (cp -p, touch -r); so while the signature is the same, so is
the content.

Except within one tick of the file system's clock (up to 2 s on some file systems): a file
changed again in the same tick keeps its times. A record whose file had changed less than SLACK
before its signature was taken is "racy", as Git calls it: it is confirmed by reading the file
before it is believed, which then yields a record that can be trusted.

A record is a JSON-friendly list: [sha256 hex, inode, size, mtime_ns, ctime_ns, trusted 0/1].
"""

from __future__ import annotations

import hashlib
import os
import time
from typing import List

Record = List  # [digest, st_ino, st_size, st_mtime_ns, st_ctime_ns, trusted]
SLACK_NS = 2_000_000_000
_REGULAR = 0o100000  # S_ISREG, without importing stat


def record_of(digest: str, stat: os.stat_result, now_ns: int | None = None) -> Record:
    """A record for a file whose content has `digest`, from a `stat` taken before it was read."""
    trusted = settled(stat, time.time_ns() if now_ns is None else now_ns)
    return [digest, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, int(trusted)]


def settled(stat: os.stat_result, since_ns: int) -> bool:
    """Had the file last changed at least SLACK before `since_ns`?"""
    return since_ns - max(stat.st_mtime_ns, stat.st_ctime_ns) >= SLACK_NS


def same_signature(record: Record, stat: os.stat_result) -> bool:
    return record[1:5] == [stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns]


def sha256_of(path: str | os.PathLike) -> str | None:
    try:
        with open(path, "rb") as stream:
            return hashlib.sha256(stream.read()).hexdigest()
    except OSError:
        return None


def current(path: str | os.PathLike, record: Record | None, want: str | None = None,
            stat: os.stat_result | None = None) -> Record | None:
    """The file's record now: `record` itself when the signature shows the file unchanged and the
    record is trusted; otherwise a new one made by reading the file (None when it is missing or
    not a regular file). With `want` (a digest), a file whose unchanged signature says it holds
    something else is not read: its record is returned as it is. `stat`: the file's, when the
    caller has just taken it."""
    if stat is None:
        try:
            stat = os.stat(path)
        except OSError:
            return None
    if stat.st_mode & 0o170000 != _REGULAR:
        return None
    if record is not None and same_signature(record, stat):
        if record[5] or (want is not None and record[0] != want):
            return record
    digest = sha256_of(path)
    return None if digest is None else record_of(digest, stat)


def digest_of(path: str | os.PathLike, record: Record | None) -> str | None:
    """The file's SHA-256, from its record when that can be believed."""
    found = current(path, record)
    return None if found is None else found[0]
