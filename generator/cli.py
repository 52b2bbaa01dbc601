"""The `examsite` command: thin click commands that call library functions."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Callable

import click

from . import __version__
from .build import RunOptions, Summary, build, check
from .diagnostics import ExamsiteError, InvalidInput
from .progress import ProgressLine, wanted
from .pages import PageOptions
from .scaffold import scaffold_exam

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


def _running(work: Callable[[RunOptions], Summary], verb: str, jobs: int | None, no_cache: bool, quiet: bool,
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


def _report(run: Callable[[], Summary], verb: str, as_json: bool, quiet: bool = False) -> None:
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
            from .results.cli import COMMANDS

            for command in COMMANDS:
                self.add_command(command)
        if name in self.COLLECT and name not in self.commands:
            from .collect.cli import COMMANDS as COLLECT_COMMANDS

            for command in COLLECT_COMMANDS:
                self.add_command(command)
        return super().get_command(ctx, name)


class _Wiring:
    """The root context's object: what the results and collect commands need from packages they
    may not import (results must not import collect; collect must not import config)."""

    @staticmethod
    def open_database(url: str, create: bool):  # type: ignore[no-untyped-def]
        """The collect store at a postgresql:// URL (SQLite files the results commands open themselves)."""
        from .collect.storage import open_storage

        return open_storage(url, create=create, pool_size=2)

    @staticmethod
    def site_origins(config_path: Path) -> tuple[str, ...]:
        """The origin the site is published at (exams.yaml's site.base_url), if there is one."""
        if not config_path.is_file():
            return ()
        from urllib.parse import urlsplit

        from .config import load_config
        from .diagnostics import Diagnostics

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
    _report(_running(lambda run: build(config_path, env, out_dir, keys_dir, strict, options, run), "building", jobs,
                     no_cache, quiet, as_json), "built", as_json, quiet)


@main.command("check")
@pipeline_options
def check_command(config_path: Path, env: str | None, strict: bool, as_json: bool, proview: str, jobs: int | None,
                  no_cache: bool, quiet: bool) -> None:
    """Validate everything `build` would; write nothing (exams unchanged since a build come from its cache)."""
    options = PageOptions(fake_proview=proview == "fake")
    _report(_running(lambda run: check(config_path, env, strict, options, run), "checking", jobs, no_cache, quiet,
                     as_json), "checked", as_json, quiet)


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


@main.command("serve")
@CONFIG
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="The port to listen on.")
@click.option("--proview", type=click.Choice(["fake", "real"]), default="fake", show_default=True,
              help="'fake' serves the local Proview stand-in, so exams run offline; 'real' keeps the configured loader.")
@click.option("--open", "open_browser", is_flag=True, help="Open the exam list in a browser.")
@click.option("--db", "database", type=click.Path(dir_okay=False, path_type=Path),
              help="Where the local endpoint stores submissions [default: .examsite/submissions.sqlite beside "
                   "exams.yaml].")
def serve_command(config_path: Path, host: str, port: int, proview: str, open_browser: bool,
                  database: Path | None) -> None:
    """Preview the exams: rebuild on save, reload the browser, show errors in the page."""
    from .serve import ServeOptions, serve  # livereload and tornado load only for this command

    try:
        serve(ServeOptions(config_path, host, port, proview == "fake", open_browser, database), click.echo)
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
    from .submissions import SubmissionStore, default_database, is_url

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
    from .results.store import StoreError as DatabaseError
    from .submissions import StoreError, Submission

    try:
        storage = wiring.open_database(url, create=False)
        try:
            return [Submission(row.id, row.received_at, row.body) for row in storage.rows()]
        finally:
            storage.close()
    except DatabaseError as error:
        raise StoreError(str(error)) from None
