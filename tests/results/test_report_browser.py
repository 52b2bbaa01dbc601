"""Chromium opens the report: the table, the ratings' badges and the SVG chart, under its CSP."""

from __future__ import annotations


from click.testing import CliRunner

from generator.cli import main

from .test_cli import _report_fixture

def test_report_in_chromium(tmp_path, browser):
    keys, subs, db = _report_fixture(tmp_path)
    out = tmp_path / "report"
    result = CliRunner().invoke(main, ["report", "--keys", str(keys), "--submissions", str(subs),
                                       "--db", str(db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    context = browser.new_context()
    try:
        page = context.new_page()
        console: list[str] = []
        page.on("console", lambda message: console.append(message.text))
        page.goto((out / "index.html").as_uri())
        section = page.locator("section[data-exam-id='algebra-midterm']")
        assert section.locator("h2").inner_text().startswith("Algebra midterm")
        rows = section.locator("table.candidates tbody tr")
        assert rows.count() == 3
        table = [[rows.nth(i).locator("th, td").nth(c).inner_text() for c in (0, 1, 4)]
                 for i in range(3)]
        assert table == [["<b>cand-3</b>", "4 / 14", "Low"],
                         ["cand-1", "7 / 14", "High Pending"],
                         ["cand-2", "0 / 14", "No rating"]]
        # cand-1's essay is not marked: no percent, and no place in the chart yet.
        assert rows.nth(1).locator("td").nth(1).inner_text() == "awaiting marking"
        # The stylesheet ran under the CSP: the badges are coloured, differently per rating.
        colour = lambda sel: section.locator(sel).first.evaluate(
            "e => getComputedStyle(e).backgroundColor")
        colours = {colour(f".rating-{r}") for r in ("high", "pending", "low", "none")}
        assert len(colours) == 4 and "rgba(0, 0, 0, 0)" not in colours
        bars = section.locator("svg.chart rect.bar")
        assert bars.count() == 10
        counts = [int(bars.nth(i).get_attribute("data-count")) for i in range(10)]
        assert counts == [1, 0, 1, 0, 0, 0, 0, 0, 0, 0]  # 0 %, 28.6 %; cand-1 awaits marking
        heights = [bars.nth(i).bounding_box()["height"] for i in (0, 1, 2)]
        assert heights[0] > 0 and heights[1] == 0 and abs(heights[0] - heights[2]) < 0.5
        svg_box = section.locator("svg.chart").bounding_box()
        assert svg_box["width"] > 200 and svg_box["height"] > 100
        assert section.locator("svg.chart title").first.text_content().startswith("Score distribution")
        assert page.locator("#not-graded li").inner_text().endswith(
            "unknown exam 'unknown-exam' (no answer key)")
        assert not [m for m in console if "Content Security Policy" in m], console
    finally:
        context.close()
