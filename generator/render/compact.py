"""Smaller runtime files for the wire: comments and the white space code does not need, nothing else.

The runtime's sources keep their comments (they say why); candidates need none of them. This is
deliberately not a minifier: it drops only whole comment lines, block comments that stand on
lines of their own, indentation and blank lines, which cannot change what the code does as long
as no string spans lines, and a trailing `// comment` where the code before it leaves no string
open and holds no `/` outside its strings (so no regular expression, whose quotes could mislead
the scan). A
file with a backtick (a template literal may span lines) or a line continuation is shipped as it is.
"""

from __future__ import annotations

import re

_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_CSS_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'')
_CSS_SPACE = re.compile(r"\s+")
_CSS_PUNCTUATION = re.compile(r" ?([{};,>]) ?")


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
    """`line` less a ` // comment` after code that leaves no string open and holds no other `/`."""
    quote = None
    index = 0
    while index < len(line):
        char = line[index]
        if quote:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "/":
            return line[:index].rstrip() if line.startswith("// ", index) and line[index - 1] == " " else line
        index += 1
    return line


def compact_css(source: str) -> str:
    """Comments out, and the white space CSS does not need: runs of it become one space, none is
    kept beside { } ; , > nor after a colon (a space before a colon, as in `a :hover`, is a
    descendant selector, and stays). Strings are left as they are."""
    text = _CSS_COMMENT.sub("", source)
    parts, last = [], 0
    for match in _CSS_STRING.finditer(text):
        parts += [_squeezed(text[last:match.start()]), match.group(0)]
        last = match.end()
    parts.append(_squeezed(text[last:]))
    return "".join(parts).strip() + "\n"


def _squeezed(code: str) -> str:
    code = _CSS_PUNCTUATION.sub(r"\1", _CSS_SPACE.sub(" ", code))
    return code.replace(": ", ":").replace(";}", "}")


def compact(filename: str, content: bytes) -> bytes:
    if filename.endswith(".js"):
        return compact_js(content.decode("utf-8")).encode("utf-8")
    if filename.endswith(".css"):
        return compact_css(content.decode("utf-8")).encode("utf-8")
    return content
