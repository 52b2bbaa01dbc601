"""`examsite serve`: build in memory, serve it, rebuild what each save affects, reload the
browsers.

Around livereload's limits:
- its build callbacks run on its event loop, so a long build would stall every request: ours
  only queue the changed paths, and one worker thread builds, one build at a time;
- its reload comes right after the callbacks and is dropped within 3 s of the previous one: we
  reload the browsers ourselves, once the new build is published (see watch.PollingWatcher);
- it polls every 800 ms without pyinotify: SiteWatcher is told by inotify (Linux, through
  ctypes) and polls every 100 ms elsewhere;
- its reload_waiters catches every exception, KeyboardInterrupt included: Ctrl-C stops the loop
  through a signal handler instead;
- it injects an inline <script> into each page: the production policy's script-src already has
  'unsafe-inline' (the Proview SDK needs it), so the preview adds nothing to script-src.
"""

from __future__ import annotations

import errno
import functools
import signal
import threading
import time
import traceback
import webbrowser
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from livereload.handlers import LiveReloadHandler
from tornado.ioloop import IOLoop
from tornado.netutil import bind_sockets

from generator.diagnostics import ExamsiteError, shown_path
from generator.preview.server import SUBMISSIONS_PATH, DevServer, HostGuard, Preview, Published, handlers, is_loopback
from generator.preview.site import IncrementalSite, Result, Stopped
from generator.preview.submissions import SubmissionStore, default_database
from generator.preview.watch import SiteWatcher

Echo = Callable[[str], None]


class PortInUse(ExamsiteError):
    """Another process listens on the port."""


class NetworkNotAllowed(ExamsiteError):
    """--host reaches beyond this machine and --allow-network was not given."""


@dataclass(frozen=True)
class ServeOptions:
    config_path: Path
    host: str = "127.0.0.1"
    port: int = 8000
    fake_proview: bool = True
    open_browser: bool = False
    database: Path | None = None  # default: .examsite/submissions.sqlite beside exams.yaml
    poll_ms: int = 100
    env: str | None = None  # a named environment from exams.yaml, as `build --env`
    # Listening on an address other machines reach serves them the answer keys too: asked for, never by default.
    allow_network: bool = False

    @property
    def exposed(self) -> bool:
        """Can other machines reach the server?"""
        return not is_loopback(self.host)

    @property
    def database_path(self) -> Path:
        return self.database or default_database(self.config_path)

    @property
    def browser_host(self) -> str:
        """The host a browser uses: a wildcard address is reachable as the loopback one."""
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else "::1" if self.host == "::" else self.host
        return f"[{host}]" if ":" in host else host

    @property
    def base_url(self) -> str:
        return f"http://{self.browser_host}:{self.port}/"

    @property
    def live_origin(self) -> str:
        """The live-reload socket's origin: the one source the preview adds to the pages' CSP."""
        return f"ws://{self.browser_host}:{self.port}"


def _now() -> str:
    return time.strftime("%H:%M:%S")


class LivePreview:
    """Change -> build (worker thread) -> publish and reload (event loop)."""

    def __init__(self, site: IncrementalSite, *, server: DevServer, watcher: SiteWatcher, preview: Preview,
                 echo: Echo) -> None:
        self.site = site
        self.server = server
        self.watcher = watcher
        self.preview = preview
        self.echo = echo
        self.loop = IOLoop.current()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="examsite-build")
        self._pending: set[Path] = set()
        self._busy = False
        self._seen_at = 0.0  # when the first change of the pending batch was seen
        self._serial = 0

    def start(self) -> Result:
        """The first build, on the calling thread; the watcher already runs, so a save made
        during it is seen."""
        result = self.site.rebuild(None, jobs=None)  # worker processes when the site is large enough
        self._publish(result)
        self._sync_watches(result)
        return result

    def stop(self) -> None:
        self.site.stopping.set()  # a rebuild under way gives up at its next exam
        self._executor.shutdown(wait=True, cancel_futures=True)

    # The event loop side --------------------------------------------------------------------

    def _task(self, target: str) -> Callable[..., None]:
        def changed(paths: list[str] | None = None) -> None:  # livereload passes a glob's changed files
            self._queue(paths or [target])
        return changed

    def _queue(self, paths: Iterable[str]) -> None:
        if not self._pending:
            self._seen_at = time.perf_counter()
        self._pending |= {Path(p).resolve() for p in paths}
        self._kick()

    def _kick(self) -> None:
        if self._busy or not self._pending:
            return
        batch, self._pending = frozenset(self._pending), set()
        self._busy = True
        future = self._executor.submit(self._build, batch, self.preview.current)
        self.loop.add_future(future, functools.partial(self._built, self._seen_at))

    def _built(self, seen_at: float, future: Future) -> None:
        self._busy = False
        try:
            batch, result, changed = future.result()
        except Stopped:
            return
        except Exception:  # a bug, not bad input: say so, keep serving the last build
            self.echo(f"{_now()} internal error while rebuilding (still serving the last build):\n"
                      f"{traceback.format_exc()}")
        else:
            self._sync_watches(result)
            if changed:
                previous = self.preview.current
                self._publish(result)
                LiveReloadHandler.reload_waiters("*")
                self._report(batch, result, previous=previous.result if previous else None,
                             seconds=time.perf_counter() - seen_at)
        self._kick()

    def _publish(self, result: Result) -> None:
        self._serial += 1
        self.preview.current = Published(self._serial, result)

    def _sync_watches(self, result: Result) -> None:
        """Watch what this build read: new Markdown and images, new exams; forget the rest."""
        targets = result.inputs.targets()
        watched = self.watcher.watched
        for target in watched - targets:
            self.watcher.unwatch(target)
        for target in sorted(targets - watched):
            self.server.watch(target, self._task(target))

    def _report(self, batch: frozenset[Path], result: Result, *, previous: Result | None, seconds: float) -> None:
        names = ", ".join(sorted(shown_path(p) for p in batch)[:3]) + (" …" if len(batch) > 3 else "")
        browsers = len(LiveReloadHandler.waiters)
        if result.errors:
            for diagnostic in result.diagnostics:
                self.echo(str(diagnostic))
            self.echo(f"{_now()} {names}: {len(result.errors)} error(s); the browser shows them over the last "
                      f"good build")
            return
        fixed = "fixed; " if previous is not None and previous.errors else ""
        self.echo(f"{_now()} {names}: {fixed}rebuilt {result.rendered} exam(s) in {result.seconds * 1000:.0f} ms, "
                  f"published {seconds * 1000:.0f} ms after the change was seen; reloading {browsers} browser(s)")

    # The worker thread ----------------------------------------------------------------------

    def _build(self, batch: frozenset[Path], current: Published | None) -> tuple[frozenset[Path], Result, bool]:
        """The rebuilt site, and whether a browser would see a change (pages, or the overlay's problems)."""
        result = self.site.rebuild(batch, jobs=None)
        unchanged = current is not None and result.same_files(current.result) and \
            result.diagnostics == current.result.diagnostics
        return batch, result, not unchanged


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def check_port(host: str, port: int) -> None:
    """Fail before building, with a message, when the port is taken."""
    try:
        sockets = bind_sockets(port, host or None)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise PortInUse(f"port {port} is already in use on {host} (another examsite serve?); "
                            "stop it or choose another port with --port") from None
        raise ExamsiteError(f"cannot listen on {host}:{port}: {error.strerror}") from None
    for sock in sockets:
        sock.close()


def serve(options: ServeOptions, echo: Echo) -> None:
    """Run the dev server until Ctrl-C. Raises ExamsiteError for what the user must fix first."""
    if options.exposed and not options.allow_network:
        raise NetworkNotAllowed(f"--host {options.host} makes the preview reachable from the network, with the answer "
                                "keys it shows (/__examsite/keys/) and the submissions it received; pass "
                                "--allow-network as well if that is what you want")
    if not options.config_path.is_file():
        raise ExamsiteError(f"{options.config_path} not found: run examsite serve where exams.yaml is, "
                            "or pass --config")
    check_port(options.host, options.port)
    signal.signal(signal.SIGTERM, _interrupt)  # a terminated server cleans up as after Ctrl-C
    store = SubmissionStore(options.database_path)
    store.create()  # a bad path is reported before anything else
    watcher = SiteWatcher(options.poll_ms)  # before the first build, so no save is missed
    preview = Preview()
    server = DevServer(handlers(preview, store, echo), watcher, HostGuard.serving(options.host, options.port))
    site = IncrementalSite(options.config_path, fake_proview=options.fake_proview, submission_url=SUBMISSIONS_PATH,
                           extra_connect=(options.live_origin,), cache=True, env=options.env)
    live = LivePreview(site, server=server, watcher=watcher, preview=preview, echo=echo)
    try:
        echo(f"examsite serve: {shown_path(options.config_path)}, Proview "
             f"{'local stand-in (--proview fake)' if options.fake_proview else 'real loader (--proview real)'}")
        if options.exposed:
            echo(f"warning: listening on {options.host} (--allow-network): every machine that reaches this one can "
                 "read the answer keys (/__examsite/keys/) and the submissions (/__examsite/submissions)")
        result = live.start()
        for diagnostic in result.diagnostics:
            echo(str(diagnostic))
        if result.errors:
            echo(f"{len(result.errors)} error(s): fix them and save; the browser shows them meanwhile")
        echo(f"built {len(result.exams)} exam(s) in {result.seconds:.2f} s (held in memory, never written to output/)")
        echo(f"submissions: {shown_path(options.database_path)} (list them with: examsite submissions)")

        def listening() -> None:  # runs once the loop runs: the port is listening by then
            # From now on Ctrl-C stops the loop between callbacks. A KeyboardInterrupt raised in
            # the middle of one can be swallowed: livereload's reload_waiters catches everything.
            loop = IOLoop.current()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.asyncio_loop.add_signal_handler(signum, loop.stop)  # type: ignore[attr-defined]
            for exam in result.exams:
                echo(f"  {exam.title}: {options.base_url}{exam.parts[0][1]}")
            echo(f"  all exams: {options.base_url}")
            echo(f"watching for changes ({watcher.mode}); press Ctrl-C to stop")
            if options.open_browser:
                threading.Thread(target=webbrowser.open, args=(options.base_url,), daemon=True).start()

        IOLoop.current().add_callback(listening)
        try:
            server.serve(port=options.port, host=options.host, restart_delay=0)
        except OSError as error:  # lost the port between the check and now
            if error.errno == errno.EADDRINUSE:
                raise PortInUse(f"port {options.port} is already in use on {options.host}; "
                                "choose another with --port") from None
            raise
    except KeyboardInterrupt:
        pass  # Ctrl-C (or SIGTERM) before the server loop ran; inside it livereload catches it
    finally:
        live.stop()
        watcher.close()
    echo("stopped")
