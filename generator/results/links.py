"""Signed launch links: a token per candidate that binds the exam, the attendee and an expiry.

A token is five dot-separated fields, all URL-safe:

    <key id>.<expires: Unix seconds>.<exam tag>.<attendee tag>.<signature>

- key id: which secret signed it: `0` for EXAMSITE_LINK_SECRET, else the `<ID>` of
  EXAMSITE_LINK_SECRET_<ID> (an upper-case letter, then up to 11 upper-case letters or digits),
  so a new secret can sign new links while the old one still verifies links already sent.
- exam tag, attendee tag: the first 8 characters of the base64url SHA-256 of the exam id and of
  the attendee id. Not secret (both ids are in the link); they only let a refusal say "for
  another exam" or "for another attendee" instead of "forged".
- signature: base64url HMAC-SHA256, keyed by the secret, over the key id, the exam id, the
  attendee id and the expiry (and so over the tags, which derive from them).

The secrets come from the environment only; nothing here prints one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Mapping

SECRET_VARIABLE = "EXAMSITE_LINK_SECRET"
DEFAULT_KEY_ID = "0"
KEY_ID = re.compile(r"^[A-Z][A-Z0-9]{0,11}$")
# A secret shorter than this could be guessed offline from one token.
MIN_SECRET_LENGTH = 32
_TAG_LENGTH = 8
_SIGNATURE_LENGTH = 43  # 32 bytes in unpadded base64url

# The reasons a token is refused, as `verify_token` returns them.
MISSING = "missing"
FORGED = "forged"
EXPIRED = "expired"
OTHER_EXAM = "for another exam"
OTHER_ATTENDEE = "for another attendee"


class LinkSecretError(ValueError):
    """A secret in the environment that cannot be used; the message names the variable only."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _tag(text: str) -> str:
    return _b64(hashlib.sha256(text.encode("utf-8")).digest())[:_TAG_LENGTH]


def _signature(secret: bytes, key_id: str, exam_id: str, attendee: str, expires: int) -> str:
    # Length-prefixed fields: no choice of ids can make two different bindings sign the same bytes.
    fields = [b"examsite-link-v1", key_id.encode(), exam_id.encode("utf-8"), attendee.encode("utf-8"),
              str(expires).encode()]
    message = b"".join(len(f).to_bytes(4, "big") + f for f in fields)
    return _b64(hmac.new(secret, message, hashlib.sha256).digest())


@dataclass(frozen=True)
class Secrets:
    """The link secrets by key id, and the one that signs new links."""

    by_id: Mapping[str, bytes]
    signing: str

    def __repr__(self) -> str:  # never show a secret, even in a traceback or a debugger
        return f"Secrets(key ids {sorted(self.by_id)}, signing {self.signing!r})"


def secrets_from_env(environ: Mapping[str, str], variable: str = SECRET_VARIABLE,
                     signing: str | None = None) -> Secrets | None:
    """Every `<variable>` and `<variable>_<ID>` in `environ`; None when there is none at all.

    `signing`: the key id that signs new links (default: the one of `<variable>` itself)."""
    found: dict[str, bytes] = {}
    for name, value in environ.items():
        if name == variable:
            key_id = DEFAULT_KEY_ID
        elif name.startswith(variable + "_"):
            key_id = name[len(variable) + 1:]
            if not KEY_ID.match(key_id):
                raise LinkSecretError(f"{name}: the key id after {variable}_ must be an upper-case letter "
                                      "and up to 11 upper-case letters or digits")
        else:
            continue
        if len(value) < MIN_SECRET_LENGTH:
            raise LinkSecretError(f"{name} is shorter than {MIN_SECRET_LENGTH} characters; use a long random "
                                  "value, e.g. from: python -c \"import secrets; print(secrets.token_urlsafe(32))\"")
        found[key_id] = value.encode("utf-8")
    if not found:
        return None
    chosen = signing or DEFAULT_KEY_ID
    if chosen not in found:
        wanted = variable if chosen == DEFAULT_KEY_ID else f"{variable}_{chosen}"
        raise LinkSecretError(f"{wanted} is not set, so it cannot sign links")
    return Secrets(found, chosen)


def make_token(secrets: Secrets, exam_id: str, attendee: str, expires: datetime) -> str:
    if expires.tzinfo is None:
        raise ValueError("the expiry needs a time zone")
    seconds = int(expires.timestamp())
    key_id = secrets.signing
    signature = _signature(secrets.by_id[key_id], key_id, exam_id, attendee, seconds)
    return ".".join((key_id, str(seconds), _tag(exam_id), _tag(attendee), signature))


def verify_token(token: object, exam_id: str, attendee: str, secrets: Secrets,
                 now: datetime) -> str | None:
    """None when `token` is a valid link token for this exam and attendee at `now`; else the
    reason: missing, forged, expired, for another exam, for another attendee."""
    if token is None or token == "":
        return MISSING
    if not isinstance(token, str):
        return FORGED
    parts = token.split(".")
    if len(parts) != 5:
        return FORGED
    key_id, expires, exam_tag, attendee_tag, signature = parts
    secret = secrets.by_id.get(key_id)
    if (secret is None or not expires.isdigit() or len(expires) > 12
            or len(signature) != _SIGNATURE_LENGTH):
        return FORGED
    if not hmac.compare_digest(exam_tag, _tag(exam_id)):
        return OTHER_EXAM
    if not hmac.compare_digest(attendee_tag, _tag(attendee)):
        return OTHER_ATTENDEE
    expected = _signature(secret, key_id, exam_id, attendee, int(expires))
    if not hmac.compare_digest(signature, expected):
        return FORGED
    if now.timestamp() >= int(expires):
        return EXPIRED
    return None
