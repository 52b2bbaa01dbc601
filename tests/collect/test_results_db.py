"""`grade`, `report`, `submissions` and `ratings fetch` read (and `ratings fetch` writes) the collect
database, SQLite or PostgreSQL, with `--db URL`: the same grades as from JSON Lines."""

from __future__ import annotations

import csv
import io
import json

from click.testing import CliRunner

from generator.cli import main
from generator.collect.payload import canonical, check_submission
from generator.collect.database import open_storage

from .conftest import KEYS, PAYLOADS, payloads


def run(args, env=None):
    return CliRunner().invoke(main, args, env=env, catch_exceptions=False)


def test_the_results_commands_read_the_collect_database(db, tmp_path, fake_api, api_env):
    storage = open_storage(db)
    for payload in payloads():
        storage.add_submission(check_submission(payload, None))
    storage.close()

    exported = run(["submissions", "--db", db, "--jsonl"])
    assert exported.exit_code == 0, exported.output
    lines = exported.stdout.splitlines()
    assert lines == [canonical(p) for p in payloads()]
    jsonl = tmp_path / "exported.jsonl"
    jsonl.write_text(exported.stdout)
    listed = run(["submissions", "--db", db])
    assert listed.stdout.splitlines()[-1].startswith(f"{len(lines)} submission(s) in ")

    from_db = run(["grade", "--keys", str(KEYS), "--db", db])
    assert from_db.exit_code == 0, from_db.output
    assert from_db.stdout == run(["grade", "--keys", str(KEYS), str(jsonl)]).stdout
    assert from_db.stdout == run(["grade", "--keys", str(KEYS), str(PAYLOADS)]).stdout
    graded = list(csv.DictReader(io.StringIO(from_db.stdout)))
    assert len(graded) > 1 and "graded" in from_db.stderr

    # Proview knows each session under the candidate's own session identifier (else the report
    # shows the rating as disputed).
    external = {p["proview_session_uuid"]: p.get("session_identifier") for p in payloads()
                if p.get("proview_session_uuid")}
    sessions = sorted(external)
    for uuid in sessions:
        fake_api.add_session(uuid, external[uuid], rating="medium")
    fetched = run(["ratings", "fetch", "--db", db, "--env", "dev"], env=api_env)  # the db's own sessions
    assert fetched.exit_code == 0, fetched.output
    assert sorted(fetched.stdout.splitlines()) == [f"{uuid}: medium" for uuid in sessions]

    out = tmp_path / "report"
    made = run(["report", "--keys", str(KEYS), "--db", db, "--out", str(out)])
    assert made.exit_code == 0, made.output
    rows = list(csv.DictReader(io.StringIO((out / "report.csv").read_text())))
    assert {r["attendee_identifier"] for r in rows} == {r["attendee_identifier"] for r in graded}
    assert any(r["ratings"] == "medium" for r in rows)


def test_grade_needs_a_source_and_refuses_a_missing_database(tmp_path):
    assert run(["grade", "--keys", str(KEYS)]).exit_code == 2
    missing = run(["grade", "--keys", str(KEYS), "--db", str(tmp_path / "none.sqlite")])
    assert missing.exit_code == 1 and "no such database" in missing.stderr
    array = tmp_path / "subs.json"
    array.write_text(json.dumps(payloads()))
    assert run(["grade", "--keys", str(KEYS), str(array)]).exit_code == 1
