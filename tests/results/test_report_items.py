"""The report's item analysis: the figures of test_stats.py's hand-computed data set in the HTML,
undefined ones as a dash, and the tables and bars in Chromium under the report's CSP, axe-clean."""

from __future__ import annotations

import re
import sys
from html import unescape
from pathlib import Path

from generator.results.grade import grade
from generator.results.report import build_report, render_html, write_report

from .test_stats import ANSWERS, KEY, record

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # as tests/a11y/conftest.py: its helpers are imported by name
    sys.path.insert(0, str(REPO))

from tests.a11y.kit import axe_violations  # noqa: E402


def report_html(candidates=ANSWERS, keys=True) -> str:
    records = [record(who, part + 1, answers[part]) for who, answers in candidates.items() for part in (0, 1)]
    return render_html(build_report(grade({"stats": KEY}, records), {}, keys={"stats": KEY} if keys else None),
                       "2026-12-03 12:00 UTC")


def cells(html: str, attribute: str, value: str) -> list[str]:
    """The text of each cell of the row with `attribute`="value", tags removed."""
    row = re.search(rf'<tr {attribute}="{value}">(.*?)</tr>', html, re.S).group(1)
    row = re.sub(r"<title>.*?</title>", "", row)  # the bars' titles repeat the figures
    return [unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in re.findall(r"<t[hd]\b.*?</t[hd]>", row, re.S)]


def test_the_report_shows_the_hand_computed_figures():
    html = report_html()
    assert cells(html, "data-question", "q1") == ["q1", "1", "single", "4", "50 %", "0.45",
                                                  "a: 25 %b (correct): 50 %c: 0 %unanswered: 25 %", ""]
    assert cells(html, "data-question", "q2")[4:7] == ["50 %", "1.00", "a (correct): 50 %b: 25 %c (correct): 50 %"]
    assert cells(html, "data-question", "q4")[4:] == ["100 %", "—", "", "everybody got full marks"]
    assert cells(html, "data-question", "q5")[4:] == ["0 %", "—", "", "nobody got full marks"]
    assert cells(html, "data-question", "q6")[3:6] == ["4 (4 to grade by hand)", "—", "—"]
    assert cells(html, "data-part", "1") == ["1", "4", "3", "0.75"]
    assert cells(html, "data-part", "2") == ["2", "4", "2", "—"]
    # Bars: q1's facility fills half its track; its discrimination, 0.45, runs right of the middle.
    q1 = re.search(r'<tr data-question="q1">(.*?)</tr>', html, re.S).group(1)
    assert '<rect class="fill" x="0" y="0" width="50.0" height="10"/>' in q1
    assert '<rect class="fill" x="50" y="0" width="22.4" height="10"/>' in q1
    assert "<script" not in html and not re.search(r"\b(nan|inf)\b", html, re.I)


def test_one_candidate_and_no_key_still_make_a_report():
    html = report_html({"A": ANSWERS["A"]})
    assert cells(html, "data-question", "q1")[4:6] == ["100 %", "—"]
    assert [cells(html, "data-part", str(part))[3] for part in (1, 2)] == ["—", "—"]
    without_key = report_html(keys=False)  # types and correct choices unknown: no choices column, no crash
    assert cells(without_key, "data-question", "q1")[2:7] == ["unknown", "4", "50 %", "0.45", ""]


def test_item_analysis_in_chromium(tmp_path, browser):
    records = [record(who, part + 1, answers[part]) for who, answers in ANSWERS.items() for part in (0, 1)]
    html_path, _ = write_report(build_report(grade({"stats": KEY}, records), {}, keys={"stats": KEY}),
                                tmp_path / "report", "2026-12-03 12:00 UTC")
    context = browser.new_context(bypass_csp=True)  # for axe, injected below; the CSP is checked first
    strict = browser.new_context()
    try:
        page = strict.new_page()
        console: list[str] = []
        page.on("console", lambda message: console.append(message.text))
        page.goto(html_path.as_uri())
        items = page.get_by_role("table", name="Questions of Statistics")
        assert items.get_by_role("columnheader").all_inner_texts() == [
            "Question", "Part", "Type", "Candidates", "Facility", "Discrimination", "Choices picked", "Flag"]
        assert items.get_by_role("rowheader").all_inner_texts() == ["q1", "q2", "q3", "q4", "q5", "q6"]
        bar = items.get_by_role("img", name="Facility of q1: 50 %")
        fill = bar.locator("rect.fill").bounding_box()
        track = bar.locator("rect.track").bounding_box()
        assert track["width"] > 40 and abs(fill["width"] - track["width"] / 2) < 0.5
        # The stylesheet ran under the CSP: the fill is coloured, the track lighter.
        colours = [bar.locator(f"rect.{part}").evaluate("e => getComputedStyle(e).fill") for part in ("fill", "track")]
        assert colours == ["rgb(59, 91, 146)", "rgb(230, 230, 230)"]
        assert items.get_by_role("img", name="Choice b of q2: 1 of 4 candidate(s)").count() == 1
        alpha = page.get_by_role("table", name=re.compile("^Reliability of each part"))
        assert alpha.get_by_role("row").nth(1).inner_text().split() == ["1", "4", "3", "0.75"]
        assert not [m for m in console if "Content Security Policy" in m], console
        checked = context.new_page()
        checked.goto(html_path.as_uri())
        assert axe_violations(checked) == []
    finally:
        strict.close()
        context.close()
