"""Many concurrent POSTs from one asyncio loop, over plain keep-alive HTTP/1.1 connections, for
the fault tests and bench/collect.py. (httpx's pool slows down badly with thousands of queued
requests; this client costs the machine little, so what is measured is the service.)"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Answer:
    status: int | None  # None: no answer (connection refused, reset or closed; timeout)
    body: bytes
    seconds: float


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> tuple[int, bytes]:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    return status, await reader.readexactly(length)


async def post_all(targets: list[tuple[str, bytes]], clients: int,
                   on_answer: Callable[[int, Answer], None] | None = None, timeout: float = 20.0) -> list[Answer]:
    """POST each (url, JSON body) from `clients` connections working through the list; the answers
    in the targets' order."""
    answers: list[Answer | None] = [None] * len(targets)
    pending = list(range(len(targets) - 1, -1, -1))

    async def client() -> None:
        connections: dict[tuple[str, int], tuple[asyncio.StreamReader, asyncio.StreamWriter]] = {}
        try:
            while pending:
                index = pending.pop()
                url, body = targets[index]
                parts = urlsplit(url)
                address = (parts.hostname or "", parts.port or 80)
                request = (f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
                           f"Content-Length: {len(body)}\r\n\r\n").encode() + body
                began = time.perf_counter()
                try:
                    if address not in connections:
                        connections[address] = await asyncio.wait_for(
                            asyncio.open_connection(*address, limit=1 << 20), timeout)
                    status, answer = await asyncio.wait_for(_exchange(*connections[address], request), timeout)
                    result = Answer(status, answer, time.perf_counter() - began)
                except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ValueError):
                    dropped = connections.pop(address, None)
                    if dropped is not None:
                        dropped[1].close()
                    result = Answer(None, b"", time.perf_counter() - began)
                answers[index] = result
                if on_answer is not None:
                    on_answer(index, result)
        finally:
            for _, writer in connections.values():
                writer.close()

    await asyncio.gather(*(client() for _ in range(clients)))
    return answers  # type: ignore[return-value]
