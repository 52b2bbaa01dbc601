"""The output folder, replaced atomically by a build that writes only what changed.

Readers must see the old tree or the new one, never a mix, and a failed build must leave the old
one untouched: so the new tree is made in another folder and swapped in (exchanged, on Linux).
Writing a whole tree there and deleting the retired one cost about 1.5 s of a one-exam rebuild of
1000 exams (mostly the file system's work to create and unlink 1000 folders and files), so the
tree a build retires is kept, as the spare, and the next build brings it up to date:

    .output.examsite/   beside output/ (renames need the same file system)
        spare/          the previous build's tree, brought up to date, then swapped with output/
        records.json    what each file of both trees holds (filesig.py)
        lock            one build at a time

A file the spare already holds is kept; a file the live tree holds with the wanted content is
hard-linked from it (files are never written in place, so the trees may share them); only what
neither holds is written. Anything in the spare that its record does not vouch for is deleted.
A lost or stale record therefore costs time, never correctness.
"""

from __future__ import annotations

import json
import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, Mapping

from .filesig import Record, current, record_of

RECORDS_FORMAT = 1
Contents = Callable[[set], Mapping[str, bytes]]  # names -> their bytes, as many as asked for


def home_of(out_dir: Path) -> Path:
    """Where the spare and its records live: beside the output folder, hidden."""
    return out_dir.parent / f".{out_dir.name}.examsite"


def publish(out_dir: Path, tree: Mapping[str, str], contents: Contents) -> int:
    """Make `out_dir` hold exactly `tree` (path under the folder -> SHA-256 of its content), all at
    once. `contents(names)` must give the bytes of the named files, which hash as `tree` says.
    Returns how many files were written (the rest were kept or linked)."""
    out_dir = out_dir.resolve()
    home = home_of(out_dir)
    home.mkdir(parents=True, exist_ok=True)
    ignore = home / ".gitignore"
    if not ignore.exists():  # the site's repository should not list it
        ignore.write_text("# examsite's spare output folder (see generator/publish.py)\n*\n")
    with _locked(home / "lock"):
        _recover(out_dir, home)
        records = _load_records(home / "records.json")
        live_existed = out_dir.is_dir()
        live = records.get("live", {}) if live_existed else {}
        spare = home / "spare"
        made, written = _Spare(spare, records.get("spare", {}), out_dir, live).update(tree, contents)
        _swap(out_dir, spare, home / "retired")
        if live_existed:
            now_live, now_spare = made, live
        else:  # nothing was retired: the new spare is the tree just published, linked
            now_live = now_spare = _seed(out_dir, spare, made)
        _save_records(home / "records.json", {"live": now_live, "spare": now_spare})
    return written


class _Spare:
    """Brings the spare folder to a wanted tree, reusing what it and the live tree hold."""

    def __init__(self, root: Path, records: dict[str, Record], live_root: Path, live: dict[str, Record]) -> None:
        self.root = root
        self.records = records
        self.live_root = live_root
        self.live = live  # updated when a shared file's ctime changes under our link or unlink

    def update(self, tree: Mapping[str, str], contents: Contents) -> tuple[dict[str, Record], int]:
        self.root.mkdir(exist_ok=True)
        os.chmod(self.root, 0o755)
        folders = _folders(tree)
        kept: dict[str, Record] = {}
        present: set[str] = set()
        self._sweep(self.root, "", tree, folders, kept, present)
        missing = {name for name in tree if name not in kept}
        for folder in sorted(folders - present):  # parents first
            (self.root / folder).mkdir()
        to_write = {name for name in missing if not self._link(name, tree[name], kept)}
        if to_write:
            data = contents(to_write)
            for name in sorted(to_write):
                path = self.root / name
                with open(path, "xb") as stream:
                    stream.write(data[name])
                kept[name] = record_of(tree[name], os.stat(path))
        return kept, len(to_write)

    def _sweep(self, folder: str | Path, prefix: str, tree: Mapping[str, str], folders: set[str],
               kept: dict[str, Record], present: set[str]) -> None:
        """Keep what the spare holds as wanted; delete everything else."""
        with os.scandir(folder) as entries:
            listed = list(entries)
        for entry in listed:
            name = prefix + entry.name
            if entry.is_dir(follow_symlinks=False):
                if name in folders:
                    present.add(name)
                    self._sweep(entry.path, name + "/", tree, folders, kept, present)
                else:
                    shutil.rmtree(entry.path)
                continue
            want = tree.get(name)
            found = None
            recorded = self.records.get(name)
            if want is not None and not entry.is_symlink():
                found = current(entry.path, recorded, want, entry.stat(follow_symlinks=False))
            if found is not None and found[0] == want:
                kept[name] = found
                live = self.live.get(name)
                if found is not recorded and live is not None and live[1:5] == found[1:5]:
                    self.live[name] = found  # the same file (linked): read once, known in both trees
            else:
                self._unlink(name, entry.path)

    def _unlink(self, name: str, path: str) -> None:
        try:
            inode = os.lstat(path).st_ino
        except OSError:
            return
        os.unlink(path)
        self._refresh_live(name, inode)

    def _link(self, name: str, want: str, kept: dict[str, Record]) -> bool:
        """Link the live tree's copy of a file when it holds what is wanted."""
        source = self.live_root / name
        found = current(source, self.live.get(name), want) if name in self.live else None
        if found is None or found[0] != want:
            return False
        try:
            os.link(source, self.root / name)
        except OSError:  # a file system without hard links: the file is written instead
            return False
        stat = os.stat(self.root / name)
        kept[name] = self.live[name] = record_of(want, stat)
        return True

    def _refresh_live(self, name: str, inode: int) -> None:
        """The spare's file was also the live tree's (linked): unlinking it changed the shared
        inode's ctime only. Record that, so the live file is still known when it is the spare."""
        record = self.live.get(name)
        if record is None or record[1] != inode:
            return
        try:
            stat = os.stat(self.live_root / name)
        except OSError:
            return
        if [stat.st_ino, stat.st_size, stat.st_mtime_ns] == record[1:4]:
            self.live[name] = record_of(record[0], stat)


def _folders(tree: Mapping[str, str]) -> set[str]:
    """Every folder the tree's files are in, and the folders above them ('a/b' gives 'a' too)."""
    folders = set()
    for name in tree:
        folder = name.rpartition("/")[0]
        while folder and folder not in folders:
            folders.add(folder)
            folder = folder.rpartition("/")[0]
    return folders


def _swap(out_dir: Path, spare: Path, retired: Path) -> None:
    """The spare becomes the output folder; the output folder, if any, becomes the spare: in one
    step where the system can exchange two folders, else by renames, with an instant in between
    when there is no output folder (never a partial one)."""
    from .output import exchange

    if out_dir.exists() and exchange(spare, out_dir):
        return
    if out_dir.exists():
        os.rename(out_dir, retired)
        os.rename(spare, out_dir)
        os.rename(retired, spare)
    else:
        os.rename(spare, out_dir)


def _recover(out_dir: Path, home: Path) -> None:
    """After a build stopped between the swap's renames: the retired tree is the live one."""
    retired = home / "retired"
    if retired.exists():
        if out_dir.exists():
            shutil.rmtree(retired)
        else:
            os.rename(retired, out_dir)


def _seed(out_dir: Path, spare: Path, records: dict[str, Record]) -> dict[str, Record]:
    """A spare made of hard links to every file just published (once, after a first build)."""
    shutil.rmtree(spare, ignore_errors=True)
    spare.mkdir()
    os.chmod(spare, 0o755)
    seeded = {}
    for name in sorted(records):
        target = spare / name
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(out_dir / name, target)
        except OSError:  # no hard links here: the next build writes the spare in full
            shutil.rmtree(spare, ignore_errors=True)
            return records
        seeded[name] = record_of(records[name][0], os.stat(target))
    return seeded


def _load_records(path: Path) -> dict[str, dict[str, Record]]:
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("format") != RECORDS_FORMAT:
        return {}
    return {side: dict(data.get(side) or {}) for side in ("live", "spare")}


def _save_records(path: Path, records: dict[str, dict[str, Record]]) -> None:
    from .output import write_atomically

    write_atomically(path, json.dumps({"format": RECORDS_FORMAT, **records}, separators=(",", ":")).encode())


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One build at a time updates the spare and swaps (a second one waits)."""
    try:
        import fcntl
    except ImportError:  # not on POSIX: no lock (two builds into one folder at once may clash)
        yield
        return
    with open(path, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
