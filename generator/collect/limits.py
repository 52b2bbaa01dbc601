"""Input limits: a body too large is refused from its Content-Length before it is read, and JSON
is parsed with bounds on nesting and on the size of numbers, so no body can make the service spend
much memory or CPU, or raise an error nobody planned for."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Limits:
    submission_bytes: int = 1024 * 1024  # a page's payload is a few KiB; long essays fit easily
    callback_bytes: int = 16 * 1024  # the documented callback body is under 200 bytes
    json_depth: int = 32  # a payload is 4 levels deep
    integer_digits: int = 20  # answers and times fit in 64 bits; a 5000-digit integer is an attack
    body_seconds: float = 10.0  # a client must send its whole body within this
    header_seconds: float = 10.0  # ... and its request line and headers within this
    keep_alive_seconds: float = 5.0
    concurrency: int = 2048  # connections and requests in progress per process, then 503
    backlog: int = 2048
    header_bytes: int = 16 * 1024  # request line and headers, together


class JsonRejected(ValueError):
    """The body is not acceptable JSON; the message says why, for the client."""


def _constant(name: str) -> Any:
    raise JsonRejected(f"{name} is not JSON")


def parse_json(body: bytes, limits: Limits) -> Any:
    """The JSON value in `body` (UTF-8), or JsonRejected."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise JsonRejected("the body is not UTF-8") from None
    digits = limits.integer_digits

    def integer(token: str) -> int:
        if len(token.lstrip("-")) > digits:
            raise JsonRejected(f"a number has more than {digits} digits")
        return int(token)

    def real(token: str) -> float:
        if len(token) > digits + 10:  # digits, a point and an exponent
            raise JsonRejected(f"a number has more than {digits} digits")
        value = float(token)
        if not math.isfinite(value):
            raise JsonRejected("a number is out of range")
        return value

    try:
        value = json.loads(text, parse_int=integer, parse_float=real, parse_constant=_constant)
    except JsonRejected:
        raise
    except RecursionError:
        raise JsonRejected(f"the JSON is nested more than {limits.json_depth} levels deep") from None
    except ValueError as exc:  # JSONDecodeError among them
        raise JsonRejected(f"the body is not valid JSON ({getattr(exc, 'msg', 'bad value')})") from None
    if depth(value) > limits.json_depth:
        raise JsonRejected(f"the JSON is nested more than {limits.json_depth} levels deep")
    return value


def depth(value: Any) -> int:
    """Nesting depth of a parsed JSON value (a scalar is 0), without recursion."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children)
    return deepest
