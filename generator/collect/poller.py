"""Fetch the ratings of sessions whose termination callback arrived, in the background.

The work lives in the database (`rating_jobs`), not in memory: a callback stored by any instance
adds a job, and every instance's poller claims due jobs with a lease (storage.claim_jobs), so
each rating is fetched by one instance, a job survives a restart, and a job whose instance died
mid-fetch is taken up again when its lease runs out. A pending rating is asked again
`pending_retry` seconds later; a final one, or a session Proview does not know, ends the job.
"""

from __future__ import annotations

import threading
import time
from typing import Callable

from generator.results.poller import fetch_and_store
from generator.results.ratings import RatingsClient
from generator.results.store import StoreError

from .storage import Storage

LEASE_SECONDS = 300.0  # longer than a fetch with all its retries (ratings.RetryPolicy)
BATCH = 8


class Poller:
    def __init__(self, storage: Storage, client: RatingsClient, pending_retry: float,
                 log: Callable[[str], None]) -> None:
        self._storage = storage
        self._client = client
        self._pending_retry = pending_retry
        self._log = log
        # Jobs added by other instances are seen within this many seconds.
        self._idle = max(0.02, min(1.0, pending_retry))
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rating-poller", daemon=True)

    def start(self) -> "Poller":
        self._thread.start()
        return self

    def wake(self) -> None:
        """A job was just added here: look now rather than at the next tick."""
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        self._wake.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                worked = self._round()
            except StoreError as exc:
                self._log(f"ratings: the database is not answering: {exc}")
                worked = False
            if not worked:
                self._wake.wait(self._idle)
                self._wake.clear()

    def _round(self) -> bool:
        jobs = self._storage.claim_jobs(time.time(), LEASE_SECONDS, BATCH)
        for job in jobs:
            if self._stopping.is_set():
                return True  # the rest keep their lease and are taken up after it
            if self._storage.is_rated(job.session_uuid):
                self._storage.finish_job(job.session_uuid, None)
                continue
            outcome = fetch_and_store(self._client, self._storage, job.session_uuid,  # type: ignore[arg-type]
                                      job.external_id)
            self._log(f"rating {outcome.describe()}")
            self._storage.finish_job(job.session_uuid,
                                     time.time() + self._pending_retry if outcome.retry else None)
        return bool(jobs)
