"""The SQLite backend: one file on one machine (`--db collect.sqlite`, the default).

The file is created with mode 0600 (the WAL and shared-memory files SQLite makes beside it take
the same mode). Writes go through one writer thread per process that commits whatever has queued
up as one transaction (group commit) with `synchronous=FULL` in WAL mode: a request is answered
only after the commit holding its row is on disk, and a thousand requests a second cost a few
fsyncs, not a thousand. Several processes on one file are serialised by SQLite's write lock
(BEGIN IMMEDIATE, waiting up to `busy_timeout`), so the job claims below are atomic across them.
Callbacks and ratings use generator/results/store.py, the same tables `ratings fetch` writes.
"""

from __future__ import annotations

import asyncio
import os
import queue
import sqlite3
import threading
from concurrent.futures import Future
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Mapping, TypeVar

from generator.results.store import Callback, RatingRow, Store, StoreError, utc_now

from .migrations import VERSIONS_TABLE, pending
from .storage import Job, Outcome, Row, Stored

T = TypeVar("T")
BUSY_MS = 10_000
MAX_BATCH = 512  # statements per group commit


def received_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=BUSY_MS / 1000, isolation_level=None,
                                 check_same_thread=False)
    connection.execute(f"PRAGMA busy_timeout={BUSY_MS}")
    connection.execute("PRAGMA synchronous=FULL")  # in WAL mode: every commit reaches the disk
    connection.row_factory = sqlite3.Row
    return connection


def _create_private(path: Path) -> None:
    """Create the database file mode 0600 before SQLite opens it (it would follow the umask)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


class _Writer:
    """The process's one writing connection, on its own thread; `call` waits for the commit."""

    def __init__(self, path: Path) -> None:
        self._connection = _connect(path)
        self._queue: queue.SimpleQueue[tuple[Callable[[sqlite3.Connection], Any], Future] | None] = \
            queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="sqlite-writer", daemon=True)
        self._thread.start()
        self._path = path

    def enqueue(self, work: Callable[[sqlite3.Connection], T]) -> "Future[T]":
        future: Future = Future()
        self._queue.put((work, future))
        return future

    def call(self, work: Callable[[sqlite3.Connection], T]) -> T:
        return self.enqueue(work).result()

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(10)
        self._connection.close()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            stop = False
            while len(batch) < MAX_BATCH:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                batch.append(item)
            self._commit(batch)
            if stop:
                return

    def _commit(self, batch: list[tuple[Callable[[sqlite3.Connection], Any], Future]]) -> None:
        results = []
        try:
            self._connection.execute("BEGIN IMMEDIATE")
            for work, _ in batch:
                results.append(work(self._connection))
            self._connection.execute("COMMIT")
        except Exception as exc:  # whatever it is, every waiting request must hear of it
            if self._connection.in_transaction:
                self._connection.execute("ROLLBACK")
            error = StoreError(f"{self._path}: {exc}") if isinstance(exc, sqlite3.Error) else exc
            for _, future in batch:
                future.set_exception(error)
            return
        for (_, future), result in zip(batch, results):
            future.set_result(result)


def _add_submission(submission: Any, now: str) -> Callable[[sqlite3.Connection], Stored]:
    def work(connection: sqlite3.Connection) -> Stored:
        cursor = connection.execute(
            "INSERT OR IGNORE INTO submissions (received_at, body, submission_id, digest, exam_id, part, "
            "kind, attendee_identifier) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (now, submission.body, submission.submission_id, submission.digest, submission.exam_id,
             submission.part, submission.kind, submission.attendee_identifier))
        if cursor.rowcount == 1:
            return Stored(Outcome.STORED, submission.receipt)
        (digest,) = connection.execute("SELECT digest FROM submissions WHERE submission_id = ?",
                                       (submission.submission_id,)).fetchone()
        if digest == submission.digest:
            return Stored(Outcome.DUPLICATE, submission.receipt)
        connection.execute(
            "INSERT INTO submission_conflicts (submission_id, received_at, digest, body) VALUES (?, ?, ?, ?)",
            (submission.submission_id, now, submission.digest, submission.body))
        return Stored(Outcome.CONFLICT, "sha256:" + digest)
    return work


class SqliteStorage:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.location = str(path)
        self._results = Store(path)
        self._writer: _Writer | None = None
        self._lock = threading.Lock()

    @classmethod
    def open(cls, url: str, *, create: bool = True) -> "SqliteStorage":
        path = Path(url)
        if not create:
            if not path.is_file():
                raise StoreError(f"{path}: no such database")
            return cls(path)
        try:
            _create_private(path)
            storage = cls(path)
            storage._migrate()
        except OSError as exc:
            raise StoreError(f"{path}: {exc.strerror or exc}") from None
        except sqlite3.Error as exc:
            raise StoreError(f"{path}: not a collect database: {exc}") from None
        return storage

    def _migrate(self) -> None:
        connection = _connect(self.path)
        try:
            connection.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
            connection.execute("BEGIN IMMEDIATE")
            connection.execute(VERSIONS_TABLE["sqlite"])
            applied = {r[0] for r in connection.execute("SELECT version FROM schema_migrations")}
            for migration in pending(applied):
                for statement in migration.statements["sqlite"]:
                    connection.execute(statement)
                connection.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)",
                                   (migration.version, migration.name, utc_now()))
            connection.execute("COMMIT")
        finally:
            connection.close()

    def _writer_now(self) -> _Writer:
        with self._lock:  # the writer starts with the first write: readers never need one
            if self._writer is None:
                self._writer = _Writer(self.path)
            return self._writer

    def _write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        return self._writer_now().call(work)

    def _read(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        try:
            connection = _connect(self.path)
            try:
                return connection.execute(sql, params).fetchall()
            finally:
                connection.close()
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: {exc}") from None

    def add_submission(self, submission: Any) -> Stored:
        return self._write(_add_submission(submission, received_now()))

    async def store_submission(self, submission: Any) -> Stored:
        # Straight from the event loop to the writer and back: no worker thread waits in between.
        return await asyncio.wrap_future(self._writer_now().enqueue(_add_submission(submission, received_now())))

    def add_callback(self, callback: Callback) -> bool:
        new = self._results.add_callback(callback)
        if new or not self.is_rated(callback.session_uuid):
            self._write(lambda c: c.execute(
                "INSERT OR IGNORE INTO rating_jobs (session_uuid, external_id, due_at) VALUES (?, ?, 0)",
                (callback.session_uuid, callback.external_id)))
        return new

    def claim_jobs(self, now: float, lease: float, limit: int) -> list[Job]:
        # One statement inside the writer's IMMEDIATE transaction: no other process can claim
        # the same rows in between (SQLite's equivalent of FOR UPDATE SKIP LOCKED).
        rows = self._write(lambda c: c.execute(
            "UPDATE rating_jobs SET due_at = ?, attempts = attempts + 1 WHERE session_uuid IN "
            "(SELECT session_uuid FROM rating_jobs WHERE due_at <= ? ORDER BY due_at LIMIT ?) "
            "RETURNING session_uuid, external_id", (now + lease, now, limit)).fetchall())
        return [Job(r["session_uuid"], r["external_id"]) for r in rows]

    def finish_job(self, session_uuid: str, retry_at: float | None) -> None:
        if retry_at is None:
            self._write(lambda c: c.execute("DELETE FROM rating_jobs WHERE session_uuid = ?", (session_uuid,)))
        else:
            self._write(lambda c: c.execute("UPDATE rating_jobs SET due_at = ? WHERE session_uuid = ?",
                                            (retry_at, session_uuid)))

    def queue_unrated(self, now: float) -> int:
        jobs = self._results.unrated_callbacks()
        self._write(lambda c: c.executemany(
            "INSERT OR IGNORE INTO rating_jobs (session_uuid, external_id, due_at) VALUES (?, ?, ?)",
            [(uuid, external, now) for uuid, external in jobs]))
        return len(jobs)

    def is_rated(self, session_uuid: str) -> bool:
        return self._results.is_rated(session_uuid)

    def save_rating(self, details: Mapping[str, Any], session_uuid: str, external_id: str | None,
                    now: str | None = None) -> None:
        self._results.save_rating(details, session_uuid, external_id, now)

    def save_error(self, session_uuid: str, external_id: str | None, error: str,
                   now: str | None = None) -> None:
        self._results.save_error(session_uuid, external_id, error, now)

    def ratings(self) -> dict[str, RatingRow]:
        return self._results.ratings()

    def callbacks(self) -> list[dict[str, Any]]:
        return self._results.callbacks()

    def rows(self) -> list[Row]:
        return [Row(r["id"], r["received_at"], r["body"])
                for r in self._read("SELECT id, received_at, body FROM submissions ORDER BY id")]

    def conflicts(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self._read("SELECT * FROM submission_conflicts ORDER BY id")]

    def healthy(self) -> bool:
        try:
            return self._read("SELECT count(*) FROM schema_migrations")[0][0] > 0
        except StoreError:
            return False

    def close(self) -> None:
        with self._lock:
            if self._writer is not None:
                self._writer.close()
                self._writer = None
