"""Read submission payloads (docs/page-contract.md) from where they are kept.

Two kinds of source:

- JSON Lines: one payload object per line; blank lines are skipped. A record's origin is
  `FILE:LINE`. A file that starts with `[` is a JSON array (`submissions --json`), an error.
- A SQLite file with a table `submissions(id INTEGER PRIMARY KEY, received_at TEXT, body TEXT)`,
  `body` being the JSON payload and `received_at` the server's ISO 8601 time: the preview's
  (`examsite serve`) or the collect service's (generator/collect). A record's origin is
  `FILE#submissions.id=N`.

A file is taken as SQLite when it starts with SQLite's magic header, whatever its name. Lines or
rows that are not JSON objects become `Problem`s, never exceptions, so one bad record does not
stop the others from being graded.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping

SQLITE_MAGIC = b"SQLite format 3\x00"


class SourceError(Exception):
    """A whole source that cannot be read (missing file, not a submissions database)."""


@dataclass(frozen=True)
class Record:
    origin: str  # where it came from, for messages: FILE:LINE or FILE#submissions.id=N
    payload: Mapping[str, Any]
    received_at: str | None = None  # when a server stored it, if the source says (ISO 8601)


@dataclass(frozen=True)
class Problem:
    origin: str
    message: str

    def __str__(self) -> str:
        return f"{self.origin}: {self.message}"


def decode_record(text: str, origin: str, received_at: str | None = None) -> Record | Problem:
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        return Problem(origin, f"not valid JSON ({exc.msg} at column {exc.colno})")
    if not isinstance(payload, dict):
        return Problem(origin, "not a submission object")
    return Record(origin, payload, received_at)


def read_jsonl(path: Path) -> Iterator[Record | Problem]:
    try:
        with path.open(encoding="utf-8") as handle:
            first = True
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                if first and line.lstrip().startswith("["):
                    # `examsite submissions --json` prints an array; graded line by line, every
                    # line would be "not valid JSON" and nothing graded, so say what to run.
                    raise SourceError(f"{path}:{number}: a JSON array, not JSON Lines (one submission "
                                      "object per line); `examsite submissions --jsonl` writes what "
                                      "grade reads")
                first = False
                yield decode_record(line, f"{path}:{number}")
    except UnicodeDecodeError:
        raise SourceError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise SourceError(f"{path}: {exc.strerror or exc}") from None


def read_sqlite(path: Path) -> Iterator[Record | Problem]:
    try:
        # Read-only URI: grading must never create or change the preview's database.
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise SourceError(f"{path}: cannot open SQLite file: {exc}") from None
    try:
        try:
            rows = connection.execute("SELECT id, body, received_at FROM submissions ORDER BY id").fetchall()
        except sqlite3.Error as exc:
            raise SourceError(f"{path}: no readable submissions(id, body) table: {exc}") from None
        for row_id, body, received_at in rows:
            origin = f"{path}#submissions.id={row_id}"
            if isinstance(body, bytes):
                body = body.decode("utf-8", errors="replace")
            if not isinstance(body, str):
                yield Problem(origin, "body is not JSON text")
                continue
            yield decode_record(body, origin, received_at if isinstance(received_at, str) else None)
    finally:
        connection.close()


def is_sqlite(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC
    except OSError:
        return False


def read_source(path: Path) -> Iterator[Record | Problem]:
    if not path.is_file():
        raise SourceError(f"{path}: no such file")
    return read_sqlite(path) if is_sqlite(path) else read_jsonl(path)


def read_sources(paths: list[Path]) -> tuple[list[Record], list[Problem]]:
    records: list[Record] = []
    problems: list[Problem] = []
    for path in paths:
        for item in read_source(path):
            (records if isinstance(item, Record) else problems).append(item)  # type: ignore[arg-type]
    return records, problems
