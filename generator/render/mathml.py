"""TeX -> MathML at build time, so pages need no math JavaScript.

latex2mathml converts; it is lenient, so this module also rejects what it would silently turn
into nonsense (unbalanced braces, unknown commands, fractions or scripts missing a part). The TeX
source stays in the MathML as an annotation, for screen readers and for copying.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as etree

MATHML_NS = "{http://www.w3.org/1998/Math/MathML}"
# How many children a MathML element must have; fewer means the TeX left out an argument.
_ARITY = {"mfrac": 2, "msup": 2, "msub": 2, "mroot": 2, "munder": 2, "mover": 2, "msubsup": 3, "munderover": 3}
_UNKNOWN_COMMAND = re.compile(r"<m[io][^>]*>(\\[A-Za-z]+)</m[io]>")

MATHML_TAGS = {
    "math", "semantics", "annotation", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "msup", "msub",
    "msubsup", "mfrac", "msqrt", "mroot", "munder", "mover", "munderover", "mtable", "mtr", "mtd", "mstyle",
    "mpadded", "mphantom", "menclose", "merror",
}
MATHML_ATTRIBUTES = {
    "math": {"display", "xmlns", "alttext"},
    "annotation": {"encoding"},
    "mo": {"accent", "fence", "form", "stretchy", "separator", "lspace", "rspace", "largeop", "movablelimits"},
    "mover": {"accent"},
    "munder": {"accentunder"},
    "mspace": {"width"},
    "mstyle": {"displaystyle", "scriptlevel", "mathvariant"},
    "mi": {"mathvariant"},
    "mtable": {"columnalign", "rowspacing", "columnspacing"},
    "mtd": {"columnalign"},
    "menclose": {"notation"},
}


class TexError(ValueError):
    """The TeX cannot be turned into correct MathML; the message says why, for an instructor."""


def _check_braces(tex: str) -> None:
    depth = 0
    for match in re.finditer(r"\\.|[{}]", tex):
        token = match.group(0)
        if token == "{":
            depth += 1
        elif token == "}":
            depth -= 1
            if depth < 0:
                raise TexError("a '}' closes nothing")
    if depth:
        raise TexError(f"{depth} '{{' never closed")


def tex_to_mathml(tex: str, display: bool) -> str:
    """MathML for `tex`, with the TeX kept as an annotation; raises TexError when it is invalid."""
    source = tex.strip()
    if not source:
        raise TexError("empty formula")
    _check_braces(source)
    import latex2mathml.converter  # at the first formula: most exams have none, and it is slow to load

    try:
        converted = latex2mathml.converter.convert(source, display="block" if display else "inline")
    except Exception as error:  # latex2mathml raises many unrelated types for bad input
        name = re.sub(r"(?<!^)(?=[A-Z])", " ", type(error).__name__).lower().removesuffix(" error")
        raise TexError(f"invalid TeX ({name})") from None
    unknown = _UNKNOWN_COMMAND.search(converted)
    if unknown:
        raise TexError(f"unknown TeX command {html.unescape(unknown.group(1))}")

    root = etree.fromstring(converted)
    for element in root.iter():
        name = element.tag.removeprefix(MATHML_NS)
        if name in _ARITY and len(element) < _ARITY[name]:
            raise TexError(f"'{name}' is missing a part: check the arguments of fractions, roots and scripts")
    body = converted[converted.index(">") + 1: converted.rindex("</math>")]
    annotation = html.escape(source, quote=False)
    mode = "block" if display else "inline"
    return (f'<math xmlns="http://www.w3.org/1998/Math/MathML" display="{mode}"><semantics><mrow>{body}</mrow>'
            f'<annotation encoding="application/x-tex">{annotation}</annotation></semantics></math>')
