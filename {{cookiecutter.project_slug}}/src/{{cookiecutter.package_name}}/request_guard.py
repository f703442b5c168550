"""What reaches the service: its request id, content type and body size checked before the
body is read, the published OpenAPI description, error answers of bounded size, client errors
logged quietly.

Every answer carries an `X-Request-ID` header: the client's own id when it sends a valid one
(anything else is a 400 naming the header), a new uuid4 otherwise. The handlers read it from
`REQUEST_ID` to log their predictions under it.

An ASGI middleware in front of every BentoML route (`ModelService.add_asgi_middleware`):
BentoML reads any body in full and parses it as JSON whatever its declared type (a multipart
body without a boundary was a 500), and logs every 400 at ERROR with a traceback.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from .api import REQUEST_ID_HEADER, REQUEST_ID_PATTERN, capped, problem

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

DOCS_PATH = "/docs.json"
# The current request's id, for the handlers (set by `RequestGuard` for each request).
REQUEST_ID: ContextVar[str] = ContextVar("request_id", default="")
ID_HEADER = REQUEST_ID_HEADER.lower().encode()  # ASGI header names are lower case
VALID_ID = re.compile(REQUEST_ID_PATTERN)


@dataclass(frozen=True)
class Endpoint:
    """What one POST endpoint accepts: its body's media type and size."""

    media_type: str
    max_bytes: int


def media_type(headers: Mapping[str, str]) -> str:
    """The declared media type without parameters (`application/json; charset=utf-8` -> ...)."""
    return headers.get("content-type", "").split(";")[0].strip().lower()


def one_problem(error: str, loc: list[str | int], kind: str, msg: str) -> dict[str, Any]:
    return {"error": error, "detail": [problem(loc, kind, msg)]}


def too_large(limit: int, declared: str | None = None) -> dict[str, Any]:
    """The 413 answer: the endpoint's limit, and the declared length when there is one."""
    msg = f"the body may take at most {limit} bytes" + (f", not {declared}" if declared else "")
    return one_problem("body too large", ["body"], "too_large", msg)


def refusal(endpoint: Endpoint, headers: Mapping[str, str]) -> tuple[int, dict[str, Any]] | None:
    """The status and error answer for a request refused on its headers alone, or None.

    An empty body needs no content type: there is nothing to interpret (`/model_info`).
    """
    length = headers.get("content-length")
    if length is not None and not length.isdigit():
        msg = "Content-Length must be a number of bytes"
        return 400, one_problem(
            "invalid Content-Length", ["header", "content-length"], "invalid", msg
        )
    if length is not None and int(length) > endpoint.max_bytes:
        return 413, too_large(endpoint.max_bytes, length)
    declared = media_type(headers)
    if declared != endpoint.media_type and (length != "0" or declared):
        msg = f"send the body as {endpoint.media_type}, not {declared or 'an undeclared type'}"
        return 415, one_problem(
            "unsupported media type", ["header", "content-type"], "media_type", msg
        )
    return None


def request_id(headers: list[tuple[bytes, bytes]]) -> tuple[str, bool]:
    """The request's id and whether it is usable: the client's, or a new one if it sent none.

    An invalid one is replaced by a new id for the answer (which is then a 400).
    """
    for name, value in headers:
        if name == ID_HEADER:
            sent = value.decode("latin-1")
            return (sent, True) if VALID_ID.fullmatch(sent) else (uuid.uuid4().hex, False)
    return uuid.uuid4().hex, True


def invalid_request_id() -> dict[str, Any]:
    msg = f"{REQUEST_ID_HEADER} must match {REQUEST_ID_PATTERN}"
    return one_problem(
        f"invalid {REQUEST_ID_HEADER}", ["header", REQUEST_ID_HEADER.lower()], "pattern", msg
    )


def with_request_id(send: Send, value: str) -> Send:
    """`send`, with the request id added to the answer's headers."""
    header = (ID_HEADER, value.encode("latin-1"))

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), header]}
        await send(message)

    return sending


def bounded_error(body: bytes) -> bytes:
    """A 400 answer with at most `MAX_PROBLEMS` problems (BentoML lists every one)."""
    try:
        answer = json.loads(body)
        error, problems = answer["error"], answer["detail"]
    except (ValueError, KeyError, TypeError):
        return body
    if not isinstance(problems, list):
        return body
    # BentoML's summary names its internal model ("... for PredictRequestIODescriptor").
    if error.endswith("IODescriptor"):
        error = f"{len(problems)} invalid field(s)"
    return json.dumps(capped(error, problems)).encode()


class RequestGuard:
    """Gives every request an id, refuses wrong content types (415) and oversized bodies (413)
    before reading them, serves `docs`, and caps the problems listed in 400 answers."""

    def __init__(self, app: ASGIApp, endpoints: Mapping[str, Endpoint], docs: bytes) -> None:
        self.app = app
        self.endpoints = dict(endpoints)
        self.docs = docs

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        value, valid = request_id(scope["headers"])
        send = with_request_id(send, value)
        if not valid:
            await self.answer(send, 400, json.dumps(invalid_request_id()).encode())
            return
        token = REQUEST_ID.set(value)
        try:
            await self.guarded(scope, receive, send)
        finally:
            REQUEST_ID.reset(token)

    async def guarded(self, scope: Scope, receive: Receive, send: Send) -> None:
        path, method = scope["path"], scope["method"]
        if path == DOCS_PATH and method in {"GET", "HEAD"}:
            await self.answer(send, 200, self.docs)
            return
        endpoint = self.endpoints.get(path)
        if endpoint is None or method != "POST":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if refused := refusal(endpoint, headers):
            status, answer = refused
            await self.answer(send, status, json.dumps(answer).encode())
            return
        if "content-length" not in headers:
            # A chunked body: read it here, counting, so an endless one is cut off at the limit.
            body = await read_limited(receive, endpoint.max_bytes)
            if body is None:
                await self.answer(send, 413, json.dumps(too_large(endpoint.max_bytes)).encode())
                return
            receive = replay(body)
        await self.app(scope, receive, bounding_errors(send))

    @staticmethod
    async def answer(send: Send, status: int, body: bytes) -> None:
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


async def read_limited(receive: Receive, limit: int) -> bytes | None:
    """The whole body, or None as soon as it exceeds `limit` bytes."""
    chunks: list[bytes] = []
    size, more = 0, True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


def replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


def bounding_errors(send: Send) -> Send:
    """`send`, except that a 400 answer is held back and its problem list capped."""
    held: Message | None = None
    chunks: list[bytes] = []

    async def guarded(message: Message) -> None:
        nonlocal held
        if message["type"] == "http.response.start" and message["status"] == 400:
            held = message
            return
        if held is None or message["type"] != "http.response.body":
            await send(message)
            return
        chunks.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        body = bounded_error(b"".join(chunks))
        headers = [(k, v) for k, v in held["headers"] if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({**held, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return guarded


class QuietClientErrors(logging.Filter):
    """BentoML logs a rejected request at ERROR with its traceback: one INFO line instead.

    Only client errors (a pydantic `ValidationError`) are quietened; anything else keeps its
    level and traceback, so bugs stay visible.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, ValidationError):
            record.msg = f"Rejected %s [%s]: {error.error_count()} invalid field(s)"
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True
