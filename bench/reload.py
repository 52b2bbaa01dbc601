"""Edit-to-reload latency of `examsite serve` (a measurement, not a test).

Starts the real command on a free port, connects as a live-reload browser would (the livereload
protocol over its websocket), saves an edit to one exam's question text and times the moment the
`reload` command arrives, i.e. the new build is published and a browser would reload now. Then
fetches the page and checks the new text is there. Run on the example site and on a generated
site of N exams (bench/corpus.py):

    python bench/reload.py [--exams 500] [--questions 20] [--rounds 15]

Prints, per site: the initial build, the one-exam edit latency (min / median / p90 / max) and,
once, the latency of a template edit (which re-renders every exam).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from tornado.websocket import websocket_connect

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import write_corpus  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def save(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.saving")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


class Server:
    def __init__(self, site: Path) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-u", "-m", "generator", "serve", "--port", str(self.port)], cwd=site,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
        self.lines: list[str] = []
        started = time.perf_counter()
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip())
            if "watching for changes" in line:
                break
        else:
            raise SystemExit("the server did not start:\n" + "\n".join(self.lines))
        self.startup = time.perf_counter() - started
        os.set_blocking(self.process.stdout.fileno(), False)

    def log(self) -> list[str]:
        assert self.process.stdout is not None
        try:
            for line in self.process.stdout:
                self.lines.append(line.rstrip())
        except (BlockingIOError, TypeError):
            pass
        return self.lines

    def get(self, path: str) -> bytes:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/{path}", timeout=30) as response:
            return response.read()

    def stop(self) -> None:
        started = time.perf_counter()
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise SystemExit("the server did not stop within 60 s of Ctrl-C:\n" + "\n".join(self.log()[-20:]))
        self.stopped_s = time.perf_counter() - started


async def connect(port: int, page: str):
    """A live-reload client, registered with the server as a browser showing `page`."""
    socket_ = await websocket_connect(f"ws://127.0.0.1:{port}/livereload")
    await socket_.write_message(json.dumps({"command": "hello",
                                            "protocols": ["http://livereload.com/protocols/official-7"]}))
    hello = json.loads(await socket_.read_message())
    assert hello["command"] == "hello", hello
    await socket_.write_message(json.dumps({"command": "info", "url": f"http://127.0.0.1:{port}/{page}",
                                            "plugins": {}}))
    await asyncio.sleep(0.3)  # the server registers the client on this message
    return socket_


async def time_reload(socket_, edit) -> float:
    edit()
    started = time.perf_counter()
    message = await asyncio.wait_for(socket_.read_message(), timeout=300)
    elapsed = time.perf_counter() - started
    assert message and json.loads(message)["command"] == "reload", message
    return elapsed


async def measure(name: str, site: Path, exam_file: Path, page: str, rounds: int, template: bool) -> dict:
    server = Server(site)
    try:
        socket_ = await connect(server.port, page)
        original = exam_file.read_text(encoding="utf-8")
        match = re.search(r'prompt: "([^"\n]+)"|prompt: \|\n(\s+)(\S)', original)
        assert match, exam_file
        latencies = []
        for round_ in range(rounds):
            marker = f"Edited-{round_}-{time.time_ns()}"
            if match.group(1):
                edited = original.replace(f'prompt: "{match.group(1)}"', f'prompt: "{marker} {match.group(1)}"', 1)
            else:
                edited = original[:match.start(3)] + marker + " " + original[match.start(3):]
            latencies.append(await time_reload(socket_, lambda: save(exam_file, edited)))
            assert marker.encode() in server.get(page), "the reloaded page lacks the edit"
            await asyncio.sleep(0.25)  # an author does not save four times a second
        figures = {"site": name, "startup_s": server.startup, "edit_ms": [x * 1000 for x in latencies]}
        print(f"{name}: startup {server.startup:.2f} s; one-exam edit {summary(figures['edit_ms'])}", flush=True)
        if template:
            (site / "templates").mkdir(exist_ok=True)
            template_file = site / "templates" / "page.html"
            figures["template_ms"] = 1000 * await time_reload(socket_, lambda: save(
                template_file, '{% extends "examsite/page.html" %}{% block footer_content %}<p>Bench</p>'
                               '{% endblock %}'))
        builds = [float(m.group(1)) for m in (re.search(r"rebuilt 1 exam\(s\) in (\d+) ms", line)
                                                for line in server.log()) if m]
        figures["server_build_ms"] = builds
        figures["server_publish_ms"] = [float(m.group(1)) for m in (
            re.search(r"rebuilt 1 exam\(s\) in \d+ ms, published (\d+) ms after", line) for line in server.log()) if m]
        socket_.close()
        return figures
    finally:
        server.stop()


def summary(values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]
    return (f"min {ordered[0]:6.0f}  median {statistics.median(ordered):6.0f}  p90 {p90:6.0f}  "
            f"max {ordered[-1]:6.0f} ms  (n={len(ordered)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exams", type=int, default=500)
    parser.add_argument("--questions", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="examsite-bench-"))
    try:
        examples = work / "examples"
        examples.mkdir()
        shutil.copy(REPO / "exams.yaml", examples / "exams.yaml")
        shutil.copytree(REPO / "exams", examples / "exams")
        write_corpus(work / "large", args.exams, args.questions)
        large = work / "large" / "site"
        middle = sorted((large / "exams").glob("*.yaml"))[args.exams // 2]
        count = len(list((examples / "exams").glob("*.yaml")))
        results = [
            asyncio.run(measure(f"examples ({count} exams)", examples, examples / "exams" / "algebra-quiz.yaml",
                                "algebra-quiz/", args.rounds, template=True)),
            asyncio.run(measure(f"generated ({args.exams} exams x {args.questions} questions)", large, middle,
                                f"{middle.stem}/", args.rounds, template=True)),
        ]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"examsite serve: edit-to-reload latency (save -> livereload 'reload' command), cpus={os.cpu_count()}, "
          f"load={os.getloadavg()[0]:.1f}")
    for figures in results:
        print(f"\n{figures['site']}")
        print(f"  startup (initial build, serving)     {figures['startup_s']:.2f} s")
        print(f"  one-exam edit, save -> reload        {summary(figures['edit_ms'])}")
        if figures["server_build_ms"]:
            print(f"    of which the rebuild (server log)  {summary(figures['server_build_ms'])}")
        if figures["server_publish_ms"]:
            print(f"    change seen -> published (server)  {summary(figures['server_publish_ms'])}")
        if "template_ms" in figures:
            print(f"  template edit (every exam)           {figures['template_ms']:.0f} ms")


if __name__ == "__main__":
    main()
