"""The collect service as a real process (`python -m generator collect serve`) on a free port,
against SQLite and against a real PostgreSQL server started for the session (pgserver.py)."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from generator.collect.database import open_storage
from tests.collect.pgserver import TemporaryPostgres
from tests.results.fake_proview import FakeClock, FakeProview, serve as serve_fake

REPO = Path(__file__).resolve().parents[2]
TOKEN = "tok_" + "A1b2C3d4E5f6G7h8"
ORIGIN = "http://127.0.0.1:1"  # an allowed origin that no test serves from
PAYLOADS = REPO / "tests" / "results" / "fixtures" / "runtime-payloads.jsonl"
KEYS = REPO / "tests" / "results" / "fixtures" / "runtime-keys"
_names = itertools.count(1)


@pytest.fixture(scope="session")
def postgres():
    server = TemporaryPostgres().start()
    yield server
    server.stop()


def new_database(request, directory: Path, kind: str) -> str:
    if kind == "sqlite":
        return str(directory / f"collect{next(_names)}.sqlite")
    return request.getfixturevalue("postgres").database(f"t{os.getpid()}_{next(_names)}")


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path) -> str:
    """A new, empty database of each kind: the same tests run on both."""
    return new_database(request, tmp_path, request.param)


def _fake_api():
    fake = FakeProview(clock=FakeClock())
    server, url = serve_fake(fake)
    fake.url = url  # type: ignore[attr-defined]
    return fake, server


def _api_env(fake) -> dict[str, str]:
    return {"PROVIEW_USERNAME": fake.username, "PROVIEW_PASSWORD": fake.password,
            "PROVIEW_APP_ID": fake.app_id, "PROVIEW_AUTH_URL": fake.url, "PROVIEW_API_URL": fake.url + "/"}


@pytest.fixture
def fake_api():
    fake, server = _fake_api()
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture
def api_env(fake_api) -> dict[str, str]:
    return _api_env(fake_api)


@pytest.fixture(scope="module")
def module_api():
    """One fake Proview API for a module's shared services; tests use sessions of their own."""
    fake, server = _fake_api()
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def service(request, tmp_path_factory, module_api):
    """One running service per database kind, shared by a module's tests (each starting a service
    costs a second): answer keys given, ratings fetched from `module_api`."""
    directory = tmp_path_factory.mktemp("collect")
    running = Service(new_database(request, directory, request.param), directory, "--keys", str(KEYS),
                      env=_api_env(module_api))
    yield running
    running.stop()


def payloads() -> list[dict[str, Any]]:
    """Payloads the real runtime sent (tests/results/fixtures)."""
    return [json.loads(line) for line in PAYLOADS.read_text().splitlines() if line.strip()]


class Service:
    """`examsite collect serve` in a process of its own; stdout and stderr are read as they come,
    so a chatty service never blocks on a full pipe."""

    def __init__(self, db: str, cwd: Path, *args: str, env: dict[str, str] | None = None,
                 token: str | None = TOKEN, origins: tuple[str, ...] = (ORIGIN,)) -> None:
        command = [sys.executable, "-m", "generator", "collect", "serve", "--db", db, "--port", "0",
                   "--env", "dev", "--pending-retry", "0.05", *args]
        command += [a for origin in origins for a in ("--origin", origin)]
        command += ["--callback-token", token] if token else []
        command += [] if "PROVIEW_USERNAME" in (env or {}) else ["--no-fetch"]  # no credentials: no ratings
        environ = {k: v for k, v in os.environ.items() if not k.startswith(("EXAMSITE_", "PROVIEW_"))}
        environ.update({"PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1", "EXAMSITE_HEADER_SECONDS": "1",
                        "EXAMSITE_BODY_SECONDS": "1", **(env or {})})
        self.db = db
        self.client = httpx.Client(timeout=10)  # one client: making one costs more than a request
        self.process = subprocess.Popen(command, cwd=cwd, env=environ, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True)
        self.out: list[str] = []
        self.err: list[str] = []
        self._readers = [threading.Thread(target=self._drain, args=(stream, lines), daemon=True)
                         for stream, lines in ((self.process.stdout, self.out), (self.process.stderr, self.err))]
        for reader in self._readers:
            reader.start()
        self.base = self._wait_for_url()
        self.host, self.port = self.base.removeprefix("http://").split(":")
        self.port = int(self.port)
        self.wait_healthy()

    @staticmethod
    def _drain(stream, lines: list[str]) -> None:
        for line in stream:
            lines.append(line)

    def _wait_for_url(self) -> str:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            for line in self.out:
                if line.startswith("Collecting submissions at "):
                    return line.split(" at ", 1)[1].strip().removesuffix("/submissions")
            if self.process.poll() is not None:
                break
            time.sleep(0.01)
        self.process.kill()
        raise AssertionError(f"the service did not start: {''.join(self.out)}{''.join(self.err)}")

    def wait_healthy(self, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.client.get(self.base + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.02)
        raise AssertionError(f"the service never became healthy: {''.join(self.err)}")

    def post(self, path: str, body: Any = None, headers: dict[str, str] | None = None, method: str = "POST",
             content: bytes | None = None) -> httpx.Response:
        if content is None and body is not None:
            content = json.dumps(body).encode()
        hdrs = {"Content-Type": "application/json"} if headers is None else headers
        return self.client.request(method, self.base + path, content=content, headers=hdrs)

    def submit(self, payload: dict[str, Any], **headers: str) -> httpx.Response:
        return self.post("/submissions", payload, {"Content-Type": "application/json", **headers})

    def callback(self, body: Any = None, **kwargs: Any) -> httpx.Response:
        return self.post(f"/proview/callback/{TOKEN}", body, **kwargs)

    def output(self) -> str:
        return "".join(self.out) + "".join(self.err)

    def stop(self) -> str:
        self.client.close()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            self.process.wait(timeout=15)
        for reader in self._readers:
            reader.join(5)
        return self.output()

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)


@pytest.fixture
def start(tmp_path):
    """start(db, *args, **kw) -> a running Service, stopped after the test."""
    started: list[Service] = []

    def make(db: str, *args: str, **kwargs: Any) -> Service:
        service = Service(db, tmp_path, *args, **kwargs)
        started.append(service)
        return service

    yield make
    for service in started:
        service.stop()


def stored(db: str):
    """The database as the test sees it (read-only use)."""
    return open_storage(db, create=False, pool_size=1)


def wait_for(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.01)
    raise AssertionError("condition not met in time")
