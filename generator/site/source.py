"""YAML with positions: every mapping and sequence knows where its keys and items stand.

The tree is composed by libyaml's C loader when it is present (about six times faster than the
pure-Python one on a large corpus, and its nodes keep line and column), then converted to plain
dicts and lists that carry positions. PyYAML silently keeps the last of two equal keys; here a
duplicate key is an error.

An exam may come from anyone (a pull request a pipeline builds), so the loader is bounded: nesting
deeper than MAX_DEPTH and aliases that would repeat more than MAX_ALIAS_VALUES values are errors,
found before they cost the machine its memory or the process its stack.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from generator.diagnostics import Diagnostics, Position

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR_TAG = "tag:yaml.org,2002:str"
# A real exam nests under 10 levels. The converter recurses, two frames a level: 100 levels stay
# far below Python's recursion limit.
MAX_DEPTH = 100
# Aliases (*name) that repeat an anchored list or mapping (&name) copy it: nine levels of nine
# aliases each make billions of values from ten lines. Reusing a few choices stays far below this.
MAX_ALIAS_VALUES = 100_000
# libyaml composes recursively, in C: some 40,000 levels overflow the stack and kill the process
# (PyYAML's own composer, without libyaml, recurses in Python). Text that may nest deeper than this
# is first measured through the parser's events, which it reads without recursing.
_COMPOSE_SAFE_DEPTH = 5_000 if _Loader is not yaml.SafeLoader else MAX_DEPTH
# YAML breaks lines at \r, NEL and the Unicode line and paragraph separators too.
_LONG_PREFIX = re.compile("(?:^|[\r\x85\u2028\u2029])[ \t?:-]{%d}" % (_COMPOSE_SAFE_DEPTH // 4), re.M)
_Scalar = yaml.ScalarNode
_OPEN, _DONE = object(), object()
_COLLECTION_START = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
_COLLECTION_END = (yaml.SequenceEndEvent, yaml.MappingEndEvent)


def _too_deep(depth: int) -> str:
    return f"the YAML here is nested more than {depth} levels deep; an exam needs a handful of levels"


class _Refused(Exception):
    """The document is too nested or expands too much to be read; one error, at `position`."""

    def __init__(self, position: Position, message: str) -> None:
        super().__init__(message)
        self.position = position
        self.message = message


class YMap(dict):
    """A mapping from YAML, with the position of itself, of each key and of each value."""

    pos: Position
    key_pos: dict[str, Position]
    value_pos: dict[str, Position]

    def key_at(self, key: str) -> Position:
        return self.key_pos.get(key, self.pos)

    def value_at(self, key: str) -> Position:
        return self.value_pos.get(key, self.pos)


class YList(list):
    """A sequence from YAML, with the position of itself and of each item."""

    pos: Position
    item_pos: list[Position]

    def item_at(self, index: int) -> Position:
        return self.item_pos[index] if index < len(self.item_pos) else self.pos


def _position(path: str, mark: Any, line_offset: int) -> Position:
    return Position(path, mark.line + 1 + line_offset, mark.column + 1)


class _Converter:
    def __init__(self, path: str, line_offset: int, diagnostics: Diagnostics) -> None:
        self.path = path
        self.line_offset = line_offset
        self.diagnostics = diagnostics
        self.constructor = SafeConstructor()
        # Each collection met: _OPEN while it is converted (an alias to it then is a loop), _DONE
        # after (another visit is an alias).
        self._state: dict[int, object] = {}
        self._copied = 0  # values made by repeating aliased collections
        self._copying_at: Position | None = None  # the anchor of the first alias repeated

    def pos(self, node: yaml.Node) -> Position:
        return _position(self.path, node.start_mark, self.line_offset)

    def value_pos(self, node: yaml.Node) -> Position:
        """Where a value's text starts: a block scalar's (`|`, `>`) first line is below its indicator."""
        position = self.pos(node)
        if isinstance(node, yaml.ScalarNode) and node.style in ("|", ">"):
            return Position(position.path, position.line + 1, position.col)
        return position

    def convert(self, node: yaml.Node, depth: int = 1, copying: bool = False) -> Any:
        """`node` as plain values. `copying`: `node` lies inside a second use of an aliased collection."""
        if isinstance(node, yaml.ScalarNode):
            if copying:
                self.count_copy()
            if node.tag == _STR_TAG:
                return node.value
            try:
                return self.constructor.construct_object(node, deep=True)
            except yaml.YAMLError as error:
                self.diagnostics.error(self.pos(node), f"cannot read this value: {error}")
                return None
        if depth > MAX_DEPTH:
            raise _Refused(self.pos(node), _too_deep(MAX_DEPTH))
        identity = id(node)  # aliases share the anchored node itself
        state = self._state.get(identity)
        if state is _OPEN:
            raise _Refused(self.pos(node), "this value holds an alias (*name) to itself (&name), which never ends")
        if state is _DONE and not copying:
            copying = True
            self._copying_at = self._copying_at or self.pos(node)
        if copying:
            self.count_copy()
        self._state[identity] = _OPEN
        depth += 1
        if isinstance(node, yaml.MappingNode):
            result: Any = YMap()
            result.pos, result.key_pos, result.value_pos = self.pos(node), {}, {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    self.diagnostics.error(self.pos(key_node), "a key must be a plain name")
                    continue
                key = str(key_node.value)
                if key in result:
                    first = result.key_pos[key]
                    self.diagnostics.error(
                        self.pos(key_node),
                        f"duplicate key '{key}' (first given at line {first.line}); "
                        "YAML would silently keep only the last one",
                    )
                    continue
                result[key] = value_node.value if value_node.__class__ is _Scalar and value_node.tag == _STR_TAG \
                    and not copying else self.convert(value_node, depth, copying)
                result.key_pos[key] = self.pos(key_node)
                result.value_pos[key] = self.value_pos(value_node)
        else:
            result = YList(item.value if item.__class__ is _Scalar and item.tag == _STR_TAG and not copying
                           else self.convert(item, depth, copying) for item in node.value)
            result.pos = self.pos(node)
            result.item_pos = [self.value_pos(item) for item in node.value]
        self._state[identity] = _DONE
        return result

    def count_copy(self) -> None:
        self._copied += 1
        if self._copied > MAX_ALIAS_VALUES:
            assert self._copying_at is not None
            raise _Refused(self._copying_at, f"aliases (*name) repeat the value anchored here (&name) and the values "
                                             f"it holds more than {MAX_ALIAS_VALUES:,} times in all; aliases are for "
                                             "reusing a few values: write them out instead")


def _may_nest_too_deep(text: str) -> bool:
    """Could `text` nest deeper than about _COMPOSE_SAFE_DEPTH levels? Flow collections nest no
    deeper than their brackets are many, and a block collection stands at most two levels deeper
    per column of indentation, `- `, `? ` and `: ` before it on its line."""
    if len(text) < _COMPOSE_SAFE_DEPTH:  # a level takes at least one character
        return False
    if text.count("[") + text.count("{") > _COMPOSE_SAFE_DEPTH // 2:
        return True
    # No line that long (as split at "\n" only: longer), no prefix that long: a tenth of the cost
    # of looking for one.
    return max(map(len, text.split("\n"))) >= _COMPOSE_SAFE_DEPTH // 4 and _LONG_PREFIX.search(text) is not None


def _check_nesting(text: str, path: str, line_offset: int) -> None:
    """Raise _Refused at the first collection nested deeper than MAX_DEPTH, reading the parser's
    events (libyaml's parser keeps its own stack, unlike its composer)."""
    depth = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, _COLLECTION_START):
            depth += 1
            if depth > MAX_DEPTH:
                raise _Refused(_position(path, event.start_mark, line_offset), _too_deep(MAX_DEPTH))
        elif isinstance(event, _COLLECTION_END):
            depth -= 1


_TAB_INDENT = re.compile(r"^([ \t]*\t[ \t]*)(?=\S)", re.MULTILINE)  # indentation holding a tab


def load_yaml(text: str, path: str, diagnostics: Diagnostics, line_offset: int = 0) -> Any:
    """Parse one YAML document; syntax errors and duplicate keys go to `diagnostics`.

    Returns None when the document is empty or cannot be parsed.
    """
    tabs = _TAB_INDENT.finditer(text)
    tabbed = False
    for match in tabs:
        tabbed = True
        line = text.count("\n", 0, match.start()) + 1 + line_offset
        diagnostics.error(Position(path, line, match.group(1).index("\t") + 1),
                          "a tab in the indentation: YAML indents with spaces only")
    if tabbed:  # read on as if each tab were two spaces, to report the file's other problems too
        text = _TAB_INDENT.sub(lambda match: match.group(1).replace("\t", "  "), text)
    try:
        if _may_nest_too_deep(text):
            _check_nesting(text, path, line_offset)
        node = yaml.compose(text, Loader=_Loader)
    except _Refused as refused:
        diagnostics.error(refused.position, refused.message)
        return None
    except yaml.MarkedYAMLError as error:
        if tabbed:  # most likely a consequence of the tabs, already reported
            return None
        mark = error.problem_mark or error.context_mark
        position = _position(path, mark, line_offset) if mark else Position(path, 1, 1)
        problem = error.problem or error.context or "invalid YAML"
        if problem == "mapping values are not allowed in this context":
            problem += ('; a value holding ": " must be quoted, e.g. prompt: "Explain this: why?" (or written '
                        "as a block: prompt: | on its own line, the text indented below)")
        diagnostics.error(position, f"YAML syntax error: {problem}")
        return None
    except yaml.YAMLError as error:
        diagnostics.error(Position(path, 1 + line_offset, 1), f"YAML error: {error}")
        return None
    if node is None:
        return None
    try:
        return _Converter(path, line_offset, diagnostics).convert(node)
    except _Refused as refused:
        diagnostics.error(refused.position, refused.message)
        return None


def split_front_matter(text: str) -> tuple[str | None, str, int]:
    """Split a Markdown file into (front matter YAML or None, body, line where the body starts).

    Front matter is the block between a first line `---` and the next line `---`.
    """
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip() != "---":
        return None, text, 1
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            front = "".join(lines[1:index])
            body = "".join(lines[index + 1 :])
            return front, body, index + 2
    return None, text, 1
