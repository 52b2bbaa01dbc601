"""`examsite collect serve`: thin click wrapper over settings, app and server.

generator/cli.py registers `collect` lazily and passes, as the root context's object, what this
package may not import itself: `site_origins(config_path)`, the origins of exams.yaml's
site.base_url, the default for --origin.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import NoReturn

import click

from generator.results.ratings import ENVIRONMENTS
from generator.results.store import StoreError

from .app import StartupError, prepare
from .callbacks import CALLBACK_PATH, masked, new_token, write_url_file
from .server import listen, serve as run_server
from .settings import DEFAULT_DB, Settings, SettingsError
from .database import open_storage
from .storage import redact

URL_FILE = "callback-url.txt"


def fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


@click.group("collect")
def collect() -> None:
    """The production service that receives submissions and Proview's callbacks."""


@collect.command("serve")
@click.option("--db", envvar="EXAMSITE_DB", show_envvar=True, default=DEFAULT_DB, show_default=True,
              metavar="URL", help="A SQLite file, or a postgresql:// URL for several instances.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True)
@click.option("--origin", "origins", multiple=True, metavar="ORIGIN", envvar="EXAMSITE_ORIGINS", show_envvar=True,
              help="An origin whose pages may POST submissions (repeatable) [default: the origin of "
                   "site.base_url in --config].")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default="exams.yaml",
              show_default=True, help="Where the default origin comes from, when it exists.")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Processes; with SQLite they share the file's write lock.")
@click.option("--callback-token", envvar="EXAMSITE_CALLBACK_TOKEN", show_envvar=True, metavar="TOKEN",
              help="The secret path segment of the callback URL [default: a new one, its URL written to "
                   "--callback-url-file].")
@click.option("--callback-url-file", type=click.Path(dir_okay=False, path_type=Path), default=URL_FILE,
              show_default=True, help="Where a new callback URL is written (mode 0600); it is never logged.")
@click.option("--keys", "keys_dir", type=click.Path(file_okay=False, path_type=Path), envvar="EXAMSITE_KEYS",
              show_envvar=True,
              help="The private keys/ folder: refuse submissions for exams and questions it does not have.")
@click.option("--env", "environment", type=click.Choice(sorted(ENVIRONMENTS)), default="prod", show_default=True,
              help="Proview environment for ratings; PROVIEW_AUTH_URL / PROVIEW_API_URL override its hosts.")
@click.option("--no-fetch", is_flag=True, help="Only store callbacks; fetch no ratings.")
@click.option("--pending-retry", type=click.FloatRange(min=0), default=300, show_default=True, metavar="SECONDS",
              help="Wait before asking again about a session whose rating is still empty.")
@click.option("--pool-size", type=click.IntRange(1, 200), default=10, show_default=True,
              help="PostgreSQL connections per process.")
def serve(db: str, host: str, port: int, origins: tuple[str, ...], config_path: Path, workers: int,
          callback_token: str | None, callback_url_file: Path, keys_dir: Path | None, environment: str,
          no_fetch: bool, pending_retry: float, pool_size: int) -> None:
    """Receive the pages' submissions and Proview's termination callbacks; fetch ratings."""
    if not origins:
        origins = click.get_current_context().find_root().obj.site_origins(config_path)
    try:
        settings = Settings(db=db, origins=origins, callback_token=callback_token or new_token(),
                            keys_dir=keys_dir, environment=environment, fetch=not no_fetch,
                            pending_retry=pending_retry, pool_size=pool_size,
                            limits=Settings.from_environ(os.environ).limits)  # EXAMSITE_*_SECONDS
        prepare(settings, os.environ)
        open_storage(db, pool_size=1).close()  # create and migrate once, before any worker starts
        sock = listen(host, port, settings.limits.backlog)
    except (SettingsError, StartupError, StoreError) as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    bound_host, bound_port = sock.getsockname()[:2]
    base = f"http://{f'[{bound_host}]' if ':' in bound_host else bound_host}:{bound_port}"
    token = settings.callback_token or ""
    if callback_token is None:
        write_url_file(callback_url_file, base + CALLBACK_PATH + token)
        where = f"the full URL is in {callback_url_file}"
    else:
        where = "the token given"
    click.echo(f"Collecting submissions at {base}/submissions")
    click.echo(f"Proview callbacks at {base}{CALLBACK_PATH}{masked(token)} ({where})")
    click.echo(f"Storing in {redact(db)}; origins allowed: {', '.join(settings.origins) or 'none'}; "
               f"{'no ratings fetched' if no_fetch else 'fetching ratings'}; press Ctrl+C to stop.", err=True)
    sys.stdout.flush()
    run_server(settings, sock, workers)


COMMANDS = [collect]
