"""The PostgreSQL backend: one database shared by several instances (`--db postgresql://...`).

psycopg 3 with a connection pool per process. Several instances behave as one: a submission_id
is UNIQUE, so concurrent inserts of one id leave one row (INSERT ... ON CONFLICT DO NOTHING); the
rating jobs are claimed with `SELECT ... FOR UPDATE SKIP LOCKED`, so each due job goes to one
instance, which holds it for a lease; migrations run under an advisory lock. Commits are durable
with PostgreSQL's default `synchronous_commit = on`: a request is answered after its commit.
"""

from __future__ import annotations

import json
from typing import Any, Mapping

import anyio.to_thread
import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from generator.results.store import Callback, RatingRow, StoreError, utc_now

from .migrations import VERSIONS_TABLE, pending
from .sqlite import received_now
from .storage import Job, Outcome, Row, Stored, redact

MIGRATION_LOCK = 0x6578616D  # pg_advisory_xact_lock key: "exam"
POOL_WAIT = 10.0  # seconds a request waits for a free connection before it is answered 503
HEALTH_WAIT = 2.0


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


class PostgresStorage:
    def __init__(self, url: str, pool: ConnectionPool) -> None:
        self.location = redact(url)
        self._pool = pool

    @classmethod
    def open(cls, url: str, *, create: bool = True, pool_size: int = 10) -> "PostgresStorage":
        pool = ConnectionPool(url, min_size=1, max_size=max(1, pool_size), open=False, timeout=POOL_WAIT,
                              kwargs={"autocommit": False}, name="examsite-collect")
        storage = cls(url, pool)
        try:
            pool.open(wait=True, timeout=POOL_WAIT)
            if create:
                storage._migrate()
        except (psycopg.Error, PoolTimeout) as exc:
            pool.close()
            raise StoreError(f"{storage.location}: {_reason(exc)}") from None
        return storage

    def _migrate(self) -> None:
        with self._pool.connection() as connection:
            connection.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            connection.execute(VERSIONS_TABLE["postgresql"])
            applied = {r[0] for r in connection.execute("SELECT version FROM schema_migrations")}
            for migration in pending(applied):
                for statement in migration.statements["postgresql"]:
                    connection.execute(statement)
                connection.execute("INSERT INTO schema_migrations VALUES (%s, %s, %s)",
                                   (migration.version, migration.name, utc_now()))

    def _run(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        try:
            with self._pool.connection() as connection:
                cursor = connection.cursor(row_factory=dict_row)
                cursor.execute(sql, params)
                return cursor.fetchall() if cursor.description else []
        except (psycopg.Error, PoolTimeout) as exc:
            raise StoreError(f"{self.location}: {_reason(exc)}") from None

    def add_submission(self, submission: Any) -> Stored:
        now = received_now()
        try:
            with self._pool.connection() as connection:
                inserted = connection.execute(
                    "INSERT INTO submissions (received_at, body, submission_id, digest, exam_id, part, kind, "
                    "attendee_identifier) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
                    "ON CONFLICT (submission_id) DO NOTHING RETURNING id",
                    (now, submission.body, submission.submission_id, submission.digest, submission.exam_id,
                     submission.part, submission.kind, submission.attendee_identifier)).fetchone()
                if inserted is not None:
                    return Stored(Outcome.STORED, submission.receipt)
                (digest,) = connection.execute("SELECT digest FROM submissions WHERE submission_id = %s",
                                               (submission.submission_id,)).fetchone()
                if digest == submission.digest:
                    return Stored(Outcome.DUPLICATE, submission.receipt)
                connection.execute(
                    "INSERT INTO submission_conflicts (submission_id, received_at, digest, body) "
                    "VALUES (%s, %s, %s, %s)", (submission.submission_id, now, submission.digest, submission.body))
                return Stored(Outcome.CONFLICT, "sha256:" + digest)
        except (psycopg.Error, PoolTimeout) as exc:
            raise StoreError(f"{self.location}: {_reason(exc)}") from None

    async def store_submission(self, submission: Any) -> Stored:
        return await anyio.to_thread.run_sync(self.add_submission, submission)

    def add_callback(self, callback: Callback) -> bool:
        now = utc_now()
        try:
            with self._pool.connection() as connection:
                new = connection.execute(
                    "INSERT INTO callbacks (session_uuid, external_id, message, received_at, last_received_at) "
                    "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (session_uuid, external_id, message) DO UPDATE "
                    "SET times_received = callbacks.times_received + 1, last_received_at = excluded.last_received_at "
                    "RETURNING times_received = 1",
                    (callback.session_uuid, callback.external_id, callback.message, now, now)).fetchone()[0]
                connection.execute(
                    "INSERT INTO rating_jobs (session_uuid, external_id, due_at) SELECT %s, %s, 0 WHERE NOT EXISTS "
                    "(SELECT 1 FROM ratings WHERE session_uuid = %s AND final_rating IS NOT NULL) "
                    "ON CONFLICT (session_uuid) DO NOTHING",
                    (callback.session_uuid, callback.external_id, callback.session_uuid))
                return bool(new)
        except (psycopg.Error, PoolTimeout) as exc:
            raise StoreError(f"{self.location}: {_reason(exc)}") from None

    def claim_jobs(self, now: float, lease: float, limit: int) -> list[Job]:
        rows = self._run(
            "WITH due AS (SELECT session_uuid FROM rating_jobs WHERE due_at <= %s ORDER BY due_at LIMIT %s "
            "FOR UPDATE SKIP LOCKED) UPDATE rating_jobs j SET due_at = %s, attempts = j.attempts + 1 "
            "FROM due WHERE j.session_uuid = due.session_uuid RETURNING j.session_uuid, j.external_id",
            (now, limit, now + lease))
        return [Job(r["session_uuid"], r["external_id"]) for r in rows]

    def finish_job(self, session_uuid: str, retry_at: float | None) -> None:
        if retry_at is None:
            self._run("DELETE FROM rating_jobs WHERE session_uuid = %s", (session_uuid,))
        else:
            self._run("UPDATE rating_jobs SET due_at = %s WHERE session_uuid = %s", (retry_at, session_uuid))

    def queue_unrated(self, now: float) -> int:
        rows = self._run(
            "INSERT INTO rating_jobs (session_uuid, external_id, due_at) "
            "SELECT DISTINCT ON (c.session_uuid) c.session_uuid, c.external_id, %s FROM callbacks c "
            "LEFT JOIN ratings r ON r.session_uuid = c.session_uuid WHERE r.final_rating IS NULL "
            "ORDER BY c.session_uuid, c.id ON CONFLICT (session_uuid) DO NOTHING RETURNING session_uuid", (now,))
        return len(rows)

    def is_rated(self, session_uuid: str) -> bool:
        return bool(self._run("SELECT 1 FROM ratings WHERE session_uuid = %s AND final_rating IS NOT NULL",
                              (session_uuid,)))

    def save_rating(self, details: Mapping[str, Any], session_uuid: str, external_id: str | None,
                    now: str | None = None) -> None:
        timestamps = {k: v for k, v in details.items() if k.endswith("_at")}
        self._run(
            "INSERT INTO ratings (session_uuid, external_id, final_rating, status, session_started_at, timestamps, "
            "system_info, title, fetched_at, error) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, NULL) "
            "ON CONFLICT (session_uuid) DO UPDATE SET external_id = excluded.external_id, "
            "final_rating = excluded.final_rating, status = excluded.status, "
            "session_started_at = excluded.session_started_at, timestamps = excluded.timestamps, "
            "system_info = excluded.system_info, title = excluded.title, fetched_at = excluded.fetched_at, "
            "error = NULL",
            (session_uuid, _text(details.get("external_id")) or external_id,
             _text(details.get("final_rating")) or None, _text(details.get("status")),
             _text(details.get("session_started_at")), json.dumps(timestamps, sort_keys=True),
             json.dumps(details.get("system_info"), sort_keys=True), _text(details.get("title")), now or utc_now()))

    def save_error(self, session_uuid: str, external_id: str | None, error: str,
                   now: str | None = None) -> None:
        self._run(
            "INSERT INTO ratings (session_uuid, external_id, fetched_at, error) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (session_uuid) DO UPDATE SET error = excluded.error, "
            "external_id = COALESCE(ratings.external_id, excluded.external_id)",
            (session_uuid, external_id, now or utc_now(), error))

    def ratings(self) -> dict[str, RatingRow]:
        rows = self._run("SELECT session_uuid, external_id, final_rating, status, session_started_at, "
                         "fetched_at, error FROM ratings")
        return {r["session_uuid"]: RatingRow(**r) for r in rows}

    def callbacks(self) -> list[dict[str, Any]]:
        return self._run("SELECT * FROM callbacks ORDER BY id")

    def rows(self) -> list[Row]:
        return [Row(r["id"], r["received_at"], r["body"])
                for r in self._run("SELECT id, received_at, body FROM submissions ORDER BY id")]

    def conflicts(self) -> list[dict[str, Any]]:
        return self._run("SELECT * FROM submission_conflicts ORDER BY id")

    def healthy(self) -> bool:
        try:
            # A short wait: a health check must answer before the load balancer gives up on it.
            with self._pool.connection(timeout=HEALTH_WAIT) as connection:
                connection.execute("SELECT 1")
            return True
        except (psycopg.Error, PoolTimeout):
            return False

    def close(self) -> None:
        self._pool.close()


def _reason(exc: Exception) -> str:
    """One line saying what went wrong, never the password (psycopg's messages do not show it)."""
    text = str(exc).strip().splitlines()
    return text[0] if text else exc.__class__.__name__
