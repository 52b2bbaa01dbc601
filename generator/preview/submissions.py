"""The preview's submission store: what the dev server's endpoint received, in one SQLite file.

The table is `submissions(id INTEGER PRIMARY KEY, received_at TEXT, body TEXT)`, `body` being the
payload exactly as POSTed; the grader (generator/results/sources.py) reads exactly that. Every
POST is kept, retries included: the grader counts a `submission_id` once.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from generator.diagnostics import ExamsiteError
from generator.results.private import create_private

DEFAULT_PATH = Path(".examsite") / "submissions.sqlite"
SCHEMA = ("CREATE TABLE IF NOT EXISTS submissions "
          "(id INTEGER PRIMARY KEY, received_at TEXT, body TEXT)")


def is_url(location: str) -> bool:
    """A PostgreSQL database of the collect service, rather than a SQLite file."""
    return location.startswith(("postgresql://", "postgres://"))


def default_database(config_path: Path) -> Path:
    """Beside exams.yaml, as output/ and keys/ are."""
    return config_path.parent / DEFAULT_PATH


class StoreError(ExamsiteError):
    """The submissions file cannot be opened or is not a submissions database."""


@dataclass(frozen=True)
class Submission:
    id: int
    received_at: str  # ISO 8601, UTC
    body: str

    @property
    def payload(self) -> dict:
        """The body as JSON, or {} when it is not a JSON object (the list still shows it)."""
        try:
            value = json.loads(self.body)
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    def jsonl(self) -> str:
        """The body as one JSON Lines line that `examsite grade` reads as it reads the row: as
        stored when it is one line (the collect service stores canonical one-line JSON)."""
        if "\n" not in self.body and "\r" not in self.body:
            return self.body
        try:
            return json.dumps(json.loads(self.body), ensure_ascii=False)
        except ValueError:
            return json.dumps(self.body)  # still one record, still not a payload

    def line(self) -> str:
        """One line for `examsite submissions`."""
        p = self.payload
        answers = p.get("answers")
        fields = [f"#{self.id}", self.received_at, str(p.get("exam_id", "?")), f"part {p.get('part', '?')}",
                  str(p.get("kind", "?")), f"attendee {p.get('attendee_identifier', '?')}",
                  f"{len(answers) if isinstance(answers, dict) else 0} answer(s)", str(p.get("submission_id", "?"))]
        return "  ".join(fields)


class SubmissionStore:
    """One SQLite file; a connection per call, so the dev server's threads never share one."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _connect(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            create_private(self.path)  # candidates' answers: readable by their owner only
            connection = sqlite3.connect(self.path, timeout=10)
            connection.execute(SCHEMA)
        except (OSError, sqlite3.Error) as error:
            raise StoreError(f"cannot open the submissions file {self.path}: {error}") from None
        return connection

    def create(self) -> None:
        """Make the file now (0600), so that a path it cannot be made at is reported at once."""
        self._connect().close()

    def add(self, body: str) -> int:
        received_at = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        connection = self._connect()
        try:
            with connection:
                cursor = connection.execute("INSERT INTO submissions (received_at, body) VALUES (?, ?)",
                                            (received_at, body))
            return int(cursor.lastrowid or 0)
        finally:
            connection.close()

    def all(self) -> list[Submission]:
        if not self.path.exists():
            return []
        connection = self._connect()
        try:
            rows = connection.execute("SELECT id, received_at, body FROM submissions ORDER BY id").fetchall()
        except sqlite3.Error as error:
            raise StoreError(f"{self.path} is not a submissions file: {error}") from None
        finally:
            connection.close()
        return [Submission(int(row[0]), str(row[1]), str(row[2])) for row in rows]
