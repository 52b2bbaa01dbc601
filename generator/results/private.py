"""Files holding candidates' data (the preview's submissions, the results database) are their
owner's alone, as the answer keys are."""

from __future__ import annotations

import os
from pathlib import Path


def create_private(path: Path) -> None:
    """Create `path` empty, mode 0600 whatever the umask, unless it exists: SQLite then opens a file
    no one else can read, and gives its -wal, -shm and -journal files the same mode."""
    try:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    try:
        os.fchmod(handle, 0o600)  # the umask cannot add bits, but an unusual one could take the owner's
    finally:
        os.close(handle)
