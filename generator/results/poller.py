"""Fetch one session's rating into a store, and say whether to ask again later.

Used by `examsite ratings fetch` and by the collect service's poller (generator/collect/poller.py);
`store` is store.Store or any storage with its `save_rating` and `save_error`.
"""

from __future__ import annotations

from dataclasses import dataclass

from .ratings import ApiError, ApiUnavailable, AuthError, RatingsClient, SessionNotFound
from .store import Store


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
