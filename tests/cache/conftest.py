"""The corpus the tests of this folder build (tests/kit/corpus.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.kit.corpus import CONFIG, corpus


@pytest.fixture(scope="module")
def corpus_site(tmp_path_factory) -> Path:
    """Six exams of every question type, with .md instructions, a question file and an image."""
    root = tmp_path_factory.mktemp("corpus")
    corpus.write_corpus(root, exams=6, questions=6)
    site = root / "site"
    (site / "exams.yaml").write_text(CONFIG, encoding="utf-8")
    return site
