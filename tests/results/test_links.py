"""Signed launch links: the token's bindings, its refusals, key rotation, and the roster."""

from __future__ import annotations

import csv
import io
import urllib.parse
from datetime import datetime, timedelta, timezone

import pytest

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
