"""The `examsite` command: thin click commands that call library functions."""

from __future__ import annotations

import json
import os
import shlex
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, NoReturn
from urllib.parse import urlsplit

import click

from generator import __version__
from generator.build.run import RunOptions, Summary, build, check
from generator.diagnostics import Diagnostics, ExamsiteError, InvalidInput
from generator.progress import ProgressLine, wanted
from generator.render.pages import PageOptions
from generator.site.config import load_config
from generator.site.exams import load_exam
from generator.site.fields import closest
from generator.site.scaffold import scaffold_exam, scaffold_site

CONFIG = click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
                      default="exams.yaml", show_default=True, help="The site configuration.")
ENV = click.option("--env", "env", metavar="NAME", help="A named environment from exams.yaml's 'environments'.")
STRICT = click.option("--strict", is_flag=True, help="Treat warnings as errors.")
JSON = click.option("--json", "as_json", is_flag=True, help="Print a machine-readable report instead.")
PROVIEW = click.option("--proview", type=click.Choice(["real", "fake"]), default="real", show_default=True,
                       help="'fake' loads the local Proview stand-in instead of the SDK (previews and tests only).")
JOBS = click.option("--jobs", "-j", type=click.IntRange(min=1), metavar="N",
                    help="Worker processes [default: one per CPU; small sites use one].")
NO_CACHE = click.option("--no-cache", is_flag=True,
                        help="Render every exam afresh; neither read nor write .examsite/cache.")
QUIET = click.option("--quiet", "-q", is_flag=True, help="Print only problems: no progress, no summary.")


def _running(work: Callable[[RunOptions], Summary], verb: str, *, jobs: int | None, no_cache: bool, quiet: bool,
             as_json: bool) -> Callable[[], Summary]:
    """`work` with its run options and a progress line on stderr when a person is watching; the
    line is gone before anything else is printed."""

    def run() -> Summary:
        line = ProgressLine(sys.stderr, verb) if not as_json and wanted(sys.stderr, quiet) else None
        try:
            return work(RunOptions(jobs=jobs, cache=not no_cache, progress=line.update if line else None))
        finally:
            if line:
                line.close()

    return run


def _report(run: Callable[[], Summary], verb: str, *, as_json: bool, quiet: bool = False) -> None:
    """Run a command's work; print its diagnostics and summary; exit 1 on invalid input."""
    try:
        summary = run()
    except InvalidInput as error:
        if as_json:
            click.echo(json.dumps({"ok": False, "diagnostics": [d.as_json() for d in error.diagnostics]}, indent=2))
        else:
            for diagnostic in error.diagnostics:
                click.echo(str(diagnostic), err=True)
            errors = sum(d.severity.value == "error" for d in error.diagnostics)
            click.echo(f"{errors} error(s); nothing was written", err=True)
        sys.exit(1)
    except ExamsiteError as error:
        if as_json:
            click.echo(json.dumps({"ok": False, "error": str(error)}, indent=2))
        else:
            click.echo(f"error: {error}", err=True)
        sys.exit(1)
    if as_json:
        click.echo(json.dumps({
            "ok": True, "exams": summary.exams, "parts": summary.parts, "questions": summary.questions,
            "pages": summary.pages, "seconds": round(summary.seconds, 3), "reused": summary.reused,
            "diagnostics": [d.as_json() for d in summary.diagnostics]}, indent=2))
        return
    for diagnostic in summary.diagnostics:
        click.echo(str(diagnostic), err=True)
    if not quiet:
        click.echo(summary.line(verb))


class _Commands(click.Group):
    """The command group. The results toolset and the collect service load only when one of their
    commands is asked for, so a build does not pay for importing them."""

    RESULTS = ("grade", "ratings", "report")
    COLLECT = ("collect",)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self.RESULTS) | set(self.COLLECT))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.RESULTS and name not in self.commands:
            from generator.results.cli import COMMANDS

            for command in COMMANDS:
                self.add_command(command)
        if name in self.COLLECT and name not in self.commands:
            from generator.collect.cli import COMMANDS as COLLECT_COMMANDS

            for command in COLLECT_COMMANDS:
                self.add_command(command)
        return super().get_command(ctx, name)


class _Wiring:
    """The root context's object: what the results and collect commands need from packages they
    may not import (results must not import collect; collect must not import config)."""

    @staticmethod
    def open_database(url: str, create: bool):  # type: ignore[no-untyped-def]
        """The collect store at a postgresql:// URL (SQLite files the results commands open themselves)."""
        from generator.collect.database import open_storage

        return open_storage(url, create=create, pool_size=2)

    @staticmethod
    def site_origins(config_path: Path) -> tuple[str, ...]:
        """The origin the site is published at (exams.yaml's site.base_url), if there is one."""
        if not config_path.is_file():
            return ()
        diagnostics = Diagnostics()
        config = load_config(config_path, None, diagnostics)
        if config is None:
            for diagnostic in diagnostics.items:
                click.echo(str(diagnostic), err=True)
            click.echo("error: fix the site configuration, or name the allowed origins with --origin", err=True)
            sys.exit(1)
        parts = urlsplit(config.base_url)
        return (f"{parts.scheme}://{parts.netloc}",) if parts.netloc else ()


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"], "obj": _Wiring()})
@click.version_option(__version__, prog_name="examsite")
def main() -> None:
    """Build proctored exam sites (Talview Proview) from YAML and Markdown."""


def pipeline_options(command: Callable) -> Callable:
    """The options `build` and `check` share."""
    for option in reversed((CONFIG, ENV, STRICT, JSON, PROVIEW, JOBS, NO_CACHE, QUIET)):
        command = option(command)
    return command


@main.command("build")
@pipeline_options
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="The output folder [default: output/ beside exams.yaml].")
@click.option("--keys-dir", "keys_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where the private answer keys go, never under the output [default: keys/ beside exams.yaml].")
def build_command(config_path: Path, env: str | None, out_dir: Path | None, keys_dir: Path | None, strict: bool,
                  as_json: bool, proview: str, jobs: int | None, no_cache: bool, quiet: bool) -> None:
    """Build every exam into static pages, and the answer keys into the keys folder."""
    out_dir = out_dir or config_path.parent / "output"
    keys_dir = keys_dir or config_path.parent / "keys"
    options = PageOptions(fake_proview=proview == "fake")
    _report(_running(lambda run: build(config_path, env, out_dir, keys_dir, strict=strict, page_options=options, run=run),
                     "building", jobs=jobs, no_cache=no_cache, quiet=quiet, as_json=as_json),
            "built", as_json=as_json, quiet=quiet)


@main.command("check")
@pipeline_options
def check_command(config_path: Path, env: str | None, strict: bool, as_json: bool, proview: str, jobs: int | None,
                  no_cache: bool, quiet: bool) -> None:
    """Validate everything `build` would; write nothing (exams unchanged since a build come from its cache)."""
    options = PageOptions(fake_proview=proview == "fake")
    _report(_running(lambda run: check(config_path, env, strict=strict, page_options=options, run=run), "checking",
                     jobs=jobs, no_cache=no_cache, quiet=quiet, as_json=as_json),
            "checked", as_json=as_json, quiet=quiet)


@main.command("init")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path), default=".")
def init_command(folder: Path) -> None:
    """Start a site: exams.yaml, a sample exam, templates/ and a .gitignore (never overwrites)."""
    try:
        created = scaffold_site(folder)
    except ExamsiteError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    for path in created:
        click.echo(f"created {path}")
    where = "" if folder.resolve() == Path.cwd() else f"cd {shlex.quote(str(folder))} && "
    click.echo(f"next: {where}examsite serve    (a live preview at http://127.0.0.1:8000/)")


@main.command("new")
@click.argument("exam_id")
@click.option("--dir", "exams_dir", type=click.Path(file_okay=False, path_type=Path), default="exams",
              show_default=True, help="Where exam files live.")
def new_command(exam_id: str, exams_dir: Path) -> None:
    """Scaffold exams/EXAM_ID.yaml and its Markdown instructions, ready to build."""
    try:
        created = scaffold_exam(exam_id, exams_dir)
    except ExamsiteError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    for path in created:
        click.echo(f"created {path}")
    click.echo("next: examsite serve    (a live preview; the new exam is in its list)")


@main.command("serve")
@CONFIG
@ENV
@click.option("--host", default="127.0.0.1", show_default=True,
              help="The address to listen on. Other than a loopback one, it needs --allow-network.")
@click.option("--allow-network", is_flag=True,
              help="Listen where other machines reach the preview, its answer keys and its submissions.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="The port to listen on.")
@click.option("--proview", type=click.Choice(["fake", "real"]), default="fake", show_default=True,
              help="'fake' serves the local Proview stand-in, so exams run offline; 'real' keeps the configured loader.")
@click.option("--open", "open_browser", is_flag=True, help="Open the exam list in a browser.")
@click.option("--db", "database", type=click.Path(dir_okay=False, path_type=Path),
              help="Where the local endpoint stores submissions [default: .examsite/submissions.sqlite beside "
                   "exams.yaml].")
def serve_command(config_path: Path, env: str | None, host: str, allow_network: bool, port: int, proview: str,
                  open_browser: bool, database: Path | None) -> None:
    """Preview the exams: rebuild on save, reload the browser, show errors in the page."""
    from generator.preview.serve import NetworkNotAllowed, ServeOptions, serve  # livereload and tornado load only here

    try:
        serve(ServeOptions(config_path, host=host, port=port, fake_proview=proview == "fake",
                           open_browser=open_browser, database=database, env=env, allow_network=allow_network),
              click.echo)
    except NetworkNotAllowed as error:
        raise click.UsageError(str(error)) from None
    except ExamsiteError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)


@main.command("submissions")
@CONFIG
@click.option("--db", "database", metavar="URL",
              help="The preview's submissions file, or the collect service's database (a SQLite file or a "
                   "postgresql:// URL) [default: .examsite/submissions.sqlite beside exams.yaml].")
@JSON
@click.option("--jsonl", "as_jsonl", is_flag=True,
              help="Print the payloads as JSON Lines, one per line, exactly as `examsite grade` reads them.")
def submissions_command(config_path: Path, database: str | None, as_json: bool, as_jsonl: bool) -> None:
    """List what `examsite serve`'s local endpoint (or `examsite collect serve`) received."""
    from generator.preview.submissions import SubmissionStore, default_database, is_url

    location = database or str(default_database(config_path))
    try:
        if is_url(location):
            rows = _collected(click.get_current_context().find_root().obj, location)
        else:
            rows = SubmissionStore(Path(location)).all()
    except ExamsiteError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    if as_jsonl:
        for submission in rows:
            click.echo(submission.jsonl())
        return
    if as_json:
        click.echo(json.dumps([{"id": s.id, "received_at": s.received_at, "payload": s.payload} for s in rows],
                              indent=2))
        return
    for submission in rows:
        click.echo(submission.line())
    click.echo(f"{len(rows)} submission(s) in {location}")


def _collected(wiring: _Wiring, url: str) -> list:  # type: ignore[type-arg]
    """The submissions in the collect service's PostgreSQL database."""
    from generator.preview.submissions import StoreError, Submission
    from generator.results.store import StoreError as DatabaseError

    try:
        storage = wiring.open_database(url, create=False)
        try:
            return [Submission(row.id, row.received_at, row.body) for row in storage.rows()]
        finally:
            storage.close()
    except DatabaseError as error:
        raise StoreError(str(error)) from None


LINKS_VALID_DAYS = 14


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


@main.command("links")
@click.argument("exam_id")
@click.option("--roster", "roster_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="A CSV file with an 'attendee' column; its other columns are carried through.")
@click.option("--expires", metavar="WHEN",
              help=f"When the links stop working, e.g. 2026-12-20T18:00Z [default: {LINKS_VALID_DAYS} days from now].")
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the links (CSV) here instead of standard output.")
@click.option("--key-id", metavar="ID", help="Sign with EXAMSITE_LINK_SECRET_<ID> instead of EXAMSITE_LINK_SECRET "
                                             "(to rotate the secret; links signed before keep working while it is set).")
@CONFIG
@ENV
def links_command(exam_id: str, roster_path: Path, expires: str | None, out_path: Path | None, key_id: str | None,
                  config_path: Path, env: str | None) -> None:
    """Write a signed launch link for each candidate of a roster (the secret: EXAMSITE_LINK_SECRET)."""
    # The results toolset loads only for its commands (see _Commands).
    from generator.results.links import SECRET_VARIABLE, LinkSecretError, secrets_from_env
    from generator.results.roster import RosterError, links_csv, parse_expiry, read_roster

    try:
        secrets = secrets_from_env(os.environ, signing=key_id)
    except LinkSecretError as error:
        _fail(str(error))
    if secrets is None:
        _fail(f"{SECRET_VARIABLE} is not set: the links are signed with a secret from the environment only "
              "(the collection service and examsite grade need the same one)")
    now = datetime.now(timezone.utc)
    try:
        until = parse_expiry(expires) if expires else now + timedelta(days=LINKS_VALID_DAYS)
    except ValueError as error:
        _fail(f"--expires: {error}")
    if until <= now:
        _fail(f"--expires {expires} is in the past")
    diagnostics = Diagnostics()
    config = load_config(config_path, env, diagnostics)
    exams = [load_exam(path, diagnostics, config.files) for path in config.exam_files] if config else []
    if config is None or diagnostics.has_errors:
        for diagnostic in diagnostics.items:
            click.echo(str(diagnostic), err=True)
        _fail(f"{config_path}: fix the site first; the links must point at exams that build")
    if not config.base_url:
        _fail(f"{config_path}: site.base_url is not set; the links need the address the exams are published at")
    known = [exam.id for exam in exams if exam is not None]
    if exam_id not in known:
        near = closest(exam_id, known)
        _fail(f"unknown exam '{exam_id}'" + (f"; did you mean '{near}'?" if near else f"; the exams are: {', '.join(known)}"))
    try:
        roster = read_roster(roster_path)
    except RosterError as error:
        for problem in error.problems:
            click.echo(problem, err=True)
        _fail(f"{len(error.problems)} problem(s) in the roster; no links were written")
    text = links_csv(roster, exam_id, config.base_url, secrets, until)
    if out_path is None:
        click.echo(text, nl=False)
    else:
        try:
            out_path.write_text(text, encoding="utf-8", newline="")
        except OSError as error:
            _fail(f"{out_path}: {error.strerror or error}")
    shown = until.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    click.echo(f"{len(roster.rows)} link(s) for {exam_id}, valid until {shown}"
               + (f", written to {out_path}" if out_path else ""), err=True)
