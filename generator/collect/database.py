"""`open_storage(url)`: the collect database at a SQLite path or a postgresql:// URL."""

from __future__ import annotations

from generator.collect.postgres import PostgresStorage
from generator.collect.sqlite import SqliteStorage
from generator.collect.storage import Storage


def is_postgres(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


def open_storage(url: str, *, create: bool = True, pool_size: int = 10) -> Storage:
    """The storage at `url`, migrated to the current schema; `create=False` (readers such as
    `grade`) requires it to exist already and changes nothing."""
    if is_postgres(url):
        return PostgresStorage.open(url, create=create, pool_size=pool_size)
    return SqliteStorage.open(url, create=create)
