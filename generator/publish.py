"""The output folder, replaced atomically by a build that writes only what changed.

Readers must see the old tree or the new one, never a mix, and a failed build must leave the old
one untouched: so the new tree is made in another folder and swapped in (exchanged, on Linux).
Writing a whole tree there and deleting the retired one cost about 1.5 s of a one-exam rebuild of
1000 exams (mostly the file system's work to create and unlink 1000 folders and files), so the
tree a build retires is kept, as the spare, and the next build brings it up to date (a first
build retires nothing, so it leaves no spare: a pipeline that builds once pays nothing for it):

    .output.examsite/   beside output/ (renames need the same file system)
        spare/          the previous build's tree, brought up to date, then swapped with output/
        records.json    what each file of both trees holds (filesig.py), and what each folder
                        lists, with the folder's signature
        lock            one build at a time

A file the spare already holds is kept; a file the live tree holds with the wanted content is
hard-linked from it (files are never written in place, so the trees may share them); only what
neither holds is written. Anything in the spare that its record does not vouch for is deleted.
A lost or stale record therefore costs time, never correctness.

Reading 1000 folders to learn that they list what they did took most of a one-exam rebuild's
publishing (directory reads are slow on some file systems): a folder whose signature (inode,
mtime, ctime) is as recorded, settled, lists what it listed then, since adding, removing or
renaming an entry changes its mtime; only the files in it are looked at.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, Mapping, TypeVar

from .filesig import Record, current, record_of, settled

RECORDS_FORMAT = 3
# [st_ino, st_mtime_ns, st_ctime_ns, trusted 0/1, its files' names, its folders' names] ("/"-joined:
# no name holds a "/")
FolderRecord = list
_NOT_NAMES = {"", ".", ".."}
Contents = Callable[[set], Mapping[str, bytes]]  # names -> their bytes, as many as asked for
T = TypeVar("T")


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
        live_folders = records.get("live_folders", {}) if live_existed else {}
        spare = home / "spare"
        updated = _Spare(spare, records.get("spare", {}), records.get("spare_folders", {}), out_dir, live)
        made, written = updated.update(tree, contents)
        _swap(out_dir, spare, home / "retired")
        if live_existed:  # the live tree's folders were not changed by this build: their records hold
            now = {"live": made, "spare": live, "live_folders": updated.folder_records, "spare_folders": live_folders}
        else:  # nothing was retired, so no spare: the next build, if any, links one from this tree
            now = {"live": made, "spare": {}, "live_folders": updated.folder_records, "spare_folders": {}}
        _save_records(home / "records.json", now)
    return written


class _Spare:
    """Brings the spare folder to a wanted tree, reusing what it and the live tree hold."""

    def __init__(self, root: Path, records: dict[str, Record], folder_records: dict[str, FolderRecord],
                 live_root: Path, live: dict[str, Record]) -> None:
        self.root = root
        self.records = records
        self.folder_records = folder_records  # as recorded; as the spare is once updated
        self.live_root = live_root
        self.live = live  # updated when a shared file's ctime changes under our link or unlink
        self.changed_folders: set[str] = set()  # listed afresh, or changed by this build: recorded again

    def update(self, tree: Mapping[str, str], contents: Contents) -> tuple[dict[str, Record], int]:
        self.root.mkdir(exist_ok=True)
        os.chmod(self.root, 0o755)
        folders = _folders(tree)
        kept: dict[str, Record] = {}
        present: set[str] = set()
        self._sweep(str(self.root), "", tree, folders, kept, present)
        missing = {name for name in tree if name not in kept}
        for folder in sorted(folders - present):  # parents first
            self._make(folder, str(self.root / folder), os.mkdir)
            self.changed_folders.add(folder)
            self.changed_folders.add(folder.rpartition("/")[0])
        to_write = {name for name in missing if not self._link(name, tree[name], kept)}
        if to_write:
            data = contents(to_write)
            for name in sorted(to_write):
                path = self.root / name
                with self._make(name, str(path), lambda target: open(target, "xb")) as stream:
                    stream.write(data[name])
                kept[name] = record_of(tree[name], os.stat(path))
                self.changed_folders.add(name.rpartition("/")[0])
        self._record_folders(folders)
        return kept, len(to_write)

    def _sweep(self, folder: str, prefix: str, tree: Mapping[str, str], folders: set[str],
               kept: dict[str, Record], present: set[str]) -> bool:
        """Keep what the spare holds as wanted; delete everything else. False: no such folder."""
        listing = self._listing(folder, prefix[:-1])
        if listing is None:
            return False
        for entry_name, is_folder in listing:
            name, path = prefix + entry_name, folder + "/" + entry_name
            if is_folder:
                if name in folders:
                    if self._sweep(path, name + "/", tree, folders, kept, present):
                        present.add(name)
                else:
                    shutil.rmtree(path, ignore_errors=True)
                    self.changed_folders.add(prefix[:-1])
                continue
            want = tree.get(name)
            found = None
            recorded = self.records.get(name)
            if want is not None:
                try:
                    found = current(path, recorded, want, os.lstat(path))  # a link is not a regular file
                except OSError:
                    pass
            if found is not None and found[0] == want:
                kept[name] = found
                live = self.live.get(name)
                if found is not recorded and live is not None and live[1:5] == found[1:5]:
                    self.live[name] = found  # the same file (linked): read once, known in both trees
            else:
                self._unlink(name, path)
        return True

    def _listing(self, path: str, name: str) -> list | None:
        """(entry name, is a folder) for each entry of a folder of the spare (None: no such
        folder): as recorded when the folder's signature shows it unchanged since and the record
        is trusted; else read. The top folder is always read (the swap renames it)."""
        record = self.folder_records.get(name) if name else None
        if record is not None and record[3]:
            try:
                stat = os.lstat(path)
            except OSError:
                return None
            if record[:3] == [stat.st_ino, stat.st_mtime_ns, stat.st_ctime_ns]:
                listing = _recorded_listing(record)
                if listing is not None:
                    return listing
        self.changed_folders.add(name)
        try:
            with os.scandir(path) as entries:
                return [[entry.name, entry.is_dir(follow_symlinks=False)] for entry in entries]
        except (FileNotFoundError, NotADirectoryError):
            return None

    def _record_folders(self, folders: set[str]) -> None:
        """Record again each folder this build listed afresh or changed: its signature first, then
        what it lists (a change in between shows as a signature that no longer matches)."""
        records = {name: record for name, record in self.folder_records.items()
                   if name in folders and name not in self.changed_folders}
        for name in sorted(self.changed_folders & folders):
            path = self.root / name
            stat = os.lstat(path)
            with os.scandir(path) as entries:
                listed = sorted((entry.is_dir(follow_symlinks=False), entry.name) for entry in entries)
            records[name] = [stat.st_ino, stat.st_mtime_ns, stat.st_ctime_ns, int(settled(stat, time.time_ns())),
                             "/".join(entry for is_folder, entry in listed if not is_folder),
                             "/".join(entry for is_folder, entry in listed if is_folder)]
        self.folder_records = records

    def _make(self, name: str, path: str, make: Callable[[str], T]) -> T:
        """make(path): a file, a link or a folder. Something may stand there only when a folder's
        record hid it from the sweep (a record that lies costs time, as a lost one does): it is
        cleared, and made again."""
        try:
            return make(path)
        except FileExistsError:
            self._clear(name, path)
            return make(path)

    def _clear(self, name: str, path: str) -> None:
        """Remove what stands where a file or folder is to be made."""
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
            self.changed_folders.add(name.rpartition("/")[0])
        else:
            self._unlink(name, path)

    def _unlink(self, name: str, path: str) -> None:
        try:
            inode = os.lstat(path).st_ino
        except OSError:
            return
        os.unlink(path)
        self.changed_folders.add(name.rpartition("/")[0])
        self._refresh_live(name, inode)

    def _link(self, name: str, want: str, kept: dict[str, Record]) -> bool:
        """Link the live tree's copy of a file when it holds what is wanted."""
        source = self.live_root / name
        found = current(source, self.live.get(name), want) if name in self.live else None
        if found is None or found[0] != want:
            return False
        try:
            self._make(name, str(self.root / name), lambda target: os.link(source, target))
        except OSError:  # a file system without hard links: the file is written instead
            return False
        self.changed_folders.add(name.rpartition("/")[0])
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


def _load_records(path: Path) -> dict[str, dict]:
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("format") != RECORDS_FORMAT:
        return {}
    return {side: dict(data.get(side) or {}) for side in ("live", "spare", "live_folders", "spare_folders")}


def _recorded_listing(record: FolderRecord) -> list | None:
    """A folder record's entries; None when the record is unsound. A damaged record costs time:
    it never names anything outside its folder."""
    if not (isinstance(record, list) and len(record) == 6 and isinstance(record[4], str)
            and isinstance(record[5], str)):
        return None
    files = record[4].split("/") if record[4] else []
    folders = record[5].split("/") if record[5] else []
    if _NOT_NAMES.intersection(files) or _NOT_NAMES.intersection(folders):
        return None
    return [(name, False) for name in files] + [(name, True) for name in folders]


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
