"""The build index: what the last build knew of each exam, so a rebuild takes an unchanged exam
as it is without reading its file, the Markdown and images it uses, or its cache entry.

Reading 1000 cache entries (the pages' bytes included) and hashing every exam file cost most of
a one-exam rebuild. The index is one file per site salt (cache.site_salt: the configuration, the
code, the libraries) holding, per exam file: its cache key and the files it reads, each with its
stat signature (filesig.py), and its result short of the output's bytes: the identity that
validate_site reads, its counts, its problems (warnings are reported by every build) and the
output's facts (examresult.OutputFacts). The bytes stay in the cache entry, read only for a file
that must be written.

Only error-free results whose files all predate the build by the clock's slack are recorded, as
for cache entries: a file saved while the build read it must not pair its new signature with
what was made from its old bytes. A missing, stale or corrupt index costs time, never
correctness: every fact in it is checked against the files' signatures before it is used.

It also records the answer keys written, by path, so a rebuild does not read 1000 keys to learn
that they are as they should be.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from pathlib import Path
from typing import Any, Iterable

from .assets import Published
from .cache import Lookup, address, diagnostics_from_json, diagnostics_json
from .diagnostics import Position
from .examresult import ExamResult, OutputFacts
from .filesig import Record, current, record_of, same_signature, settled, sha256_of
from .model import Exam
from .output import write_atomically

INDEX_FORMAT = 2
_EXAM_FIELDS = [field.name for field in dataclasses.fields(Exam)]


class BuildIndex:
    """The index of one site salt: a base file, and a journal of what later builds changed (a
    one-exam rebuild appends one line rather than rewriting 2 MB of JSON). The journal is folded
    into the base when it grows past a quarter of it. A journal line cut short by a crash ends
    the journal: what is lost is only time."""

    def __init__(self, path: Path, salt: bytes, started_ns: int) -> None:
        self.path = path
        self.journal = path.with_name(path.name + ".journal")
        self.salt = salt
        self.started_ns = started_ns  # files changed after this (less the slack) are not recorded
        self._entries: dict[str, dict] = {}  # exam file -> its entry, as last saved
        self.keys: dict[str, Record] = {}  # answer key file -> its record
        # The runtime's files (assets.py): logical name -> [published name, SHA-256, size, SRI digest].
        self.runtime: dict[str, list] | None = None
        # This build's look at each exam file: its record, and when the last result was reused,
        # the records of the files it reads and that result as saved.
        self._checked: dict[str, tuple[Record | None, list | None, dict | None]] = {}
        self._changes: dict = {}  # this build's, as a journal line: {"exams": ..., "keys": ..., "runtime": ...}
        self._sizes = [0, 0]  # bytes of the base file and of the journal
        self._fold = False  # write a whole base file (none usable, or a damaged journal)

    @classmethod
    def load(cls, cache_root: Path, salt: bytes, started_ns: int | None = None) -> "BuildIndex":
        index = cls(cache_root / "index" / salt.hex()[:32], salt, started_ns or time.time_ns())
        try:
            base = index.path.read_bytes()
            data = json.loads(base)
            if data.get("format") != INDEX_FORMAT or data.get("salt") != salt.hex():
                raise ValueError("another index")
            index._apply(data)
            index._sizes[0] = len(base)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            index._entries, index.keys, index.runtime, index._fold = {}, {}, None, True
            return index
        try:
            journal = index.journal.read_bytes()
        except OSError:
            return index
        index._sizes[1] = len(journal)
        for line in journal.splitlines():
            try:
                index._apply(json.loads(line))
            except (ValueError, KeyError, TypeError, AttributeError):
                index._fold = True
                break
        return index

    def _apply(self, data: dict) -> None:
        for source, entry in data["exams"].items():
            if entry is None:
                self._entries.pop(source, None)
            else:
                self._entries[source] = entry
        self.keys.update(data["keys"])
        if "runtime" in data:
            self.runtime = {str(logical): [str(name), str(digest), int(size), str(integrity)]
                            for logical, (name, digest, size, integrity) in data["runtime"].items()} or None

    def reuse(self, source: Path) -> tuple[Lookup, ExamResult | None]:
        """The exam file's cache address, and its last result when neither the file nor any file
        it reads has changed since."""
        name = str(source)
        entry = self._entries.get(name)
        try:
            stat = os.stat(source)
        except OSError:
            return Lookup(source, None), None
        previous = entry["file"][0] if entry is not None else None  # its texts were rendered then
        if entry is not None and entry["file"][5] and same_signature(entry["file"], stat):
            lookup, record = Lookup(source, previous, previous), entry["file"]
        else:
            key = address(self.salt, source).key  # reads the file: its stat above came first
            lookup, record = Lookup(source, key, previous), record_of(key, stat, self.started_ns) if key else None
        self._checked[name] = (record, None, None)
        if entry is None or previous != lookup.key:
            return lookup, None
        dependencies = []
        for path, recorded in entry["dependencies"]:
            found = current(path, recorded)
            if found is None or found[0] != recorded[0]:
                return lookup, None
            dependencies.append([path, found])
        self._checked[name] = (record, dependencies, entry["result"])
        try:
            return lookup, _result(source, entry["result"])
        except (KeyError, TypeError, ValueError, IndexError):
            return lookup, None

    def update(self, results: Iterable[ExamResult]) -> None:
        """Record this build's results, in place of the last ones."""
        entries = {}
        for result in results:
            source = str(result.source)
            entry = self._entry(result)
            if entry is None and source in self._entries:
                # Not recorded (errors, or files too new to trust): the last entry stays for the
                # fragments of its cache entry (content.py). It is checked against the file's
                # signature and key as any entry is, so it stands only for the bytes it was made from.
                entry = self._entries[source]
            if entry is not None:
                entries[source] = entry
        changed: dict[str, dict | None] = {source: entry for source, entry in entries.items()
                                           if self._entries.get(source) != entry}
        changed.update((source, None) for source in self._entries if source not in entries)
        if changed:
            self._changes.setdefault("exams", {}).update(changed)
        self._entries = entries

    def _entry(self, result: ExamResult) -> dict | None:
        """The entry recording this build's result; None when it must not be recorded."""
        checked = self._checked.get(str(result.source))
        if checked is None or result.has_errors or result.facts is None or result.exam is None:
            return None
        record, dependencies, saved = checked
        if record is None or not record[5]:
            return None
        if saved is None or result.known is None:  # made or loaded by this build, from the files read
            if not self._unchanged_since_read(result.source, record):
                return None
            dependencies, saved = self._records(result.dependencies), None
            if dependencies is None:
                return None
        try:
            saved = saved if saved is not None else _plain_result(result)
        except TypeError:
            return None
        return {"file": record, "dependencies": dependencies, "result": saved}

    def record_runtime(self, facts: dict[str, list]) -> None:
        if self.runtime != facts:
            self.runtime = self._changes["runtime"] = facts

    def published_runtime(self) -> dict[str, Published] | None:
        """The runtime's files as the pages link them, without making the runtime."""
        if self.runtime is None:
            return None
        return {logical: Published(name, integrity) for logical, (name, _, _, integrity) in self.runtime.items()}

    def record_key(self, path: str, record: Record) -> None:
        if self.keys.get(path) != record:
            self.keys[path] = self._changes.setdefault("keys", {})[path] = record

    def save(self) -> None:
        """Append this build's changes to the journal, or write a whole base file; an unwritable
        cache only costs the next build time."""
        if not self._changes and not self._fold:
            return
        line = json.dumps({"exams": {}, "keys": {}, **self._changes}, ensure_ascii=False,
                          separators=(",", ":")).encode() + b"\n"
        try:
            if self._fold or self._sizes[1] + len(line) > max(self._sizes[0] // 4, 64 * 1024):
                data = {"format": INDEX_FORMAT, "salt": self.salt.hex(), "exams": self._entries, "keys": self.keys,
                        "runtime": self.runtime or {}}
                write_atomically(self.path, json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode())
                self.journal.unlink(missing_ok=True)
            else:
                with open(self.journal, "ab") as stream:
                    stream.write(line)
        except OSError:
            pass

    def _unchanged_since_read(self, source: Path, record: Record) -> bool:
        try:
            return same_signature(record, os.stat(source))
        except OSError:
            return False

    def _records(self, paths: Iterable[Path]) -> list | None:
        """Trusted records of files read by this build, or None when one changed too recently:
        its bytes now might not be those the build read."""
        records = []
        for path in paths:
            try:
                stat = os.stat(path)
            except OSError:
                return None
            if not settled(stat, self.started_ns):
                return None
            digest = sha256_of(path)
            if digest is None:
                return None
            records.append([str(path), record_of(digest, stat, self.started_ns)])
        return records


def _plain_result(result: ExamResult) -> dict:
    facts = result.facts
    assert facts is not None and result.exam is not None
    return {"exam": [_plain(getattr(result.exam, name)) for name in _EXAM_FIELDS],
            "parts": result.parts, "questions": result.questions,
            "load_diagnostics": diagnostics_json(result.load_diagnostics),
            "render_diagnostics": diagnostics_json(result.render_diagnostics),
            "exam_id": facts.exam_id, "files": [[name, digest, size] for name, (digest, size) in facts.files.items()],
            "key": facts.key_digest, "policy": facts.policy, "manifest_text": facts.manifest_text}


def _result(source: Path, data: dict[str, Any]) -> ExamResult:
    values = data["exam"]
    if len(values) != len(_EXAM_FIELDS):
        raise ValueError("not an exam")
    # The exam's own path is most often the one looked up: no new Path for it (they are slow to make).
    known = {str(source): source}
    # Positional, in the order of dataclasses.fields(Exam), as saved (the salt covers the code).
    exam = Exam(*[value if value.__class__ is not dict else _unplain(value, known) for value in values])
    facts = OutputFacts(data["exam_id"], {name: (digest, size) for name, digest, size in data["files"]},
                        data["key"], data["policy"], data["manifest_text"])
    return ExamResult(source=source, exam=exam, parts=data["parts"], questions=data["questions"],
                      load_diagnostics=diagnostics_from_json(data["load_diagnostics"]),
                      render_diagnostics=diagnostics_from_json(data["render_diagnostics"]), output=None,
                      known=facts)


# An exam's identity (examresult.identity: no questions, no texts) holds strings, booleans, paths,
# positions and tuples of strings; anything else is refused, and the exam is then not indexed.
# Flatter than cache.plain: this is read for every exam of every rebuild.

def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Position):
        return {"position": [value.path, value.line, value.col]}
    if isinstance(value, Path):
        return {"path": str(value)}
    if isinstance(value, tuple) and all(isinstance(item, str) for item in value):
        return {"strings": list(value)}
    raise TypeError(f"an exam's identity cannot hold a {type(value).__name__}")


def _unplain(value: Any, paths: dict[str, Path]) -> Any:
    if not isinstance(value, dict):
        return value
    if "position" in value:
        return Position(*value["position"])
    if "path" in value:
        return paths.get(value["path"]) or Path(value["path"])
    return tuple(value["strings"])
