"""Smaller runtime files for the wire: comments and indentation out, nothing else touched.

The runtime's sources keep their comments (they say why); candidates need none of them. This is
deliberately not a minifier: it drops only whole comment lines, block comments that stand on
lines of their own, comments at the end of a line when nothing before them on the line can be a
string holding "//" or a regular expression, indentation and blank lines, which cannot change
what the code does as long as no string spans lines. A file with a backtick (a template literal
may span lines) or a line continuation is shipped as it is.
"""

from __future__ import annotations

import re

_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)


def compact_js(source: str) -> str:
    kept: list[str] = []
    in_block = False
    for line in source.splitlines():
        text = line.strip()
        if in_block:
            if "*/" not in text:
                continue
            in_block = False
            text = text.split("*/", 1)[1].strip()
        elif text.startswith("/*"):
            if "*/" not in text:
                in_block = True
                continue
            text = text.split("*/", 1)[1].strip()
        if not text or text.startswith("//"):
            continue
        if "`" in text or text.endswith("\\"):
            return source
        kept.append(_without_trailing_comment(text))
    return "\n".join(kept) + "\n"


def _without_trailing_comment(line: str) -> str:
    """The line less a final `// ...`, when the first "/" outside quotes starts it; any other "/"
    (a division, a regular expression that may hold quotes or "//") keeps the line whole."""
    quote = None
    escaped = False
    for index, char in enumerate(line):
        if quote:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "/":
            if line.startswith("//", index) and index and line[index - 1] in " \t":
                return line[:index].rstrip()
            return line
    return line


def compact_css(source: str) -> str:
    lines = (line.strip() for line in _CSS_COMMENT.sub("", source).splitlines())
    return "\n".join(line for line in lines if line) + "\n"


def compact(filename: str, content: bytes) -> bytes:
    if filename.endswith(".js"):
        return compact_js(content.decode("utf-8")).encode("utf-8")
    if filename.endswith(".css"):
        return compact_css(content.decode("utf-8")).encode("utf-8")
    return content
