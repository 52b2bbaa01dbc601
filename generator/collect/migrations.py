"""The collect database's schema, as numbered migrations applied in order at start.

Each migration is (version, name, statements per dialect); `schema_migrations` records those
applied. Never edit a released migration: add the next one. Both backends apply them in one
transaction under a lock (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory lock), so instances
starting together migrate once.

Tables: `submissions` (one row per submission_id: the canonical payload, its digest, the columns
a person queries by), `submission_conflicts` (a different payload sent under a stored id: kept for
a person to look at, never graded), `callbacks` and `ratings` (as `examsite ratings fetch` writes
them, generator/results/store.py), `rating_jobs` (ratings still to fetch, claimed by one instance
at a time).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from generator.results.store import SCHEMA as RESULTS_SCHEMA


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: Mapping[str, tuple[str, ...]]  # dialect ("sqlite", "postgresql") -> SQL


VERSIONS_TABLE = {
    "sqlite": "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
              "name TEXT NOT NULL, applied_at TEXT NOT NULL)",
    "postgresql": "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                  "name TEXT NOT NULL, applied_at TEXT NOT NULL)",
}

_SUBMISSION_COLUMNS = """
    received_at TEXT NOT NULL,
    body TEXT NOT NULL,
    submission_id TEXT NOT NULL UNIQUE,
    digest TEXT NOT NULL,
    exam_id TEXT NOT NULL,
    part INTEGER NOT NULL,
    kind TEXT NOT NULL,
    attendee_identifier TEXT NOT NULL
"""
_CONFLICT_COLUMNS = """
    submission_id TEXT NOT NULL,
    received_at TEXT NOT NULL,
    digest TEXT NOT NULL,
    body TEXT NOT NULL
"""

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "submissions, callbacks, ratings, rating jobs", {
        # The results tables use IF NOT EXISTS: a results.sqlite made by `ratings fetch` is adopted.
        # `submissions` does not: a preview's submissions file is refused, not half-used.
        "sqlite": tuple(s for s in RESULTS_SCHEMA.split(";") if s.strip()) + (
            f"CREATE TABLE submissions (id INTEGER PRIMARY KEY, {_SUBMISSION_COLUMNS})",
            f"CREATE TABLE submission_conflicts (id INTEGER PRIMARY KEY, {_CONFLICT_COLUMNS})",
            "CREATE TABLE rating_jobs (session_uuid TEXT PRIMARY KEY, external_id TEXT, "
            "due_at REAL NOT NULL, attempts INTEGER NOT NULL DEFAULT 0)",
            "CREATE INDEX rating_jobs_due ON rating_jobs (due_at)",
        ),
        "postgresql": (
            "CREATE TABLE callbacks (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
            "session_uuid TEXT NOT NULL, external_id TEXT NOT NULL, message TEXT NOT NULL, "
            "received_at TEXT NOT NULL, last_received_at TEXT NOT NULL, "
            "times_received INTEGER NOT NULL DEFAULT 1, UNIQUE (session_uuid, external_id, message))",
            "CREATE TABLE ratings (session_uuid TEXT PRIMARY KEY, external_id TEXT, final_rating TEXT, "
            "status TEXT, session_started_at TEXT, timestamps TEXT, system_info TEXT, title TEXT, "
            "fetched_at TEXT NOT NULL, error TEXT)",
            f"CREATE TABLE submissions (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
            f"{_SUBMISSION_COLUMNS})",
            f"CREATE TABLE submission_conflicts (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
            f"{_CONFLICT_COLUMNS})",
            "CREATE TABLE rating_jobs (session_uuid TEXT PRIMARY KEY, external_id TEXT, "
            "due_at DOUBLE PRECISION NOT NULL, attempts INTEGER NOT NULL DEFAULT 0)",
            "CREATE INDEX rating_jobs_due ON rating_jobs (due_at)",
        ),
    }),
)


def pending(applied: set[int]) -> list[Migration]:
    return [m for m in MIGRATIONS if m.version not in applied]
