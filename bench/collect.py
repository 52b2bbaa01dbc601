"""The collect service under load: submissions per second and p50 / p99 latency at 50 and 500
concurrent clients, on SQLite and on PostgreSQL, printed as a table.

    python bench/collect.py                       # 6,000 submissions per run
    python bench/collect.py --submissions 2000 --clients 50 500 --workers 1

Each run starts `examsite collect serve` (one process unless --workers) on a new database on
127.0.0.1 (PostgreSQL: a throwaway server, tests/collect/pgserver.py, fsync on), sends
--submissions distinct payloads (a real page's payload, tests/results/fixtures) from N
keep-alive connections, each sending its next one when the last is answered, and then counts the
rows: "refused" is submissions without a 2xx, "lost" acknowledged (2xx) ones missing from the
database; both must be 0. The client (tests/collect/loadgen.py) is plain asyncio HTTP/1.1, light
enough that the figures are the service's, though it shares the machine's cores with it.
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

from generator.collect.database import open_storage  # noqa: E402
from tests.collect.loadgen import post_all  # noqa: E402
from tests.collect.pgserver import TemporaryPostgres  # noqa: E402

PAYLOAD = json.loads((REPO / "tests/results/fixtures/runtime-payloads.jsonl").read_text().splitlines()[0])


def targets(url: str, count: int) -> list[tuple[str, bytes]]:
    return [(url, json.dumps({**PAYLOAD, "submission_id": str(uuid.uuid4())}).encode()) for _ in range(count)]


def start_service(db: str, workers: int) -> tuple[subprocess.Popen, str]:
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
    return process, line.split(" at ", 1)[1].strip()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def run(kind: str, db: str, clients: int, count: int, workers: int) -> dict:
    process, url = start_service(db, workers)
    try:
        asyncio.run(post_all(targets(url, 200), 20))  # warm up
        work = targets(url, count)
        began = time.perf_counter()
        answers = asyncio.run(post_all(work, clients))
        seconds = time.perf_counter() - began
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(30)
    storage = open_storage(db, create=False, pool_size=1)
    try:
        stored = {json.loads(row.body)["submission_id"] for row in storage.rows()}
    finally:
        storage.close()
    acknowledged = {json.loads(body)["submission_id"] for (_, body), answer in zip(work, answers)
                    if answer.status is not None and 200 <= answer.status < 300}
    latencies = [answer.seconds for answer in answers]
    return {"database": kind, "clients": clients, "submissions": count, "rate": count / seconds,
            "p50": statistics.median(latencies) * 1000, "p99": percentile(latencies, 0.99) * 1000,
            "refused": count - len(acknowledged), "lost": len(acknowledged - stored)}


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
