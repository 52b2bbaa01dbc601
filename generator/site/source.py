"""YAML with positions: every mapping and sequence knows where its keys and items stand.

The tree is composed by libyaml's C loader when it is present (about six times faster than the
pure-Python one on a large corpus, and its nodes keep line and column), then converted to plain
dicts and lists that carry positions. PyYAML silently keeps the last of two equal keys; here a
duplicate key is an error.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from generator.diagnostics import Diagnostics, Position

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR_TAG = "tag:yaml.org,2002:str"


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

    def pos(self, node: yaml.Node) -> Position:
        return _position(self.path, node.start_mark, self.line_offset)

    def value_pos(self, node: yaml.Node) -> Position:
        """Where a value's text starts: a block scalar's (`|`, `>`) first line is below its indicator."""
        position = self.pos(node)
        if isinstance(node, yaml.ScalarNode) and node.style in ("|", ">"):
            return Position(position.path, position.line + 1, position.col)
        return position

    def convert(self, node: yaml.Node) -> Any:
        if isinstance(node, yaml.MappingNode):
            result = YMap()
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
                result[key] = self.convert(value_node)
                result.key_pos[key] = self.pos(key_node)
                result.value_pos[key] = self.value_pos(value_node)
            return result
        if isinstance(node, yaml.SequenceNode):
            items = YList(self.convert(item) for item in node.value)
            items.pos = self.pos(node)
            items.item_pos = [self.value_pos(item) for item in node.value]
            return items
        if node.tag == _STR_TAG:
            return node.value
        try:
            return self.constructor.construct_object(node, deep=True)
        except yaml.YAMLError as error:
            self.diagnostics.error(self.pos(node), f"cannot read this value: {error}")
            return None


def load_yaml(text: str, path: str, diagnostics: Diagnostics, line_offset: int = 0) -> Any:
    """Parse one YAML document; syntax errors and duplicate keys go to `diagnostics`.

    Returns None when the document is empty or cannot be parsed.
    """
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        position = _position(path, mark, line_offset) if mark else Position(path, 1, 1)
        problem = error.problem or error.context or "invalid YAML"
        diagnostics.error(position, f"YAML syntax error: {problem}")
        return None
    except yaml.YAMLError as error:
        diagnostics.error(Position(path, 1 + line_offset, 1), f"YAML error: {error}")
        return None
    if node is None:
        return None
    return _Converter(path, line_offset, diagnostics).convert(node)


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
