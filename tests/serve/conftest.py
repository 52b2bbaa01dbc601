"""`examsite serve` tests: the real command in a subprocess, against a temporary copy of the
example site, on a free port; Chromium (Playwright) for what a browser sees.

The `browser` fixture is the run-wide Chromium of tests/conftest.py (missing Chromium fails, never
skips).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def copy_examples(target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "exams.yaml", target / "exams.yaml")
    shutil.copytree(REPO / "exams", target / "exams")
    return target


def run_cli(site: Path, *args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=site, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "PYTHONPATH": str(REPO)})


def save(path: Path, text: str) -> None:
    """Save as editors do: a new file renamed over the old one, so no one reads half of it."""
    temporary = path.with_name(f".{path.name}.saving")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


@dataclass
class Server:
    process: subprocess.Popen
    site: Path
    port: int
    lines: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, pattern: str, timeout: float = 20) -> re.Match:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = re.search(pattern, self.output)
            if match:
                return match
            if self.process.poll() is not None:
                time.sleep(0.2)  # let the reader take the last lines
                break
            time.sleep(0.05)
        raise AssertionError(f"no /{pattern}/ in the server's output:\n{self.output}")

    def get(self, path: str) -> tuple[int, dict, bytes]:
        try:
            with urllib.request.urlopen(self.url + path.lstrip("/"), timeout=10) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        time.sleep(0.1)
        return self.process.returncode


def start_server(site: Path, *args: str, port: int | None = None, ready: bool = True,
                 env: dict[str, str] | None = None) -> Server:
    port = port or free_port()
    process = subprocess.Popen([sys.executable, "-u", "-m", "generator", "serve", "--port", str(port), *args],
                               cwd=site, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})})
    server = Server(process, site, port)

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            server.lines.append(line.rstrip("\n"))

    threading.Thread(target=read, daemon=True).start()
    if ready:
        server.wait_for(r"watching for changes")
    return server


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return copy_examples(tmp_path / "site")


@pytest.fixture
def server(site: Path):
    running = start_server(site)
    yield running
    running.stop()


CSP_RECORDER = """
(() => {
  document.addEventListener('securitypolicyviolation', (e) => {
    const log = JSON.parse(sessionStorage.getItem('__csp') || '[]');
    log.push(e.violatedDirective + ' ' + e.blockedURI);
    sessionStorage.setItem('__csp', JSON.stringify(log));
  });
})();
"""


@pytest.fixture
def page(browser):  # one fresh context per test; `browser` comes from tests/conftest.py
    context = browser.new_context()
    context.add_init_script(CSP_RECORDER)
    # Nothing leaves the machine: only the dev server answers.
    context.route(re.compile(r"^(?!http://127\.0\.0\.1[:/]|ws://127\.0\.0\.1[:/]).*"), lambda route: route.abort())
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.dismiss())
    yield page
    context.close()
