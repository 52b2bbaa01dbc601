"""The storage interface of the collect service (database.py opens one).

`url` is a SQLite file path (the default, `collect.sqlite`) or a `postgresql://` URL. Both
backends keep the same tables (migrations.py) and give the same answers:

- `add_submission`: the first payload of a submission_id is stored (STORED); the same payload again
  is a DUPLICATE (no second row); a different one is a CONFLICT (recorded, the first one kept).
  Either way the receipt is the stored payload's. The call returns only after a durable commit.
- `add_callback`: each distinct callback once (repeats count), and a rating job for its session
  unless the session is rated; `claim_jobs` hands each due job to one caller for `lease` seconds.
- The ratings methods `generator.results.poller.fetch_and_store` uses, and readers for `grade`,
  `report` and `examsite submissions`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any, Mapping, Protocol
from urllib.parse import urlsplit, urlunsplit

from generator.results.store import Callback, RatingRow, StoreError

__all__ = ["Outcome", "Stored", "Job", "Row", "Storage", "StoreError", "redact"]


class Outcome(Enum):
    STORED = "stored"
    DUPLICATE = "duplicate"
    CONFLICT = "conflict"


@dataclass(frozen=True)
class Stored:
    outcome: Outcome
    receipt: str  # the receipt of the payload kept for this submission_id


@dataclass(frozen=True)
class Job:
    session_uuid: str
    external_id: str | None


@dataclass(frozen=True)
class Row:
    id: int
    received_at: str
    body: str


class Storage(Protocol):
    location: str  # for messages: the file, or the URL without its password

    def add_submission(self, submission: Any) -> Stored: ...
    async def store_submission(self, submission: Any) -> Stored: ...  # the same, from the event loop
    def add_callback(self, callback: Callback) -> bool: ...
    def claim_jobs(self, now: float, lease: float, limit: int) -> list[Job]: ...
    def finish_job(self, session_uuid: str, retry_at: float | None) -> None: ...
    def queue_unrated(self, now: float) -> int: ...
    def is_rated(self, session_uuid: str) -> bool: ...
    def save_rating(self, details: Mapping[str, Any], session_uuid: str, external_id: str | None,
                    now: str | None = None) -> None: ...
    def save_error(self, session_uuid: str, external_id: str | None, error: str,
                   now: str | None = None) -> None: ...
    def ratings(self) -> dict[str, RatingRow]: ...
    def callbacks(self) -> list[dict[str, Any]]: ...
    def rows(self) -> list[Row]: ...
    def conflicts(self) -> list[dict[str, Any]]: ...
    def healthy(self) -> bool: ...
    def close(self) -> None: ...


def redact(url: str) -> str:
    """`url` without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
