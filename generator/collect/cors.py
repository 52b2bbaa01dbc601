"""CORS for `POST /submissions`: the pages are published on a CDN origin and post to this one.

A listed origin gets `Access-Control-Allow-Origin` (that origin, never `*`), method POST and header
Content-Type, for its preflight and its POST; any other origin gets no CORS header at all, so the
browser refuses to send (the page keeps the answers in its outbox). Requests without an Origin
header (curl, another server) are not a browser's and pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit


class OriginError(ValueError):
    """An --origin that is not scheme://host[:port]."""


def normalise_origin(origin: str) -> str:
    """`https://Exams.example.edu/` -> `https://exams.example.edu`: the form browsers send."""
    parts = urlsplit(origin.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/") \
            or parts.query or parts.fragment or parts.username:
        raise OriginError(f"{origin!r} is not an origin (scheme://host[:port], no path)")
    default = {"http": 80, "https": 443}[parts.scheme]
    port = f":{parts.port}" if parts.port and parts.port != default else ""
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}{port}"


@dataclass(frozen=True)
class Cors:
    origins: frozenset[str]
    max_age: int = 600  # seconds a browser may reuse a preflight answer

    def allows(self, origin: str | None) -> bool:
        return origin is None or origin in self.origins

    def headers(self, origin: str | None) -> dict[str, str]:
        """Headers for an answer to `origin`: Vary always (caches must not mix origins)."""
        if origin is None or origin not in self.origins:
            return {"Vary": "Origin"}
        return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}

    def preflight_headers(self, origin: str) -> dict[str, str]:
        return {**self.headers(origin), "Access-Control-Allow-Methods": "POST",
                "Access-Control-Allow-Headers": "Content-Type",
                "Access-Control-Max-Age": str(self.max_age)}
