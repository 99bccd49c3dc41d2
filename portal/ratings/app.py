"""The ratings API as a Starlette application.

Every rejection is a 4xx JSON body ``{"error": "what was wrong: expected X, got Y"}``; the
guard in front of the routes checks Origin and the client's rate before anything is read, and
bodies are read only up to ``max_body`` bytes.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route

from portal.ratings.limits import RateLimiter, retry_after
from portal.ratings.live import LiveSite
from portal.ratings.published import PublishedWatcher
from portal.ratings.settings import PREFIX, RatingsSettings
from portal.ratings.store import VoteStore

OPENAPI = Path(__file__).with_name("openapi.json")
VOTER_COOKIE = "portal_voter"
VOTER_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")
COOKIE_MAX_AGE = 400 * 24 * 3600
"""The longest lifetime browsers keep a cookie for (400 days)."""
MAX_IDS = 100
FORM = "application/x-www-form-urlencoded"

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class Rejection(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def reject_response(status: int, message: str, headers: dict[str, str] | None = None
                    ) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers,
                        media_type="application/json")


def shown(value: Any) -> str:
    """A value as an error message quotes it: numbers as they are, text quoted."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return repr(value[:40] + ("…" if len(value) > 40 else ""))
    return f"a JSON {type(value).__name__.replace('dict', 'object').replace('list', 'array')}"


class Guard:
    """Origin and rate checks, before a route runs or a body is read."""

    def __init__(self, app: ASGIApp, settings: RatingsSettings, limiter: RateLimiter):
        self.app = app
        self.settings = settings
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        origin = headers.get("origin")
        method = scope["method"]
        problem = None
        if origin is not None and origin != self.settings.origin:
            problem = reject_response(403, f"forbidden origin: expected "
                                           f"{self.settings.origin}, got {origin!r}")
        elif origin is None and method not in ("GET", "HEAD", "OPTIONS"):
            problem = reject_response(403, f"missing Origin header: expected "
                                           f"{self.settings.origin}, got none")
        else:
            client = (scope.get("client") or ("unknown", 0))[0]
            wait = self.limiter.take(client)
            if wait:
                seconds = retry_after(wait)
                problem = reject_response(
                    429, f"too many requests: expected at most {self.settings.rate_limit} a "
                         f"minute from one address, got more (retry in {seconds} s)",
                    {"Retry-After": str(seconds)})
        if problem is not None:
            await problem(scope, receive, send)
            return
        await self.app(scope, receive, send)


def create_app(settings: RatingsSettings) -> Starlette:
    store = VoteStore(settings.database)
    published = PublishedWatcher(settings.published)
    limiter = RateLimiter(settings.rate_limit)
    openapi = OPENAPI.read_bytes()

    def known(article: Any) -> str:
        if not isinstance(article, str):
            raise Rejection(400, f"invalid article: expected the id of a published article "
                                 f"(text), got {shown(article)}")
        if article not in published.current.paths:
            raise Rejection(404, f"unknown article: expected the id of a published article, "
                                 f"got {shown(article)}")
        return article

    async def scores(request: Request) -> Response:
        raw = request.query_params.getlist("ids")
        if len(raw) != 1 or not raw[0]:
            raise Rejection(400, "invalid ids: expected one parameter ids=a,b,c with 1 to "
                                 f"{MAX_IDS} article ids, got "
                                 f"{'none' if not raw or not raw[0] else len(raw)}")
        ids = raw[0].split(",")
        if len(ids) > MAX_IDS:
            raise Rejection(400, f"invalid ids: expected 1 to {MAX_IDS} article ids, got "
                                 f"{len(ids)}")
        for article in ids:
            known(article)
        found = store.scores(ids)
        return JSONResponse({"scores": {a: s.as_json() for a, s in found.items()}})

    async def score(request: Request) -> Response:
        article = known(request.path_params["article"])
        return JSONResponse({"article": article, **store.scores([article])[article].as_json()})

    async def vote(request: Request) -> Response:
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind not in ("application/json", FORM):
            raise Rejection(415, "unsupported content type: expected application/json or "
                                 f"{FORM}, got {shown(kind or 'none')}")
        body = await read_body(request, settings.max_body)
        fields = parse_form(body) if kind == FORM else parse_json(body)
        unknown = sorted(set(fields) - {"article", "stars"})
        if unknown:
            raise Rejection(400, f"unknown field: expected only article and stars, got "
                                 f"{shown(unknown[0])}")
        for name in ("article", "stars"):
            if name not in fields:
                raise Rejection(400, f"missing field: expected {name}, got no {name}")
        article = known(fields["article"])
        stars = parse_stars(fields["stars"], from_form=kind == FORM)
        voter = request.cookies.get(VOTER_COOKIE, "")
        if not VOTER_PATTERN.fullmatch(voter):
            voter = secrets.token_urlsafe(18)
        score = store.cast(article, voter, stars)
        if kind == FORM:
            current = published.current
            base_path = urlsplit(current.base_url).path or "/"
            response: Response = RedirectResponse(
                settings.origin + base_path + current.paths[article] + "#danh-gia", 303)
        else:
            response = JSONResponse({"article": article, "stars": stars, **score.as_json()})
        # Path "/": a proxy may publish the API under any path (/xa-cho-gao/api/…).
        response.set_cookie(VOTER_COOKIE, voter, max_age=COOKIE_MAX_AGE, path="/",
                            httponly=True, secure=settings.secure_cookie,
                            samesite="none" if settings.secure_cookie else "lax")
        return response

    async def openapi_document(request: Request) -> Response:
        return Response(openapi, media_type="application/json")

    async def on_rejection(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Rejection)
        return reject_response(exc.status, exc.message, exc.headers)

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 405:
            message = (f"method not allowed: expected {exc.headers.get('Allow', 'GET')}"
                       if exc.headers else "method not allowed: expected another method")
            return reject_response(405, f"{message}, got {request.method}", exc.headers)
        if exc.status_code == 404:
            return reject_response(404, f"no such address: expected a path of the API under "
                                        f"{PREFIX} (see {PREFIX}openapi.json), got "
                                        f"{shown(request.url.path)}")
        return reject_response(exc.status_code, str(exc.detail))

    routes: list[Route | Mount] = [
        Route(PREFIX + "scores", scores, methods=["GET"]),
        Route(PREFIX + "scores/{article}", score, methods=["GET"]),
        Route(PREFIX + "votes", vote, methods=["POST"]),
        Route(PREFIX + "openapi.json", openapi_document, methods=["GET"]),
    ]
    if settings.site_root is not None:
        routes.append(Mount("/", LiveSite(settings.site_root, store, published)))
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(Guard, settings=settings, limiter=limiter),
            Middleware(CORSMiddleware, allow_origins=[settings.origin], allow_credentials=True,
                       allow_methods=["GET", "POST"], allow_headers=["Content-Type"],
                       max_age=600),
        ],
        exception_handlers={Rejection: on_rejection, HTTPException: on_http_error},
    )
    app.state.store = store
    return app


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    too_large = f"body too large: expected at most {limit} bytes, got "
    if declared is not None:
        if not declared.isdigit():
            raise Rejection(400, f"invalid Content-Length: expected a number of bytes, got "
                                 f"{shown(declared)}")
        if int(declared) > limit:
            raise Rejection(413, too_large + declared)
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise Rejection(413, too_large + "more")
    return body


def parse_json(body: bytes) -> dict[str, Any]:
    expected = 'expected an object like {"article": "…", "stars": 4}'
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise Rejection(400, f"invalid JSON: {expected}, got text that is not JSON") from None
    if not isinstance(data, dict):
        raise Rejection(400, f"invalid JSON: {expected}, got {shown(data)}")
    return data


def parse_form(body: bytes) -> dict[str, Any]:
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False,
                          max_num_fields=10)
    except (UnicodeDecodeError, ValueError):
        raise Rejection(400, "invalid form: expected article=…&stars=1…5 in UTF-8, got "
                             "something else") from None
    fields: dict[str, Any] = {}
    for name, value in pairs:
        if name in fields:
            raise Rejection(400, f"repeated field: expected {name} once, got it twice")
        fields[name] = value
    return fields


def parse_stars(value: Any, from_form: bool) -> int:
    if from_form and isinstance(value, str) and re.fullmatch(r"[0-9]{1,3}", value):
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 5:
        return value
    raise Rejection(400, f"invalid stars: expected a whole number from 1 to 5, got "
                         f"{shown(value)}")
