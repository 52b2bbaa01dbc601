"""The output contract of `examsite build`: layout, pages, headers, manifest, keys, atomicity."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest

from generator.build.run import RunOptions, build
from generator.diagnostics import ExamsiteError, InvalidInput
from generator.render.pages import PageOptions
from tests.kit.pages import page_csp, page_data, parse
from tests.kit.sites import CONFIG, EXAM, dedent, make_site, read_tree

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def examples(tmp_path_factory):
    """The repository's example exams, built once."""
    root = tmp_path_factory.mktemp("examples")
    shutil.copy(REPO / "exams.yaml", root / "exams.yaml")
    shutil.copytree(REPO / "exams", root / "exams")
    out, keys = root / "output", root / "keys"
    summary = build(root / "exams.yaml", None, out, keys)
    return root, out, keys, summary


def site_folder(root: Path) -> list[str]:
    """What a build left beside exams.yaml, less its build cache."""
    return sorted(p.name for p in root.iterdir() if p.name != ".examsite")


def test_examples_layout(examples):
    _, out, keys, summary = examples
    files = read_tree(out)
    assert {"algebra-quiz/index.html", "data-structures-final/index.html", "data-structures-final/part-2/index.html",
            "physics-kinematics/index.html", "chimie-etats/index.html",
            "manifest.json", "robots.txt", "_headers"} <= set(files)
    assert any(re.fullmatch(r"assets/exam\.[0-9a-f]{16}\.js", name) for name in files)
    assert any(re.fullmatch(r"assets/exam\.[0-9a-f]{16}\.css", name) for name in files)
    assert any(re.fullmatch(r"assets/img/triangle\.[0-9a-f]{16}\.svg", name) for name in files)
    # The interface's texts: one file per language the exams are in (chimie-etats is French).
    assert sorted(name.split(".")[1] for name in files if name.startswith("assets/messages.")) == ["en", "fr"]
    assert sorted(p.name for p in keys.iterdir()) == ["BUILD", "algebra-quiz.json", "chimie-etats.json",
                                                      "data-structures-final.json", "physics-kinematics.json"]
    assert (summary.exams, summary.parts, summary.pages) == (4, 5, 5)
    assert files["robots.txt"] == b"User-agent: *\nDisallow: /\n"


def test_asset_names_are_content_hashes_and_tags_carry_integrity(examples):
    _, out, _, _ = examples
    page = out / "algebra-quiz" / "index.html"
    parser = parse(page.read_bytes())
    loaded = [(a.get("src") or a.get("href"), a.get("integrity")) for tag, a in parser.tags
              if (tag == "script" and a.get("src") and "assets/" in a["src"]) or (tag == "link" and a.get("rel") == "stylesheet")]
    assert len(loaded) >= 3
    for url, integrity in loaded:
        content = (page.parent / url).resolve().read_bytes()
        assert hashlib.sha256(content).hexdigest()[:16] in url
        assert integrity == "sha384-" + base64.b64encode(hashlib.sha384(content).digest()).decode()


def test_manifest_lists_every_file_with_its_digest(examples):
    _, out, _, _ = examples
    manifest = json.loads((out / "manifest.json").read_text())
    files = read_tree(out)
    del files["manifest.json"]
    assert set(manifest["files"]) == set(files)
    for name, content in files.items():
        assert manifest["files"][name] == {"sha256": hashlib.sha256(content).hexdigest(), "size": len(content)}
    final = next(e for e in manifest["exams"] if e["id"] == "data-structures-final")
    assert [p["url"] for p in final["parts"]] == ["https://exams.example.edu/data-structures-final/",
                                                  "https://exams.example.edu/data-structures-final/part-2/"]
    assert "built_at" not in manifest


def test_bootstrap_order_follows_the_seed(examples):
    _, out, _, _ = examples
    for page in ("algebra-quiz/index.html", "data-structures-final/part-2/index.html"):
        scripts = parse((out / page).read_bytes()).scripts
        loader = scripts[-1][0]
        # The loader is the last script, async, anonymous CORS, from the dev environment's URL.
        assert loader["src"] == "https://dev.proview.io/cdn/init.js"
        assert "async" in loader and loader["crossorigin"] == "anonymous"
        assert sum(1 for a, _ in scripts if a.get("src", "").endswith("init.js")) == 1
        hooks = [i for i, (a, text) in enumerate(scripts) if "window.proviewOnLoad" in text]
        assert hooks and hooks[0] < len(scripts) - 1
        data_index = next(i for i, (a, _) in enumerate(scripts) if a.get("id") == "examsite-data")
        runtime = [i for i, (a, _) in enumerate(scripts) if "/assets/" in a.get("src", "")]
        assert data_index < min(runtime) and max(runtime) < hooks[0]
        for attributes, _ in scripts[:-1]:
            assert "async" not in attributes and "defer" not in attributes


def test_page_embeds_the_exam_as_data_not_as_visible_questions(examples):
    _, out, _, _ = examples
    html = (out / "algebra-quiz" / "index.html").read_bytes()
    data = page_data(html)
    assert data["exam"]["id"] == "algebra-quiz"
    assert data["part"] == {"index": 1, "title": "Algebra quiz, week 6", "time_limit_seconds": 2400,
                            "next_url": None, "question_count": 7, "display": "all"}
    assert data["proview"]["dsn"] == "dev-dsn" and data["proview"]["languages"] == ["en"]
    assert data["submission"] == {"url": "https://api.example.edu/submissions"}  # no signed links asked for
    first = data["items"][0]["question"]
    assert first["prompt_html"] == "<p>Solve for <em>x</em>: <code>3x + 5 = 20</code>.</p>"
    visible = " ".join(parse(html).text)
    assert "Solve for" not in visible and "3x + 5" not in visible
    part1 = page_data((out / "data-structures-final" / "index.html").read_bytes())
    assert part1["part"]["next_url"] == "part-2/"
    pool = next(item for item in part1["items"] if item["kind"] == "pool")
    assert pool["draw"] == 2 and len(pool["questions"]) == 4


def test_page_csp_matches_header_and_allows_only_what_is_needed(examples):
    _, out, _, _ = examples
    meta = page_csp((out / "algebra-quiz" / "index.html").read_bytes())
    directives = {part.split()[0]: part.split()[1:] for part in meta.split("; ")}
    assert directives["script-src"] == ["'self'", "'unsafe-inline'", "https://*.proview.io"]
    assert directives["style-src"] == ["'self'", "'unsafe-inline'"]
    assert directives["connect-src"] == ["'self'", "https://*.googleapis.com", "https://*.talview.com",
                                         "wss://*.talview.com", "https://api.example.edu"]
    assert directives["img-src"] == ["'self'", "https://*.proview.io"]
    assert "http:" not in meta.replace("https:", "")
    headers = (out / "_headers").read_text()
    assert f"/algebra-quiz/*\n  Content-Security-Policy: {meta}\n" in headers
    assert "X-Content-Type-Options: nosniff" in headers and "Referrer-Policy:" in headers
    assert "/assets/*\n  Cache-Control: public, max-age=31536000, immutable" in headers
    assert "Permissions-Policy" not in headers


def test_markdown_html_is_sanitized_and_data_cannot_close_its_script(tmp_path):
    exam = EXAM.replace("prompt: Pick four.", "prompt: \"</script><script>alert(1)</script> <b onclick=x>bold</b> "
                                              "<img src=x onerror=alert(2) alt=pic> <iframe src=https://evil.example></iframe>\"")
    config = make_site(tmp_path, {"sample": exam}, files={"exams/x": b""})
    with pytest.raises(InvalidInput) as raised:  # a raw-HTML image is checked like any other
        build(config, None, tmp_path / "out", tmp_path / "keys")
    assert any("image 'x' is not an image file" in str(d) for d in raised.value.diagnostics)
    exam = exam.replace("<img src=x onerror=alert(2) alt=pic>", "")
    make_site(tmp_path, {"sample": exam})
    build(config, None, tmp_path / "out", tmp_path / "keys")
    html = (tmp_path / "out" / "sample" / "index.html").read_bytes()
    assert b"</script><script>alert" not in html and b"onclick" not in html and b"<iframe" not in html
    prompt = page_data(html)["items"][0]["question"]["prompt_html"]
    assert "<script" not in prompt and "alert(1)" not in prompt
    assert "<b>bold</b>" in prompt


def test_build_is_deterministic_and_honours_source_date_epoch(tmp_path, monkeypatch):
    shutil.copy(REPO / "exams.yaml", tmp_path / "exams.yaml")
    shutil.copytree(REPO / "exams", tmp_path / "exams")
    build(tmp_path / "exams.yaml", None, tmp_path / "a", tmp_path / "ka")
    build(tmp_path / "exams.yaml", None, tmp_path / "b", tmp_path / "kb")
    assert read_tree(tmp_path / "a") == read_tree(tmp_path / "b")
    assert read_tree(tmp_path / "ka") == read_tree(tmp_path / "kb")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    build(tmp_path / "exams.yaml", None, tmp_path / "c", tmp_path / "kc")
    assert json.loads((tmp_path / "c" / "manifest.json").read_text())["built_at"] == "2026-01-01T00:00:00Z"


def test_invalid_input_leaves_previous_output_untouched(tmp_path):
    config = make_site(tmp_path)
    out, keys = tmp_path / "output", tmp_path / "keys"
    build(config, None, out, keys)
    before, keys_before = read_tree(out), read_tree(keys)
    (tmp_path / "exams" / "sample.yaml").write_text(EXAM.replace("time_limit: 30", "time_limit: 300"))
    with pytest.raises(InvalidInput):
        build(config, None, out, keys)
    assert read_tree(out) == before and read_tree(keys) == keys_before
    assert site_folder(tmp_path) == ["exams", "exams.yaml", "keys", "output"]


def test_rebuild_replaces_output_and_leaves_no_temporary_folders(tmp_path):
    config = make_site(tmp_path)
    out, keys = tmp_path / "output", tmp_path / "keys"
    build(config, None, out, keys)
    (out / "stale.html").write_text("old")
    build(config, None, out, keys)
    assert not (out / "stale.html").exists()
    assert site_folder(tmp_path) == ["exams", "exams.yaml", "keys", "output"]


def test_refuses_keys_inside_output_and_foreign_output_folders(tmp_path):
    config = make_site(tmp_path)
    with pytest.raises(ExamsiteError, match="answer keys would be published"):
        build(config, None, tmp_path / "output", tmp_path / "output" / "keys")
    # The keys folder is swapped in whole: an output folder inside it would be swapped away.
    with pytest.raises(ExamsiteError, match="is inside the keys folder"):
        build(config, None, tmp_path / "keys" / "output", tmp_path / "keys")
    assert not (tmp_path / "output").exists() and not (tmp_path / "keys").exists()
    foreign = tmp_path / "site"
    foreign.mkdir()
    (foreign / "important.txt").write_text("mine")
    with pytest.raises(ExamsiteError, match="was not written by examsite"):
        build(config, None, foreign, tmp_path / "keys")
    assert (foreign / "important.txt").read_text() == "mine"


def test_fake_proview_is_served_locally_and_refused_for_prod(tmp_path):
    config = make_site(tmp_path)
    build(config, None, tmp_path / "out", tmp_path / "keys", page_options=PageOptions(fake_proview=True))
    loader = parse((tmp_path / "out" / "sample" / "index.html").read_bytes()).scripts[-1][0]
    assert re.fullmatch(r"\.\./assets/proview-fake\.[0-9a-f]{16}\.js", loader["src"])
    assert (tmp_path / "out" / "sample" / loader["src"]).resolve().is_file()
    prod = make_site(tmp_path / "prod", config=dedent("""\
        proview: {environment: prod, dsn: d}
        submission: {url: https://api.example.edu/s}
        exams: [exams/*.yaml]
        """))
    with pytest.raises(InvalidInput) as raised:
        build(prod, None, tmp_path / "prod-out", tmp_path / "prod-keys", page_options=PageOptions(fake_proview=True))
    assert any("--proview fake is for previews" in str(d) for d in raised.value.diagnostics)


def test_environments_and_variables(tmp_path, monkeypatch):
    config = make_site(tmp_path, config=dedent("""\
        site: {title: T, base_url: https://exams.example.edu/}
        proview: {sdk: v8, environment: dev, dsn: ${EXAMSITE_TEST_DSN:-fallback-dsn}}
        submission: {url: http://localhost:9000/submissions}
        exams: [exams/*.yaml]
        environments:
          prod:
            proview: {environment: prod, dsn: ${EXAMSITE_TEST_DSN}}
            submission: {url: https://api.example.edu/submissions}
          staging:
            proview: {environment: staging, loader_url: https://staging-cdn.example.net/init.js}
            submission: {url: https://api.example.edu/submissions}
        """))
    monkeypatch.delenv("EXAMSITE_TEST_DSN", raising=False)
    build(config, None, tmp_path / "dev", tmp_path / "k")
    dev = page_data((tmp_path / "dev" / "sample" / "index.html").read_bytes())
    assert dev["proview"]["dsn"] == "fallback-dsn"
    with pytest.raises(InvalidInput) as raised:
        build(config, "prod", tmp_path / "prod", tmp_path / "k")
    assert any("environment variable EXAMSITE_TEST_DSN is not set" in str(d) for d in raised.value.diagnostics)
    monkeypatch.setenv("EXAMSITE_TEST_DSN", "real-dsn")
    build(config, "prod", tmp_path / "prod", tmp_path / "k")
    html = (tmp_path / "prod" / "sample" / "index.html").read_bytes()
    assert page_data(html)["proview"]["dsn"] == "real-dsn"
    assert parse(html).scripts[-1][0]["src"] == "https://prod.proview.io/init.js"
    build(config, "staging", tmp_path / "staging", tmp_path / "k")
    html = (tmp_path / "staging" / "sample" / "index.html").read_bytes()
    assert parse(html).scripts[-1][0]["src"] == "https://staging-cdn.example.net/init.js"
    assert page_csp(html).startswith("script-src 'self' 'unsafe-inline' https://*.proview.io https://staging-cdn.example.net;")
    with pytest.raises(InvalidInput) as raised:
        build(config, "qa", tmp_path / "qa", tmp_path / "k")
    assert any("unknown environment 'qa'" in str(d) and "prod, staging" in str(d) for d in raised.value.diagnostics)


def test_site_templates_override_the_package_ones(tmp_path):
    config = make_site(tmp_path, files={"templates/page.html": """\
        {% extends "examsite/page.html" %}
        {% block footer_content %}<p>Academic integrity office</p>{% endblock %}
        """})
    build(config, None, tmp_path / "out", tmp_path / "keys")
    html = (tmp_path / "out" / "sample" / "index.html").read_text()
    assert "<p>Academic integrity office</p>" in html and 'id="examsite-data"' in html


def test_accommodations_are_published_only_as_salted_hashes(tmp_path):
    exam = EXAM + "accommodations:\n  - {extra_time: 50, attendees: [cand-7, cand-19]}\n  - {extra_time: 25, attendees: [cand-3]}\n"
    config = make_site(tmp_path, {"sample": exam})
    build(config, None, tmp_path / "out", tmp_path / "keys")
    html = (tmp_path / "out" / "sample" / "index.html").read_bytes()
    assert b"cand-7" not in html and b"cand-19" not in html and b"cand-3" not in html
    data = page_data(html)["accommodations"]
    salt = data["salt"]
    assert data["extra_time"][0] == {"percent": 50, "attendees": sorted(
        hashlib.sha256(f"{salt}:{who}".encode()).hexdigest() for who in ("cand-7", "cand-19"))}
    assert data["extra_time"][1]["percent"] == 25
    key = json.loads((tmp_path / "keys" / "sample.json").read_text())
    assert key["accommodations"][0] == {"extra_time_percent": 50, "attendees": ["cand-7", "cand-19"]}


def test_exchange_swaps_two_folders_in_one_step(tmp_path):
    from generator.build.files import exchange

    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x").write_text("in a")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "y").write_text("in b")
    assert exchange(tmp_path / "a", tmp_path / "b")  # Linux, on the file systems CI uses
    assert read_tree(tmp_path / "a") == {"y": b"in b"} and read_tree(tmp_path / "b") == {"x": b"in a"}
    assert not exchange(tmp_path / "a", tmp_path / "missing")  # nothing moved when it cannot
    assert read_tree(tmp_path / "a") == {"y": b"in b"}


def _moves_of(out: Path, monkeypatch) -> list[tuple[str, str]]:
    """Every rename or replace that takes or puts the output folder itself."""
    import os

    moves: list[tuple[str, str]] = []
    for name in ("rename", "replace"):
        real = getattr(os, name)

        def move(source, target, *args, real=real, **kwargs):
            if out.resolve() in (Path(source).resolve(), Path(target).resolve()):
                moves.append((str(source), str(target)))
            return real(source, target, *args, **kwargs)

        monkeypatch.setattr(os, name, move)
    return moves


@pytest.mark.parametrize("cache", [True, False], ids=["incremental", "clean"])
def test_a_rebuild_swaps_the_output_folder_without_a_moment_with_none(tmp_path, monkeypatch, cache):
    config = make_site(tmp_path / "site")
    out, keys = tmp_path / "out", tmp_path / "keys"
    build(config, None, out, keys, run=RunOptions(cache=cache))
    first = read_tree(out)
    (config.parent / "exams" / "sample.yaml").write_text(
        (config.parent / "exams" / "sample.yaml").read_text().replace("title:", "title: Renamed", 1))
    moves = _moves_of(out, monkeypatch)
    build(config, None, out, keys, run=RunOptions(cache=cache))
    assert moves == []  # exchanged, not moved out and back
    assert read_tree(out) != first and b"Renamed" in read_tree(out)["sample/index.html"]


@pytest.mark.parametrize("cache", [True, False], ids=["incremental", "clean"])
def test_where_folders_cannot_be_exchanged_the_output_is_swapped_by_renames(tmp_path, monkeypatch, cache):
    import generator.build.files

    monkeypatch.setattr(generator.build.files, "exchange", lambda first, second: False)
    config = make_site(tmp_path / "site")
    out, keys = tmp_path / "out", tmp_path / "keys"
    build(config, None, out, keys, run=RunOptions(cache=cache))
    (config.parent / "exams" / "sample.yaml").write_text(
        (config.parent / "exams" / "sample.yaml").read_text().replace("title:", "title: Renamed", 1))
    moves = _moves_of(out, monkeypatch)
    build(config, None, out, keys, run=RunOptions(cache=cache))
    assert moves and b"Renamed" in read_tree(out)["sample/index.html"]
    clean = tmp_path / "clean"
    build(config, None, clean, tmp_path / "keys-clean")
    assert read_tree(out) == read_tree(clean)


def test_signed_links_reach_the_page_data_and_the_key_holds_what_the_draws_need(tmp_path):
    config = make_site(tmp_path, {"sample": EXAM + "shuffle: {questions: true, choices: true}\n"},
                       config=CONFIG.replace("submission: {url: https://api.example.edu/submissions}",
                                             "submission: {url: https://api.example.edu/submissions, "
                                             "require_signed_links: true}"))
    build(config, None, tmp_path / "out", tmp_path / "keys")
    data = page_data((tmp_path / "out" / "sample" / "index.html").read_bytes())
    assert data["submission"] == {"url": "https://api.example.edu/submissions", "require_signed_links": True}
    key = json.loads((tmp_path / "keys" / "sample.json").read_text())
    assert key["shuffle_questions"] is True
    assert key["questions"]["q1"]["choices"] == ["a", "b"] and key["questions"]["q1"]["shuffle_choices"] is True
