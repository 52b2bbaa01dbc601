"""Client for Proview's login and session-details APIs (docs/proview.md).

- Login: `POST <auth>/v1/user/login` with the test-admin username and password, answering
  `{access_token, expires_in, ...}`. The token is cached until shortly before it expires.
- Session details: `GET <api>/v1/sessions/<uuid>` with `Authorization: Bearer <token>` and the
  white-listed `app-id` header. A 401 gets one fresh login and one more try.
- Network errors, timeouts, 429 and 5xx are retried with exponential backoff from 1 second.
- `final_rating` is "high", "medium" or "low", or empty while Proview's review is pending.

Credentials come only from the environment (PROVIEW_USERNAME, PROVIEW_PASSWORD, PROVIEW_APP_ID)
and never appear in a message, a repr or a log line; neither does the access token.
"""

from __future__ import annotations

import ipaddress
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

# Seed README: login and session hosts per environment.
ENVIRONMENTS: Mapping[str, tuple[str, str]] = {
    "dev": ("https://auth.talview.dev", "https://proview-universal.talview.dev"),
    "staging": ("https://auth-staging.talview.com", "https://proctoring-staging.talview.com"),
    "prod": ("https://auth.talview.com", "https://proctoring.talview.com"),
}
CREDENTIAL_VARIABLES = ("PROVIEW_USERNAME", "PROVIEW_PASSWORD", "PROVIEW_APP_ID")


class ApiError(Exception):
    """A fetch that failed for a reason a person can act on."""


class ConfigError(ApiError):
    """Missing credentials or an unusable base URL."""


class AuthError(ApiError):
    """Proview refused the credentials, the token or the app-id."""


class SessionNotFound(ApiError):
    """Proview has no session with that uuid."""


class ApiUnavailable(ApiError):
    """Network errors or 5xx answers outlasted the retries."""


@dataclass(frozen=True)
class ApiSettings:
    auth_url: str
    api_url: str
    # repr=False: a settings object printed in a traceback must not show credentials.
    username: str = field(repr=False)
    password: str = field(repr=False)
    app_id: str = field(repr=False)

    @classmethod
    def from_env(cls, environment: str, environ: Mapping[str, str]) -> "ApiSettings":
        if environment not in ENVIRONMENTS:
            raise ConfigError(f"unknown environment {environment!r}; use dev, staging or prod")
        missing = [name for name in CREDENTIAL_VARIABLES if not environ.get(name)]
        if missing:
            raise ConfigError(f"set the environment variable(s) {', '.join(missing)} "
                              "(Proview test-admin credentials and the white-listed app-id)")
        auth_default, api_default = ENVIRONMENTS[environment]
        return cls(
            auth_url=base_url(environ.get("PROVIEW_AUTH_URL") or auth_default, "PROVIEW_AUTH_URL"),
            api_url=base_url(environ.get("PROVIEW_API_URL") or api_default, "PROVIEW_API_URL"),
            username=environ["PROVIEW_USERNAME"], password=environ["PROVIEW_PASSWORD"],
            app_id=environ["PROVIEW_APP_ID"])


def base_url(url: str, name: str) -> str:
    """`url` without a trailing slash; plain http only to loopback, credentials travel in it."""
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigError(f"{name}: expected an http(s) base URL, got {url!r}")
    if parts.scheme == "http" and not _loopback(parts.hostname):
        raise ConfigError(f"{name}: plain http is allowed only to loopback; use https")
    if parts.query or parts.fragment:
        raise ConfigError(f"{name}: a base URL takes no query or fragment")
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5  # tries per request, the first one included
    first_delay: float = 1.0  # seconds; doubles after each failure
    max_delay: float = 30.0
    timeout: float = 15.0  # seconds per HTTP request

    def delay(self, failures: int) -> float:
        return min(self.max_delay, self.first_delay * 2 ** (failures - 1))


@dataclass(frozen=True)
class SessionDetails:
    session_uuid: str
    external_id: str | None
    final_rating: str | None  # None while the review is pending
    status: str | None
    raw: Mapping[str, Any]

    @property
    def pending(self) -> bool:
        return self.final_rating is None


def parse_details(session_uuid: str, raw: Any) -> SessionDetails:
    if not isinstance(raw, dict):
        raise ApiError(f"session {session_uuid}: the API answered something that is not an object")
    rating = raw.get("final_rating")
    rating = rating.strip().lower() if isinstance(rating, str) and rating.strip() else None
    external = raw.get("external_id")
    return SessionDetails(
        session_uuid=session_uuid,
        external_id=str(external) if isinstance(external, (str, int)) else None,
        final_rating=rating,
        status=raw.get("status") if isinstance(raw.get("status"), str) else None,
        raw=raw)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """urllib would resend the Authorization header to wherever a redirect points."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        return None


_OPENER = urllib.request.build_opener(_NoRedirect())


@dataclass(frozen=True)
class _Response:
    status: int
    body: Any  # parsed JSON, or None


class RatingsClient:
    """Thread-safe; the only state is the cached token, guarded by a lock."""

    def __init__(self, settings: ApiSettings, retry: RetryPolicy = RetryPolicy(),
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._settings = settings
        self._retry = retry
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._token: tuple[str, float] | None = None  # (token, monotonic expiry)

    def __repr__(self) -> str:
        return f"RatingsClient(auth_url={self._settings.auth_url!r}, api_url={self._settings.api_url!r})"

    def _send(self, method: str, url: str, headers: Mapping[str, str],
              body: bytes | None, what: str) -> _Response:
        failures = 0
        while True:
            request = urllib.request.Request(url, data=body, method=method, headers={
                "Accept": "application/json", "User-Agent": "examsite-results", **headers})
            try:
                with _OPENER.open(request, timeout=self._retry.timeout) as response:
                    return _Response(response.status, _json(response.read()))
            except urllib.error.HTTPError as exc:
                status = exc.code
                exc.close()
                if status < 500 and status != 429:
                    return _Response(status, None)
                reason = f"HTTP {status}"
            except (urllib.error.URLError, OSError) as exc:
                reason = f"network error ({getattr(exc, 'reason', None) or exc.__class__.__name__})"
            failures += 1
            if failures >= self._retry.attempts:
                raise ApiUnavailable(f"{what}: {reason}, still failing after "
                                     f"{failures} attempt(s)")
            self._sleep(self._retry.delay(failures))

    def _login(self) -> str:
        settings = self._settings
        body = json.dumps({"username": settings.username, "password": settings.password}).encode()
        response = self._send("POST", f"{settings.auth_url}/v1/user/login",
                              {"Content-Type": "application/json"}, body, "login")
        if response.status in (400, 401, 403):
            raise AuthError(f"login refused (HTTP {response.status}); check PROVIEW_USERNAME and "
                            "PROVIEW_PASSWORD (a Proview test-admin account)")
        token = response.body.get("access_token") if isinstance(response.body, dict) else None
        if response.status != 200 or not isinstance(token, str) or not token:
            raise ApiError(f"login: unexpected answer (HTTP {response.status}, no access_token)")
        expires_in = response.body.get("expires_in")
        lifetime = float(expires_in) if isinstance(expires_in, (int, float)) else 600.0
        # Renew a little early so a token never expires between check and use.
        margin = min(60.0, lifetime / 10)
        self._token = (token, self._clock() + lifetime - margin)
        return token

    def _access_token(self, fresh: bool) -> str:
        with self._lock:
            if not fresh and self._token is not None and self._clock() < self._token[1]:
                return self._token[0]
            return self._login()

    def fetch(self, session_uuid: str) -> SessionDetails:
        if not session_uuid or len(session_uuid) > 200:
            raise ApiError(f"{session_uuid!r} is not a session uuid")
        url = f"{self._settings.api_url}/v1/sessions/{urllib.parse.quote(session_uuid, safe='')}"
        what = f"session {session_uuid}"
        for attempt in (1, 2):
            token = self._access_token(fresh=attempt == 2)
            response = self._send("GET", url, {"Authorization": f"Bearer {token}",
                                               "app-id": self._settings.app_id}, None, what)
            if response.status != 401:
                break
        if response.status == 401:
            raise AuthError(f"{what}: the API refused a fresh access token (HTTP 401)")
        if response.status == 403:
            raise AuthError(f"{what}: forbidden (HTTP 403); check that PROVIEW_APP_ID is the "
                            "white-listed app-id")
        if response.status == 404:
            raise SessionNotFound(f"{what}: Proview has no such session (HTTP 404)")
        if response.status != 200:
            raise ApiError(f"{what}: unexpected HTTP {response.status}")
        return parse_details(session_uuid, response.body)


def _json(data: bytes) -> Any:
    try:
        return json.loads(data) if data else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
