"""A corpus of malformed inputs: each must be reported with its message at its line."""

from __future__ import annotations

import pytest

from tests.kit.pages import page_data
from tests.kit.sites import CONFIG, EXAM, build_site, make_site, problems

ONE_QUESTION = """\
id: sample
title: Sample
time_limit: 30
questions:
{question}
"""


def exam_with(question: str) -> str:
    indented = "\n".join("  " + line for line in question.strip("\n").splitlines())
    return ONE_QUESTION.format(question=indented)


# (name, exam file text, expected line, expected fragment of the message)
EXAM_CASES = [
    ("yaml syntax", "id: sample\ntitle: [unclosed\ntime_limit: 30\n", 3, "YAML syntax error"),
    ("duplicate key", EXAM.replace("time_limit: 30\n", "time_limit: 30\ntime_limit: 40\n"), 4,
     "duplicate key 'time_limit' (first given at line 3)"),
    ("unknown exam key with suggestion", EXAM.replace("title:", "titel:"), 2, "unknown key 'titel' in an exam; did you mean 'title'?"),
    ("missing title", EXAM.replace("title: Sample exam\n", ""), 1, "an exam needs 'title'"),
    ("bad exam id", EXAM.replace("id: sample", "id: Sample Exam"), 1, "must be a URL slug"),
    ("part over 90 minutes", EXAM.replace("time_limit: 30", "time_limit: 120"), 3,
     "must not run longer than 90 minutes: split it into parts"),
    ("time limit not a number", EXAM.replace("time_limit: 30", "time_limit: half an hour"), 3,
     "'time_limit' must be a whole number, not text"),
    ("time limit zero", EXAM.replace("time_limit: 30", "time_limit: 0"), 3, "'time_limit' must be at least 1"),
    ("no questions or parts", "id: sample\ntitle: S\n", 1, "an exam needs 'parts', or 'time_limit' and 'questions'"),
    ("unknown question type", exam_with("- {id: q1, type: essay, prompt: Hi}"), 5, "unknown question type 'essay'"),
    ("question without id", exam_with("- {type: long_text, prompt: Hi}"), 5, "a question needs 'id'"),
    ("question without prompt", exam_with("- {id: q1, type: long_text}"), 5, "question 'q1' needs a 'prompt'"),
    ("unknown question key", exam_with("- {id: q1, type: long_text, prompt: Hi, pionts: 2}"), 5,
     "unknown key 'pionts' in question 'q1'; did you mean 'points'?"),
    ("key of another type", exam_with("- {id: q1, type: long_text, prompt: Hi, answer: 3}"), 5, "unknown key 'answer'"),
    ("no correct choice", exam_with("- {id: q1, type: single, prompt: Hi, choices: [a, b]}"), 5,
     "question 'q1' has no correct choice"),
    ("single with two correct", exam_with(
        "- {id: q1, type: single, prompt: Hi, choices: [{text: a, correct: true}, {text: b, correct: true}]}"), 5,
     "has 2 correct choices; mark only one, or make it 'type: multiple'"),
    ("one choice only", exam_with("- {id: q1, type: multiple, prompt: Hi, choices: [{text: a, correct: true}]}"), 5,
     "needs at least two choices"),
    ("choice without text", exam_with("- {id: q1, type: single, prompt: Hi, choices: [{correct: true}, b]}"), 5,
     "a choice of question 'q1' needs 'text'"),
    ("correct not boolean", exam_with(
        "- {id: q1, type: single, prompt: Hi, choices: [{text: a, correct: maybe}, {text: b, correct: true}]}"), 5,
     "'correct' must be true or false, not text"),
    ("true_false without answer", exam_with("- {id: q1, type: true_false, prompt: Hi}"), 5,
     "true_false question 'q1' needs 'answer: true'"),
    ("true_false answer not boolean", exam_with("- {id: q1, type: true_false, prompt: Hi, answer: 'yes please'}"), 5,
     "a true_false 'answer' must be true or false"),
    ("numeric without answer", exam_with("- {id: q1, type: numeric, prompt: Hi}"), 5, "question 'q1' needs 'answer'"),
    ("numeric answer is text", exam_with("- {id: q1, type: numeric, prompt: Hi, answer: twelve}"), 5,
     "'answer' must be a number, not text"),
    ("negative tolerance", exam_with("- {id: q1, type: numeric, prompt: Hi, answer: 3, tolerance: -1}"), 5,
     "'tolerance' must be at least 0"),
    ("short_text without answers", exam_with("- {id: q1, type: short_text, prompt: Hi}"), 5, "question 'q1' needs 'answers'"),
    ("short_text empty answers", exam_with("- {id: q1, type: short_text, prompt: Hi, answers: []}"), 5,
     "needs at least one accepted answer"),
    ("negative points", exam_with("- {id: q1, type: long_text, prompt: Hi, points: -2}"), 5, "'points' must be at least 0"),
    ("bad question id", exam_with("- {id: 'q 1', type: long_text, prompt: Hi}"), 5, "question id 'q 1' may hold only"),
    ("question is a string", exam_with("- just a question"), 5, "a question must be a mapping"),
    ("missing markdown file", EXAM.replace("title: Sample exam\n", "title: Sample exam\ninstructions: missing.md\n"), 3,
     "Markdown file 'missing.md' not found"),
    ("missing question file", exam_with("- file: questions/nope.md"), 5, "Markdown file 'questions/nope.md' not found"),
    ("image without alt text", exam_with("- {id: q1, type: long_text, prompt: 'See ![](pic.svg)'}"), 5,
     "image 'pic.svg' has no alt text"),
    ("missing image", exam_with("- {id: q1, type: long_text, prompt: 'See ![a pie](nope.png)'}"), 5,
     "image file 'nope.png' not found"),
    ("parts and top-level questions", """\
id: sample
title: S
questions: []
parts:
  - {title: A, time_limit: 10, questions: [{id: q1, type: long_text, prompt: Hi}]}
""", 3, "'questions' belongs inside each part"),
    ("unknown part key", """\
id: sample
title: S
parts:
  - title: A
    time_limt: 10
    questions: [{id: q1, type: long_text, prompt: Hi}]
""", 5, "unknown key 'time_limt' in part 1; did you mean 'time_limit'?"),
    ("empty part", """\
id: sample
title: S
parts:
  - {title: A, time_limit: 10, questions: []}
""", 4, "part 1 has no questions"),
    ("pool smaller than draw", """\
id: sample
title: S
pools:
  p: [{id: g1, type: true_false, prompt: Hi, answer: true}]
time_limit: 10
questions:
  - pool: p
    draw: 2
""", 7, "cannot draw 2 questions from pool 'p', which has only 1"),
    ("unknown pool", """\
id: sample
title: S
time_limit: 10
questions:
  - {pool: nope, draw: 1}
""", 5, "unknown pool 'nope'"),
    ("duplicate question id", """\
id: sample
title: S
time_limit: 10
questions:
  - {id: q1, type: long_text, prompt: One}
  - {id: q1, type: long_text, prompt: Two}
""", 6, "duplicate question id 'q1' (first used at"),
    ("duplicate id across pool", """\
id: sample
title: S
pools:
  p: [{id: q1, type: true_false, prompt: Hi, answer: true}]
time_limit: 10
questions:
  - {id: q1, type: long_text, prompt: One}
  - {pool: p, draw: 1}
""", 4, "duplicate question id 'q1'"),
    ("shuffle not a mapping", EXAM.replace("time_limit: 30", "time_limit: 30\nshuffle: yes"), 4,
     "'shuffle' must be a mapping"),
    ("unknown shuffle key", EXAM.replace("time_limit: 30", "time_limit: 30\nshuffle: {question: true}"), 4,
     "unknown key 'question' in 'shuffle'; did you mean 'questions'?"),
    ("extra time too large", EXAM + "accommodations:\n  - {extra_time: 500, attendees: [a]}\n", 13,
     "'extra_time' is a percentage of the time limit, at most 200"),
    ("attendee with two accommodations", EXAM + "accommodations:\n  - {extra_time: 25, attendees: [a]}\n"
     "  - {extra_time: 50, attendees: [a]}\n", 14, "attendee 'a' has two accommodations"),
    ("bad language", EXAM.replace("time_limit: 30", "time_limit: 30\nlanguages: [English]"), 4,
     "'English' is not a language code"),
    ("unknown display", EXAM.replace("time_limit: 30", "time_limit: 30\ndisplay: one_per_pgae"), 4,
     "'display' must be one of all, one_per_page, not 'one_per_pgae'; did you mean 'one_per_page'?"),
    ("unknown display in a part", """\
id: sample
title: S
parts:
  - title: A
    time_limit: 10
    display: paged
    questions: [{id: q1, type: long_text, prompt: Hi}]
""", 6, "'display' must be one of all, one_per_page, not 'paged'"),
    ("display beside parts", """\
id: sample
title: S
display: one_per_page
parts:
  - {title: A, time_limit: 10, questions: [{id: q1, type: long_text, prompt: Hi}]}
""", 3, "'display' belongs inside each part"),
]


@pytest.mark.parametrize("text,line,message", [case[1:] for case in EXAM_CASES], ids=[case[0] for case in EXAM_CASES])
def test_malformed_exam_is_reported_at_its_line(tmp_path, text, line, message):
    config = make_site(tmp_path, {"sample": text})
    reported = problems(config)
    matching = [p for p in reported if message in p]
    assert matching, f"expected '{message}' in {reported}"
    assert any(f"/exams/sample.yaml:{line}:" in p and ": error: " in p for p in matching), reported


CONFIG_CASES = [
    ("missing DSN", CONFIG.replace("dsn: test-dsn", "dsn: ''"), 2, "Missing DSN"),
    ("unknown top-level key", CONFIG + "sumission: {url: x}\n", 5, "unknown key 'sumission' in the site configuration; did you mean 'submission'?"),
    ("unknown proview key", CONFIG.replace("sdk: v8", "sdk: v8, enviroment: dev"), 2, "did you mean 'environment'?"),
    ("bad sdk", CONFIG.replace("sdk: v8", "sdk: v9"), 2, "proview.sdk must be one of v8, legacy, not 'v9'"),
    ("bad environment", CONFIG.replace("environment: dev", "environment: production"), 2,
     "proview.environment must be one of dev, staging, prod"),
    ("unset variable", CONFIG.replace("dsn: test-dsn", "dsn: ${EXAMSITE_TEST_UNSET_DSN}"), 2,
     "environment variable EXAMSITE_TEST_UNSET_DSN is not set"),
    ("staging without loader", CONFIG.replace("environment: dev", "environment: staging"), 2,
     "the staging environment has no public loader URL"),
    ("http submission in prod", CONFIG.replace("environment: dev", "environment: prod")
     .replace("https://api.example.edu", "http://api.example.edu"), 3, "submission.url must use https"),
    ("http base url in prod", CONFIG.replace("environment: dev", "environment: prod")
     .replace("base_url: https://", "base_url: http://"), 1, "site.base_url must use https"),
    ("relative submission url", CONFIG.replace("https://api.example.edu/submissions", "/submissions"), 3,
     "submission.url must be an absolute http(s) URL"),
    ("exam glob matches nothing", CONFIG.replace("exams/*.yaml", "quizzes/*.yaml"), 4, "no exam file matches 'quizzes/*.yaml'"),
    ("refresh at the limit", CONFIG.replace("sdk: v8", "sdk: v8, refresh_after_minutes: 90"), 2,
     "refresh_after_minutes must be below 90"),
    ("legacy token not a GUID", CONFIG.replace("sdk: v8", "sdk: legacy, token: not-a-guid"), 2,
     "proview.token must be the legacy account token, a GUID"),
    ("legacy bad session type", CONFIG.replace("sdk: v8", "sdk: legacy, token: b3f6224e-d072-4aea-9053-9216b9994d43, "
                                               "session_type: proctor"), 2, "proview.session_type must be one of"),
    ("config yaml syntax", "site: {title: x\nproview: [\n", 2, "YAML syntax error"),
    ("signed links not a boolean", CONFIG.replace("submission: {url: https://api.example.edu/submissions}",
                                                  "submission: {url: https://api.example.edu/submissions, "
                                                  "require_signed_links: always}"), 3,
     "'require_signed_links' must be true or false"),
]


@pytest.mark.parametrize("config,line,message", [case[1:] for case in CONFIG_CASES], ids=[case[0] for case in CONFIG_CASES])
def test_malformed_config_is_reported_at_its_line(tmp_path, config, line, message):
    path = make_site(tmp_path, config=config)
    reported = problems(path, environ={})
    matching = [p for p in reported if message in p]
    assert matching, f"expected '{message}' in {reported}"
    assert any(f"/exams.yaml:{line}:" in p and ": error: " in p for p in matching), reported


def test_all_errors_of_a_file_are_reported_together(tmp_path):
    text = exam_with("""\
- {id: q1, type: single, prompt: Hi, choices: [a, b]}
- {id: q2, type: numeric, prompt: Hi, answer: lots}
- {id: q3, type: essay, prompt: Hi}""")
    reported = problems(make_site(tmp_path, {"sample": text}))
    assert any("/sample.yaml:5:" in p and "no correct choice" in p for p in reported)
    assert any("/sample.yaml:6:" in p and "'answer' must be a number" in p for p in reported)
    assert any("/sample.yaml:7:" in p and "unknown question type 'essay'" in p for p in reported)


def test_errors_from_several_files_are_reported_together(tmp_path):
    reported = problems(make_site(tmp_path, {"a": EXAM.replace("id: sample", "id: a").replace("title:", "titel:"),
                                             "b": EXAM.replace("id: sample", "id: b").replace("time_limit: 30", "time_limit: 95")}))
    assert any("/exams/a.yaml:2:" in p for p in reported), reported
    assert any("/exams/b.yaml:3:" in p for p in reported), reported


def test_duplicate_exam_ids_across_files(tmp_path):
    reported = problems(make_site(tmp_path, {"a": EXAM, "b": EXAM}))
    assert any("/exams/b.yaml:1:" in p and "exam id 'sample' is already used by " in p and "/exams/a.yaml;" in p
               for p in reported), reported


def test_front_matter_errors_point_into_the_markdown_file(tmp_path):
    config = make_site(tmp_path, {"sample": exam_with("- file: q.md")}, files={
        "exams/q.md": "---\nid: q9\ntype: numeric\nanswr: 3\n---\nWhat is 1 + 2?\n"})
    reported = problems(config)
    assert any("/exams/q.md:4:" in p and "unknown key 'answr'" in p for p in reported), reported


def test_image_error_line_inside_a_block_prompt(tmp_path):
    text = exam_with("""\
- id: q1
  type: long_text
  prompt: |
    First line.

    ![](missing-alt.svg)""")
    config = make_site(tmp_path, {"sample": text}, files={"exams/missing-alt.svg": "<svg/>"})
    reported = problems(config)
    assert any("/exams/sample.yaml:10:" in p and "has no alt text" in p for p in reported), reported
    # ... at the column where the image's file name is written, past the block's indentation
    assert any("/exams/sample.yaml:10:11:" in p and "has no alt text" in p for p in reported), reported


def test_rule_breaking_and_rendering_problems_are_reported_in_one_run(tmp_path):
    """A missing correct choice does not hide a missing image or invalid TeX in the same file."""
    text = exam_with("""\
- {id: q1, type: single, prompt: Hi, choices: [a, b]}
- {id: q2, type: numeric, prompt: 'Solve $\\frac{1}{$', answer: 2}
- {id: q3, type: long_text, prompt: 'See ![a tree](bts.svg)'}""")
    reported = problems(make_site(tmp_path, {"sample": text}, files={"exams/bst.svg": "<svg/>"}))
    assert any("/sample.yaml:5:" in p and "no correct choice" in p for p in reported), reported
    assert any("/sample.yaml:6:" in p and "never closed in formula" in p for p in reported), reported
    assert any("/sample.yaml:7:" in p and "image file 'bts.svg' not found" in p and "did you mean 'bst.svg'?" in p
               for p in reported), reported


def test_warnings_do_not_fail_but_are_reported(tmp_path):
    text = EXAM + "pools:\n  unused: [{id: g1, type: true_false, prompt: Hi, answer: true}]\n"
    reported = problems(make_site(tmp_path, {"sample": text}))
    assert any(": warning: pool 'unused' is never drawn from" in p for p in reported), reported


def test_valid_site_has_no_problems(tmp_path):
    assert problems(make_site(tmp_path)) == []


@pytest.mark.parametrize("pattern", ["exams/*.yaml", "*/*.yaml", "exams/a?.yaml", "exams/[ab]*", "exams/*/*.yaml",
                                     "*/nested/*", "exams/*", "missing/*.yaml", "exams/a1.yaml/*", "exams/**/*.yaml",
                                     "../site/exams/*.yaml"])
def test_exam_globs_match_what_path_glob_matches(tmp_path, pattern):
    from generator.site.config import _glob_files

    root = tmp_path / "site"
    for name in ("exams/a1.yaml", "exams/a2.yaml", "exams/b.yaml", "exams/.hidden.yaml", "exams/nested/c.yaml",
                 "exams/notes.md", "other/d.yaml"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("x")
    (root / "exams" / "folder.yaml").mkdir()  # a folder is not an exam
    (root / "exams" / "link.yaml").symlink_to(root / "other" / "d.yaml")  # a link to a file is
    expected = sorted((p for p in root.glob(pattern) if p.is_file()), key=lambda p: p.parts)
    assert _glob_files(root, pattern) == expected
    assert expected or pattern.startswith(("missing", "exams/a1.yaml/"))


def test_tabs_are_reported_on_every_line_and_do_not_hide_other_problems(tmp_path):
    text = "id: sample\ntitle: Sample\ntime_limit: 30\nquestions:\n\t- id: q1\n\t  type: long_txt\n\t  prompt: Hi\n"
    reported = problems(make_site(tmp_path, {"sample": text}))
    tabs = [p for p in reported if "a tab in the indentation: YAML indents with spaces only" in p]
    assert [p.split(":")[1] for p in tabs] == ["5", "6", "7"], reported
    assert any("/sample.yaml:6:" in p and "unknown question type 'long_txt'" in p for p in reported), reported


def test_a_colon_in_an_unquoted_value_says_to_quote_it(tmp_path):
    text = exam_with("- {id: q1, type: long_text, prompt: Hi}").replace("prompt: Hi}", "prompt: Hi}\n") + \
        "  - id: q2\n    type: long_text\n    prompt: Explain this: why?\n"
    reported = problems(make_site(tmp_path, {"sample": text}))
    assert any("mapping values are not allowed" in p and 'must be quoted, e.g. prompt: "Explain this: why?"' in p
               for p in reported), reported



def test_display_reaches_each_part_page_and_defaults_to_all(tmp_path):
    """`display: one_per_page` is a part's own: its page says so to the runtime; a part without
    it shows all its questions."""
    text = """\
id: sample
title: S
parts:
  - {title: A, time_limit: 10, display: one_per_page, questions: [{id: q1, type: long_text, prompt: Hi}]}
  - {title: B, time_limit: 10, questions: [{id: q2, type: long_text, prompt: Hi}]}
"""
    config = make_site(tmp_path / "site", {"sample": text})
    build_site(config, tmp_path / "out", tmp_path / "keys")
    pages = [tmp_path / "out" / "sample" / "index.html", tmp_path / "out" / "sample" / "part-2" / "index.html"]
    assert [page_data(page.read_bytes())["part"]["display"] for page in pages] == ["one_per_page", "all"]


@pytest.mark.parametrize("template, message", [
    ("{{ nope( }}", "template error: unexpected '}', expected ')'"),
    ("{{ missing_var }}", "template error: 'missing_var' is undefined"),
])
def test_a_broken_site_template_is_one_error_not_a_traceback(tmp_path, template, message):
    page = '{% extends "examsite/page.html" %}{% block footer_content %}' + template + "{% endblock %}\n"
    config = make_site(tmp_path, {"a": EXAM.replace("id: sample", "id: a"), "b": EXAM.replace("id: sample", "id: b")},
                       files={"templates/page.html": page})
    reported = problems(config)
    assert [p for p in reported if message in p] == [p for p in reported if "templates/page.html:1:" in p], reported
    assert len([p for p in reported if message in p]) == 1, reported
