"""The HTTP edge of both servers (``ilrs serve``, ``ilrs registry serve``): what any request
must pass before a route sees it, and how every refusal is answered.

- **Bodies**: at most :data:`MAX_BODY_BYTES` (an import :data:`MAX_IMPORT_BODY_BYTES`),
  refused with 413 before more is read; a JSON body must be strict JSON (RFC 8259: no
  ``NaN``/``Infinity``), nested at most :data:`MAX_JSON_DEPTH` deep and hold only Unicode
  text (no lone surrogate): 422 otherwise, naming where.
- **Hosts** (``ilrs serve``): the ``Host`` header must name this server (loopback names
  unless told others), so that a web page on another name cannot reach it through DNS
  rebinding.
- **Headers**: every answer forbids framing, sniffing, referrers and foreign scripts.
- **Errors**: the project's errors become answers with one ``detail`` line (422, 404,
  409, 412, 429); a request's validation errors are listed without echoing its values
  back; anything else is logged and answered 500 in one line, never a traceback.
"""

from __future__ import annotations

import collections
import json
import logging
import re
from collections.abc import Iterable

import anyio
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from ilrs.errors import (
    BusyError,
    DataFileError,
    InputError,
    UnknownNameError,
    VersionConflictError,
)

__all__ = [
    "LOOPBACK_HOSTS",
    "MAX_BODY_BYTES",
    "MAX_IMPORT_BODY_BYTES",
    "MAX_JSON_DEPTH",
    "RequestGuard",
    "install_error_handlers",
]

log = logging.getLogger(__name__)

# A plan file is at most 200 kB (web.MAX_PLAN_BYTES), a what-if 50 changes: 1 MiB is ample.
MAX_BODY_BYTES = 1 << 20
# A registry import: 100,000 rows of about 150 bytes.
MAX_IMPORT_BODY_BYTES = 32 << 20
MAX_JSON_DEPTH = 32  # the deepest body a route takes is 4 levels
MAX_SHOWN_ERRORS = 20  # validation problems listed in one answer
MAX_MESSAGE_CHARS = 300
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")
_IMPORT_PATH = re.compile(r"^/api/[^/]+/import$")
_INLINE_CHECK_BYTES = 64 << 10  # larger JSON bodies are checked in a worker thread
# Headers that say how to read a request: each must come once (the guard reads one, a
# framework might read another).
_SINGLE_HEADERS = (b"content-type", b"content-length", b"content-encoding", b"host")

SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
        b"script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
        b"form-action 'self'; object-src 'none'",
    ),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),  # the address may carry the page's token
    (b"cross-origin-opener-policy", b"same-origin"),
]


class RequestGuard:
    """ASGI middleware: the host check, the body limits and strict JSON, the headers.

    ``allowed_hosts``: the names the ``Host`` header may give (without port); None lets
    any through (the registry's server, whose every route needs a token)."""

    def __init__(self, app, *, allowed_hosts: Iterable[str] | None = None):
        self.app = app
        self.allowed_hosts = (
            None if allowed_hosts is None else {h.lower().strip("[]") for h in allowed_hosts}
        )

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in SECURITY_HEADERS if n not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        raw_headers = [(name.lower(), value) for name, value in scope.get("headers", [])]
        headers = dict(raw_headers)
        refusal = _repeated_header(raw_headers) or self._host_refusal(headers.get(b"host", b""))
        if refusal is None and scope["method"] in ("POST", "PUT", "PATCH", "DELETE"):
            limit = MAX_IMPORT_BODY_BYTES if _IMPORT_PATH.match(scope["path"]) else MAX_BODY_BYTES
            body, refusal = await _read_body(receive, headers, limit)
            if refusal is None and _is_json(headers.get(b"content-type", b"")) and body:
                if len(body) <= _INLINE_CHECK_BYTES:
                    refusal = _json_refusal(body)
                else:  # a large import: parsed in a worker thread, the server answers on
                    refusal = await anyio.to_thread.run_sync(_json_refusal, body)
            if refusal is None:
                receive = _replay(body)
        if refusal is not None:
            status, detail = refusal
            response = JSONResponse({"detail": detail}, status_code=status)
            return await response(scope, receive, send_with_headers)
        return await self.app(scope, receive, send_with_headers)

    def _host_refusal(self, raw: bytes) -> tuple[int, str] | None:
        if self.allowed_hosts is None:
            return None
        host = raw.decode("latin-1").strip().lower()
        if host.startswith("["):  # [::1]:8000
            name = host[1 : host.index("]")] if "]" in host else host
        else:
            name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
        if name in self.allowed_hosts:
            return None
        shown = host[:100] or "(none)"
        return 421, (
            f"this server does not answer to the host {shown!r} (a guard against DNS "
            "rebinding); open it by the address 'ilrs serve' printed, or start it with "
            f"--allow-host {name[:100] or 'NAME'}"
        )


async def _read_body(receive, headers: dict, limit: int) -> tuple[bytes, tuple | None]:
    """The request's body, read up to ``limit`` bytes (413 past it, without reading on)."""
    declared = headers.get(b"content-length")
    too_large = (
        413,
        f"the request's body is larger than {limit:,} bytes, the limit for this route",
    )
    if declared is not None:
        try:
            if int(declared) > limit:
                return b"", too_large
        except ValueError:
            return b"", (400, "Content-Length is not a number")
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return b"", too_large
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks), None


def _replay(body: bytes):
    """A ``receive`` that gives the body already read, then waits for the disconnect."""
    sent = False

    async def receive():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


def _is_json(content_type: bytes) -> bool:
    """Whether the body is to be read as JSON (no Content-Type: checked too, to be safe
    whatever a route makes of it)."""
    kind = content_type.split(b";", 1)[0].strip().lower()
    return not kind or kind == b"application/json" or kind.endswith(b"+json")


def _repeated_header(headers: list[tuple[bytes, bytes]]) -> tuple[int, str] | None:
    """A header that says how to read the request, given twice: the guard and the route
    could each take another one."""
    counts = collections.Counter(name for name, _ in headers)
    for name in _SINGLE_HEADERS:
        if counts[name] > 1:
            return 400, f"the header {name.decode()} is given {counts[name]} times; give it once"
    return None


def _json_refusal(body: bytes) -> tuple[int, str] | None:
    """Why a JSON body is refused (None: it is strict JSON within the limits). Parsed by
    the standard library's C parser, in time linear in the body (its own recursion guard
    stops a nesting of thousands), then walked without recursion."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        return 422, f"the body is not UTF-8 (byte {error.start})"

    def no_constant(name: str):
        raise ValueError(f"{name} is not a JSON number (RFC 8259); send a finite number")

    try:
        value = json.loads(text, parse_constant=no_constant)
    except RecursionError:
        return 422, f"the body is nested too deeply; at most {MAX_JSON_DEPTH} levels are taken"
    except ValueError as error:
        if isinstance(error, json.JSONDecodeError):
            return None  # malformed: the route's own parser says where (422)
        return 422, str(error).split(";")[0]
    depth, where = _walk(value)
    if depth > MAX_JSON_DEPTH:
        return 422, f"the body is nested {depth} levels deep; at most {MAX_JSON_DEPTH} are taken"
    if where is not None:
        return 422, f"{where} holds a lone surrogate, which is not Unicode text"
    return None


def _walk(value) -> tuple[int, str | None]:
    """The nesting depth of a parsed JSON value, and where (``$.a[2]``) a string or key in
    it holds a lone surrogate (None: nowhere)."""
    deepest, surrogate = 0, None
    stack = [("$", value, 0)]
    while stack:
        where, item, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(item, str):
            if surrogate is None and not _is_text(item):
                surrogate = where
        elif isinstance(item, dict):
            for key, child in item.items():
                if surrogate is None and not _is_text(key):
                    surrogate = f"{where} (a key)"
                stack.append((f"{where}.{key}", child, depth + 1))
        elif isinstance(item, list):
            stack.extend((f"{where}[{i}]", child, depth + 1) for i, child in enumerate(item))
    return deepest, surrogate


def _is_text(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _one_line(text: str) -> str:
    """A message made safe to send: printable, bounded, without lone surrogates."""
    text = str(text).encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= MAX_MESSAGE_CHARS else text[: MAX_MESSAGE_CHARS - 1] + "…"


def install_error_handlers(app: FastAPI) -> None:
    """The project's errors as HTTP answers with their message as ``detail``."""

    def answer(status: int):
        retry = {"Retry-After": "5"} if status == 429 else None

        def handler(_request: Request, error: Exception):
            return JSONResponse({"detail": str(error)}, status_code=status, headers=retry)

        return handler

    app.add_exception_handler(InputError, answer(422))
    app.add_exception_handler(UnknownNameError, answer(404))
    app.add_exception_handler(VersionConflictError, answer(412))
    app.add_exception_handler(DataFileError, answer(409))  # what is on disk, not the request
    app.add_exception_handler(BusyError, answer(429))

    @app.exception_handler(RequestValidationError)
    def _invalid(_request: Request, error: RequestValidationError):
        problems = error.errors()
        listed = [
            {
                "type": str(problem.get("type", "")),
                "loc": [
                    item if isinstance(item, int) else _one_line(item)
                    for item in problem.get("loc", ())
                ],
                "msg": _one_line(problem.get("msg", "")),
            }
            for problem in problems[:MAX_SHOWN_ERRORS]
        ]
        if len(problems) > MAX_SHOWN_ERRORS:
            listed.append(
                {"type": "more", "loc": [], "msg": f"and {len(problems) - MAX_SHOWN_ERRORS} more"}
            )
        return JSONResponse({"detail": listed}, status_code=422)

    @app.exception_handler(Exception)
    def _defect(request: Request, error: Exception):
        log.error("%s %s failed", request.method, request.url.path, exc_info=error)
        return JSONResponse(
            {"detail": f"internal error ({type(error).__name__}); the server's log has it"},
            status_code=500,
            # (answered outside the guard, by the server's last handler: its headers here)
            headers={name.decode(): value.decode() for name, value in SECURITY_HEADERS},
        )
