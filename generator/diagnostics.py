"""Problems found in the instructor's input, and the one way they are printed."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path


def shown_path(path: Path) -> str:
    """A path as the instructor would type it: relative to the working folder when it can be."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Position:
    path: str
    line: int  # 1-based
    col: int  # 1-based

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"


@dataclass(frozen=True, order=True)
class Diagnostic:
    position: Position
    severity: Severity
    message: str

    def __str__(self) -> str:
        return f"{self.position}: {self.severity.value}: {self.message}"

    def as_json(self) -> dict:
        return {
            "path": self.position.path,
            "line": self.position.line,
            "col": self.position.col,
            "severity": self.severity.value,
            "message": self.message,
        }


class Diagnostics:
    """Collects the problems of one run, so all of them are reported together."""

    def __init__(self) -> None:
        self._items: list[Diagnostic] = []

    def error(self, position: Position, message: str) -> None:
        self._items.append(Diagnostic(position, Severity.ERROR, message))

    def warning(self, position: Position, message: str) -> None:
        self._items.append(Diagnostic(position, Severity.WARNING, message))

    def extend(self, items: "Diagnostics | list[Diagnostic]") -> None:
        self._items.extend(items.items if isinstance(items, Diagnostics) else items)

    @property
    def items(self) -> list[Diagnostic]:
        return sorted(set(self._items))

    @property
    def has_errors(self) -> bool:
        return any(d.severity is Severity.ERROR for d in self._items)

    def __len__(self) -> int:
        return len(self._items)

    def take(self) -> tuple[Diagnostic, ...]:
        """What was reported since the last take, in report order; the collector starts empty again
        (a renderer made once for many exams reports each exam's problems apart)."""
        taken, self._items = tuple(self._items), []
        return taken


class ExamsiteError(Exception):
    """Base of the errors the CLI turns into messages and exit status 1 (never a traceback)."""


class InvalidInput(ExamsiteError):
    """The input has errors; `diagnostics` says which and where."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        super().__init__(f"{len(diagnostics)} problem(s) in the input")
        self.diagnostics = diagnostics
