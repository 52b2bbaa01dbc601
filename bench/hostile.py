"""What hostile inputs cost `examsite check`: wall time and peak memory, each in a process of its own.

    python bench/hostile.py

Inputs: the alias bomb of issue 16 (nine lists of nine aliases to the list before), lists nested
100,000 deep (flow) and 200,000 deep (block), a 9 MiB exam file. Each run is capped at 2 GB of
address space and 30 s of CPU, so code without bounds shows as "capped" instead of taking the
machine. Prints one line per input: exit status, wall and CPU seconds, peak resident MB, the
first error line.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CONFIG = """\
site: {title: Bench}
proview: {sdk: v8, environment: dev, dsn: bench}
submission: {url: https://api.example.edu/submissions}
exams: [exams/*.yaml]
"""
HEAD = "id: bench\ntitle: Bench\ntime_limit: 10\n"
QUESTIONS = "questions: [{id: q1, type: long_text, prompt: Hi}]\n"


def alias_bomb() -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, 10)]
    return HEAD + "\n".join(lines) + "\n" + QUESTIONS


INPUTS = {
    "alias bomb (9 x 9)": alias_bomb,
    "flow lists 100,000 deep": lambda: HEAD + "x: " + "[" * 100_000 + "]" * 100_000 + "\n" + QUESTIONS,
    "block lists 200,000 deep": lambda: HEAD + "x:\n" + "- " * 200_000 + "x\n" + QUESTIONS,
    "9 MiB exam file": lambda: HEAD + QUESTIONS + "# " + "x" * (9 * 1024 * 1024) + "\n",
}


def measure(site: Path) -> tuple[str, float, float, float, str]:
    def limits() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
        resource.setrlimit(resource.RLIMIT_CPU, (30, 30))

    started = time.perf_counter()
    with open(site / "stderr.txt", "w+") as stderr:
        process = subprocess.Popen([sys.executable, "-m", "generator", "check", "--jobs", "1", "--no-cache"], cwd=site,
                                   stdout=subprocess.DEVNULL, stderr=stderr, preexec_fn=limits,
                                   env={**os.environ, "PYTHONPATH": str(REPO)})
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        stderr.seek(0)
        errors = [line for line in stderr.read().splitlines() if ": error: " in line or "Error" in line]
    code = os.waitstatus_to_exitcode(status)
    outcome = f"exit {code}" if code >= 0 else f"capped (signal {-code})"
    cpu = usage.ru_utime + usage.ru_stime
    return outcome, seconds, cpu, usage.ru_maxrss / 1024, (errors[0][:100] if errors else "")


def main() -> None:
    print(f"{'input':<26} {'outcome':<18} {'wall s':>7} {'CPU s':>6} {'peak MB':>8}  first error")
    for name, make in INPUTS.items():
        with tempfile.TemporaryDirectory() as folder:
            site = Path(folder)
            (site / "exams").mkdir()
            (site / "exams.yaml").write_text(CONFIG)
            (site / "exams" / "bench.yaml").write_text(make())
            outcome, seconds, cpu, peak, error = measure(site)
        print(f"{name:<26} {outcome:<18} {seconds:>7.2f} {cpu:>6.2f} {peak:>8.0f}  {error}")


if __name__ == "__main__":
    main()
