"""The page's Content-Security-Policy: the policy Proview's SDK needs (docs/proview.md), plus what the page itself needs.

Seed 000 gives the policy the SDK needs:

    script-src 'unsafe-inline' https://*.proview.io;
    style-src 'unsafe-inline';
    connect-src 'self' https://*.googleapis.com https://*.talview.com wss://*.talview.com;
    img-src 'self' https://*.proview.io;

The page adds 'self' for its own script and stylesheet, the submission endpoint's origin to
connect-src (else the browser blocks the answers), the loader's origin when it is not under
*.proview.io, and the origins of remote images. Nothing broader. No hashes or nonces: a hash in
script-src makes browsers ignore 'unsafe-inline', which the SDK relies on.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

SEED_POLICY: dict[str, tuple[str, ...]] = {
    "script-src": ("'unsafe-inline'", "https://*.proview.io"),
    "style-src": ("'unsafe-inline'",),
    "connect-src": ("'self'", "https://*.googleapis.com", "https://*.talview.com", "wss://*.talview.com"),
    "img-src": ("'self'", "https://*.proview.io"),
}
# Locked down beyond Proview's policy, none of which the SDK uses: plugins, <base> hijacking, form posts.
HARDENING: dict[str, tuple[str, ...]] = {
    "object-src": ("'none'",),
    "base-uri": ("'none'",),
    "form-action": ("'none'",),
}


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def _covered(source: str, allowed: tuple[str, ...]) -> bool:
    """Is `source` (an origin) already allowed by one of Proview's wildcard sources?"""
    scheme, _, host = source.partition("://")
    for entry in allowed:
        if entry == source:
            return True
        entry_scheme, _, entry_host = entry.partition("://")
        if entry_host.startswith("*.") and entry_scheme == scheme and host.endswith(entry_host[1:]):
            return True
    return False


@dataclass(frozen=True)
class PageSources:
    """What one page loads beyond the SDK."""

    loader_url: str  # absolute, or relative for the local stand-in
    submission_url: str  # absolute, or relative for the dev server's endpoint
    image_origins: tuple[str, ...] = ()
    extra_connect: tuple[str, ...] = ()  # the dev server's live-reload socket


def build_policy(sources: PageSources) -> str:
    policy = {name: list(values) for name, values in SEED_POLICY.items()}
    policy["script-src"].insert(0, "'self'")
    policy["style-src"].insert(0, "'self'")

    def add(directive: str, source: str) -> None:
        if source and source not in policy[directive] and not _covered(source, tuple(policy[directive])):
            policy[directive].append(source)

    add("script-src", origin(sources.loader_url))
    add("connect-src", origin(sources.submission_url))
    for source in sources.extra_connect:
        add("connect-src", source)
    for source in sources.image_origins:
        add("img-src", source)
    policy.update({name: list(values) for name, values in HARDENING.items()})
    return "; ".join(f"{name} {' '.join(values)}" for name, values in policy.items())
