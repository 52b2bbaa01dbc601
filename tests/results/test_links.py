"""Signed launch links: the token's bindings, its refusals, key rotation, and the roster."""

from __future__ import annotations

import csv
import shutil
import io
import urllib.parse
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import main

from generator.results.links import LinkSecretError, make_token, secrets_from_env, verify_token
from generator.results.roster import RosterError, links_csv, parse_expiry, read_roster

SECRET = "s" * 40
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
LATER = NOW + timedelta(days=2)


def secrets(**extra):
    return secrets_from_env({"EXAMSITE_LINK_SECRET": SECRET, **extra})


def test_a_token_verifies_for_its_exam_and_attendee_until_it_expires():
    token = make_token(secrets(), "algebra", "alice", LATER)
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")
    assert verify_token(token, "algebra", "alice", secrets(), NOW) is None
    assert verify_token(token, "algebra", "alice", secrets(), LATER) == "expired"
    assert verify_token(token, "physics", "alice", secrets(), NOW) == "for another exam"
    assert verify_token(token, "algebra", "bob", secrets(), NOW) == "for another attendee"


@pytest.mark.parametrize("token", [None, ""])
def test_no_token_is_missing(token):
    assert verify_token(token, "algebra", "alice", secrets(), NOW) == "missing"


def test_forgeries_are_forged():
    token = make_token(secrets(), "algebra", "alice", LATER)
    key_id, expires, exam_tag, attendee_tag, signature = token.split(".")
    later = str(int(expires) + 86400)
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    other_secret = secrets_from_env({"EXAMSITE_LINK_SECRET": "t" * 40})
    for forged in [
        ".".join((key_id, later, exam_tag, attendee_tag, signature)),  # expiry pushed back
        ".".join((key_id, expires, exam_tag, attendee_tag, flipped)),
        make_token(other_secret, "algebra", "alice", LATER),  # signed with a guessed secret
        "not-a-token", 42, token + ".x",
    ]:
        assert verify_token(forged, "algebra", "alice", secrets(), NOW) == "forged", forged


def test_secrets_rotate_by_key_id():
    new = secrets_from_env({"EXAMSITE_LINK_SECRET": SECRET, "EXAMSITE_LINK_SECRET_K2": "k" * 40},
                           signing="K2")
    token = make_token(new, "algebra", "alice", LATER)
    assert token.startswith("K2.")
    old_token = make_token(secrets(), "algebra", "alice", LATER)
    assert verify_token(token, "algebra", "alice", new, NOW) is None
    assert verify_token(old_token, "algebra", "alice", new, NOW) is None  # both keys verify
    assert verify_token(token, "algebra", "alice", secrets(), NOW) == "forged"  # K2 retired


def test_secrets_from_the_environment_are_checked_and_never_shown():
    assert secrets_from_env({}) is None
    with pytest.raises(LinkSecretError, match="EXAMSITE_LINK_SECRET is shorter than 32") as short:
        secrets_from_env({"EXAMSITE_LINK_SECRET": "short-secret"})
    assert "short-secret" not in str(short.value)
    with pytest.raises(LinkSecretError, match="EXAMSITE_LINK_SECRET_K9 is not set"):
        secrets_from_env({"EXAMSITE_LINK_SECRET": SECRET}, signing="K9")
    with pytest.raises(LinkSecretError, match="the key id after EXAMSITE_LINK_SECRET_"):
        secrets_from_env({"EXAMSITE_LINK_SECRET_lower": SECRET})
    assert SECRET not in repr(secrets())


def test_roster_to_links(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("name,attendee,room\nAlice,alice,A1\n\nBob,=bob x,B2\n", encoding="utf-8")
    text = links_csv(read_roster(roster), "algebra", "https://exams.example.edu/", secrets(), LATER)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["name"] for r in rows] == ["Alice", "Bob"] and rows[0]["room"] == "A1"
    assert rows[1]["attendee"] == "'=bob x"  # a spreadsheet must not run it
    assert {r["expires"] for r in rows} == {"2026-12-03T09:00:00Z"}
    url = urllib.parse.urlsplit(rows[1]["url"])
    assert (url.scheme, url.netloc, url.path) == ("https", "exams.example.edu", "/algebra/")
    query = dict(urllib.parse.parse_qsl(url.query))
    assert query["attendee"] == "=bob x"
    assert verify_token(query["token"], "algebra", "=bob x", secrets(), NOW) is None


def test_roster_problems_are_all_reported_with_positions(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("name,attendee\nAlice,alice\nEve,\nAl,alice\nshort\n", encoding="utf-8")
    with pytest.raises(RosterError) as error:
        read_roster(roster)
    assert error.value.problems == [
        f"{roster}:3:2: the attendee id is empty",
        f"{roster}:4:2: attendee 'alice' is also on line 2",
        f"{roster}:5:1: 1 cell(s), the header has 2",
    ]
    roster.write_text("name,email\nAlice,a@x\n", encoding="utf-8")
    with pytest.raises(RosterError, match=r"roster.csv:1:1: no 'attendee' column \(the header has: name, email\)"):
        read_roster(roster)


def test_expiry_needs_a_time_zone():
    assert parse_expiry("2026-12-20T18:00Z") == datetime(2026, 12, 20, 18, 0, tzinfo=timezone.utc)
    assert parse_expiry("2026-12-20T19:00+01:00") == datetime(2026, 12, 20, 18, 0, tzinfo=timezone.utc)
    with pytest.raises(ValueError, match="has no time zone"):
        parse_expiry("2026-12-20T18:00")
    with pytest.raises(ValueError, match="is not a date and time"):
        parse_expiry("next friday")


# --- examsite links ---------------------------------------------------------------------------

REPO = Path(__file__).resolve().parents[2]


def links(tmp_path, *args, env=None, config=REPO / "exams.yaml"):
    roster = tmp_path / "roster.csv"
    if not roster.exists():
        roster.write_text("attendee,name\nalice,Alice\nbob,Bob\n", encoding="utf-8")
    return CliRunner().invoke(main, ["links", *args, "--roster", str(roster), "--config", str(config)],
                              env={"EXAMSITE_LINK_SECRET": SECRET} if env is None else env,
                              catch_exceptions=False)


def test_links_command_writes_verifiable_links_and_never_the_secret(tmp_path):
    out = tmp_path / "links.csv"
    result = links(tmp_path, "algebra-quiz", "--expires", "2030-01-01T18:00Z", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert result.stderr == f"2 link(s) for algebra-quiz, valid until 2030-01-01T18:00:00Z, written to {out}\n"
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [(r["attendee"], r["name"], r["expires"]) for r in rows] == [
        ("alice", "Alice", "2030-01-01T18:00:00Z"), ("bob", "Bob", "2030-01-01T18:00:00Z")]
    for row in rows:
        url = urllib.parse.urlsplit(row["url"])
        assert url.geturl().startswith("https://exams.example.edu/algebra-quiz/?")  # site.base_url
        query = dict(urllib.parse.parse_qsl(url.query))
        assert verify_token(query["token"], "algebra-quiz", row["attendee"], secrets(), NOW) is None
    assert SECRET not in result.output and SECRET not in out.read_text()


def test_links_command_signs_with_a_rotated_key(tmp_path):
    env = {"EXAMSITE_LINK_SECRET": SECRET, "EXAMSITE_LINK_SECRET_K2": "k" * 40}
    result = links(tmp_path, "algebra-quiz", "--key-id", "K2", env=env)
    assert result.exit_code == 0, result.output
    token = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(
        list(csv.DictReader(io.StringIO(result.stdout)))[0]["url"]).query))["token"]
    assert token.startswith("K2.")
    assert verify_token(token, "algebra-quiz", "alice", secrets_from_env(env), NOW) is None


@pytest.mark.parametrize("args, env, message", [
    (["algebra-quiz"], {}, "error: EXAMSITE_LINK_SECRET is not set: the links are signed with a secret from the "
                           "environment only (the collection service and examsite grade need the same one)"),
    (["algebra-quiz"], {"EXAMSITE_LINK_SECRET": "tiny"}, "error: EXAMSITE_LINK_SECRET is shorter than 32 characters"),
    (["algebra-quiz", "--key-id", "K7"], None, "error: EXAMSITE_LINK_SECRET_K7 is not set, so it cannot sign links"),
    (["algebra-quizz"], None, "error: unknown exam 'algebra-quizz'; did you mean 'algebra-quiz'?"),
    (["algebra-quiz", "--expires", "2020-01-01T00:00Z"], None, "error: --expires 2020-01-01T00:00Z is in the past"),
    (["algebra-quiz", "--expires", "2030-01-01T00:00"], None, "error: --expires: '2030-01-01T00:00' has no time zone: add Z for UTC"),
])
def test_links_command_refusals(tmp_path, args, env, message):
    result = links(tmp_path, *args, env=env)
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith(message), result.stderr
    assert "tiny" not in result.output


def test_links_command_needs_the_sites_base_url(tmp_path):
    config = tmp_path / "exams.yaml"
    shutil.copytree(REPO / "exams", tmp_path / "exams")  # a build reads only the site's own files
    config.write_text((REPO / "exams.yaml").read_text().replace("  base_url: https://exams.example.edu/\n", ""),
                      encoding="utf-8")
    result = links(tmp_path, "algebra-quiz", config=config)
    assert result.exit_code == 1
    assert result.stderr == (f"error: {config}: site.base_url is not set; the links need the address the exams are "
                             "published at\n")
