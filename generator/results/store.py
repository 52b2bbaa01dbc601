"""The results tables in a SQLite file: callbacks and ratings (the collect service's database,
`--db`, default collect.sqlite, holds them beside the submissions; generator/collect/migrations.py).

Tables:

- `callbacks`: each distinct termination callback once (Proview's: `session_uuid`,
  `external_id`, `message`), with when it first and last arrived and how often.
- `ratings`: one row per Proview session: `session_uuid`, `external_id`, `final_rating` (NULL
  while Proview's review is pending), `status`, `session_started_at`, `timestamps` (JSON: every
  `*_at` field of the session details), `system_info` (JSON), `fetched_at`, and `error` (the last
  failed fetch, NULL after a good one).

Every call opens its own short connection, so threads never share one.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping

from .private import create_private

SCHEMA = """
CREATE TABLE IF NOT EXISTS callbacks (
    id INTEGER PRIMARY KEY,
    session_uuid TEXT NOT NULL,
    external_id TEXT NOT NULL,
    message TEXT NOT NULL,
    received_at TEXT NOT NULL,
    last_received_at TEXT NOT NULL,
    times_received INTEGER NOT NULL DEFAULT 1,
    UNIQUE (session_uuid, external_id, message)
);
CREATE TABLE IF NOT EXISTS ratings (
    session_uuid TEXT PRIMARY KEY,
    external_id TEXT,
    final_rating TEXT,
    status TEXT,
    session_started_at TEXT,
    timestamps TEXT,
    system_info TEXT,
    title TEXT,
    fetched_at TEXT NOT NULL,
    error TEXT
);
"""


class StoreError(Exception):
    """The database cannot be opened or written; the message says which file."""


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Callback:
    session_uuid: str
    external_id: str
    message: str


@dataclass(frozen=True)
class RatingRow:
    session_uuid: str
    external_id: str | None
    final_rating: str | None
    status: str | None
    session_started_at: str | None
    fetched_at: str
    error: str | None


@dataclass(frozen=True)
class Store:
    path: Path

    def _connect(self) -> sqlite3.Connection:
        try:
            create_private(self.path)  # candidates' ratings: readable by their owner only
            connection = sqlite3.connect(self.path, timeout=10)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"{self.path}: cannot open database: {exc}") from None
        connection.row_factory = sqlite3.Row
        return connection

    def _run(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        connection = self._connect()
        try:
            with connection:  # one transaction per call
                return connection.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: {exc}") from None
        finally:
            connection.close()

    def initialise(self) -> "Store":
        connection = self._connect()
        try:
            # WAL lets the report read while the receiver writes.
            connection.execute("PRAGMA journal_mode=WAL")
            connection.executescript(SCHEMA)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: not a usable results database: {exc}") from None
        finally:
            connection.close()
        return self

    def add_callback(self, callback: Callback, now: str | None = None) -> bool:
        """Store `callback`; False when the same callback was stored before."""
        now = now or utc_now()
        connection = self._connect()
        try:
            with connection:
                cursor = connection.execute(
                    "INSERT OR IGNORE INTO callbacks (session_uuid, external_id, message, "
                    "received_at, last_received_at) VALUES (?, ?, ?, ?, ?)",
                    (callback.session_uuid, callback.external_id, callback.message, now, now))
                if cursor.rowcount == 1:
                    return True
                connection.execute(
                    "UPDATE callbacks SET times_received = times_received + 1, last_received_at = ? "
                    "WHERE session_uuid = ? AND external_id = ? AND message = ?",
                    (now, callback.session_uuid, callback.external_id, callback.message))
                return False
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: {exc}") from None
        finally:
            connection.close()

    def callbacks(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self._run("SELECT * FROM callbacks ORDER BY id")]

    def save_rating(self, details: Mapping[str, Any], session_uuid: str, external_id: str | None,
                    now: str | None = None) -> None:
        timestamps = {k: v for k, v in details.items() if k.endswith("_at")}
        self._run(
            "INSERT INTO ratings (session_uuid, external_id, final_rating, status, "
            "session_started_at, timestamps, system_info, title, fetched_at, error) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL) ON CONFLICT (session_uuid) DO UPDATE SET "
            "external_id = excluded.external_id, final_rating = excluded.final_rating, "
            "status = excluded.status, session_started_at = excluded.session_started_at, "
            "timestamps = excluded.timestamps, system_info = excluded.system_info, "
            "title = excluded.title, fetched_at = excluded.fetched_at, error = NULL",
            (session_uuid, _text(details.get("external_id")) or external_id,
             _text(details.get("final_rating")) or None, _text(details.get("status")),
             _text(details.get("session_started_at")), json.dumps(timestamps, sort_keys=True),
             json.dumps(details.get("system_info"), sort_keys=True), _text(details.get("title")),
             now or utc_now()))

    def save_error(self, session_uuid: str, external_id: str | None, error: str,
                   now: str | None = None) -> None:
        """Remember a failed fetch without losing a rating fetched before."""
        self._run(
            "INSERT INTO ratings (session_uuid, external_id, fetched_at, error) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (session_uuid) DO UPDATE SET error = excluded.error, "
            "external_id = COALESCE(ratings.external_id, excluded.external_id)",
            (session_uuid, external_id, now or utc_now(), error))

    def ratings(self) -> dict[str, RatingRow]:
        rows = self._run("SELECT session_uuid, external_id, final_rating, status, "
                         "session_started_at, fetched_at, error FROM ratings")
        return {r["session_uuid"]: RatingRow(**dict(r)) for r in rows}

    def is_rated(self, session_uuid: str) -> bool:
        return bool(self._run("SELECT 1 FROM ratings WHERE session_uuid = ? AND final_rating IS NOT NULL",
                              (session_uuid,)))

    def unrated_callbacks(self) -> list[tuple[str, str]]:
        """(session_uuid, external_id) of callbacks whose rating is not known yet."""
        rows = self._run(
            "SELECT DISTINCT c.session_uuid, c.external_id FROM callbacks c "
            "LEFT JOIN ratings r ON r.session_uuid = c.session_uuid "
            "WHERE r.final_rating IS NULL ORDER BY c.id")
        return [(r["session_uuid"], r["external_id"]) for r in rows]


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def open_existing(path: Path) -> Store:
    """A results database that must already exist (the report never creates one)."""
    if not path.is_file():
        raise StoreError(f"{path}: no such results database")
    return Store(path)
