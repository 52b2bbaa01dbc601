"""The instructor's report: static HTML (one table and one score histogram per exam) and CSV.

The page has no script at all and a strict Content-Security-Policy in a meta tag: nothing may
load, and the one inline stylesheet is allowed by its SHA-256 hash (works from file:// too, where
'self' is unreliable). The chart is inline SVG drawn here, with no chart library. Ratings are
shown as a coloured badge that always carries its word, so colour is never the only signal; the
hues are neutral on purpose, since what high or low means is Proview's review to say. On a
phone the table becomes one card per candidate, each figure labelled with its column's name.

Ratings join grade rows on the payload's `proview_session_uuid`, else on `session_identifier`
against the `external_id` Proview reports. Both come from the candidate's browser, so a session
claimed by two candidates, or whose `external_id` from Proview is not the session identifier the
candidate's payload recorded, is shown as disputed, with why, never with its rating.
"""

from __future__ import annotations

import base64
import hashlib
import math
import statistics
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import jinja2
from markupsafe import Markup

from .export import to_csv
from .grade import GradeResult, GradeRow
from .keys import ExamKey
from .sources import Problem
from .stats import ItemAnalysis, item_analysis
from .store import RatingRow

TEMPLATES = Path(__file__).resolve().parent / "templates"
BINS = 10

REPORT_CSS = """
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1b1b1b}
h1,h2{line-height:1.2}
table{border-collapse:collapse;width:100%;margin:1rem 0}
th,td{border-bottom:1px solid #ccc;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f2f2f2}
td.num{text-align:right;font-variant-numeric:tabular-nums}
code{font-size:.85em;overflow-wrap:anywhere}
.rating{display:inline-block;border-radius:2px;padding:0 .3rem;font-weight:600}
.rating-high{background:#ede1f7;color:#4a1772;border-color:#4a1772}
.rating-medium{background:#fff1c2;color:#6b4a00;border-color:#6b4a00}
.rating-low{background:#d9f2f0;color:#0f4f4a;border-color:#0f4f4a}
.rating-pending{background:#e8eaf6;color:#283593;border-color:#283593;font-style:italic}
.rating-none{background:#f2f2f2;color:#444;border-color:#777}
.rating-disputed{background:#fff;color:#8a1c1c;border-color:#8a1c1c;border-style:dashed}
.legend{display:flex;flex-wrap:wrap;gap:.25rem 1.25rem;list-style:none;margin:0 0 1rem;padding:0;color:#444}
.legend li{display:flex;align-items:center;gap:.4rem}
.swatch{display:inline-block;width:.9rem;height:.9rem;border:1px solid;border-radius:2px}
.note{color:#444}
.chart{max-width:min(100%,40rem);height:auto}
.chart .bar{fill:#3b5b92}
.chart text{font-size:11px;fill:#1b1b1b}
.chart .axis{stroke:#1b1b1b}
.meter{vertical-align:middle;margin-inline-start:.4rem}
.meter .track{fill:#e6e6e6}
.meter .fill{fill:#3b5b92}
.meter .negative{fill:#a23b3b}
.meter .zero{stroke:#1b1b1b}
.options{list-style:none;margin:0;padding:0}
.flag{font-weight:600;color:#6b4a00}
.problems li{font-family:monospace;overflow-wrap:anywhere}
figure{margin:1rem 0}
@media (max-width:40rem){
body{margin:1rem auto}
.cards,.cards tbody,.cards tr,.cards th,.cards td{display:block}
.cards thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
.cards caption{display:block;text-align:left;font-weight:600}
.cards tr{border:1px solid #ccc;border-radius:6px;margin:.75rem 0}
.cards td{display:flow-root;padding-left:8.5rem;text-align:left}
.cards td::before{content:attr(data-label);float:left;width:7.5rem;margin-left:-8rem;font-weight:600;color:#444}
.cards tr>:last-child{border-bottom:0}
}
""".strip()

RATING_LABELS = {"high": "High", "medium": "Medium", "low": "Low", "pending": "Pending",
                 "none": "No rating", "disputed": "Disputed"}


def csp(css: str) -> str:
    digest = base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode()
    return (f"default-src 'none'; style-src 'sha256-{digest}'; img-src 'none'; "
            "base-uri 'none'; form-action 'none'")


@dataclass(frozen=True)
class SessionRating:
    session_uuid: str | None
    external_id: str | None
    rating: str  # high | medium | low | pending | none | disputed
    note: str | None  # the last fetch error, or why the session is disputed
    link: str | None

    @property
    def label(self) -> str:
        return RATING_LABELS[self.rating]


@dataclass(frozen=True)
class CandidateRow:
    grade: GradeRow
    sessions: tuple[SessionRating, ...]

    @property
    def rating_text(self) -> str:
        return " ".join(s.rating for s in self.sessions)


@dataclass(frozen=True)
class Bar:
    low: float  # percent, inclusive
    high: float  # percent, exclusive except for the last bin
    count: int
    x: float
    y: float
    width: float
    height: float

    @property
    def label(self) -> str:
        return f"{self.low:g}–{self.high:g}%"


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    bottom: int
    bars: tuple[Bar, ...]
    max_count: int
    ticks: tuple[tuple[int, float], ...]  # (count, y)


@dataclass(frozen=True)
class ExamSection:
    exam_id: str
    title: str
    rows: tuple[CandidateRow, ...]
    chart: Chart
    mean_percent: float | None  # of the candidates not awaiting marking
    median_percent: float | None
    manual_count: int  # answers awaiting marking
    awaiting_count: int  # candidates with answers awaiting marking
    analysis: ItemAnalysis | None = None  # facility, discrimination, choices, alpha (stats.py)


@dataclass(frozen=True)
class Report:
    sections: tuple[ExamSection, ...]
    problems: tuple[Problem, ...]
    conflicts: tuple[Problem, ...]
    csv_name: str


def histogram(percents: Sequence[float], bins: int = BINS) -> list[int]:
    """Counts per equal-width bin over 0..100; 100 % falls in the last bin."""
    counts = [0] * bins
    for value in percents:
        index = min(bins - 1, max(0, math.floor(value * bins / 100.0)))
        counts[index] += 1
    return counts


def draw_chart(percents: Sequence[float], bins: int = BINS) -> Chart:
    width, height, left, bottom, top = 480, 220, 36, 36, 12
    counts = histogram(percents, bins)
    max_count = max(counts) if counts else 0
    scale = max(1, max_count)
    plot_w, plot_h = width - left - 8, height - bottom - top
    slot = plot_w / bins
    bars = []
    for i, count in enumerate(counts):
        h = plot_h * count / scale
        bars.append(Bar(low=100 * i / bins, high=100 * (i + 1) / bins, count=count,
                        x=round(left + i * slot + 2, 2), y=round(height - bottom - h, 2),
                        width=round(slot - 4, 2), height=round(h, 2)))
    step = max(1, math.ceil(scale / 5))
    ticks = tuple((c, round(height - bottom - plot_h * c / scale, 2))
                  for c in range(0, scale + 1, step))
    return Chart(width, height, left, bottom, tuple(bars), max_count, ticks)


class LinkTemplateError(ValueError):
    """A --session-link that is not an https URL with {session_uuid} in it."""


def check_link_template(template: str) -> str:
    if not template.startswith("https://") or "{session_uuid}" not in template:
        raise LinkTemplateError("--session-link must be an https:// URL containing {session_uuid}")
    return template


def session_link(template: str | None, session_uuid: str | None) -> str | None:
    if not template or not session_uuid:
        return None
    return template.replace("{session_uuid}", urllib.parse.quote(session_uuid, safe=""))


def session_claims(rows: Sequence[GradeRow], by_external: Mapping[str, RatingRow]) -> dict[str, set[str]]:
    """Each Proview session uuid -> the attendees whose submissions claim it (by uuid, or by a
    session identifier that is its external id)."""
    claims: dict[str, set[str]] = {}
    for row in rows:
        uuids = list(row.proview_session_uuids)
        uuids += [by_external[e].session_uuid for e in row.session_identifiers if e in by_external]
        for uuid in uuids:
            claims.setdefault(uuid, set()).add(row.attendee_identifier)
    return claims


def dispute(row: GradeRow, session_uuid: str, external_id: str | None,
            claims: Mapping[str, set[str]]) -> str | None:
    """Why this candidate's claim to a session is in doubt, or None."""
    claimants = claims.get(session_uuid, set())
    if len(claimants) > 1:
        return f"claimed by {len(claimants)} candidates: {', '.join(sorted(claimants))}"
    if external_id is not None and external_id not in row.session_identifiers:
        return (f"Proview's external id {external_id!r} is not the session id this candidate's "
                "submission recorded")
    return None


def rate_sessions(row: GradeRow, ratings: Mapping[str, RatingRow],
                  by_external: Mapping[str, RatingRow], claims: Mapping[str, set[str]],
                  link_template: str | None) -> tuple[SessionRating, ...]:
    sessions: list[SessionRating] = []
    matched: set[str] = set()
    candidates = [ratings.get(u) for u in row.proview_session_uuids]
    candidates += [by_external.get(e) for e in row.session_identifiers]
    for found in candidates:
        if found is None or found.session_uuid in matched:
            continue
        matched.add(found.session_uuid)
        rating = found.final_rating if found.final_rating in ("high", "medium", "low") else "pending"
        note = found.error
        doubt = dispute(row, found.session_uuid, found.external_id, claims)
        if doubt is not None:
            rating, note = "disputed", doubt
        sessions.append(SessionRating(found.session_uuid, found.external_id, rating, note,
                                      session_link(link_template, found.session_uuid)))
    for uuid in row.proview_session_uuids:  # sessions Proview has not told us about yet
        if uuid not in matched:
            doubt = dispute(row, uuid, None, claims)
            sessions.append(SessionRating(uuid, None, "none" if doubt is None else "disputed", doubt,
                                          session_link(link_template, uuid)))
    if not sessions:
        sessions.append(SessionRating(None, None, "none", None, None))
    return tuple(sessions)


def build_report(result: GradeResult, ratings: Mapping[str, RatingRow],
                 link_template: str | None = None, csv_name: str = "report.csv",
                 keys: Mapping[str, ExamKey] | None = None) -> Report:
    """`keys` give the item analysis the questions' types, correct choices and order."""
    sections = []
    by_external = {r.external_id: r for r in ratings.values() if r.external_id}
    claims = session_claims(result.rows, by_external)
    for exam_id in dict.fromkeys(r.exam_id for r in result.rows):
        rows = [r for r in result.rows if r.exam_id == exam_id]
        # A score awaiting marking is not a total yet: it stays out of the chart and the averages.
        percents = [r.percent for r in rows if not r.pending]
        sections.append(ExamSection(
            exam_id=exam_id, title=rows[0].exam_title,
            rows=tuple(CandidateRow(r, rate_sessions(r, ratings, by_external, claims, link_template))
                       for r in rows),
            chart=draw_chart(percents),
            mean_percent=round(statistics.fmean(percents), 1) if percents else None,
            median_percent=round(statistics.median(percents), 1) if percents else None,
            manual_count=sum(len(r.pending) for r in rows),
            awaiting_count=sum(1 for r in rows if r.pending),
            analysis=item_analysis(exam_id, rows, (keys or {}).get(exam_id))))
    return Report(tuple(sections), result.problems, result.conflicts, csv_name)


CSV_COLUMNS = ["exam_id", "attendee_identifier", "points", "max_points", "percent",
               "manual_pending", "ratings", "proview_session_uuids", "session_identifiers",
               "session_disputes"]


def report_csv(report: Report) -> str:
    rows = [[s.exam_id, c.grade.attendee_identifier, c.grade.points, c.grade.max_points,
             "awaiting marking" if c.grade.pending else round(c.grade.percent, 2),
             " ".join(m.question_id for m in c.grade.pending),
             c.rating_text, " ".join(filter(None, (x.session_uuid for x in c.sessions))),
             " ".join(c.grade.session_identifiers),
             "; ".join(f"{x.session_uuid}: {x.note}" for x in c.sessions if x.rating == "disputed")]
            for s in report.sections for c in s.rows]
    return to_csv(CSV_COLUMNS, rows)


def environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=True)


def render_html(report: Report, generated_at: str) -> str:
    template = environment().get_template("report.html")
    return template.render(report=report, css=Markup(REPORT_CSS), csp=csp(REPORT_CSS),
                           generated_at=generated_at, labels=RATING_LABELS)


def write_report(report: Report, out_dir: Path, generated_at: str) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path, csv_path = out_dir / "index.html", out_dir / report.csv_name
    html_path.write_text(render_html(report, generated_at), encoding="utf-8")
    csv_path.write_text(report_csv(report), encoding="utf-8", newline="")
    return html_path, csv_path
