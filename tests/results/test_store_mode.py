"""The results database holds candidates' ratings: its owner's alone, whatever the umask."""

from __future__ import annotations

import os
import sqlite3
import stat

import pytest

from generator.results.store import Callback, Store, StoreError


@pytest.fixture
def open_umask():
    previous = os.umask(0)
    yield
    os.umask(previous)


def test_the_results_database_and_its_wal_files_are_0600(tmp_path, open_umask):
    path = tmp_path / "results.sqlite"
    store = Store(path).initialise()
    reader = sqlite3.connect(path)  # held open, so the write-ahead log stays beside the database
    try:
        reader.execute("SELECT count(*) FROM callbacks").fetchall()
        assert store.add_callback(Callback("f46bd560-53f6-11eb-b441-492a960aa0ba", "5506693", "done"))
        made = [path, path.with_name("results.sqlite-wal"), path.with_name("results.sqlite-shm")]
        assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in made} == {p.name: 0o600 for p in made}
    finally:
        reader.close()


def test_a_database_in_a_missing_folder_is_a_store_error(tmp_path):
    with pytest.raises(StoreError, match="cannot open database"):
        Store(tmp_path / "missing" / "results.sqlite").initialise()
