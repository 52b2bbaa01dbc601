"""The collect service as an ASGI application (Starlette).

    POST /submissions               a page's payload: 201 stored, 200 identical resend, 409 conflict
    OPTIONS /submissions            CORS preflight, for the listed origins only
    POST /proview/callback/<token>  Proview's termination callback: 200 stored (once)
    GET /healthz                    200 when the database answers, else 503

`create_app(settings)` builds it; `from_environment()` is the zero-argument factory for servers
that import it (`uvicorn --factory generator.collect.app:from_environment`), reading Settings
from EXAMSITE_* variables (settings.py). Every answer is JSON; every refusal is a 4xx with
`{"error": ...}`; an unexpected failure is one log line and a 500, never a traceback.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, AsyncIterator, Awaitable, Callable, Mapping

import anyio
import anyio.to_thread
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from generator.results.keys import ExamKey, KeyFileError, load_keys
from generator.results.links import LinkSecretError, Secrets, secrets_from_env, verify_token
from generator.results.ratings import ApiSettings, ConfigError, RatingsClient
from generator.results.store import StoreError

from .callbacks import CALLBACK_PATH, callback_problems, masked, to_callback, token_matches
from .cors import Cors
from .limits import JsonRejected, Limits, parse_json
from .payload import check_submission
from .poller import Poller
from .settings import Settings, SettingsError
from .database import open_storage
from .storage import Outcome, Storage

LOG = logging.getLogger("examsite.collect")
THREADS = 64  # database calls in flight per process (the pool and SQLite's writer queue bound them)
_PLAIN_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


class StartupError(Exception):
    """Settings that cannot run (keys, Proview credentials); the message says which."""


@dataclass(frozen=True)
class Service:
    """What the endpoints share, fixed before the first request."""

    settings: Settings
    cors: Cors
    keys: Mapping[str, ExamKey] | None
    api: ApiSettings | None  # None: store callbacks, fetch no ratings
    # EXAMSITE_LINK_SECRET (and _<ID>): every submission must carry a valid launch-link token.
    link_secrets: Secrets | None = None


def _answer(status: int, content: Mapping[str, Any], headers: Mapping[str, str] | None = None,
            close: bool = False) -> JSONResponse:
    extra = {**_PLAIN_HEADERS, **(headers or {})}
    if close:
        extra["Connection"] = "close"  # the body was left unread: this connection cannot go on
    return JSONResponse(dict(content), status, headers=extra)


def _refuse(status: int, message: str, headers: Mapping[str, str] | None = None, close: bool = False,
            **more: Any) -> JSONResponse:
    return _answer(status, {"error": message, **more}, headers, close)


def _json_type(request: Request) -> str | None:
    """Why the Content-Type is not JSON in UTF-8, or None when it is."""
    media, _, params = request.headers.get("content-type", "").partition(";")
    if media.strip().lower() != "application/json":
        return "Content-Type must be application/json"
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            return "the body must be UTF-8"
    return None


async def _body(request: Request, limit: int, limits: Limits) -> bytes | JSONResponse:
    """The body, refused from its headers when it is too large, and cut off when it is slow."""
    if "transfer-encoding" in request.headers:
        return _refuse(411, "send a Content-Length, not a chunked body", close=True)
    length = request.headers.get("content-length", "")
    if not length.isdigit():
        return _refuse(411, "Content-Length required", close=True)
    if int(length) > limit:
        return _refuse(413, f"body over {limit} bytes", close=True)
    try:
        with anyio.fail_after(limits.body_seconds):
            return await request.body()
    except TimeoutError:
        return _refuse(408, f"the body did not arrive within {limits.body_seconds:g} seconds", close=True)


async def submissions(request: Request) -> Response:
    service: Service = request.app.state.service
    storage: Storage = request.app.state.storage
    origin = request.headers.get("origin")
    if request.method == "OPTIONS":
        if origin is None or not service.cors.allows(origin):
            return _refuse(403, "this origin may not send submissions here", service.cors.headers(origin))
        return Response(status_code=204, headers={**_PLAIN_HEADERS, **service.cors.preflight_headers(origin)})
    cors = service.cors.headers(origin)
    if not service.cors.allows(origin):
        return _refuse(403, "this origin may not send submissions here", cors)
    wrong_type = _json_type(request)
    if wrong_type:
        return _refuse(415, wrong_type, cors)
    body = await _body(request, service.settings.limits.submission_bytes, service.settings.limits)
    if isinstance(body, Response):
        body.headers.update(cors)
        return body
    try:
        payload = parse_json(body, service.settings.limits)
    except JsonRejected as exc:
        return _refuse(400, str(exc), cors)
    checked = check_submission(payload, service.keys)
    if isinstance(checked, list):
        return _refuse(400, "not a submission payload (docs/page-contract.md)", cors, problems=checked)
    if service.link_secrets is not None:
        reason = verify_token(payload.get("token"), checked.exam_id, checked.attendee_identifier,
                              service.link_secrets, datetime.now(timezone.utc))
        if reason is not None:  # refused before anything is stored
            return _refuse(403, f"the launch-link token is {reason}", cors, reason=reason)
    try:
        stored = await storage.store_submission(checked)
    except StoreError as exc:
        LOG.error("submission %s not stored: %s", checked.submission_id, exc)
        return _refuse(503, "could not store the submission; try again", cors)
    if stored.outcome is Outcome.CONFLICT:
        LOG.warning("submission %s sent again with different content: kept the first, recorded the other",
                    checked.submission_id)
        return _refuse(409, "a different submission with this submission_id is stored", cors,
                       receipt=stored.receipt, submission_id=checked.submission_id)
    status = 201 if stored.outcome is Outcome.STORED else 200
    return _answer(status, {"receipt": stored.receipt, "submission_id": checked.submission_id}, cors)


async def callback(request: Request) -> Response:
    service: Service = request.app.state.service
    token = service.settings.callback_token
    if token is None or not token_matches(request.path_params["token"], token):
        return _refuse(404, "not found")
    if request.method != "POST":
        return _refuse(405, "only POST is accepted here", {"Allow": "POST"})
    wrong_type = _json_type(request)
    if wrong_type:
        return _refuse(415, wrong_type)
    body = await _body(request, service.settings.limits.callback_bytes, service.settings.limits)
    if isinstance(body, Response):
        return body
    try:
        data = parse_json(body, service.settings.limits)
    except JsonRejected as exc:
        return _refuse(400, str(exc))
    problem = callback_problems(data)
    if problem:
        return _refuse(400, problem)
    received = to_callback(data)
    try:
        new = await run_in_threadpool(request.app.state.storage.add_callback, received)
    except StoreError as exc:
        LOG.error("callback not stored: %s", exc)
        return _refuse(503, "could not store the callback; try again")  # Proview may retry
    LOG.info("callback for session %s stored%s", received.session_uuid, "" if new else " (a repeat)")
    if request.app.state.poller is not None:
        request.app.state.poller.wake()
    return _answer(200, {"stored": True, "duplicate": not new})


async def healthz(request: Request) -> Response:
    healthy = await run_in_threadpool(request.app.state.storage.healthy)
    return _answer(200, {"ok": True}) if healthy else _refuse(503, "the database is not answering")


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = {404: "not found", 405: "method not allowed"}.get(exc.status_code, "refused")
    headers = {"Allow": exc.headers["Allow"]} if exc.headers and "Allow" in exc.headers else None
    return _refuse(exc.status_code, message, headers)


def _guarded(endpoint: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
    """The endpoint, answering 500 on a failure nobody planned for. Caught here, not by an
    exception handler: Starlette re-raises after those, and the server would log a traceback."""

    @functools.wraps(endpoint)
    async def guarded(request: Request) -> Response:
        try:
            return await endpoint(request)
        except Exception as exc:  # one line, no traceback: the log stays bounded
            LOG.error("%s %s failed: %s: %s", request.method, _shown_path(request), exc.__class__.__name__, exc)
            return _refuse(500, "internal error; try again")

    return guarded


def _shown_path(request: Request) -> str:
    path = request.url.path
    return CALLBACK_PATH + masked(path[len(CALLBACK_PATH):]) if path.startswith(CALLBACK_PATH) else path


def prepare(settings: Settings, environ: Mapping[str, str]) -> Service:
    """Everything that can be checked before serving: keys, credentials. Raises StartupError."""
    try:
        keys = load_keys(settings.keys_dir) if settings.keys_dir is not None else None
    except KeyFileError as exc:
        raise StartupError(str(exc)) from None
    api = None
    if settings.fetch and settings.callback_token is not None:
        try:
            api = ApiSettings.from_env(settings.environment, environ)
        except ConfigError as exc:
            raise StartupError(f"{exc}; or do not fetch ratings (--no-fetch, EXAMSITE_FETCH=0)") from None
    try:
        link_secrets = secrets_from_env(environ)
    except LinkSecretError as exc:
        raise StartupError(str(exc)) from None
    return Service(settings, Cors(frozenset(settings.origins)), keys, api, link_secrets)


def create_app(settings: Settings, environ: Mapping[str, str] | None = None) -> Starlette:
    """The service for `settings`; the database is opened (and migrated) when the server starts
    the application, in each worker process."""
    service = prepare(settings, os.environ if environ is None else environ)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = THREADS
        storage = await run_in_threadpool(open_storage, settings.db, pool_size=settings.pool_size)
        poller = None
        if service.api is not None:
            poller = Poller(storage, RatingsClient(service.api), settings.pending_retry, LOG.info)
            await run_in_threadpool(storage.queue_unrated, 0.0)  # left over from an earlier run
            poller.start()
        app.state.service, app.state.storage, app.state.poller = service, storage, poller
        try:
            yield
        finally:
            if poller is not None:
                await run_in_threadpool(poller.stop)
            await run_in_threadpool(storage.close)

    routes = [
        Route("/submissions", _guarded(submissions), methods=["POST", "OPTIONS"]),
        Route(CALLBACK_PATH + "{token:path}", _guarded(callback),
              methods=["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]),
        Route("/healthz", _guarded(healthz), methods=["GET"]),
    ]
    return Starlette(routes=routes, lifespan=lifespan, exception_handlers={HTTPException: _http_error})


def from_environment() -> Starlette:
    """The factory for other servers: Settings from the EXAMSITE_* variables."""
    try:
        return create_app(Settings.from_environ(os.environ))
    except (SettingsError, StartupError) as exc:
        raise SystemExit(f"error: {exc}") from None
