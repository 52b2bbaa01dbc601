"""Faults, on both databases: the service killed with SIGKILL during 2,000 concurrent submissions
loses none it acknowledged, and the pages' retries store the rest; two instances on one
PostgreSQL database behave as one (no duplicate rows, each rating fetched once)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import sqlite3
import uuid
from collections import Counter

from .conftest import TOKEN, stored, wait_for
from .loadgen import Answer, post_all
from .test_service import fresh, rated


def send(targets: list[tuple[str, bytes]], on_answer=None) -> list[int | None]:
    """POST each (url, body), 100 at a time, on a thread of its own (the session's Playwright, sync
    API, may own this thread's event loop); each answer's status, None for no answer."""
    with concurrent.futures.ThreadPoolExecutor(1) as executor:
        answers = executor.submit(lambda: asyncio.run(post_all(targets, 100, on_answer))).result()
    return [answer.status for answer in answers]


def test_kill_9_during_concurrent_submissions_loses_no_acknowledged_one(db, start):
    first = start(db)
    submissions = [fresh() for _ in range(2000)]
    acknowledged: dict[str, str] = {}

    def acknowledge(targets: list[tuple[str, bytes]]):
        def on_answer(index: int, answer: Answer) -> None:
            if answer.status is not None and 200 <= answer.status < 300:
                acknowledged[json.loads(targets[index][1])["submission_id"]] = json.loads(answer.body)["receipt"]
                if len(acknowledged) == 500:
                    first.process.kill()  # SIGKILL, with requests in flight
        return on_answer

    targets = [(first.base + "/submissions", json.dumps(p).encode()) for p in submissions]
    send(targets, acknowledge(targets))
    first.process.wait(10)
    assert 500 <= len(acknowledged) < len(submissions)
    second = start(db)
    for _ in range(5):  # the pages retry what was not acknowledged
        missing = [p for p in submissions if p["submission_id"] not in acknowledged]
        if not missing:
            break
        targets = [(second.base + "/submissions", json.dumps(p).encode()) for p in missing]
        send(targets, acknowledge(targets))
    assert len(acknowledged) == len(submissions)
    again = second.submit(submissions[0])  # acknowledged before the kill: still the same one
    assert (again.status_code, again.json()["receipt"]) == (200, acknowledged[submissions[0]["submission_id"]])
    storage = stored(db)
    try:
        rows = storage.rows()
    finally:
        storage.close()
    ids = [json.loads(r.body)["submission_id"] for r in rows]
    assert len(ids) == len(set(ids)) == len(submissions)  # every one stored, exactly once
    by_id = {json.loads(r.body)["submission_id"]: r.body for r in rows}
    for p in submissions:
        assert json.loads(by_id[p["submission_id"]]) == p
    if not db.startswith("postgresql://"):
        with sqlite3.connect(db) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_two_instances_on_one_postgresql_database_behave_as_one(postgres, start, fake_api, api_env):
    db = postgres.database(f"two_{uuid.uuid4().hex[:8]}")
    one, two = start(db, env=api_env), start(db, env=api_env)
    submissions = [fresh() for _ in range(1000)]
    sessions = [str(uuid.uuid4()) for _ in range(20)]
    for number, session in enumerate(sessions):
        fake_api.add_session(session, str(number), rating="low", pending_reads=number % 2)
    targets = [(service.base + "/submissions", json.dumps(p).encode()) for p in submissions for service in (one, two)]
    targets += [(service.base + f"/proview/callback/{TOKEN}", json.dumps(
        {"session_uuid": s, "external_id": "x", "message": "done"}).encode()) for s in sessions for service in (one, two)]
    statuses = send(targets)
    for _ in range(5):  # as the pages do: a request that got no answer is sent again
        failed = [n for n, status in enumerate(statuses) if status is None]
        for n, status in zip(failed, send([targets[n] for n in failed])):
            statuses[n] = status
    submitted = statuses[:len(submissions) * 2]
    assert set(submitted) == {200, 201}
    created = Counter(json.loads(targets[n][1])["submission_id"] for n, status in enumerate(submitted) if status == 201)
    assert set(created.values()) == {1}  # no submission was created twice, whichever instance took it
    assert set(statuses[len(submitted):]) == {200}
    storage = stored(db)
    try:
        ids = [json.loads(r.body)["submission_id"] for r in storage.rows()]
        assert len(ids) == len(set(ids)) == len(submissions)
        assert storage.conflicts() == []
        assert all(c["times_received"] == 2 for c in storage.callbacks())
    finally:
        storage.close()
    wait_for(lambda: all(rated(db, s, "low") for s in sessions), timeout=20)
    for number, session in enumerate(sessions):  # once, or twice when the first answer was "pending"
        assert fake_api.count("GET", f"/v1/sessions/{session}") == 1 + number % 2, session
