"""The results commands: `grade`, `ratings fetch`, `report`.

Thin click wrappers over the library modules; `generator/cli.py` registers `COMMANDS`. Bad input
ends with `error: ...` on stderr and exit 1, never a traceback. Credentials are read from the
environment only and never printed. (Proview's callbacks are received by `examsite collect serve`.)

`--db` names the collect service's database (generator/collect): a SQLite file, opened here, or a
postgresql:// URL, which this package may not open itself: generator/cli.py passes, as the root
context's object, `open_database(url, create)` returning the collect storage (its `rows()`,
`ratings()` and the rating-store methods of store.Store).
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from pathlib import Path
from typing import Any, Iterator, NoReturn

import click

from .export import grades_csv, grades_json
from .grade import GradeResult, grade as grade_records
from .keys import KeyFileError, check_build, load_keys
from .links import SECRET_VARIABLE, LinkSecretError, Secrets, secrets_from_env
from .marks import MarksError, MarkSheet, check_marks, marking_sheet, read_marks
from .poller import fetch_and_store
from .ratings import ENVIRONMENTS, ApiSettings, ConfigError, RatingsClient
from .report import LinkTemplateError, build_report, check_link_template, write_report
from .sources import Problem, Record, SourceError, decode_record, read_sources, read_sqlite
from .store import RatingRow, Store, StoreError, open_existing, utc_now

DB = click.option("--db", "db_url", metavar="URL", default="collect.sqlite", show_default=True,
                  help="The collect service's database: a SQLite file or a postgresql:// URL.")
ENV = click.option("--env", "environment", type=click.Choice(sorted(ENVIRONMENTS)), default="prod",
                   show_default=True, help="Proview environment; PROVIEW_AUTH_URL / PROVIEW_API_URL "
                                           "override its hosts.")
PENDING_RETRY = click.option("--pending-retry", type=click.FloatRange(min=0), default=300,
                             show_default=True, metavar="SECONDS",
                             help="Wait before asking again about a session whose rating is still empty.")
KEYS = click.option("--keys", "keys_dir", required=True,
                    type=click.Path(file_okay=False, path_type=Path),
                    help="The folder of private answer keys (keys/<exam-id>.json).")


def fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


def is_url(text: str) -> bool:
    return text.startswith(("postgresql://", "postgres://"))


LINK_SECRET_ENV = click.option(
    "--link-secret-env", "link_secret_env", metavar="NAME",
    help=f"Grade only submissions whose launch-link token is valid, checked with the secret in the "
         f"environment variable NAME (and NAME_<ID> for rotated keys) [default: {SECRET_VARIABLE}, "
         "when it is set].")
MANIFEST = click.option("--manifest", "manifest_path", type=click.Path(dir_okay=False, path_type=Path),
                        help="The manifest.json of the published pages: refuse keys written by another build.")
MARKS = click.option("--marks", "marks_path", type=click.Path(dir_okay=False, path_type=Path),
                     help="A marking sheet (from --marking-sheet) with the marks for long_text answers.")


def _secrets(variable: str | None) -> Secrets | None:
    """The link secrets, from the environment only; never printed."""
    name = variable or SECRET_VARIABLE
    try:
        secrets = secrets_from_env(os.environ, name)
    except LinkSecretError as exc:
        fail(str(exc))
    if secrets is None and variable is not None:
        fail(f"{variable} is not set: --link-secret-env names the environment variable holding the "
             "link secret")
    return secrets


def _marks(path: Path | None) -> MarkSheet | None:
    if path is None:
        return None
    try:
        return read_marks(path)
    except MarksError as exc:
        fail_all(exc.problems)


def fail_all(problems: list[str]) -> NoReturn:
    for problem in problems:
        click.echo(problem, err=True)
    click.echo(f"{len(problems)} error(s)", err=True)
    sys.exit(1)


@contextlib.contextmanager
def _postgres(url: str, create: bool) -> Iterator[Any]:
    storage = click.get_current_context().find_root().obj.open_database(url, create)
    try:
        yield storage
    finally:
        storage.close()


def _has_submissions(path: Path) -> bool:
    """A collect (or preview) SQLite file, rather than a database of ratings only."""
    import sqlite3

    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            return bool(connection.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'submissions'").fetchall())
        finally:
            connection.close()
    except sqlite3.Error:
        return False


def db_records(db_url: str, required: bool = True) -> tuple[list[Record], list[Problem]]:
    """The submissions stored in the collect database; with `required=False`, none from a
    database that has no submissions table (one made by `ratings fetch`)."""
    if is_url(db_url):
        with _postgres(db_url, create=False) as storage:
            items = [decode_record(row.body, f"{storage.location}#submissions.id={row.id}")
                     for row in storage.rows()]
    else:
        path = Path(db_url)
        if not path.is_file():
            raise SourceError(f"{path}: no such database")
        items = list(read_sqlite(path)) if required or _has_submissions(path) else []
    return ([i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Problem)])


def db_ratings(db_url: str) -> dict[str, RatingRow]:
    if is_url(db_url):
        with _postgres(db_url, create=False) as storage:
            return storage.ratings()
    return open_existing(Path(db_url)).ratings()


@contextlib.contextmanager
def rating_store(db_url: str) -> Iterator[Any]:
    """Where `ratings fetch` stores ratings: store.Store, or the PostgreSQL storage (same methods)."""
    if is_url(db_url):
        with _postgres(db_url, create=True) as storage:
            yield storage
    else:
        yield Store(Path(db_url)).initialise()


def _grade(keys_dir: Path, sources: list[Path], *, db_url: str | None = None, db_required: bool = True,
           secret_env: str | None = None, marks_path: Path | None = None,
           manifest: Path | None = None) -> tuple[dict, GradeResult]:
    secrets = _secrets(secret_env)
    sheet = _marks(marks_path)
    try:
        keys = load_keys(keys_dir)
        if manifest is not None:
            check_build(keys_dir, manifest)
        records, unreadable = read_sources(sources)
        if db_url is not None:
            stored, bad = db_records(db_url, db_required)
            records, unreadable = stored + records, bad + unreadable
    except (KeyFileError, SourceError, StoreError) as exc:
        fail(str(exc))
    result = grade_records(keys, records, secrets=secrets, marks=sheet.marks if sheet else None)
    if sheet is not None:
        wrong = check_marks(sheet, result)
        if wrong:
            fail_all(wrong)
    problems = tuple(unreadable) + result.problems
    for problem in problems + result.conflicts:
        click.echo(f"{problem.origin}: warning: {problem.message}", err=True)
    return keys, GradeResult(result.rows, problems, result.conflicts)


def _client(environment: str) -> RatingsClient:
    try:
        return RatingsClient(ApiSettings.from_env(environment, os.environ))
    except ConfigError as exc:
        fail(str(exc))


@click.command("grade")
@KEYS
@click.argument("sources", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--db", "db_url", metavar="URL",
              help="Also grade the submissions in the collect service's database (a SQLite file or a "
                   "postgresql:// URL).")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write here instead of standard output.")
@click.option("--strict", is_flag=True,
              help="Exit 1 when any record was not graded or any submission_id conflicts.")
@LINK_SECRET_ENV
@MARKS
@MANIFEST
@click.option("--marking-sheet", "sheet_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the long_text answers here, with a mark column for a person to fill in.")
def grade(keys_dir: Path, sources: tuple[Path, ...], db_url: str | None, fmt: str, out_path: Path | None,
          strict: bool, link_secret_env: str | None, marks_path: Path | None, manifest_path: Path | None,
          sheet_path: Path | None) -> None:
    """Grade submissions (JSON Lines files, the preview's SQLite file, --db) with the answer keys."""
    if not sources and db_url is None:
        raise click.UsageError("name at least one SOURCES file or a --db")
    keys, result = _grade(keys_dir, list(sources), db_url=db_url, secret_env=link_secret_env, marks_path=marks_path,
                          manifest=manifest_path)
    text = grades_csv(result, keys) if fmt == "csv" else grades_json(result)
    outputs = [(out_path, text)] if out_path else []
    if sheet_path is not None:
        outputs.append((sheet_path, marking_sheet(result)))
    for path, content in outputs:
        try:
            path.write_text(content, encoding="utf-8", newline="")
        except OSError as exc:
            fail(f"{path}: {exc.strerror or exc}")
    if out_path is None:
        click.echo(text, nl=False)
    exams = len({r.exam_id for r in result.rows})
    click.echo(f"graded {len(result.rows)} candidate(s) in {exams} exam(s); "
               f"{len(result.problems)} record(s) not graded; {len(result.conflicts)} conflict(s)",
               err=True)
    if strict and (result.problems or result.conflicts):
        click.echo(f"--strict: {len(result.problems)} record(s) not graded and "
                   f"{len(result.conflicts)} conflict(s); exit status 1", err=True)
        sys.exit(1)


@click.group("ratings")
def ratings() -> None:
    """Proview ratings of sessions."""


def sessions_in(sources: tuple[Path, ...], db_url: str | None = None) -> dict[str, str | None]:
    """Proview session uuids recorded in submissions (files, or the database's own), with their
    session identifiers."""
    try:
        records, _unreadable = read_sources(list(sources))
        if db_url is not None:
            records = db_records(db_url, required=False)[0] + records
    except (SourceError, StoreError) as exc:
        fail(str(exc))
    found: dict[str, str | None] = {}
    for record in records:
        uuid, external = (record.payload.get("proview_session_uuid"),
                          record.payload.get("session_identifier"))
        if isinstance(uuid, str) and uuid and uuid not in found:
            found[uuid] = external if isinstance(external, str) else None
    return found


@ratings.command("fetch")
@click.argument("session_uuids", nargs=-1, metavar="[SESSION_UUID]...")
@click.option("--submissions", "sources", multiple=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="Also fetch every session recorded in these submissions (JSON Lines or the "
                   "preview's SQLite file); repeatable. Without SESSION_UUIDs or --submissions: "
                   "every session recorded in the --db's own submissions.")
@DB
@ENV
@PENDING_RETRY
@click.option("--max-wait", type=click.FloatRange(min=0), default=0, show_default=True,
              metavar="SECONDS", help="Keep asking about pending ratings (every --pending-retry "
                                      "seconds) for at most this long.")
def fetch(session_uuids: tuple[str, ...], sources: tuple[Path, ...], db_url: str,
          environment: str, pending_retry: float, max_wait: float) -> None:
    """Fetch and store sessions' ratings now, e.g. for callbacks that were missed."""
    wanted: dict[str, str | None] = {uuid: None for uuid in session_uuids}
    own = not session_uuids and not sources and (is_url(db_url) or Path(db_url).is_file())
    for uuid, external in sessions_in(sources, db_url if own else None).items():
        wanted.setdefault(uuid, external)
    if not wanted:
        raise click.UsageError("name at least one SESSION_UUID or --submissions file, or a --db "
                               "whose submissions record Proview sessions")
    client = _client(environment)
    try:
        with rating_store(db_url) as store:
            errors = _fetch_all(client, store, wanted, pending_retry, max_wait)
    except StoreError as exc:
        fail(str(exc))
    if errors:
        sys.exit(1)


def _fetch_all(client: RatingsClient, store: Any, wanted: dict[str, str | None], pending_retry: float,
               max_wait: float) -> int:
    """Fetch every wanted session, asking again about pending ones until `max_wait`; the errors."""
    deadline = time.monotonic() + max_wait
    todo = list(wanted)
    errors = 0
    while todo:
        waiting = []
        for session_uuid in todo:
            outcome = fetch_and_store(client, store, session_uuid, wanted[session_uuid])
            if outcome.pending and time.monotonic() + pending_retry <= deadline:
                waiting.append(session_uuid)
                continue
            errors += outcome.error is not None
            click.echo(outcome.describe())
        todo = waiting
        if todo:
            time.sleep(pending_retry)
    return errors


@click.command("report")
@KEYS
@click.option("--submissions", "sources", multiple=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="A JSON Lines file or the preview's SQLite file; repeat for more.")
@click.option("--db", "db_url", metavar="URL",
              help="The collect service's database (a SQLite file or a postgresql:// URL): its "
                   "submissions and Proview ratings; without it, no ratings are shown.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default="report", show_default=True)
@click.option("--session-link", metavar="URL", help="Link each session, e.g. "
              "https://example.com/sessions/{session_uuid}.")
@LINK_SECRET_ENV
@MARKS
@MANIFEST
def report(keys_dir: Path, sources: tuple[Path, ...], db_url: str | None, out_dir: Path,
           session_link: str | None, link_secret_env: str | None, marks_path: Path | None,
           manifest_path: Path | None) -> None:
    """Write a static HTML report (scores, ratings, score chart, item analysis) and its CSV."""
    if not sources and db_url is None:
        raise click.UsageError("name a --db or at least one --submissions file")
    try:
        link = check_link_template(session_link) if session_link else None
        known = db_ratings(db_url) if db_url else {}
    except (LinkTemplateError, StoreError) as exc:
        fail(str(exc))
    # A database of ratings only (from `ratings fetch`) has no submissions: that is not an error.
    keys, result = _grade(keys_dir, list(sources), db_url=db_url, db_required=False, secret_env=link_secret_env,
                          marks_path=marks_path, manifest=manifest_path)
    built = build_report(result, known, link, keys=keys)
    try:
        html_path, csv_path = write_report(built, out_dir, utc_now())
    except OSError as exc:
        fail(f"{out_dir}: {exc.strerror or exc}")
    click.echo(f"wrote {html_path} and {csv_path}: {len(result.rows)} candidate(s), "
               f"{len(built.sections)} exam(s)")


COMMANDS = [grade, ratings, report]
