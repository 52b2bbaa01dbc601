"""examsite against MkDocs and against the Markdown floor, on the same exam corpus, in one run.

    python bench/compare.py                      # N = 250, 500, 1000 exams of 40 questions
    python bench/compare.py --sizes 50 --questions 40

For each N it writes the corpus (bench/corpus.py) under bench/.work/, then measures, each in a
process of its own (so one measurement's peak memory cannot leak into another's):

- examsite: a cold full build (empty cache), a rebuild after one exam changed, a no-change rebuild,
  a cold build with `markdown: {engine: python-markdown}` (last; the engine makes its own cache entries),
  installed by this script into a throwaway virtual environment (bench/.work/examsite-venv), as a
  pipeline installs it; and the rebuild `examsite serve` makes when one exam is saved;
- MkDocs: a build of the same Markdown, flattened into one page per exam, installed by this script
  into a throwaway virtual environment (bench/.work/mkdocs-venv) with `python -m venv` and pip;
- the floor: Python-Markdown (MkDocs's engine, run in MkDocs's venv) converting every Markdown
  fragment of the corpus once, one thread (the fragments examsite renders: instructions, prompts,
  choices); and, for reference, the same with cmark-gfm as examsite calls it (generator/render/cmark.py).

It prints wall time, CPU time (user + system, all processes), peak memory (the largest sum of
resident memory over the build's processes, sampled, and the largest single process), pages per
second, per-exam costs and the ratios the issue's targets are stated in; then the page weights:
the runtime's JS and CSS gzipped, and a 40-question page's HTML gzipped minus its content.
"""

from __future__ import annotations

import argparse
import gzip
import html as html_module
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Sequence

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
WORK = BENCH / ".work"
sys.path.insert(0, str(BENCH))
import corpus  # noqa: E402  (bench/corpus.py, beside this file)

MKDOCS_VERSION = "1.6.1"
SAMPLE_SECONDS = 0.05


# Measuring one command ----------------------------------------------------------------------------

def _tree_rss(pid: int) -> int:
    """Resident memory of a process and all its descendants, in bytes (Linux /proc)."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
                        break
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    stack.extend(int(child) for child in children.read().split())
        except (OSError, ValueError):
            continue
    return total


def measure_here(command: list[str], cwd: Path, env: dict[str, str]) -> dict:
    """Run `command`; its wall time, CPU time and peak memory. Meant to run in a fresh process:
    RUSAGE_CHILDREN covers every child this process has waited for."""
    peak = 0
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, _tree_rss(process.pid))
            stop.wait(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = process.communicate()
    wall = time.perf_counter() - started
    stop.set()
    sampler.join()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "max_process_rss": usage.ru_maxrss * 1024,
            "peak_tree_rss": max(peak, usage.ru_maxrss * 1024), "returncode": process.returncode,
            "stdout": stdout.decode(errors="replace")[-2000:], "stderr": stderr.decode(errors="replace")[-2000:]}


def measure(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> dict:
    """`measure_here` in a process of its own."""
    request = json.dumps({"command": command, "cwd": str(cwd), "env": env or dict(os.environ)})
    done = subprocess.run([sys.executable, __file__, "--measure-one"], input=request.encode(), capture_output=True,
                          check=True)
    result = json.loads(done.stdout)
    if result["returncode"] != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{result['stdout']}\n{result['stderr']}")
    return result


# The tools ------------------------------------------------------------------------------------

def mkdocs_python() -> Path:
    """A throwaway virtual environment with MkDocs, made once under bench/.work/."""
    venv = WORK / "mkdocs-venv"
    python = venv / "bin" / "python"
    if not (venv / "bin" / "mkdocs").exists():
        print(f"installing MkDocs {MKDOCS_VERSION} into a throwaway virtual environment ...", flush=True)
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        f"mkdocs=={MKDOCS_VERSION}"], check=True)
    return python


FLOOR_SCRIPT = """
import sys, time, json
sys.path.insert(0, sys.argv[1])
import corpus
exams, questions, engine = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
fragments = [text for i in range(exams) for text in corpus.make_exam(i, questions).fragments()]
if engine == "python-markdown":
    import markdown
    md = markdown.Markdown(extensions=["fenced_code", "tables", "sane_lists"], output_format="html")
    convert = lambda text: md.reset().convert(text)
else:
    sys.path.insert(0, str(__import__("pathlib").Path(sys.argv[1]).parent))  # the repository
    from generator.render.cmark import to_html as convert  # examsite's call of cmark-gfm (frees what it makes)
started, cpu = time.perf_counter(), time.process_time()
for text in fragments:
    convert(text)
print(json.dumps({"fragments": len(fragments), "wall": time.perf_counter() - started,
                  "cpu": time.process_time() - cpu}))
"""


# The preview's rebuild (examsite serve): after its first build, a one-exam save re-renders that exam
# in the running process, which then serves the new build from memory; what `serve` does per save,
# less the watcher's notice and the browser's reload (bench/reload.py measures those end to end).
PREVIEW_SCRIPT = """
import json, statistics, sys, time
from pathlib import Path
from generator.preview.site import IncrementalSite
config, exam, rounds = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve(), int(sys.argv[3])
site = IncrementalSite(config, fake_proview=True, submission_url="/submit", extra_connect=("ws://127.0.0.1:8000",),
                      cache=True)
site.rebuild(None, jobs=None)
original, times = exam.read_text(encoding="utf-8"), []
try:
    for round_ in range(rounds):
        exam.write_text(original.replace('title: "', f'title: "(preview {round_}) ', 1), encoding="utf-8")
        started = time.perf_counter()
        result = site.rebuild([exam])
        times.append(time.perf_counter() - started)
        assert result.rendered == 1 and not result.errors, (result.rendered, result.errors)
finally:
    exam.write_text(original, encoding="utf-8")
print(json.dumps({"median": statistics.median(times), "best": min(times), "rounds": rounds}))
"""

SNAPSHOT = WORK / "snapshot"
EXAMSITE_VENV = WORK / "examsite-venv"


def install_examsite() -> Path:
    """examsite as it is now, installed (not editable) into a virtual environment of its own, as a
    pipeline installs it: the builds measured all run the same code, even if the work tree changes
    during the run (a change would rightly invalidate the build cache), with its bytecode compiled
    by pip, and without what this machine's own environment loads at every start (its .pth files).
    MkDocs runs the same way."""
    python = EXAMSITE_VENV / "bin" / "python"
    shutil.rmtree(SNAPSHOT, ignore_errors=True)
    SNAPSHOT.mkdir(parents=True)
    shutil.copytree(REPO / "generator", SNAPSHOT / "generator", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, SNAPSHOT / name)
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    if not python.exists():
        print("installing examsite into a throwaway virtual environment ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(EXAMSITE_VENV)], check=True)
        subprocess.run([*pip, "setuptools>=68", "wheel"], check=True)
        subprocess.run([*pip, "--no-build-isolation", str(SNAPSHOT)], check=True)
    # The code may have changed since: the package again, its dependencies as they are.
    subprocess.run([*pip, "--no-build-isolation", "--no-deps", "--force-reinstall", str(SNAPSHOT)], check=True)
    return python


def build_command(python: Path, site: Path, jobs: int | None, extra: Sequence[str] = ()) -> list[str]:
    command = [str(python), *extra, "-m", "generator", "build", "--config", str(site / "exams.yaml"), "--out",
               str(site.parent / "output"), "--keys-dir", str(site.parent / "keys"), "--quiet"]
    return command + ["--jobs", str(jobs)] if jobs else command


def venv_env() -> dict[str, str]:
    """This environment, less what would make the venv's Python import another examsite."""
    return {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}


def examsite_build(python: Path, site: Path, jobs: int | None, options: Sequence[str] = ()) -> dict:
    return measure(build_command(python, site, jobs) + list(options), site, venv_env())


def preview_rebuild(python: Path, site: Path, rounds: int) -> dict:
    run = subprocess.run([str(python), "-c", PREVIEW_SCRIPT, str(site / "exams.yaml"),
                          str(site / "exams" / "exam-00007.yaml"), str(max(rounds, 5))],
                         cwd=site, env=venv_env(), capture_output=True, text=True, check=True)
    return json.loads(run.stdout)


def change_one_exam(site: Path, round_: int) -> None:
    path = site / "exams" / "exam-00007.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("title: \"", f"title: \"(rev {round_}) ", 1), encoding="utf-8")


# Page weight -------------------------------------------------------------------------------------

def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9, mtime=0))


def page_weights(output: Path) -> dict:
    assets = output / "assets"
    # The runtime: its code, its stylesheet and the interface's texts in the corpus's language.
    runtime = [p for p in assets.iterdir()
               if p.is_file() and re.match(r"(exam|sdk-[a-z0-9]+|messages\.en)\.[0-9a-f]+\.(js|css)$", p.name)]
    page = (output / "exam-00001" / "index.html").read_bytes()
    data = json.loads(re.search(rb'<script type="application/json" id="examsite-data">(.*?)</script>', page,
                                re.S).group(1))
    content = []

    def collect(node) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key.endswith("html") and isinstance(value, str):
                    content.append(value)
                else:
                    collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    collect(data)
    instructions = re.search(rb'<div class="instructions">(.*?)</div>\s*\n', page, re.S)
    if instructions:
        content.append(instructions.group(1).decode())
    # The content as the page carries it: JSON strings in the data, HTML in the instructions.
    content_bytes = "".join(json.dumps(text, ensure_ascii=False)[1:-1] for text in content).encode()
    return {
        "runtime_files": sorted(p.name for p in runtime),
        "runtime_gzip": sum(gz(p.read_bytes()) for p in runtime),
        "page_bytes": len(page), "page_gzip": gz(page), "content_gzip": gz(content_bytes),
        "page_questions": len(re.findall(r'"prompt_html"', html_module.unescape(page.decode()))),
    }


# The run -------------------------------------------------------------------------------------------

def mb(value: float) -> str:
    return f"{value / 2 ** 20:.0f} MB"


def run_size(exams: int, questions: int, jobs: int, examsite: Path, mkdocs: Path, rounds: int) -> dict:
    root = WORK / f"corpus-{exams}x{questions}"
    shutil.rmtree(root, ignore_errors=True)
    made = corpus.write_corpus(root, exams, questions)
    fragments = sum(len(exam.fragments()) for exam in made)
    site = root / "site"
    row: dict = {"exams": exams, "questions": questions, "fragments": fragments}

    # The cache keeps nothing made from a file written in the 2 s before a build (coarse file
    # times): wait them out, as a site's files are older than that.
    time.sleep(2.1)
    row["cold"] = examsite_build(examsite, site, jobs)
    rebuilds = []
    for round_ in range(rounds):
        change_one_exam(site, round_)
        # The cache keeps nothing made from a file written in the 2 s before a build (coarse file
        # times); wait them out so the next rounds see the steady state.
        time.sleep(2.1)
        rebuilds.append(examsite_build(examsite, site, jobs))
    row["rebuild"] = min(rebuilds, key=lambda r: r["wall"])
    row["rebuild_worst"] = max(rebuilds, key=lambda r: r["wall"])
    row["nochange"] = examsite_build(examsite, site, jobs)
    row["preview"] = preview_rebuild(examsite, site, rounds)
    row["cold_1job"] = examsite_build(examsite, site, 1, ["--no-cache"]) if exams <= 250 else None
    row["mkdocs"] = measure([str(mkdocs), "-m", "mkdocs", "build", "--quiet", "--clean", "-f",
                             str(root / "mkdocs" / "mkdocs.yml"), "-d", str(root / "mkdocs-out")], root)
    row["floor"] = floor(mkdocs, "python-markdown", exams, questions)
    row["floor_cmark"] = floor(Path(sys.executable), "cmarkgfm", exams, questions)
    row["weights"] = page_weights(root / "output")
    row["cold_python_markdown"] = python_markdown_build(examsite, site, jobs)
    return row


def python_markdown_build(python: Path, site: Path, jobs: int) -> dict:
    """A cold build of the same site with exams.yaml's `markdown: {engine: python-markdown}` and the
    extensions MkDocs runs with here; into an output of its own, after the measurements above."""
    config = site / "exams-python-markdown.yaml"
    config.write_text(corpus.CONFIG + "markdown: {engine: python-markdown, extensions: [fenced_code, tables, "
                                      "sane_lists]}\n", encoding="utf-8")
    time.sleep(2.1)  # as for the cold build: files older than the clock's slack
    command = [str(python), "-m", "generator", "build", "--config", str(config), "--out",
               str(site.parent / "output-python-markdown"), "--keys-dir", str(site.parent / "keys-python-markdown"),
               "--quiet", "--no-cache", "--jobs", str(jobs)]
    return measure(command, site, venv_env())


def floor(python: Path, engine: str, exams: int, questions: int) -> dict:
    run = subprocess.run([str(python), "-c", FLOOR_SCRIPT, str(BENCH), str(exams), str(questions), engine],
                         capture_output=True, check=True)
    return json.loads(run.stdout)


def report(rows: list[dict], jobs: int) -> list[str]:
    lines = []
    add = lines.append
    add(f"machine: {os.cpu_count()} CPUs, jobs={jobs}, load average {os.getloadavg()[0]:.1f} at the end "
        f"(other work on the machine slows every wall time below)")
    add("")
    add(f"{'N':>5} {'what':<26} {'wall s':>8} {'cpu s':>8} {'peak mem':>9} {'max proc':>9} {'pages/s':>8} "
        f"{'ms/exam':>8}")
    for row in rows:
        n = row["exams"]
        pages = n  # one part per exam: one page each

        def line(name: str, r: dict | None) -> None:
            if r is None:
                return
            add(f"{n:>5} {name:<26} {r['wall']:>8.2f} {r['cpu']:>8.2f} {mb(r['peak_tree_rss']):>9} "
                f"{mb(r['max_process_rss']):>9} {pages / r['wall']:>8.1f} {1000 * r['wall'] / n:>8.2f}")

        line("examsite cold build", row["cold"])
        line("examsite cold, --jobs 1", row["cold_1job"])
        line("  (engine python-markdown)", row.get("cold_python_markdown"))
        line("examsite one exam changed", row["rebuild"])
        line("  (the slowest round)", row.get("rebuild_worst"))
        line("examsite nothing changed", row["nochange"])
        if row.get("preview"):
            preview = row["preview"]
            add(f"{n:>5} {'preview, one exam changed':<26} {preview['median']:>8.3f}   (median of {preview['rounds']}, "
                f"best {preview['best']:.3f} s: examsite serve's rebuild, in its running process)")
        line("MkDocs build", row["mkdocs"])
        for name, conversion in (("Markdown floor (1 thread)", row["floor"]),
                                 ("cmark-gfm, same work", row["floor_cmark"])):
            add(f"{n:>5} {name:<26} {conversion['wall']:>8.2f} {conversion['cpu']:>8.2f} {'':>9} {'':>9} "
                f"{pages / conversion['wall']:>8.1f} {1000 * conversion['wall'] / n:>8.2f}   "
                f"({conversion['fragments']} fragments)")
    add("")
    add("targets, per N:")
    for row in rows:
        n, cold, rebuild, mk, markdown_floor = row["exams"], row["cold"], row["rebuild"], row["mkdocs"], row["floor"]
        throughput = mk["wall"] / cold["wall"]
        floor_bound = 1.3 * markdown_floor["wall"] / jobs
        add(f"  N={n}: cold throughput {throughput:.2f}x MkDocs's (target >= 4x: {'met' if throughput >= 4 else 'NOT met'};"
            f" CPU time: examsite {cold['cpu']:.1f} s, MkDocs {mk['cpu']:.1f} s, ratio {mk['cpu'] / cold['cpu']:.2f});")
        add(f"         cold {cold['wall']:.1f} s vs 1.3 x floor / {jobs} cores = {floor_bound:.1f} s: "
            f"{cold['wall'] / (markdown_floor['wall'] / jobs):.2f}x floor/cores (target <= 1.3: "
            f"{'met' if cold['wall'] <= floor_bound else 'NOT met'}); CPU {cold['cpu']:.1f} s = "
            f"{cold['cpu'] / markdown_floor['cpu']:.2f}x the floor's CPU")
        add(f"         one-exam rebuild {rebuild['wall']:.2f} s (target < 1 s: {'met' if rebuild['wall'] < 1 else 'NOT met'}),"
            f" {100 * rebuild['wall'] / cold['wall']:.1f}% of cold;")
        preview = row["preview"]["median"]
        add(f"         in the running preview (examsite serve), one exam changed: {1000 * preview:.0f} ms ="
            f" {100 * preview / cold['wall']:.2f}% of cold")
        add(f"         peak memory {mb(cold['peak_tree_rss'])} over all processes, {mb(cold['max_process_rss'])} largest process"
            f" (target < 400 MB: {'met' if cold['peak_tree_rss'] < 400 * 2 ** 20 else 'NOT met'})")
    if len(rows) > 1:
        first, last = rows[0], rows[-1]
        add("  growth from N={} to N={}: wall per exam x{:.2f}, cpu per exam x{:.2f}, peak memory per exam x{:.2f} "
            "(1.00 = linear)".format(
                first["exams"], last["exams"],
                (last["cold"]["wall"] / last["exams"]) / (first["cold"]["wall"] / first["exams"]),
                (last["cold"]["cpu"] / last["exams"]) / (first["cold"]["cpu"] / first["exams"]),
                (last["cold"]["peak_tree_rss"] / last["exams"]) / (first["cold"]["peak_tree_rss"] / first["exams"])))
    weights = rows[-1]["weights"]
    add("")
    add(f"page weight: runtime JS + CSS {weights['runtime_gzip'] / 1024:.1f} KB gzipped "
        f"({', '.join(weights['runtime_files'])}; target < 15 KB: {'met' if weights['runtime_gzip'] < 15 * 1024 else 'NOT met'})")
    overhead = weights["page_gzip"] - weights["content_gzip"]
    add(f"             a {rows[-1]['questions']}-question page: {weights['page_bytes'] / 1024:.1f} KB, "
        f"{weights['page_gzip'] / 1024:.1f} KB gzipped, its content alone {weights['content_gzip'] / 1024:.1f} KB "
        f"gzipped: {overhead / 1024:.2f} KB beyond the content (target < 3 KB: {'met' if overhead < 3 * 1024 else 'NOT met'})")
    return lines


def main() -> None:
    if sys.argv[1:] == ["--measure-one"]:
        request = json.loads(sys.stdin.read())
        print(json.dumps(measure_here(request["command"], Path(request["cwd"]), request["env"])))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="250,500,1000", help="Numbers of exams, comma-separated.")
    parser.add_argument("--questions", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--rounds", type=int, default=3, help="One-exam rebuilds per size (the best is shown).")
    parser.add_argument("--json", type=Path, help="Also write the raw figures here.")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    examsite = install_examsite()
    mkdocs = mkdocs_python()
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        print(f"N={size} x {args.questions} questions ...", flush=True)
        rows.append(run_size(size, args.questions, args.jobs, examsite, mkdocs, args.rounds))
        for line in report(rows[-1:], args.jobs):  # as each size finishes, in case the run is cut short
            print("  " + line, flush=True)
        if args.json:
            args.json.write_text(json.dumps(rows, indent=2))
    print()
    for line in report(rows, args.jobs):
        print(line)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
