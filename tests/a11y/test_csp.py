"""The axe tests bypass the page's CSP to inject axe; this one walks the same states under the
page's own CSP, on both targets, and finds no violation: nothing issue 7 added (the announcer, the
timer's toggle, focus handling, the catalogues in the page data) needs more than the policy allows."""

from __future__ import annotations

from tests.a11y.kit import STATES, walk_every_state


def test_every_state_runs_under_the_page_csp_without_violations(target):
    h, init_failure = target
    seen: dict[str, list] = {}

    def visit(state: str) -> None:
        # Reported by the page's securitypolicyviolation listener (tests/browser's harness, whose
        # contexts enforce the policy: only test_axe.py's bypass it).
        h.page.wait_for_timeout(50)  # let a report from this state arrive
        seen[state] = list(h.csp_violations)

    walk_every_state(h, init_failure, visit)
    assert list(seen) == STATES
    assert all(found == [] for found in seen.values()), seen
