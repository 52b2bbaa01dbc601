"""Rules that look across an exam (and across exams): never raises, only reports."""

from __future__ import annotations

from generator.site.config import SESSION_LIMIT_MINUTES, SiteConfig
from generator.diagnostics import Diagnostics
from generator.site.model import Exam, PoolDraw, Question


def validate_exam(exam: Exam, diagnostics: Diagnostics) -> None:
    _unique_question_ids(exam, diagnostics)
    for question in exam.all_questions():
        question.check(diagnostics)
    for part in exam.parts:
        if part.time_limit > SESSION_LIMIT_MINUTES:
            diagnostics.error(
                part.time_limit_position,
                f"part {part.index} lasts {part.time_limit} minutes, but a Proview session must not run longer "
                f"than {SESSION_LIMIT_MINUTES} minutes: split it into parts of at most {SESSION_LIMIT_MINUTES} "
                "minutes each",
            )
    _pools(exam, diagnostics)


def validate_site(config: SiteConfig, exams: list[Exam], diagnostics: Diagnostics) -> None:
    seen: dict[str, Exam] = {}
    for exam in exams:
        if exam.id in seen:
            first = seen[exam.id].position
            diagnostics.error(exam.position, f"exam id '{exam.id}' is already used by {first.path}; "
                                             "each exam needs its own id (its URL)")
        else:
            seen[exam.id] = exam
        for language in exam.languages:
            if config.proview.languages and language not in config.proview.languages:
                diagnostics.warning(exam.position, f"the exam's language '{language}' is not among proview.languages "
                                                   f"({', '.join(config.proview.languages)})")


def _unique_question_ids(exam: Exam, diagnostics: Diagnostics) -> None:
    seen: dict[str, Question] = {}
    for question in exam.all_questions():
        if question.id in seen:
            first = seen[question.id].position
            diagnostics.error(question.position, f"duplicate question id '{question.id}' (first used at "
                                                 f"{first.path}:{first.line}); answers are keyed by id")
        else:
            seen[question.id] = question


def _pools(exam: Exam, diagnostics: Diagnostics) -> None:
    drawn: set[str] = set()
    for part in exam.parts:
        for item in part.items:
            if not isinstance(item, PoolDraw):
                continue
            pool = exam.pool(item.pool)
            if pool is None:
                known = ", ".join(p.name for p in exam.pools) or "none are defined under 'pools'"
                diagnostics.error(item.position, f"unknown pool '{item.pool}'; known pools: {known}")
                continue
            if item.pool in drawn:
                diagnostics.error(item.position, f"pool '{item.pool}' is drawn from twice; a candidate could get "
                                                 "the same question twice")
            drawn.add(item.pool)
            if item.draw > len(pool.questions):
                diagnostics.error(item.position, f"cannot draw {item.draw} questions from pool '{item.pool}', "
                                                 f"which has only {len(pool.questions)}")
    for pool in exam.pools:
        if pool.name not in drawn:
            diagnostics.warning(pool.position, f"pool '{pool.name}' is never drawn from")
