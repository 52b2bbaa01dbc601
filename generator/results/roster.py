"""The launch links sheet: a roster (CSV with an `attendee` column) in, one signed URL per
candidate out (`examsite links`)."""

from __future__ import annotations

import csv
import io
import urllib.parse
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from .export import to_csv
from .links import Secrets, make_token


class RosterError(Exception):
    """A roster that cannot be used: every problem, each as `path:line:col: message`."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Roster:
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    attendee_column: int


def read_roster(path: Path) -> Roster:
    """A CSV file with an `attendee` column (any others are carried through to the links)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise RosterError([f"{path}:1:1: not UTF-8 text"]) from None
    except OSError as exc:
        raise RosterError([f"{path}: {exc.strerror or exc}"]) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    lines = [(reader.line_num, cells) for cells in reader]
    if not lines or not any(cell.strip() for cell in lines[0][1]):
        raise RosterError([f"{path}:1:1: the roster is empty; it needs a header row with an 'attendee' column"])
    header = tuple(cell.strip() for cell in lines[0][1])
    if "attendee" not in header:
        raise RosterError([f"{path}:1:1: no 'attendee' column (the header has: {', '.join(header)})"])
    column = header.index("attendee")
    problems: list[str] = []
    rows: list[tuple[str, ...]] = []
    seen: dict[str, int] = {}
    for number, cells in lines[1:]:
        if not any(cell.strip() for cell in cells):
            continue  # a blank line
        where = f"{path}:{number}:{column + 1}"
        if len(cells) != len(header):
            problems.append(f"{path}:{number}:1: {len(cells)} cell(s), the header has {len(header)}")
            continue
        attendee = cells[column].strip()
        if not attendee:
            problems.append(f"{where}: the attendee id is empty")
        elif attendee in seen:
            problems.append(f"{where}: attendee {attendee!r} is also on line {seen[attendee]}")
        else:
            seen[attendee] = number
            rows.append(tuple(cell if i != column else attendee for i, cell in enumerate(cells)))
    if problems:
        raise RosterError(problems)
    if not rows:
        raise RosterError([f"{path}:2:1: the roster lists no attendee"])
    return Roster(header, tuple(rows), column)


def launch_url(base_url: str, exam_id: str, attendee: str, token: str) -> str:
    query = urllib.parse.urlencode({"attendee": attendee, "token": token})
    return f"{base_url.rstrip('/')}/{urllib.parse.quote(exam_id)}/?{query}"


def links_csv(roster: Roster, exam_id: str, base_url: str, secrets: Secrets, expires: datetime) -> str:
    """The roster with two more columns: each candidate's launch `url` and its `expires` time."""
    shown = expires.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = []
    for row in roster.rows:
        attendee = row[roster.attendee_column]
        token = make_token(secrets, exam_id, attendee, expires)
        body.append([*row, launch_url(base_url, exam_id, attendee, token), shown])
    return to_csv([*roster.columns, "url", "expires"], body)


def parse_expiry(text: str) -> datetime:
    """An ISO 8601 time with its zone (`2026-12-20T18:00Z`, `2026-12-20T19:00+01:00`)."""
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a date and time such as 2026-12-20T18:00Z") from None
    if when.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone: add Z for UTC, or an offset such as +01:00")
    return when
