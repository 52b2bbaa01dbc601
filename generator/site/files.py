"""What a build may read: files inside the site's folder (the folder of exams.yaml) or a folder
exams.yaml lists under `include_roots`, none larger than `limits.max_file_bytes`.

A pipeline may build a pull request it does not trust: `../`, an absolute path or a symlink in an
exam must not bring the runner's files into a published page. Paths are resolved (symlinks
followed) before they are compared, and checked before anything is read.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

# No real exam, Markdown file or image comes near it; a larger file is a mistake or an attack.
DEFAULT_MAX_FILE_BYTES = 8 * 1024 * 1024


class Refused(Exception):
    """The file may not be read; the message says why, in the instructor's terms."""


def size_text(size: int) -> str:
    mib = size / (1024 * 1024)
    return f"{mib:g} MiB" if mib >= 1 else f"{size:,} bytes"


@dataclass(frozen=True)
class SiteFiles:
    roots: tuple[Path, ...]  # resolved folders; the first is exams.yaml's
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES

    @staticmethod
    def of(site_folder: Path) -> "SiteFiles":
        """The site's own folder only, with the default limit."""
        return SiteFiles((site_folder.resolve(),))

    def inside(self, path: Path) -> bool:
        """Does the folder or file `path` (no NUL in it) resolve inside a root?"""
        resolved = path.resolve()
        return any(resolved.is_relative_to(root) for root in self.roots)

    def confined(self, path: Path, what: str, name: str) -> Path:
        """`path` resolved, when it lies inside a root; else Refused. `name` is how the
        instructor wrote it."""
        if "\0" in str(path):  # no file has one; the system would refuse the name
            raise Refused(f"{what} '{name.replace(chr(0), '%00')}' is no file name: it holds a NUL character")
        resolved = path.resolve()
        if any(resolved.is_relative_to(root) for root in self.roots):
            return resolved
        where = "is outside" if Path(os.path.normpath(path.absolute())) == resolved else "leads through a link outside"
        raise Refused(f"{what} '{name}' {where} the site's folder (the folder of exams.yaml): a build reads only "
                      "files inside it, or inside a folder listed under 'include_roots' in exams.yaml")

    def read_bytes(self, path: Path, what: str, name: str) -> bytes:
        """The content of a confined file of bounded size. Refused, or OSError when it cannot be read."""
        # Not blocking: a named pipe must not stall the build before it is seen to be no file.
        with open(os.open(self.confined(path, what, name), os.O_RDONLY | os.O_NONBLOCK), "rb") as stream:
            if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
                raise Refused(f"{what} '{name}' is not a file")
            content = stream.read(self.max_file_bytes + 1)  # never more, whatever the file claims
        if len(content) > self.max_file_bytes:
            raise Refused(f"{what} '{name}' is larger than {size_text(self.max_file_bytes)}, the most a build reads "
                          "from one file (limits: {max_file_bytes: ...} in exams.yaml)")
        return content

    def read_text(self, path: Path, what: str, name: str) -> str:
        """As read_bytes, decoded as UTF-8 (ValueError when it is not), lines ending in "\\n" as
        Path.read_text gives them."""
        return self.read_bytes(path, what, name).decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
