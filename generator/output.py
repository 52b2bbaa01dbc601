"""The output folder: manifest.json, _headers, robots.txt, and the atomic swap into place."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Mapping, Sequence

from .diagnostics import ExamsiteError

MANIFEST = "manifest.json"
_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f]')  # what json.dumps(ensure_ascii=False) escapes in a string
ROBOTS = "User-agent: *\nDisallow: /\n"
# Referrer: the CDN and the SDK see the exam site's origin (domain whitelisting) but never the
# page's query, which holds the attendee identifier.
REFERRER_POLICY = "strict-origin-when-cross-origin"


class UnsafeOutput(ExamsiteError):
    """The output folder is somewhere a swap would destroy what is not ours."""


def source_date() -> str | None:
    """SOURCE_DATE_EPOCH as an ISO date, the only timestamp a reproducible build may carry."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch:
        return None
    try:
        return datetime.fromtimestamp(int(epoch), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    except ValueError as error:
        raise ExamsiteError(f"SOURCE_DATE_EPOCH must be a whole number of seconds, not '{epoch}'") from error


def entry_text(entry: dict) -> str:
    """An exam's entry as json.dumps(manifest, indent=2) writes it, two levels down (inside
    "exams": [...]). The build index keeps it, so a rebuild does not encode 1000 entries again
    with the pure-Python encoder that `indent` implies."""
    return "\n".join("    " + line for line in json.dumps(entry, indent=2, ensure_ascii=False).split("\n"))


def _file_text(name: str, digest: str, size: int) -> str:
    quoted = f'"{name}"' if not _NEEDS_ESCAPE.search(name) else json.dumps(name, ensure_ascii=False)
    return (f"    {quoted}: {{\n      \"sha256\": \"{digest}\",\n"
            f"      \"size\": {size}\n    }}")


def manifest_text(files: Mapping[str, tuple[str, int]], entries: Sequence[str], generator: str) -> bytes:
    """manifest.json from each file's (SHA-256, size) and each exam's entry_text: the very bytes of
    json.dumps(manifest, indent=2, ensure_ascii=False), put together as text."""
    head = [f"  \"generator\": {json.dumps(generator, ensure_ascii=False)}"]
    built = source_date()
    if built:
        head.append(f"  \"built_at\": {json.dumps(built, ensure_ascii=False)}")
    head.append("  \"exams\": " + ("[\n" + ",\n".join(entries) + "\n  ]" if entries else "[]"))
    listed = [_file_text(name, *files[name]) for name in sorted(files)]
    head.append("  \"files\": " + ("{\n" + ",\n".join(listed) + "\n  }" if listed else "{}"))
    return ("{\n" + ",\n".join(head) + "\n}\n").encode("utf-8")


def manifest_bytes(files: dict[str, bytes], exams: list[dict], generator: str,
                   digests: Mapping[str, str] | None = None) -> bytes:
    """`digests` holds SHA-256s already known (the build cache keeps each page's), so a rebuild
    does not hash the whole site again."""
    known = digests or {}
    return manifest_text({name: (known.get(name) or hashlib.sha256(content).hexdigest(), len(content))
                          for name, content in files.items()}, [entry_text(entry) for entry in exams], generator)


def headers_bytes(page_policies: dict[str, str]) -> bytes:
    """Netlify / Cloudflare Pages `_headers`: the pages' CSP as a real header, caching for hashed assets."""
    lines = ["/*", "  X-Content-Type-Options: nosniff", f"  Referrer-Policy: {REFERRER_POLICY}", "",
             "/assets/*", "  Cache-Control: public, max-age=31536000, immutable", ""]
    for prefix, policy in sorted(page_policies.items()):
        lines += [f"/{prefix}/*", f"  Content-Security-Policy: {policy}", "  Cache-Control: no-cache", ""]
    return "\n".join(lines).encode("utf-8")


def check_locations(out_dir: Path, keys_dir: Path, config_path: Path) -> None:
    from .publish import home_of

    out, keys, config = out_dir.resolve(), keys_dir.resolve(), config_path.resolve()
    spare = home_of(out)  # its tree becomes the output folder at the next build
    if keys == out or out in keys.parents or keys == spare or spare in keys.parents:
        raise UnsafeOutput(f"the keys folder {keys_dir} is inside the output folder {out_dir}: answer keys "
                           "would be published; choose a keys folder outside it")
    if out in config.parents or out == config.parent:
        raise UnsafeOutput(f"the output folder {out_dir} holds the site's sources; choose another folder")
    if out.exists() and any(out.iterdir()) and not (out / MANIFEST).is_file():
        raise UnsafeOutput(f"{out_dir} exists and was not written by examsite (it has no {MANIFEST}); "
                           "refusing to replace it")


def _write_tree(root: Path, files: dict[str, bytes]) -> None:
    for name, content in sorted(files.items()):
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)


def exchange(first: Path, second: Path) -> bool:
    """Swap two existing paths in one step (Linux's renameat2 with RENAME_EXCHANGE), so there is
    no instant with neither; False where the system or the file system cannot, and nothing moved."""
    renameat2 = _renameat2()
    return renameat2 is not None and \
        renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE) == 0


_AT_FDCWD, _RENAME_EXCHANGE = -100, 2


@functools.cache
def _renameat2():
    """The C library's renameat2, or None (not Linux, or an older C library)."""
    import ctypes

    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    return function


def swap_in(out_dir: Path, files: dict[str, bytes]) -> None:
    """Write `files` into a sibling temporary folder, then swap it into place, so readers see the
    old output or the new one, never a half-written one, nor (where exchange() can) none."""
    out_dir = out_dir.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.new-", dir=out_dir.parent))
    try:
        _write_tree(staging, files)
        os.chmod(staging, 0o755)
        if out_dir.exists() and exchange(staging, out_dir):
            pass  # staging holds the old output now, deleted below
        elif out_dir.exists():
            retired = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
            os.replace(out_dir, retired / out_dir.name)
            os.replace(staging, out_dir)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(staging, out_dir)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def write_atomically(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
