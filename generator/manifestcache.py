"""manifest.json for a site rebuilt on every save: the very bytes of output.manifest_bytes, but
each unchanged file's digest and each unchanged exam's entry are reused, not recomputed.

On a 500-exam site, hashing every page and encoding the manifest with `indent` (pure-Python
JSON) took most of a one-exam rebuild. A file or an entry counts as unchanged while it is the
same object as last time, which is what per-exam reuse gives. tests/serve checks the bytes
against a fresh build's.
"""

from __future__ import annotations

import hashlib
import json
from typing import Mapping

from .output import source_date


def _entry_text(entry: dict) -> str:
    """An exam entry as json.dumps(indent=2) writes it two levels down (inside "exams": [...])."""
    return "\n".join("    " + line for line in json.dumps(entry, indent=2, ensure_ascii=False).split("\n"))


def _file_text(name: str, digest: str, size: int) -> str:
    return (f"    {json.dumps(name, ensure_ascii=False)}: {{\n      \"sha256\": \"{digest}\",\n"
            f"      \"size\": {size}\n    }}")


class ManifestCache:
    def __init__(self) -> None:
        self._files: dict[str, tuple[bytes, str]] = {}  # name -> (content, its JSON member)
        self._entries: dict[int, tuple[dict, str]] = {}  # id(entry) -> (entry, its JSON)

    def manifest(self, files: Mapping[str, bytes], exams: list[dict], generator: str) -> bytes:
        members = {}
        for name, content in files.items():
            known = self._files.get(name)
            if known is None or known[0] is not content:
                known = (content, _file_text(name, hashlib.sha256(content).hexdigest(), len(content)))
            members[name] = known
        self._files = members
        entries = {}
        for entry in exams:
            cached = self._entries.get(id(entry))
            entries[id(entry)] = cached if cached is not None and cached[0] is entry else (entry, _entry_text(entry))
        self._entries = entries
        head = [f"  \"generator\": {json.dumps(generator, ensure_ascii=False)}"]
        built = source_date()
        if built:
            head.append(f"  \"built_at\": {json.dumps(built, ensure_ascii=False)}")
        listed = ",\n".join(entries[id(entry)][1] for entry in exams)
        head.append("  \"exams\": " + (f"[\n{listed}\n  ]" if exams else "[]"))
        head.append("  \"files\": {\n" + ",\n".join(members[name][1] for name in sorted(members)) + "\n  }")
        return ("{\n" + ",\n".join(head) + "\n}\n").encode("utf-8")
