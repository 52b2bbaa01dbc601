"""Fetch sessions' ratings into the store, and ask again later while a review is pending.

`fetch_and_store` does one fetch (used by `examsite ratings fetch`); `RatingPoller` is the
receiver's background thread, so a callback is answered as soon as it is stored and the slow
API calls happen afterwards.
"""

from __future__ import annotations

import heapq
import threading
import time
from dataclasses import dataclass
from typing import Callable

from .ratings import ApiError, ApiUnavailable, AuthError, RatingsClient, SessionNotFound
from .store import Store, StoreError


@dataclass(frozen=True)
class Outcome:
    session_uuid: str
    rating: str | None  # high / medium / low, None when pending or failed
    pending: bool
    error: str | None
    retry: bool  # worth asking again later (pending, or the API was unreachable)

    def describe(self) -> str:
        if self.error:
            return f"{self.session_uuid}: error: {self.error}"
        return f"{self.session_uuid}: {'pending' if self.pending else self.rating}"


def fetch_and_store(client: RatingsClient, store: Store, session_uuid: str,
                    external_id: str | None = None) -> Outcome:
    try:
        details = client.fetch(session_uuid)
    except (SessionNotFound, AuthError) as exc:
        # Not found is final; auth problems need a person, but a later retry may succeed once
        # they fix it without restarting the receiver.
        store.save_error(session_uuid, external_id, str(exc))
        return Outcome(session_uuid, None, False, str(exc), retry=isinstance(exc, AuthError))
    except (ApiUnavailable, ApiError) as exc:
        store.save_error(session_uuid, external_id, str(exc))
        return Outcome(session_uuid, None, False, str(exc), retry=isinstance(exc, ApiUnavailable))
    store.save_rating(details.raw, session_uuid, external_id)
    return Outcome(session_uuid, details.final_rating, details.pending, None, retry=details.pending)


class RatingPoller:
    """A thread that fetches queued sessions and re-queues pending ones `pending_retry` later."""

    def __init__(self, client: RatingsClient, store: Store, pending_retry: float,
                 log: Callable[[str], None], clock: Callable[[], float] = time.monotonic) -> None:
        self._client = client
        self._store = store
        self._pending_retry = pending_retry
        self._log = log
        self._clock = clock
        self._queue: list[tuple[float, int, str, str | None]] = []  # (due, seq, uuid, external)
        self._queued: set[str] = set()  # waiting or being fetched right now
        self._seq = 0
        self._stopping = False
        self._wake = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="rating-poller", daemon=True)

    def start(self) -> "RatingPoller":
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        with self._wake:
            self._stopping = True
            self._wake.notify()
        self._thread.join(timeout)

    def submit(self, session_uuid: str, external_id: str | None, delay: float = 0.0) -> None:
        with self._wake:
            if session_uuid in self._queued:
                return  # already waiting for its turn, or being fetched
            self._seq += 1
            heapq.heappush(self._queue, (self._clock() + delay, self._seq, session_uuid, external_id))
            self._queued.add(session_uuid)
            self._wake.notify()

    def _next(self) -> tuple[str, str | None] | None:
        with self._wake:
            while not self._stopping:
                if self._queue:
                    due = self._queue[0][0]
                    wait = due - self._clock()
                    if wait <= 0:
                        _, _, uuid, external = heapq.heappop(self._queue)
                        return uuid, external
                    self._wake.wait(wait)
                else:
                    self._wake.wait()
            return None

    def _done(self, session_uuid: str) -> None:
        with self._wake:
            self._queued.discard(session_uuid)

    def _run(self) -> None:
        while (item := self._next()) is not None:
            uuid, external = item
            try:
                # A repeated callback may have been queued just after the rating it asks for was
                # stored (checked, then queued): a final rating is never fetched again.
                if self._store.is_rated(uuid):
                    self._done(uuid)
                    continue
                outcome = fetch_and_store(self._client, self._store, uuid, external)
            except StoreError as exc:
                self._done(uuid)
                self._log(f"rating for {uuid} not stored: {exc}")
                self.submit(uuid, external, self._pending_retry)
                continue
            self._done(uuid)
            self._log(f"rating {outcome.describe()}")
            if outcome.retry:
                self.submit(uuid, external, self._pending_retry)
