"""Proview's termination callback (seed 002_363768b70aec260b.txt) and the secret in its URL.

Proview POSTs `{session_uuid, external_id, message}` (all strings) to a URL the client shares, and
does not sign it, so the URL carries a secret token: `/proview/callback/<token>`. The token is a
credential: it is compared in constant time and never written to a log in full.
"""

from __future__ import annotations

import hmac
import os
import re
import secrets
from pathlib import Path
from typing import Any

from generator.results.store import Callback

CALLBACK_PATH = "/proview/callback/"
FIELDS = ("session_uuid", "external_id", "message")
_TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,128}")


class TokenError(ValueError):
    """A callback token that is too short or not URL-safe."""


def new_token() -> str:
    return secrets.token_urlsafe(24)


def check_token(token: str) -> str:
    if not _TOKEN_PATTERN.fullmatch(token):
        raise TokenError("the callback token must be 16 to 128 characters of A-Z, a-z, 0-9, "
                         "'-' and '_' (it becomes part of the URL)")
    return token


def masked(token: str) -> str:
    """What a log may show of the token: enough to tell two apart, not enough to use."""
    return token[:4] + "…"


def token_matches(given: str, token: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8", "replace"), token.encode())


def write_url_file(path: Path, url: str) -> None:
    """The full callback URL, readable by its owner only (mode 0600, also when it existed)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(descriptor, 0o600)
        os.write(descriptor, (url + "\n").encode())
    finally:
        os.close(descriptor)


def callback_problems(data: Any) -> str | None:
    if not isinstance(data, dict):
        return "the body must be a JSON object"
    missing = [f for f in FIELDS if not isinstance(data.get(f), str) or not data[f].strip()]
    if missing:
        return f"missing or not a non-empty string: {', '.join(missing)}"
    return None


def to_callback(data: dict[str, Any]) -> Callback:
    return Callback(data["session_uuid"], data["external_id"], data["message"])
