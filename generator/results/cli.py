"""The results commands: `grade`, `callbacks serve`, `ratings fetch`, `report`.

Thin click wrappers over the library modules; `generator/cli.py` registers `COMMANDS`. Bad input
ends with `error: ...` on stderr and exit 1, never a traceback. Credentials are read from the
environment only and never printed; the callback token appears only in the start-up URL.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import NoReturn

import click

from .callbacks import Receiver, TokenError, check_token, make_server, new_token, public_url
from .export import grades_csv, grades_json
from .grade import GradeResult, grade as grade_records
from .keys import KeyFileError, load_keys
from .links import SECRET_VARIABLE, LinkSecretError, Secrets, secrets_from_env
from .marks import MarksError, MarkSheet, check_marks, marking_sheet, read_marks
from .poller import RatingPoller, fetch_and_store
from .ratings import ENVIRONMENTS, ApiSettings, ConfigError, RatingsClient
from .report import LinkTemplateError, build_report, check_link_template, write_report
from .sources import SourceError, read_sources
from .store import Store, StoreError, open_existing, utc_now

DB = click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path),
                  default="results.sqlite", show_default=True, help="The results database (SQLite).")
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


def _log(line: str) -> None:
    click.echo(f"[{utc_now()}] {line}", err=True)


LINK_SECRET_ENV = click.option(
    "--link-secret-env", "link_secret_env", metavar="NAME",
    help=f"Grade only submissions whose launch-link token is valid, checked with the secret in the "
         f"environment variable NAME (and NAME_<ID> for rotated keys) [default: {SECRET_VARIABLE}, "
         "when it is set].")
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


def _grade(keys_dir: Path, sources: list[Path], secret_env: str | None = None,
           marks_path: Path | None = None) -> tuple[dict, GradeResult]:
    secrets = _secrets(secret_env)
    sheet = _marks(marks_path)
    try:
        keys = load_keys(keys_dir)
        records, unreadable = read_sources(sources)
    except (KeyFileError, SourceError) as exc:
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
@click.argument("sources", nargs=-1, required=True,
                type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write here instead of standard output.")
@click.option("--strict", is_flag=True,
              help="Exit 1 when any record was not graded or any submission_id conflicts.")
@LINK_SECRET_ENV
@MARKS
@click.option("--marking-sheet", "sheet_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the long_text answers here, with a mark column for a person to fill in.")
def grade(keys_dir: Path, sources: tuple[Path, ...], fmt: str, out_path: Path | None,
          strict: bool, link_secret_env: str | None, marks_path: Path | None,
          sheet_path: Path | None) -> None:
    """Grade submissions (JSON Lines files or the preview's SQLite file) with the answer keys."""
    keys, result = _grade(keys_dir, list(sources), link_secret_env, marks_path)
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


@click.group("callbacks")
def callbacks() -> None:
    """Receive Proview's termination callbacks."""


@callbacks.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8787, show_default=True)
@DB
@click.option("--token", envvar="EXAMSITE_CALLBACK_TOKEN", show_envvar=True, metavar="TOKEN",
              help="The secret path segment of the callback URL [default: a new random one].")
@ENV
@PENDING_RETRY
@click.option("--no-fetch", is_flag=True, help="Only store callbacks; fetch no ratings.")
def serve(host: str, port: int, db_path: Path, token: str | None, environment: str,
          pending_retry: float, no_fetch: bool) -> None:
    """Store each callback once, then fetch the session's rating from Proview."""
    try:
        token = check_token(token) if token else new_token()
        store = Store(db_path).initialise()
    except (TokenError, StoreError) as exc:
        fail(str(exc))
    poller = None if no_fetch else RatingPoller(_client(environment), store, pending_retry, _log)
    receiver = Receiver(store, token, poller, _log)
    try:
        server = make_server(host, port, receiver)
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    if poller is not None:
        poller.start()
        for session_uuid, external_id in store.unrated_callbacks():  # left over from a last run
            poller.submit(session_uuid, external_id)
    click.echo(f"Receiving Proview termination callbacks at {public_url(server, receiver)}")
    click.echo(f"Storing callbacks{'' if no_fetch else ' and ratings'} in {db_path}; "
               "press Ctrl+C to stop.", err=True)
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        if poller is not None:
            poller.stop()


@click.group("ratings")
def ratings() -> None:
    """Proview ratings of sessions."""


def sessions_in(sources: tuple[Path, ...]) -> dict[str, str | None]:
    """Proview session uuids recorded in submissions, with their session identifiers."""
    try:
        records, _unreadable = read_sources(list(sources))
    except SourceError as exc:
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
                   "preview's SQLite file); repeatable.")
@DB
@ENV
@PENDING_RETRY
@click.option("--max-wait", type=click.FloatRange(min=0), default=0, show_default=True,
              metavar="SECONDS", help="Keep asking about pending ratings (every --pending-retry "
                                      "seconds) for at most this long.")
def fetch(session_uuids: tuple[str, ...], sources: tuple[Path, ...], db_path: Path,
          environment: str, pending_retry: float, max_wait: float) -> None:
    """Fetch and store sessions' ratings now, e.g. for callbacks that were missed."""
    if not session_uuids and not sources:
        raise click.UsageError("name at least one SESSION_UUID or --submissions file")
    wanted: dict[str, str | None] = {uuid: None for uuid in session_uuids}
    for uuid, external in sessions_in(sources).items():
        wanted.setdefault(uuid, external)
    client = _client(environment)
    try:
        store = Store(db_path).initialise()
    except StoreError as exc:
        fail(str(exc))
    deadline = time.monotonic() + max_wait
    todo = list(wanted)
    errors = 0
    while todo:
        waiting = []
        for session_uuid in todo:
            try:
                outcome = fetch_and_store(client, store, session_uuid, wanted[session_uuid])
            except StoreError as exc:
                fail(str(exc))
            if outcome.pending and time.monotonic() + pending_retry <= deadline:
                waiting.append(session_uuid)
                continue
            errors += outcome.error is not None
            click.echo(outcome.describe())
        todo = waiting
        if todo:
            time.sleep(pending_retry)
    if errors:
        sys.exit(1)


@click.command("report")
@KEYS
@click.option("--submissions", "sources", multiple=True, required=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="A JSON Lines file or the preview's SQLite file; repeat for more.")
@click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path),
              help="The results database with Proview ratings (from `callbacks serve` or "
                   "`ratings fetch`); without it, no ratings are shown.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default="report", show_default=True)
@click.option("--session-link", metavar="URL", help="Link each session, e.g. "
              "https://example.com/sessions/{session_uuid}.")
@LINK_SECRET_ENV
@MARKS
def report(keys_dir: Path, sources: tuple[Path, ...], db_path: Path | None, out_dir: Path,
           session_link: str | None, link_secret_env: str | None, marks_path: Path | None) -> None:
    """Write a static HTML report (scores, ratings, score chart, item analysis) and its CSV."""
    try:
        link = check_link_template(session_link) if session_link else None
        known = open_existing(db_path).ratings() if db_path else {}
    except (LinkTemplateError, StoreError) as exc:
        fail(str(exc))
    keys, result = _grade(keys_dir, list(sources), link_secret_env, marks_path)
    built = build_report(result, known, link, keys=keys)
    try:
        html_path, csv_path = write_report(built, out_dir, utc_now())
    except OSError as exc:
        fail(f"{out_dir}: {exc.strerror or exc}")
    click.echo(f"wrote {html_path} and {csv_path}: {len(result.rows)} candidate(s), "
               f"{len(built.sections)} exam(s)")


COMMANDS = [grade, callbacks, ratings, report]
