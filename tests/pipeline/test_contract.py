"""A site's own page template is held to the page contract (docs/page-contract.md)."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from generator.render.contract import RUNTIME_IDS, contract_problems
from generator.diagnostics import InvalidInput
from tests.kit.sites import CONFIG, build_site, make_site, problems

PACKAGE = Path(__file__).resolve().parents[2] / "generator" / "render"
PACKAGE_PAGE = (PACKAGE / "templates" / "page.html").read_text(encoding="utf-8")


def _built_page(tmp_path: Path, template: str | None = None) -> str:
    files = {"templates/page.html": template} if template is not None else {}
    config = make_site(tmp_path / "site", files=files)
    build_site(config, tmp_path / "out", tmp_path / "keys")
    return (tmp_path / "out" / "sample" / "index.html").read_text(encoding="utf-8")


def test_the_runtime_ids_are_those_the_runtime_looks_up_and_the_package_page_holds(tmp_path):
    runtime = "".join((PACKAGE / "runtime" / name).read_text(encoding="utf-8")
                      for name in ("exam.js", "sdk-v8.js", "sdk-legacy.js"))
    looked_up = set(re.findall(r"""(?:\$|getElementById)\(['"]([a-z-]+)['"]\)""", runtime))
    page = _built_page(tmp_path)
    held = set(re.findall(r'\bid="([a-z-]+)"', page))
    assert set(RUNTIME_IDS) == looked_up & held


def test_an_override_that_extends_the_package_page_keeps_the_contract(tmp_path):
    template = """\
        {% extends "examsite/page.html" %}
        {% block footer %}<footer><p>Integrity office</p></footer>{% endblock %}
        {% block head %}<link rel="icon" href="data:,">{% endblock %}
        """
    config = make_site(tmp_path, files={"templates/page.html": template})
    assert problems(config) == []


def _own_page(edit) -> str:
    """The package's page as a site's own template (not extending it), edited."""
    return edit(PACKAGE_PAGE)


@pytest.mark.parametrize("edit, message", [
    (lambda page: re.sub(r"\n<script src=\"\{\{ assets\['messages.js'\].url }}\"[^\n]*", "", page),
     "does not load ../assets/messages.en."),
    (lambda page: page.replace('id="start-exam"', 'id="begin"'), "it has no #start-exam, which the exam's script"),
    (lambda page: page.replace('id="submit-exam"', 'data-id="submit-exam"'), "it has no #submit-exam"),
    (lambda page: page.replace(' async crossorigin="anonymous"', ""), 'the Proview loader must be <script id="proview'),
    (lambda page: page.replace("</body>", '<script src="{{ assets[\'exam.js\'].url }}"></script>\n</body>'),
     "the Proview loader must be the page's last script"),
    (lambda page: page.replace('<script id="proview-loader"', '<script src="{{ loader_url }}" async '
                                                              'crossorigin="anonymous"></script>\n<script id="proview-loader"'),
     "it must load the Proview loader https://dev.proview.io/cdn/init.js once; it does 2 times"),
    (lambda page: page.replace('<meta http-equiv="Content-Security-Policy" content="{{ csp }}">', ""),
     "its Content-Security-Policy <meta>"),
    (lambda page: page.replace("integrity=\"{{ assets['sdk.js'].integrity }}\"", ""),
     "without its integrity, or not in order"),
])
def test_a_page_template_that_breaks_the_contract_fails_the_build_at_the_template(tmp_path, edit, message):
    config = make_site(tmp_path / "site", files={"templates/page.html": ""})
    (tmp_path / "site" / "templates" / "page.html").write_text(_own_page(edit), encoding="utf-8")
    found = problems(config)
    at_template = re.compile(r"(^|/)templates/page\.html:1:1: error: a page made from this template breaks the "
                             r"page contract \(docs/page-contract\.md\): ")
    assert found and all(at_template.search(line) for line in found), found
    assert any(message in line for line in found), found
    with pytest.raises(InvalidInput):
        build_site(config, tmp_path / "out", tmp_path / "keys")
    assert not (tmp_path / "out").exists()


def test_the_package_page_itself_keeps_the_contract(tmp_path):
    page = _built_page(tmp_path)
    scripts = re.findall(r'<script src="([^"]+)" integrity="([^"]+)"></script>', page)
    policy = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', page).group(1)
    assert len(scripts) == 3
    assert contract_problems(page, runtime=scripts, loader_url="https://dev.proview.io/cdn/init.js",
                             policy=html.unescape(policy)) == []


@pytest.mark.parametrize("sdk", ["v8", "legacy, token: b3f6224e-d072-4aea-9053-9216b9994d43"])
def test_the_package_page_as_a_sites_own_template_keeps_the_contract(tmp_path, sdk):
    config = make_site(tmp_path, config=CONFIG.replace("sdk: v8", f"sdk: {sdk}"),
                       files={"templates/page.html": PACKAGE_PAGE})
    assert problems(config) == []
