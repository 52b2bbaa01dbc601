"""The build cache: each exam's result, content-addressed, under .examsite/cache beside exams.yaml.

An entry's address is a hash of everything that can change an exam's pages: the exam file's
bytes and path, the site's configuration as loaded (so ${VAR} values count), the templates, the
runtime's files, examsite's own code and version, the versions of the libraries that render, and
the working folder (diagnostics show paths relative to it). The files an exam reads besides its
own (Markdown, images) are known only once it is loaded and rendered, so an entry lists them with
their hashes and is used only while they all still match. A missing, stale or corrupt entry is a
miss, never an error.

Entries are JSON plus the raw bytes of the exam's files, with a CRC-32 against truncation and bit
rot (a check, not a signature: whoever can write the cache can write a valid entry anyway); no
pickle, so a cache copied from elsewhere cannot run code.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from enum import Enum
from importlib import metadata
from typing import Any, Iterable

from generator import __version__
from generator import diagnostics as diagnostics_module
from generator.site import model
from generator.build.files import write_atomically
from generator.build.pipeline import ExamResult
from generator.diagnostics import Diagnostic, Position, Severity
from generator.render.assets import RUNTIME_DIR
from generator.render.exam import ExamOutput
from generator.render.pages import PACKAGE_TEMPLATES, PageOptions
from generator.site.config import SiteConfig
from generator.site.i18n import MESSAGES_DIR
from generator.site.model import Exam
from generator.site.pymarkdown import extension_packages

FORMAT = b"examsite-cache 7\n"  # 7: no text fragments
PACKAGE_DIR = Path(__file__).parent.parent  # examsite's code, templates, runtime and messages
PRUNE_AFTER_DAYS = 14
MTIME_SLACK_SECONDS = 2.0  # file systems with 1-2 s timestamps
# Libraries whose output ends up in pages: a new version may render differently.
RENDERING_LIBRARIES = ("cmarkgfm", "markdown", "nh3", "jinja2", "markupsafe", "pygments", "latex2mathml", "pyyaml")


def cache_dir(config_path: Path) -> Path:
    return config_path.parent / ".examsite" / "cache"


def _files_digest(hasher: "hashlib._Hash", root: Path, pattern: str) -> None:
    for path in sorted(p for p in root.rglob(pattern) if p.is_file() and "__pycache__" not in p.parts):
        hasher.update(str(path.relative_to(root)).encode() + b"\0")
        hasher.update(hashlib.sha256(path.read_bytes()).digest())


def _library_versions() -> str:
    versions = []
    for name in RENDERING_LIBRARIES:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = "none"
        versions.append(f"{name}={version}")
    return ",".join(versions)


def site_salt(config: SiteConfig, options: PageOptions) -> bytes:
    """What every exam's entry depends on besides its own files."""
    hasher = hashlib.sha256(FORMAT)
    hasher.update(f"{__version__}\0{_library_versions()}\0{os.getcwd()}\0".encode())
    # The configuration as loaded, less what does not reach an exam's pages (the exam list).
    # A new field counts by default.
    hasher.update(repr(dataclasses.replace(config, exam_files=())).encode() + b"\0")
    hasher.update(repr(options).encode() + b"\0")
    if config.markdown.engine == "python-markdown":  # the engine and its settings are in the configuration
        hasher.update(",".join(extension_packages(config.markdown.extensions)).encode() + b"\0")
    # examsite's own code: a development change without a version bump must not reuse old pages.
    _files_digest(hasher, PACKAGE_DIR, "*.py")
    # The runtime's sources: with the code above, Pygments' version and the options, they make the
    # published runtime, whose names and SRI digests are in every page.
    hasher.update(b"runtime\0")
    _files_digest(hasher, RUNTIME_DIR, "*")
    _files_digest(hasher, PACKAGE_TEMPLATES, "*")
    # The interface's message catalogues: a reworded message changes every page in that language.
    # exams.yaml's `messages` overrides are in the configuration hashed above.
    hasher.update(b"messages\0")
    _files_digest(hasher, MESSAGES_DIR, "*.json")
    if config.templates_dir is not None:
        hasher.update(b"site templates\0")
        _files_digest(hasher, config.templates_dir, "*")
    return hasher.digest()


def file_digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


@dataclass(frozen=True)
class Lookup:
    """An exam file's address in the cache (None when the file cannot be read)."""

    source: Path
    key: str | None


def address(salt: bytes, source: Path) -> Lookup:
    try:
        content = source.read_bytes()
    except OSError:
        return Lookup(source, None)
    hasher = hashlib.sha256(salt)
    hasher.update(str(source.resolve()).encode() + b"\0")
    hasher.update(content)
    return Lookup(source, hasher.hexdigest())


class BuildCache:
    """Entries under `root`, by address; reads are checked, writes atomic."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / key[2:]

    def load(self, lookup: Lookup) -> ExamResult | None:
        if lookup.key is None:
            return None
        try:
            data = self._path(lookup.key).read_bytes()
        except OSError:
            return None
        try:
            result, dependencies = _decode(data, lookup.source)
        except Exception:  # a corrupt or foreign entry is a miss; it is overwritten by this build
            return None
        if any(file_digest(Path(path)) != digest for path, digest in dependencies):
            return None
        return result

    def prune(self, used: Iterable[Lookup], max_age_days: float = PRUNE_AFTER_DAYS, keep: Iterable[Path] = ()) -> int:
        """Delete entries this build did not use and nobody has written for `max_age_days`; at most
        once a day (a marker's age says when), so a rebuild does not list the cache every time.
        Old entries are kept a while: another environment's builds (--env) use other entries."""
        marker = self.root / ".pruned"
        now = time.time()
        try:
            if now - marker.stat().st_mtime < 86400:
                return 0
        except OSError:
            pass
        kept = {lookup.key for lookup in used if lookup.key} | {path.parent.name + path.name for path in keep}
        removed = 0
        try:
            for folder in self.root.iterdir():
                if not folder.is_dir():
                    continue
                for entry in folder.iterdir():
                    if folder.name + entry.name in kept:
                        continue
                    if now - entry.stat().st_mtime > max_age_days * 86400:
                        entry.unlink()
                        removed += 1
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
        except OSError:  # pruning is housekeeping: never a reason for a build to fail
            pass
        return removed

    def store(self, lookup: Lookup, result: ExamResult, build_started: float) -> None:
        """Keep a result with no errors; an unwritable cache only costs the next build time.

        Not when any of the exam's files was written since the build started (less a slack for
        coarse file times): a file saved while the build read it could pair the hash of its new
        bytes with pages made from its old ones."""
        if lookup.key is None or result.output is None or result.has_errors:
            return
        try:
            if any(path.stat().st_mtime >= build_started - MTIME_SLACK_SECONDS
                   for path in (lookup.source, *result.dependencies)):
                return
        except OSError:
            return
        dependencies = [(str(path), file_digest(path)) for path in result.dependencies]
        if any(digest is None for _, digest in dependencies):
            return
        try:
            entry = _encode(result, dependencies)
        except TypeError:  # something the entry format cannot hold: build it afresh next time
            return
        try:
            write_atomically(self._path(lookup.key), entry)
        except OSError:
            pass


# The entry format -------------------------------------------------------------------------------

# Dataclasses an exam's identity may hold, by name: the model's and positions. Field by field,
# so a field added to the model is kept without a change here.
_CLASSES = {cls.__name__: cls for module in (model, diagnostics_module) for cls in vars(module).values()
            if isinstance(cls, type) and dataclasses.is_dataclass(cls)}
_ENUMS = {cls.__name__: cls for module in (model, diagnostics_module) for cls in vars(module).values()
          if isinstance(cls, type) and issubclass(cls, Enum) and cls is not Enum}


def plain(value: Any) -> Any:
    """A value of the model as JSON; TypeError for anything else (the entry is then not kept)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, tuple):
        return {"tuple": [plain(item) for item in value]}
    if isinstance(value, list):
        return {"list": [plain(item) for item in value]}
    if isinstance(value, Path):
        return {"path": str(value)}
    if isinstance(value, Enum):
        return {"enum": type(value).__name__, "value": value.value}
    if dataclasses.is_dataclass(value) and _CLASSES.get(type(value).__name__) is type(value):
        return {"class": type(value).__name__,
                "fields": {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}}
    raise TypeError(f"cannot keep a {type(value).__name__} in the cache")


def unplain(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    if "tuple" in value:
        return tuple(unplain(item) for item in value["tuple"])
    if "list" in value:
        return [unplain(item) for item in value["list"]]
    if "path" in value:
        return Path(value["path"])
    if "enum" in value:
        return _ENUMS[value["enum"]](value["value"])
    cls = _CLASSES[value["class"]]
    return cls(**{name: unplain(item) for name, item in value["fields"].items()})


def _position(value: list) -> Position:
    return Position(str(value[0]), int(value[1]), int(value[2]))


def diagnostics_json(items: Iterable[Diagnostic]) -> list:
    return [[d.position.path, d.position.line, d.position.col, d.severity.value, d.message] for d in items]


def diagnostics_from_json(items: list) -> tuple[Diagnostic, ...]:
    return tuple(Diagnostic(_position(item[:3]), Severity(item[3]), str(item[4])) for item in items)


def _encode(result: ExamResult, dependencies: list[tuple[str, str | None]]) -> bytes:
    assert result.output is not None and result.exam is not None
    output, exam = result.output, result.exam
    blobs: list[bytes] = []
    offset = 0

    def blob(content: bytes) -> list[int]:
        nonlocal offset
        blobs.append(content)
        offset += len(content)
        return [offset - len(content), len(content)]

    header = {
        "exam": plain(exam),
        "parts": result.parts,
        "questions": result.questions,
        "load_diagnostics": diagnostics_json(result.load_diagnostics),
        "render_diagnostics": diagnostics_json(result.render_diagnostics),
        "dependencies": dependencies,
        "output": {"exam_id": output.exam_id, "policy": output.policy, "manifest_entry": output.manifest_entry,
                   "lang": output.lang, "images": [str(p) for p in output.images], "key": blob(output.key),
                   "digests": {name: output.digest(name) for name in output.files},
                   "files": [[name, *blob(content)] for name, content in output.files.items()]},
    }
    head = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode()
    payload = len(head).to_bytes(8, "big") + head + b"".join(blobs)
    return FORMAT + zlib.crc32(payload).to_bytes(4, "big") + payload


def _open(data: bytes) -> tuple[dict, memoryview]:
    """An entry's header and its blobs, checked; ValueError when it is not a whole entry."""
    if not data.startswith(FORMAT):
        raise ValueError("not an examsite cache entry")
    checksum, payload = data[len(FORMAT):len(FORMAT) + 4], memoryview(data)[len(FORMAT) + 4:]
    if zlib.crc32(payload).to_bytes(4, "big") != checksum:
        raise ValueError("checksum mismatch")
    size = int.from_bytes(payload[:8], "big")
    return json.loads(bytes(payload[8:8 + size])), payload[8 + size:]


def _decode(data: bytes, source: Path) -> tuple[ExamResult, list[tuple[str, str]]]:
    header, blobs = _open(data)

    def blob(span: list[int]) -> bytes:
        start, length = span
        if start < 0 or start + length > len(blobs):
            raise ValueError("blob out of range")
        return bytes(blobs[start:start + length])

    o = header["output"]
    exam = unplain(header["exam"])
    if not isinstance(exam, Exam):
        raise ValueError("not an exam")
    output = ExamOutput(exam_id=o["exam_id"], files={name: blob([start, length]) for name, start, length in o["files"]},
                        key=blob(o["key"]), policy=o["policy"], manifest_entry=o["manifest_entry"],
                        lang=str(o["lang"]), images=tuple(Path(p) for p in o["images"]),
                        digests={str(name): str(digest) for name, digest in o["digests"].items()})
    dependencies = [(str(path), str(digest)) for path, digest in header["dependencies"]]
    result = ExamResult(source=source, exam=exam, parts=int(header["parts"]), questions=int(header["questions"]),
                        load_diagnostics=diagnostics_from_json(header["load_diagnostics"]),
                        render_diagnostics=diagnostics_from_json(header["render_diagnostics"]), output=output,
                        dependencies=tuple(Path(p) for p, _ in dependencies))
    return result, dependencies
