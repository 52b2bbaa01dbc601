"""The collect service under load: submissions per second and p50 / p99 latency at 50 and 500
concurrent clients, on SQLite and on PostgreSQL, printed as a table.

    python bench/collect.py                       # 6,000 submissions per run
    python bench/collect.py --submissions 2000 --clients 50 500 --workers 1

Each run starts `examsite collect serve` (one process unless --workers) on a new database on
127.0.0.1 (PostgreSQL: a throwaway server, tests/collect/pgserver.py, fsync on), sends
--submissions distinct payloads (a real page's payload, tests/results/fixtures) from N
keep-alive connections, each sending its next one when the last is answered, and then counts the
rows: "lost" is acknowledged (2xx) submissions missing from the database, which must be 0. The
client is a minimal asyncio HTTP/1.1 writer, in a process of its own, so the measurement is the
service's, not a client library's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from generator.collect.storage import open_storage  # noqa: E402
from tests.collect.pgserver import TemporaryPostgres  # noqa: E402

PAYLOAD = json.loads((REPO / "tests/results/fixtures/runtime-payloads.jsonl").read_text().splitlines()[0])


def start_service(db: str, workers: int) -> tuple[subprocess.Popen, str, int]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EXAMSITE_", "PROVIEW_"))}
    env.update(PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "generator", "collect", "serve", "--db", db, "--port", "0", "--no-fetch",
         "--workers", str(workers), "--origin", "http://127.0.0.1:1", "--callback-token", "bench_" + "x" * 16],
        cwd=tempfile.gettempdir(), env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = process.stdout.readline()
    if not line.startswith("Collecting submissions at "):
        process.kill()
        raise SystemExit(f"the service did not start: {line}")
    host, port = line.split("http://", 1)[1].split("/", 1)[0].split(":")
    return process, host, int(port)


async def _request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> int:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    await reader.readexactly(length)
    return status


async def _load(host: str, port: int, bodies: list[bytes], clients: int) -> tuple[list[float], list[str], float]:
    queue = list(reversed(bodies))
    latencies: list[float] = []
    acknowledged: list[str] = []
    prefix = f"POST /submissions HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n".encode()

    async def client() -> None:
        reader, writer = await asyncio.open_connection(host, port, limit=1 << 20)
        try:
            while queue:
                body = queue.pop()
                began = time.perf_counter()
                status = await _request(reader, writer, prefix + b"Content-Length: %d\r\n\r\n" % len(body) + body)
                latencies.append(time.perf_counter() - began)
                if 200 <= status < 300:
                    acknowledged.append(json.loads(body)["submission_id"])
        finally:
            writer.close()

    began = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return latencies, acknowledged, time.perf_counter() - began


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def run(kind: str, db: str, clients: int, count: int, workers: int) -> dict:
    process, host, port = start_service(db, workers)
    try:
        warm = [json.dumps({**PAYLOAD, "submission_id": str(uuid.uuid4())}).encode() for _ in range(200)]
        asyncio.run(_load(host, port, warm, 20))
        bodies = [json.dumps({**PAYLOAD, "submission_id": str(uuid.uuid4())}).encode() for _ in range(count)]
        latencies, acknowledged, seconds = asyncio.run(_load(host, port, bodies, clients))
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(30)
    storage = open_storage(db, create=False, pool_size=1)
    try:
        stored = {json.loads(row.body)["submission_id"] for row in storage.rows()}
    finally:
        storage.close()
    return {"database": kind, "clients": clients, "submissions": count, "rate": len(latencies) / seconds,
            "p50": statistics.median(latencies) * 1000, "p99": percentile(latencies, 0.99) * 1000,
            "refused": count - len(acknowledged), "lost": len(set(acknowledged) - stored)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=6000, help="per run (bounded)")
    parser.add_argument("--clients", type=int, nargs="+", default=[50, 500])
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    results = []
    postgres = TemporaryPostgres().start() if "postgresql" in args.databases else None
    try:
        with tempfile.TemporaryDirectory(prefix="examsite-bench-") as work:
            for number, (kind, clients) in enumerate((k, c) for k in args.databases for c in args.clients):
                db = str(Path(work) / f"run{number}.sqlite") if kind == "sqlite" else postgres.database(f"bench{number}")
                results.append(run(kind, db, clients, args.submissions, args.workers))
                print(f"  {kind} at {clients} clients: done", file=sys.stderr)
    finally:
        if postgres is not None:
            postgres.stop()
    print(f"collect serve, {args.workers} worker process(es), {os.cpu_count()} CPU(s), "
          f"{args.submissions} submissions per run")
    print("| database | clients | submissions/s | p50 ms | p99 ms | refused | lost |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        print(f"| {r['database']} | {r['clients']} | {r['rate']:.0f} | {r['p50']:.1f} | {r['p99']:.1f} | "
              f"{r['refused']} | {r['lost']} |")


if __name__ == "__main__":
    main()
