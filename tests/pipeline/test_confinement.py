"""A build reads only the site's own files: `../`, absolute paths, images, exam globs and symlinks
that lead outside the folder of exams.yaml are errors at the line that names them, and nothing
outside is read or published, unless exams.yaml lists the folder under `include_roots`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from generator.diagnostics import InvalidInput
from tests.kit.sites import CONFIG, EXAM, build_site, make_site, problems, read_tree

SECRET = "RUNNER-SECRET-7f3a"
SVG = f'<svg xmlns="http://www.w3.org/2000/svg"><title>{SECRET}</title></svg>'
OUTSIDE_REFUSED = "outside the site's folder (the folder of exams.yaml)"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the site holding what a hostile exam would like to publish."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.md").write_text(f"{SECRET} instructions\n")
    (folder / "q.md").write_text(f"---\nid: q9\ntype: long_text\n---\n{SECRET} question\n")
    (folder / "secret.svg").write_text(SVG)
    (folder / "other.yaml").write_text(EXAM.replace("id: sample", "id: other"))
    return folder


def with_instructions(name: str) -> str:
    return EXAM.replace("title: Sample exam\n", f"title: Sample exam\ninstructions: {name}\n")


def with_question_file(name: str) -> str:
    return EXAM + f"  - file: {name}\n"


def with_image(src: str) -> str:
    return EXAM.replace("prompt: Pick four.", f"prompt: 'Pick four. ![A chart]({src})'")


def assert_refused(config: Path, where: str, how: str = "is outside") -> None:
    reported = problems(config)
    assert any(where in p and ": error: " in p and f"{how} the site's folder" in p for p in reported), reported
    out, keys = config.parent / "output", config.parent / "keys"
    with pytest.raises(InvalidInput):
        build_site(config, out, keys)
    assert not out.exists() and not keys.exists()  # nothing published, the outside text least of all


def test_relative_instructions_outside(tmp_path, outside):
    config = make_site(tmp_path / "site", {"sample": with_instructions("../../outside/secret.md")})
    assert_refused(config, "/exams/sample.yaml:3:15: error: Markdown file '../../outside/secret.md' is outside")


def test_absolute_instructions(tmp_path, outside):
    config = make_site(tmp_path / "site", {"sample": with_instructions(str(outside / "secret.md"))})
    assert_refused(config, "/exams/sample.yaml:3:15:")


def test_question_file_outside(tmp_path, outside):
    config = make_site(tmp_path / "site", {"sample": with_question_file("../../outside/q.md")})
    assert_refused(config, "/exams/sample.yaml:12:11: error: Markdown file '../../outside/q.md'")


def test_image_outside(tmp_path, outside):
    config = make_site(tmp_path / "site", {"sample": with_image("../../outside/secret.svg")})
    assert_refused(config, "/exams/sample.yaml:7:35: error: image '../../outside/secret.svg' is outside")


def test_image_symlinked_outside(tmp_path, outside):
    config = make_site(tmp_path / "site", {"sample": with_image("chart.svg")})
    (config.parent / "exams" / "chart.svg").symlink_to(outside / "secret.svg")
    assert_refused(config, "/exams/sample.yaml:7:35: error: image 'chart.svg' leads through a link",
                   "leads through a link outside")


def test_exam_glob_outside(tmp_path, outside):
    config = make_site(tmp_path / "site", config=CONFIG.replace("[exams/*.yaml]", "[exams/*.yaml, ../outside/*.yaml]"))
    assert_refused(config, "/exams.yaml:4:23: error: the exam file '../outside/other.yaml' is outside")


@pytest.mark.parametrize("pattern", ["{outside}/*.yaml", "{outside}/other.yaml"])
def test_exam_file_by_absolute_path(tmp_path, outside, pattern):
    pattern = pattern.format(outside=outside)
    config = make_site(tmp_path / "site", config=CONFIG.replace("[exams/*.yaml]", f'[exams/*.yaml, "{pattern}"]'))
    reported = problems(config)
    assert any(f"/exams.yaml:4:23: error: '{pattern}' is an absolute path: name exam files relative to exams.yaml"
               in p for p in reported), reported


def test_exam_file_symlinked_outside(tmp_path, outside):
    config = make_site(tmp_path / "site")
    (config.parent / "exams" / "other.yaml").symlink_to(outside / "other.yaml")
    assert_refused(config, "/exams.yaml:4:9: error: the exam file 'exams/other.yaml' leads through a link",
                   "leads through a link outside")


def test_markdown_file_symlinked_outside(tmp_path, outside):
    config = make_site(tmp_path / "site", {"sample": with_question_file("q.md")})
    (config.parent / "exams" / "q.md").symlink_to(outside / "q.md")
    assert_refused(config, "/exams/sample.yaml:12:11: error: Markdown file 'q.md' leads through a link",
                   "leads through a link outside")


def test_symlinked_folder_inside_exams(tmp_path, outside):
    config = make_site(tmp_path / "site", config=CONFIG.replace("[exams/*.yaml]", '[exams/*.yaml, "exams/*/*.yaml"]'))
    (config.parent / "exams" / "shared").symlink_to(outside, target_is_directory=True)
    assert_refused(config, "/exams.yaml:4:23: error: the exam file 'exams/shared/other.yaml' leads through a link",
                   "leads through a link outside")
    # Markdown through the same folder link, named from an exam.
    config.write_text(CONFIG)
    (config.parent / "exams" / "sample.yaml").write_text(with_instructions("shared/secret.md"))
    assert_refused(config, "/exams/sample.yaml:3:15: error: Markdown file 'shared/secret.md' leads through a link",
                   "leads through a link outside")


def test_templates_folder_symlinked_outside(tmp_path, outside):
    config = make_site(tmp_path / "site")
    (outside / "page.html").write_text("{% extends 'examsite/page.html' %}")
    (config.parent / "templates").symlink_to(outside, target_is_directory=True)
    assert_refused(config, "/exams.yaml:1:1: error: the template", "leads through a link outside")


@pytest.mark.parametrize("exam,where", [
    (with_image("a%00.png"), "/exams/sample.yaml:7:35: error: image 'a%00.png' is no file name"),
    (with_instructions('"a\\0.md"'), "/exams/sample.yaml:3:15: error: Markdown file 'a%00.md' is no file name"),
    (with_question_file('"q\\0.md"'), "/exams/sample.yaml:12:11: error: Markdown file 'q%00.md' is no file name"),
])
def test_a_name_with_a_nul_is_an_error(tmp_path, exam, where):
    reported = problems(make_site(tmp_path / "site", {"sample": exam}))
    assert any(where in p and "it holds a NUL character" in p for p in reported), reported


def test_a_named_pipe_is_not_read(tmp_path):
    config = make_site(tmp_path / "site", {"sample": with_question_file("pipe.md")})
    os.mkfifo(config.parent / "exams" / "pipe.md")  # opened as a file, it would wait for a writer forever
    reported = problems(config)
    assert any("/exams/sample.yaml:12:11: error: Markdown file 'pipe.md' is not a file" in p for p in reported)


def test_links_inside_the_site_are_followed(tmp_path):
    config = make_site(tmp_path / "site", {"sample": with_instructions("intro.md")},
                       files={"shared/intro.md": "Read *everything*.\n"})
    (config.parent / "exams" / "intro.md").symlink_to(config.parent / "shared" / "intro.md")
    assert problems(config) == []


def test_include_roots_allows_a_listed_folder(tmp_path, outside):
    exam = with_image("../../outside/secret.svg").replace(
        "title: Sample exam\n", "title: Sample exam\ninstructions: ../../outside/secret.md\n")
    config = make_site(tmp_path / "site", {"sample": exam}, config=CONFIG + "include_roots: [../outside]\n")
    assert problems(config) == []
    build_site(config, tmp_path / "out", tmp_path / "keys")
    published = b"".join(read_tree(tmp_path / "out").values())
    assert f"{SECRET} instructions".encode() in published and SVG.encode() in published


@pytest.mark.parametrize("roots,message", [
    ("[../missing]", "'include_roots' lists '../missing', which is not a folder"),
    ("[../outside/secret.md]", "'include_roots' lists '../outside/secret.md', which is not a folder"),
    ("[[a]]", "each entry of 'include_roots' must be a folder, relative to exams.yaml"),
    ('["a\\0b"]', "each entry of 'include_roots' must be a folder, relative to exams.yaml"),
    ("../outside", "'include_roots' must be a list, not text"),
])
def test_include_roots_are_checked(tmp_path, outside, roots, message):
    config = make_site(tmp_path / "site", config=CONFIG + f"include_roots: {roots}\n")
    reported = problems(config, environ={})
    assert any("/exams.yaml:5:" in p and message in p for p in reported), reported

