"""Chromium opens the report: the table, the ratings' badges and the SVG chart, under its CSP."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import main
from generator.results.store import Store

from .helpers import payload, write_jsonl, write_keys
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


SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots"
UUIDS = ["3f2b8c1e-6d4a-4b9e-9c1f-2a7d5e8b0c41", "b71e0d9a-2c3f-4e58-8a6b-91d0f4c2e7a5", "0c9d4e2f-8b1a-4f7c-b3e6-5a2d9c8f1e07"]


def _realistic_report(tmp_path) -> Path:
    """Real-looking session uuids and long session identifiers, as pages and Proview make them."""
    keys = write_keys(tmp_path / "keys")
    subs = write_jsonl(tmp_path / "subs.jsonl", [
        payload(1, attendee=f"cand-{n}", proview_session_uuid=UUIDS[n], session_identifier=f"algebra-midterm-wf.cand-{n}.p1.r1")
        for n in range(3)])
    db = tmp_path / "results.sqlite"
    store = Store(db).initialise()
    for n, rating in enumerate(["high", "medium", ""]):
        store.save_rating({"final_rating": rating, "status": "completed", "system_info": {}}, UUIDS[n],
                          f"algebra-midterm-wf.cand-{n}.p1.r1")
    out = tmp_path / "report"
    result = CliRunner().invoke(main, ["report", "--keys", str(keys), "--submissions", str(subs), "--db", str(db),
                                       "--out", str(out), "--session-link", "https://proview.example/s/{session_uuid}"])
    assert result.exit_code == 0, result.output
    return out / "index.html"


@pytest.mark.parametrize("width", [1280, 375])
def test_report_is_readable_on_a_phone(tmp_path, browser, width):
    report = _realistic_report(tmp_path)
    context = browser.new_context(viewport={"width": width, "height": 800})
    try:
        page = context.new_page()
        console: list[str] = []
        page.on("console", lambda message: console.append(message.text))
        page.goto(report.as_uri())
        # Nothing wider than the screen: no sideways scrolling of the page.
        assert page.evaluate("document.scrollingElement.scrollWidth") <= width
        # A session uuid or identifier breaks over two lines at most, never a character per line.
        lines = page.locator("table.candidates code").evaluate_all("cs => cs.map(c => c.getClientRects().length)")
        assert lines and max(lines) <= 2, lines
        # On a phone each candidate is a card whose figures carry their column's name.
        if width < 600:
            labels = page.locator("table.candidates tbody tr").first.locator("td").evaluate_all(
                "ts => ts.map(t => getComputedStyle(t, '::before').content)")
            assert labels == ['"Score"', '"%"', '"To grade by hand"', '"Proview rating"', '"Sessions"']
        # The legend names the ratings; it does not look like a row of buttons (no framed boxes).
        words = page.locator(".legend .rating-word")
        assert words.count() == 6  # high, medium, low, pending, not fetched, disputed
        frames = words.evaluate_all("ws => ws.map(w => getComputedStyle(w).borderTopStyle + ' ' + getComputedStyle(w).paddingLeft)")
        assert set(frames) == {"none 0px"}, frames
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"5-report-{width}.png", full_page=True)
        assert not [m for m in console if "Content Security Policy" in m], console
    finally:
        context.close()
