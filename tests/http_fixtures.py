"""A local HTTP server for fetch tests: files from memory, single ranges, misbehaviour on request.

It runs in a thread on 127.0.0.1 (an ephemeral port); nothing here touches the internet.
A served file is either bytes or a *virtual* file (anything with ``size_bytes``, ``etag``
and ``read_range(first, last)``), whose bytes are made when asked for: a product too big
to write (a 30 336 x 30 336 px LOLA grid) served one range at a time.
"""

from __future__ import annotations

import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Protocol


class VirtualFile(Protocol):
    """A served file whose bytes are made on request."""

    size_bytes: int
    etag: str

    def read_range(self, first: int, last: int) -> bytes: ...


class ProductServer:
    """Serves files from memory with single-range support, counting every request."""

    def __init__(self):
        self.files: dict[str, bytes | VirtualFile] = {}
        self.requests: list[tuple[str, str | None]] = []
        self.mode: str | None = None  # "drop_once", "ignore_range", "shift", "drop_always"
        self.drop_at_request = 3  # the range request (1-based) that "drop_once" cuts short
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep the test output quiet
                pass

            def do_GET(self):  # noqa: N802 (http.server's naming)
                server.handle(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def range_requests(self) -> list[str]:
        return [r for _, r in self.requests if r is not None]

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        range_header = handler.headers.get("Range")
        with self.lock:
            self.requests.append((handler.path, range_header))
            ranges_so_far = len(self.range_requests())
        body = self.files.get(handler.path)
        if body is None:
            handler.send_error(404)
            return
        virtual = not isinstance(body, bytes)
        size = body.size_bytes if virtual else len(body)
        etag = body.etag if virtual else '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if range_header is None or self.mode == "ignore_range":
            if virtual and size > 1 << 20:
                handler.send_error(413, "ask for a range of this virtual file")
                return
            handler.send_response(200)
            handler.send_header("Content-Length", str(size))
            handler.send_header("ETag", etag)
            handler.end_headers()
            handler.wfile.write(body.read_range(0, size - 1) if virtual else body)
            return
        first, last = (int(v) for v in range_header.removeprefix("bytes=").split("-"))
        if self.mode == "shift":
            first, last = first + 2, last + 2  # the wrong bytes, honestly labelled
        last = min(last, size - 1)
        part = body.read_range(first, last) if virtual else body[first : last + 1]
        handler.send_response(206)
        handler.send_header("Content-Range", f"bytes {first}-{last}/{size}")
        handler.send_header("Content-Length", str(len(part)))
        handler.send_header("Content-Type", "application/octet-stream")
        handler.send_header("ETag", etag)
        handler.end_headers()
        drop = self.mode == "drop_always" or (
            self.mode == "drop_once" and ranges_so_far == self.drop_at_request
        )
        if drop:
            # Half the promised bytes, then the connection closes (HTTP/1.0 handler).
            handler.wfile.write(part[: len(part) // 2 + 1])
            handler.wfile.flush()
            if self.mode == "drop_once":
                self.mode = None
            return
        handler.wfile.write(part)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)
