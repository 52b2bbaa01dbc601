"""The cache tests' corpus (made by bench/corpus.py) and the kinds of change a rebuild must get right."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from bench import corpus  # noqa: F401  (re-exported: the tests make their corpus with it)

REPO = Path(__file__).resolve().parents[2]



CONFIG = """\
site: {title: "${SITE_TITLE:-Perf exams}", base_url: https://exams.example.edu/}
proview: {sdk: v8, environment: dev, dsn: test-dsn, languages: [en]}
submission: {url: https://api.example.edu/submissions}
exams: [exams/*.yaml]
"""


def settled(root: Path) -> None:
    """Date the files a minute back: the cache keeps nothing made from files written during a build."""
    past = time.time() - 60
    for path in root.rglob("*"):
        os.utime(path, (past, past))


def fresh_copy(site: Path, tmp_path: Path) -> Path:
    target = tmp_path / "site"
    shutil.copytree(site, target, ignore=shutil.ignore_patterns(".examsite", "output", "keys"))
    settled(target)
    return target / "exams.yaml"


def change_exam_yaml(site: Path) -> None:
    path = site / "exams" / "exam-00003.yaml"
    path.write_text(path.read_text().replace("time_limit: 60", "time_limit: 45"))


def change_markdown(site: Path) -> None:
    path = site / "exams" / "exam-00005.md"  # instructions of one exam
    path.write_text(path.read_text() + "\nBring a **pencil**.\n")


def change_question_file(site: Path) -> None:
    path = next((site / "exams" / "questions").glob("exam-00000-*.md"))
    path.write_text(path.read_text() + "\nShow your `work`.\n")


def change_image(site: Path) -> None:
    path = site / "exams" / "images" / "figure.svg"  # shown by exam 0: its hashed name changes
    path.write_bytes(path.read_bytes().replace(b'width="40"', b'width="41"'))


def change_config(site: Path) -> None:
    path = site / "exams.yaml"
    path.write_text(path.read_text().replace("https://exams.example.edu/", "https://tests.example.edu/"))


def change_template(site: Path) -> None:
    templates = site / "templates"
    templates.mkdir(exist_ok=True)
    text = '{% extends "examsite/page.html" %}{% block footer_content %}<p>Good luck, VERSION</p>{% endblock %}\n'
    version = "2" if (templates / "page.html").exists() else "1"
    (templates / "page.html").write_text(text.replace("VERSION", version))


def change_environment(site: Path) -> None:
    os.environ["SITE_TITLE"] = "Renamed exams"


CHANGES = {
    "exam yaml": (change_exam_yaml, 5),
    "included markdown": (change_markdown, 5),
    "question file": (change_question_file, 5),
    "image": (change_image, 5),
    "exams.yaml": (change_config, 0),
    "new site template": (change_template, 0),
    "changed site template": (change_template, 0),
    "environment variable": (change_environment, 0),
}
