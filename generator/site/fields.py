"""Typed access to a YAML mapping, reporting every problem in the instructor's terms.

Each reader returns a usable value (or None) and never raises, so one pass over a file finds all
of its errors. Unknown keys are errors that suggest the closest known key.
"""

from __future__ import annotations

import re
from difflib import get_close_matches
from typing import Any, Iterable

from generator.diagnostics import Diagnostics, Position
from generator.site.source import YList, YMap

_MISSING = object()
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


def type_name(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def closest(name: str, known: Iterable[str]) -> str | None:
    """The known name `name` was most likely meant to be, if one is close enough."""
    close = get_close_matches(name, list(known), n=1, cutoff=0.6)
    return close[0] if close else None


class Fields:
    def __init__(self, mapping: YMap, what: str, diagnostics: Diagnostics) -> None:
        self.mapping = mapping
        self.what = what
        self.diagnostics = diagnostics

    @staticmethod
    def of(value: Any, position: Position, what: str, diagnostics: Diagnostics) -> "Fields | None":
        """Fields of `value`, or None (and an error) when it is not a mapping."""
        if isinstance(value, YMap):
            return Fields(value, what, diagnostics)
        diagnostics.error(position, f"{what} must be a mapping of keys and values, not {type_name(value)}")
        return None

    def at(self, key: str) -> Position:
        return self.mapping.value_at(key)

    @property
    def pos(self) -> Position:
        return self.mapping.pos

    def has(self, key: str) -> bool:
        return key in self.mapping

    def check_unknown(self, known: Iterable[str]) -> None:
        known = list(known)
        for key in self.mapping:
            if key in known:
                continue
            close = closest(key, known)
            hint = f"; did you mean '{close}'?" if close else f"; known keys: {', '.join(sorted(known))}"
            self.diagnostics.error(self.mapping.key_at(key), f"unknown key '{key}' in {self.what}{hint}")

    def _get(self, key: str, required: bool) -> Any:
        if key in self.mapping and self.mapping[key] is not None:
            return self.mapping[key]
        if required:
            self.diagnostics.error(self.pos, f"{self.what} needs '{key}'")
        return _MISSING

    def _wrong(self, key: str, expected: str, value: Any) -> None:
        self.diagnostics.error(self.at(key), f"'{key}' must be {expected}, not {type_name(value)}")

    def string(self, key: str, default: str | None = None, required: bool = False) -> str | None:
        value = self._get(key, required)
        if value is _MISSING:
            return default
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)  # `title: 2026` means the text "2026"
        if not isinstance(value, str):
            self._wrong(key, "text", value)
            return default
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self._get(key, False)
        if value is _MISSING:
            return default
        if not isinstance(value, bool):
            self._wrong(key, "true or false", value)
            return default
        return value

    def number(self, key: str, default: float | None = None, required: bool = False,
               minimum: float | None = None) -> float | int | None:
        value = self._get(key, required)
        if value is _MISSING:
            return default
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self._wrong(key, "a number", value)
            return default
        if minimum is not None and value < minimum:
            self.diagnostics.error(self.at(key), f"'{key}' must be at least {minimum:g}, not {value:g}")
            return default
        return value

    def integer(self, key: str, default: int | None = None, required: bool = False,
                minimum: int | None = None) -> int | None:
        value = self._get(key, required)
        if value is _MISSING:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            self._wrong(key, "a whole number", value)
            return default
        if minimum is not None and value < minimum:
            self.diagnostics.error(self.at(key), f"'{key}' must be at least {minimum}, not {value}")
            return default
        return value

    def string_list(self, key: str, required: bool = False) -> tuple[str, ...] | None:
        value = self._get(key, required)
        if value is _MISSING:
            return None
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, YList):
            self._wrong(key, "a list of texts", value)
            return None
        result = []
        for index, item in enumerate(value):
            if isinstance(item, bool) or not isinstance(item, (str, int, float)):
                self.diagnostics.error(value.item_at(index), f"each entry of '{key}' must be text, not {type_name(item)}")
            else:
                result.append(str(item))
        return tuple(result)

    def language_list(self, key: str) -> tuple[str, ...]:
        """Language codes such as en, fr or pt-BR; each other entry is an error."""
        languages = self.string_list(key) or ()
        for language in languages:
            if not LANGUAGE_CODE.match(language):
                self.diagnostics.error(self.at(key), f"'{language}' is not a language code such as en, fr or pt-BR")
        return tuple(language for language in languages if LANGUAGE_CODE.match(language))

    def mapping_of(self, key: str, what: str) -> "Fields | None":
        value = self._get(key, False)
        if value is _MISSING:
            return None
        return Fields.of(value, self.at(key), what, self.diagnostics)

    def sequence(self, key: str, required: bool = False) -> YList | None:
        value = self._get(key, required)
        if value is _MISSING:
            return None
        if not isinstance(value, YList):
            self._wrong(key, "a list", value)
            return None
        return value
