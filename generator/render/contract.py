"""The page contract (docs/page-contract.md), checked on the pages a site's own template makes.

The package's page keeps it by construction (and its tests say so). A site's `templates/page.html`
that does not extend it, or overrides a block carelessly, can drop an element the runtime looks
up, a runtime script, or put the Proview loader where Proview forbids: the candidate would get a
broken page. The build reports it against the template instead.

Pages are checked with regular expressions over the tags, not a parser: examsite writes them, and
a check must cost little beside rendering (a cold build checks every page of such a site).
"""

from __future__ import annotations

import html
import re
from typing import Sequence

# The elements the runtime (assets/exam.js, the SDK adapters) looks up by id, which the page must
# hold; the runtime makes the others itself. tests/pipeline/test_contract.py keeps this list
# equal to the ids both the runtime uses and the package's page holds.
RUNTIME_IDS = (
    "attendee-id", "exam-actions", "exam-announcer", "exam-intro", "exam-main", "exam-questions", "exam-saved",
    "exam-status", "exam-time-limit", "exam-timer", "examsite-data", "identify-form", "proview-loader",
    "start-exam", "submit-exam", "timer-toggle", "exam-warning",
)
LOADER_ID = "proview-loader"

_COMMENT = re.compile(r"<!--.*?-->", re.S)
_DATA = re.compile(r'(<script[^>]*\bid="examsite-data"[^>]*>).*?(</script>)', re.S)
_TAG = re.compile(r"<(script|meta|link)\b([^>]*)>", re.I)
_ATTRIBUTE = re.compile(r"""([^\s=/>]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?""")
_ID = re.compile(r"""(?<![\w-])id\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")  # not data-id


def _attributes(text: str) -> dict[str, str]:
    return {match.group(1).lower(): html.unescape(match.group(2) or match.group(3) or match.group(4) or "")
            for match in _ATTRIBUTE.finditer(text)}


def contract_problems(page: str, *, runtime: Sequence[tuple[str, str]], loader_url: str, policy: str) -> list[str]:
    """What the page lacks or misplaces, in an instructor's words. `runtime`: the runtime
    scripts' (URL, integrity), in the order they must load; `policy`: the page's CSP."""
    page = _DATA.sub(r"\1\2", _COMMENT.sub("", page))  # texts and comments are not markup
    problems = []
    ids = {next(group for group in match.groups() if group is not None) for match in _ID.finditer(page)}
    missing = [f"#{name}" for name in RUNTIME_IDS if name not in ids]
    if missing:
        problems.append(f"it has no {', '.join(missing)}, which the exam's script needs")

    tags = [(match.group(1).lower(), _attributes(match.group(2))) for match in _TAG.finditer(page)]
    policies = [i for i, (tag, attributes) in enumerate(tags) if tag == "meta"
                and attributes.get("http-equiv", "").lower() == "content-security-policy"
                and attributes.get("content") == policy]
    first_resource = next((i for i, (tag, attributes) in enumerate(tags) if tag in ("script", "link")), len(tags))
    if not policies or policies[0] > first_resource:
        problems.append("its Content-Security-Policy <meta> ({{ csp }}) is missing or comes after a script or "
                        "stylesheet")

    scripts = [attributes for tag, attributes in tags if tag == "script"]
    sources = [attributes.get("src") for attributes in scripts]
    places = []
    for url, integrity in runtime:
        if url not in sources:
            problems.append(f"it does not load {url} (with integrity), which the exam needs")
            continue
        place = sources.index(url)
        attributes = scripts[place]
        if attributes.get("integrity") != integrity or "async" in attributes or "defer" in attributes:
            problems.append(f"it loads {url} without its integrity, or not in order (async or defer)")
        places.append(place)
    if places != sorted(places):
        problems.append("it loads the exam's scripts out of order: " + ", then ".join(url for url, _ in runtime))

    loaders = [attributes for attributes in scripts if attributes.get("src") == loader_url]
    if len(loaders) != 1:
        problems.append(f"it must load the Proview loader {loader_url} once; it does {len(loaders)} times")
    elif scripts[-1] is not loaders[0]:
        problems.append("the Proview loader must be the page's last script")
    else:
        loader = loaders[0]
        if loader.get("id") != LOADER_ID or "async" not in loader or loader.get("crossorigin") != "anonymous":
            problems.append(f'the Proview loader must be <script id="{LOADER_ID}" src="..." async '
                            'crossorigin="anonymous">')
    return problems
