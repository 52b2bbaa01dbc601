"""The preview build in-process: what a change re-renders, what an invalid save keeps, what is
watched."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.build.run import RunOptions, render_site
from generator.site.config import load_config
from generator.preview.site import IncrementalSite, preview_options
from generator.diagnostics import Diagnostics
from generator.preview.watch import affected, exam_dependencies
from generator.site.exams import load_exam
from generator.site.files import SiteFiles

from .conftest import copy_examples, save


@pytest.fixture
def site(tmp_path, monkeypatch) -> Path:
    root = copy_examples(tmp_path / "site")
    monkeypatch.chdir(root)  # messages name paths as the CLI does, relative to the working folder
    return root


def exam_count(site: Path) -> int:
    return len(list((site / "exams").glob("*.yaml")))


def preview(site: Path) -> IncrementalSite:
    return IncrementalSite(site / "exams.yaml", fake_proview=True, submission_url="/__examsite/submissions",
                           extra_connect=("ws://127.0.0.1:8000",))


def pages_of(result, exam_id):
    return {name: content for name, content in result.files.items() if name.startswith(exam_id + "/")}


def test_one_exam_edit_rerenders_that_exam_only(site):
    builder = preview(site)
    first = builder.rebuild()
    assert first.rendered == 4 and not first.errors  # the four example exams
    instructions = site / "exams" / "algebra-quiz.md"
    save(instructions, instructions.read_text() + "\nBring a pencil.\n")
    second = builder.rebuild([instructions.resolve()])
    assert second.rendered == 1
    assert b"Bring a pencil." in second.files["algebra-quiz/index.html"]
    # The other exam's pages are the very same objects: nothing re-rendered there.
    for name, content in pages_of(first, "data-structures-final").items():
        assert second.files[name] is content
    assert not second.same_files(first)


def test_an_exam_in_a_new_language_brings_its_catalogue(site):
    """The preview publishes the message catalogue of every language its exams are in, and only those."""
    builder = preview(site)

    def languages(result) -> list[str]:
        return sorted(name.split(".")[1] for name in result.files if name.startswith("assets/messages."))

    assert languages(builder.rebuild()) == ["en", "fr"]
    chemistry = site / "exams" / "chimie-etats.yaml"
    save(chemistry, chemistry.read_text().replace("lang: fr\n", "lang: de\n"))
    result = builder.rebuild([chemistry.resolve()])
    assert result.rendered == 1 and not result.errors
    assert languages(result) == ["de", "en"]
    [german] = [name for name in result.files if name.startswith("assets/messages.de.")]
    assert german.removeprefix("assets/").encode() in result.files["chimie-etats/index.html"]


def test_template_and_config_changes_rerender_everything(site):
    builder = preview(site)
    builder.rebuild()
    templates = site / "templates"
    templates.mkdir()
    save(templates / "page.html", '{% extends "examsite/page.html" %}{% block footer_content %}<p>Proctored.</p>'
                                  "{% endblock %}")
    result = builder.rebuild([(templates / "page.html").resolve()])
    assert result.rendered == 4 and b"<p>Proctored.</p>" in result.files["algebra-quiz/index.html"]
    config = site / "exams.yaml"
    save(config, config.read_text().replace("Northwind University exams", "Southwind exams"))
    result = builder.rebuild([config.resolve()])
    assert result.rendered == 4 and b"Southwind exams" in result.files["data-structures-final/index.html"]


def test_a_comment_in_exams_yaml_rerenders_nothing(site):
    builder = preview(site)
    first = builder.rebuild()
    config = site / "exams.yaml"
    save(config, "# a comment\n" + config.read_text())
    result = builder.rebuild([config.resolve()])
    assert result.rendered == 0 and result.same_files(first) and result.diagnostics == first.diagnostics


def test_invalid_save_keeps_the_last_good_pages_and_reports_positions(site):
    builder = preview(site)
    first = builder.rebuild()
    exam = site / "exams" / "algebra-quiz.yaml"
    good = exam.read_text()
    save(exam, good.replace("    points: 3\n", "    points: three\n"))
    broken = builder.rebuild([exam.resolve()])
    assert [str(d).split(": error: ")[0] for d in broken.errors] == ["exams/algebra-quiz.yaml:22:13"]
    assert broken.files["algebra-quiz/index.html"] is first.files["algebra-quiz/index.html"]
    assert broken.inputs.broken == frozenset({exam.resolve()})
    save(exam, good)
    fixed = builder.rebuild([exam.resolve()])
    assert not fixed.errors and fixed.same_files(first)


def test_a_broken_exams_yaml_keeps_everything(site):
    builder = preview(site)
    first = builder.rebuild()
    config = site / "exams.yaml"
    save(config, config.read_text().replace("exams:\n  - exams/*.yaml", "exams:\n  - [exams/*.yaml"))
    broken = builder.rebuild([config.resolve()])
    assert broken.errors and all(str(d).startswith("exams.yaml:") for d in broken.errors)
    assert broken.same_files(first) and broken.keys == first.keys


def test_new_exam_file_and_missing_markdown_created_later(site):
    builder = preview(site)
    builder.rebuild()
    new = site / "exams" / "geometry.yaml"
    save(new, "id: geometry\ntitle: Geometry\ninstructions: geometry.md\ntime_limit: 10\nquestions:\n"
              "  - {id: g1, type: true_false, prompt: A square is a rectangle., answer: true}\n")
    result = builder.rebuild([new.resolve()])
    assert result.rendered == 1 and "geometry/index.html" not in result.files
    assert [d.message for d in result.errors] == ["Markdown file 'geometry.md' not found (looked in exams)"]
    # The missing file is in no model, so the broken exam's folder is watched and it is re-read.
    assert str(new.parent / "**" / "*") in result.inputs.targets()
    markdown = site / "exams" / "geometry.md"
    save(markdown, "Draw what you need.\n")
    result = builder.rebuild([markdown.resolve()])
    assert not result.errors and b"Draw what you need." in result.files["geometry/index.html"]
    new.unlink()
    result = builder.rebuild([new.resolve()])
    assert "geometry/index.html" not in result.files and not result.errors


def test_an_edited_image_gets_a_new_name(site):
    builder = preview(site)
    first = builder.rebuild()
    image = site / "exams" / "images" / "triangle.svg"
    save(image, image.read_text().replace("</svg>", "<!-- v2 --></svg>"))
    second = builder.rebuild([image.resolve()])
    old = {n for n in first.files if n.startswith("assets/img/")}
    new = {n for n in second.files if n.startswith("assets/img/")}
    assert second.rendered == 1 and len(new) == 1 and new != old


def test_dependencies_and_what_a_change_affects(site):
    builder = preview(site)
    result = builder.rebuild()
    quiz = (site / "exams" / "algebra-quiz.yaml").resolve()
    final = (site / "exams" / "data-structures-final.yaml").resolve()
    deps = result.inputs.exam_dependencies[quiz]
    assert {p.name for p in deps} == {"algebra-quiz.yaml", "algebra-quiz.md", "explain-method.md", "triangle.svg"}
    inputs = result.inputs
    assert affected([(site / "exams" / "images" / "triangle.svg").resolve()], inputs).exams == {quiz}
    assert affected([(site / "exams" / "data-structures-final.md").resolve()], inputs).exams == {final}
    assert affected([(site / "templates" / "page.html").resolve()], inputs).everything
    assert affected([(site / "exams.yaml").resolve()], inputs).everything
    assert affected([(site / "README.txt").resolve()], inputs) == affected([], inputs)
    targets = inputs.targets()
    assert str(site.resolve() / "exams" / "*.yaml") in targets
    assert str((site / "exams" / "questions" / "explain-method.md").resolve()) in targets


def test_exam_dependencies_include_raw_html_and_reference_images(site):
    exam = site / "exams" / "pictures.yaml"
    save(exam, "id: pictures\ntitle: Pictures\ntime_limit: 5\nquestions:\n"
               "  - id: p1\n    type: true_false\n    answer: true\n    prompt: |\n"
               '      <img src="images/a.png" alt="A">\n\n      ![B][b]\n\n      [b]: images/b.png\n\n'
               "      ![Remote](https://example.edu/c.png)\n")
    loaded = load_exam(exam, Diagnostics(), SiteFiles.of(site))
    names = {p.name for p in exam_dependencies(loaded)}
    assert names == {"pictures.yaml", "a.png", "b.png"}  # the remote image is no file to watch


def test_incremental_output_equals_a_fresh_build_with_the_same_options(site):
    """Per-exam reuse changes nothing in the output: the preview and a build share one assembly."""
    builder = preview(site)
    first = builder.rebuild()
    instructions = site / "exams" / "algebra-quiz.md"
    save(instructions, instructions.read_text() + "\nOne more line.\n")
    result = builder.rebuild([instructions.resolve()])
    diagnostics = Diagnostics()
    config = load_config(site / "exams.yaml", None, diagnostics)
    options = preview_options(config, fake_proview=True, submission_url="/__examsite/submissions",
                              extra_connect=("ws://127.0.0.1:8000",))
    fresh = render_site(site / "exams.yaml", None, strict=False, page_options=options, run=RunOptions(jobs=1),
                        keep_cache=False).site
    assert dict(fresh.files) == dict(result.files) and dict(fresh.keys) == dict(result.keys)
    assert fresh.files["manifest.json"] != first.files["manifest.json"]


def test_a_stopping_server_abandons_a_rebuild(site):
    from generator.preview.site import Stopped

    builder = preview(site)
    builder.rebuild()
    builder.stopping.set()  # what Ctrl-C does from the server's thread
    with pytest.raises(Stopped):
        builder.rebuild()
    with pytest.raises(Stopped):
        builder.rebuild([(site / "exams" / "algebra-quiz.yaml").resolve()])


@pytest.mark.parametrize("env", [None, "prod"])
def test_a_prod_configured_site_previews_with_the_stand_in(site, monkeypatch, env):
    """Most real sites say `environment: prod` (or have a prod overlay) and take the DSN from the
    environment: the preview's stand-in needs neither, and says so once."""
    monkeypatch.delenv("PROVIEW_DSN", raising=False)
    config = site / "exams.yaml"
    if env is None:
        config.write_text(config.read_text().replace("environment: dev", "environment: prod")
                          .replace("dsn: ${PROVIEW_DSN:-dev-dsn}", "dsn: ${PROVIEW_DSN}"))
    builder = IncrementalSite(config, fake_proview=True, submission_url="/__examsite/submissions",
                              extra_connect=("ws://127.0.0.1:8000",), env=env)
    result = builder.rebuild()
    assert not result.errors, result.errors
    assert "algebra-quiz/index.html" in result.files
    warnings = [d.message for d in result.diagnostics]
    assert len(warnings) == 1 and "PROVIEW_DSN is not set" in warnings[0], warnings
