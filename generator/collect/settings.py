"""What a running collect service needs: one frozen Settings, from the CLI or the environment.

The environment form is for `create_app`'s factory under another server (and for uvicorn's
worker processes, which `examsite collect serve --workers N` starts with it):

    EXAMSITE_DB              SQLite file or postgresql:// URL [collect.sqlite]
    EXAMSITE_ORIGINS         origins allowed to POST submissions, separated by spaces or commas
    EXAMSITE_CALLBACK_TOKEN  the callback URL's secret (no callback route without it)
    EXAMSITE_KEYS            the keys/ folder: refuse submissions for unknown exams and questions
    EXAMSITE_PROVIEW_ENV     dev | staging | prod, for fetching ratings [prod]
    EXAMSITE_FETCH           0 to store callbacks only, fetching no rating [1]
    EXAMSITE_PENDING_RETRY   seconds before asking again about a pending rating [300]
    EXAMSITE_POOL_SIZE       PostgreSQL connections per process [10]
    EXAMSITE_HEADER_SECONDS  time a client has to send a request's line and headers [10]
    EXAMSITE_BODY_SECONDS    ... and then its body [10]

Proview's credentials stay in PROVIEW_USERNAME, PROVIEW_PASSWORD and PROVIEW_APP_ID.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from generator.results.ratings import ENVIRONMENTS

from .callbacks import TokenError, check_token
from .cors import OriginError, normalise_origin
from .limits import Limits

DEFAULT_DB = "collect.sqlite"


class SettingsError(ValueError):
    """A setting that cannot be used; the message names it."""


@dataclass(frozen=True)
class Settings:
    db: str = DEFAULT_DB
    origins: tuple[str, ...] = ()
    callback_token: str | None = field(default=None, repr=False)  # a credential: never in a repr
    keys_dir: Path | None = None
    environment: str = "prod"
    fetch: bool = True
    pending_retry: float = 300.0
    pool_size: int = 10
    limits: Limits = Limits()

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "origins", tuple(dict.fromkeys(normalise_origin(o) for o in self.origins)))
            if self.callback_token is not None:
                check_token(self.callback_token)
        except (OriginError, TokenError) as exc:
            raise SettingsError(str(exc)) from None
        if self.environment not in ENVIRONMENTS:
            raise SettingsError(f"unknown Proview environment {self.environment!r}; use dev, staging or prod")
        if self.pending_retry < 0 or self.pool_size < 1:
            raise SettingsError("the pending retry must be >= 0 seconds and the pool size >= 1")

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> "Settings":
        def number(name: str, default: float) -> float:
            try:
                return float(environ.get(name) or default)
            except ValueError:
                raise SettingsError(f"{name}: expected a number, got {environ[name]!r}") from None

        keys = environ.get("EXAMSITE_KEYS")
        return cls(
            db=environ.get("EXAMSITE_DB") or DEFAULT_DB,
            origins=tuple(o for o in re.split(r"[\s,]+", environ.get("EXAMSITE_ORIGINS", "")) if o),
            callback_token=environ.get("EXAMSITE_CALLBACK_TOKEN") or None,
            keys_dir=Path(keys) if keys else None,
            environment=environ.get("EXAMSITE_PROVIEW_ENV") or "prod",
            fetch=environ.get("EXAMSITE_FETCH", "1") != "0",
            pending_retry=number("EXAMSITE_PENDING_RETRY", 300.0),
            pool_size=int(number("EXAMSITE_POOL_SIZE", 10)),
            limits=Limits(header_seconds=number("EXAMSITE_HEADER_SECONDS", Limits.header_seconds),
                          body_seconds=number("EXAMSITE_BODY_SECONDS", Limits.body_seconds)))

    def environ(self) -> dict[str, str]:
        """The environment `from_environ` reads back as these settings."""
        return {
            "EXAMSITE_DB": self.db, "EXAMSITE_ORIGINS": " ".join(self.origins),
            "EXAMSITE_CALLBACK_TOKEN": self.callback_token or "",
            "EXAMSITE_KEYS": str(self.keys_dir) if self.keys_dir else "",
            "EXAMSITE_PROVIEW_ENV": self.environment, "EXAMSITE_FETCH": "1" if self.fetch else "0",
            "EXAMSITE_PENDING_RETRY": repr(self.pending_retry), "EXAMSITE_POOL_SIZE": str(self.pool_size),
            "EXAMSITE_HEADER_SECONDS": repr(self.limits.header_seconds),
            "EXAMSITE_BODY_SECONDS": repr(self.limits.body_seconds),
        }
