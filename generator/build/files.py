"""Writing a build: whole folders swapped into place, files replaced atomically.

Readers (a web server, `examsite grade`) see the old folder or the new one, never a half-written
one; a build that is killed leaves at most a temporary sibling, which the next build removes.
"""

from __future__ import annotations

import ctypes
import functools
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Mapping

from generator.diagnostics import ExamsiteError

MANIFEST = "manifest.json"
KEYS_BUILD = "BUILD"  # in the keys folder: the build its keys belong to (not *.json: not a key)
_NEW, _OLD = ".new-", ".old-"
# A temporary sibling older than this is a killed build's; a younger one may be a running build's.
STALE_AFTER_SECONDS = 3600


class UnsafeOutput(ExamsiteError):
    """The output folder is somewhere a swap would destroy what is not ours."""


def check_locations(out_dir: Path, keys_dir: Path, config_path: Path) -> None:
    out, keys, config = out_dir.resolve(), keys_dir.resolve(), config_path.resolve()
    if keys == out or out in keys.parents:
        raise UnsafeOutput(f"the keys folder {keys_dir} is inside the output folder {out_dir}: answer keys "
                           "would be published; choose a keys folder outside it")
    if keys in out.parents:  # the keys folder is swapped in whole: the pages inside it would go
        raise UnsafeOutput(f"the output folder {out_dir} is inside the keys folder {keys_dir}; choose another folder")
    if out in config.parents or out == config.parent:
        raise UnsafeOutput(f"the output folder {out_dir} holds the site's sources; choose another folder")
    if out.exists() and any(out.iterdir()) and not (out / MANIFEST).is_file():
        raise UnsafeOutput(f"{out_dir} exists and was not written by examsite (it has no {MANIFEST}); "
                           "refusing to replace it")


def swap_in(folder: Path, files: Mapping[str, bytes], mode: int = 0o755) -> None:
    """Write `files` into a sibling temporary folder, then swap it into place."""
    folder = folder.resolve()
    folder.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(folder)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}{_NEW}", dir=folder.parent))
    try:
        made = {staging}
        for name, content in sorted(files.items()):
            target = staging / name
            if target.parent not in made:
                target.parent.mkdir(parents=True, exist_ok=True)
                made.add(target.parent)
            _place(target, content, folder / name)
        os.chmod(staging, mode)
        _replace(staging, folder)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _place(target: Path, content: bytes, live: Path) -> None:
    """`content` at `target`: a hard link to the live folder's file where that holds the same bytes
    (most files of a rebuild), which spares writing them again; else written."""
    try:
        if live.stat().st_size == len(content) and live.read_bytes() == content:
            os.link(live, target)
            return
    except OSError:  # no such file, or a file system without hard links: write it
        pass
    target.write_bytes(content)


def publish_keys(keys_dir: Path, keys: Mapping[str, bytes], build_id: str) -> None:
    """The keys folder, swapped in whole: this build's keys, the keys of exams it no longer has
    (submissions to them may still need grading) and BUILD, the build they belong to. Private:
    the folder is 0700 and every file 0600."""
    keys_dir = keys_dir.resolve()
    kept: dict[str, bytes] = {}
    if keys_dir.is_dir():
        for path in sorted(keys_dir.glob("*.json")):
            if path.stem not in keys:
                kept[path.name] = path.read_bytes()
    files = {**kept, **{f"{exam_id}.json": key for exam_id, key in keys.items()},
             KEYS_BUILD: (build_id + "\n").encode()}
    old_umask = os.umask(0o077)  # created private, never readable by others for an instant
    try:
        swap_in(keys_dir, files, mode=0o700)
    finally:
        os.umask(old_umask)


def remove_stale(folder: Path) -> None:
    """Temporary siblings of `folder` that a killed build left behind."""
    now = time.time()
    for sibling in folder.parent.glob(f".{folder.name}.*-*"):
        if not (sibling.name.startswith(f".{folder.name}{_NEW}") or sibling.name.startswith(f".{folder.name}{_OLD}")):
            continue
        try:
            if now - sibling.lstat().st_mtime > STALE_AFTER_SECONDS:
                shutil.rmtree(sibling, ignore_errors=True)
        except OSError:
            pass


def _replace(staging: Path, folder: Path) -> None:
    if folder.exists() and exchange(staging, folder):
        return  # staging holds the old folder now; the caller deletes it
    if folder.exists():
        retired = Path(tempfile.mkdtemp(prefix=f".{folder.name}{_OLD}", dir=folder.parent))
        os.replace(folder, retired / folder.name)
        os.replace(staging, folder)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        os.replace(staging, folder)


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
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    return function


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
