"""manifest.json for a site rebuilt on every save: the very bytes of output.manifest_bytes, but
each unchanged file's digest and each unchanged exam's entry are reused, not recomputed.

On a 500-exam site, hashing every page and encoding the manifest with `indent` (pure-Python
JSON) took most of a one-exam rebuild. A file or an entry counts as unchanged while it is the
same object as last time, which is what per-exam reuse gives. tests/serve checks the bytes
against a fresh build's.
"""

from __future__ import annotations

import hashlib
from typing import Mapping

from .output import entry_text, manifest_text


class ManifestCache:
    def __init__(self) -> None:
        self._files: dict[str, tuple[bytes, tuple[str, int]]] = {}  # name -> (content, (digest, size))
        self._entries: dict[int, tuple[dict, str]] = {}  # id(entry) -> (entry, its text)

    def manifest(self, files: Mapping[str, bytes], exams: list[dict], generator: str) -> bytes:
        members = {}
        for name, content in files.items():
            known = self._files.get(name)
            if known is None or known[0] is not content:
                known = (content, (hashlib.sha256(content).hexdigest(), len(content)))
            members[name] = known
        self._files = members
        entries = {}
        for entry in exams:
            cached = self._entries.get(id(entry))
            entries[id(entry)] = cached if cached is not None and cached[0] is entry else (entry, entry_text(entry))
        self._entries = entries
        return manifest_text({name: member[1] for name, member in members.items()},
                             [entries[id(entry)][1] for entry in exams], generator)
