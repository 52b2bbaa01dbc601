"""Helpers to make small sites on disk and run the pipeline on them."""

from __future__ import annotations

import textwrap
from pathlib import Path

from generator.build.run import build, check
from generator.diagnostics import InvalidInput

CONFIG = """\
site: {title: Test exams, base_url: https://exams.example.edu/}
proview: {sdk: v8, environment: dev, dsn: test-dsn, languages: [en, fr]}
submission: {url: https://api.example.edu/submissions}
exams: [exams/*.yaml]
"""

EXAM = """\
id: sample
title: Sample exam
time_limit: 30
questions:
  - id: q1
    type: single
    prompt: Pick four.
    choices:
      - text: "3"
      - text: "4"
        correct: true
"""


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def make_site(root: Path, exams: dict[str, str] | None = None, config: str = CONFIG,
              files: dict[str, str | bytes] | None = None) -> Path:
    """A site in `root`: exams.yaml, exams/<name>.yaml for each exam, and any extra files."""
    (root / "exams").mkdir(parents=True, exist_ok=True)
    (root / "exams.yaml").write_text(dedent(config), encoding="utf-8")
    for name, text in (exams if exams is not None else {"sample": EXAM}).items():
        (root / "exams" / f"{name}.yaml").write_text(dedent(text), encoding="utf-8")
    for name, content in (files or {}).items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(dedent(content), encoding="utf-8")
    return root / "exams.yaml"


def problems(config_path: Path, env: str | None = None, environ: dict | None = None) -> list[str]:
    """The diagnostics `check` reports, as printed; [] when the site is valid."""
    import os
    from unittest import mock

    with mock.patch.dict(os.environ, environ or {}, clear=environ is not None):
        try:
            summary = check(config_path, env)
        except InvalidInput as error:
            return [str(d) for d in error.diagnostics]
    return [str(d) for d in summary.diagnostics]


def build_site(config_path: Path, out: Path, keys: Path, **kwargs):
    return build(config_path, None, out, keys, **kwargs)


def read_tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
