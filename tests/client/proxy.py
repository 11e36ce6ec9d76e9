"""A loopback HTTP proxy in front of a real gateway, for what a gateway alone cannot show.

It records every request (so a test can prove the client never asks for ``?wsdl`` and
never retries a fault), answers ``GET ?wsdl`` with 404 as a site that closes it would, and
can answer the next POSTs itself (a proxy's 503, a 401, a fault the gateway rarely sends)
before forwarding again.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

_FORWARDED = ("Content-Type", "SOAPAction", "Authorization")


@dataclass(frozen=True)
class Canned:
    """A response the proxy gives instead of the gateway's."""

    status: int
    body: bytes = b""
    content_type: str = "text/plain"


class Proxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.split("/soap", 1)[0]
        self.requests: list[tuple[str, str]] = []
        self.canned: deque[Canned] = deque()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/soap"

    def posts(self) -> int:
        return sum(1 for method, _ in self.requests if method == "POST")

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output quiet
                pass

            def do_GET(self) -> None:
                proxy.requests.append(("GET", self.path))
                self._answer(Canned(404, b"the WSDL is not published here"))

            def do_POST(self) -> None:
                proxy.requests.append(("POST", self.path))
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if proxy.canned:
                    self._answer(proxy.canned.popleft())
                    return
                headers = {k: self.headers[k] for k in _FORWARDED if k in self.headers}
                answer = requests.post(proxy.upstream + self.path, data=body, headers=headers,
                                       timeout=60)
                self._answer(Canned(answer.status_code, answer.content,
                                    answer.headers.get("Content-Type", "text/xml")))

            def _answer(self, canned: Canned) -> None:
                self.send_response(canned.status)
                self.send_header("Content-Type", canned.content_type)
                self.send_header("Content-Length", str(len(canned.body)))
                self.end_headers()
                self.wfile.write(canned.body)

        return Handler

    @contextmanager
    def running(self) -> Iterator[Proxy]:
        self._thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()
