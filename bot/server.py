"""``gencode serve``: a small threaded HTTP server in front of the Bolt app.

Two converters and a dispatch, like Bolt's own adapters: ``POST /slack/events`` (events,
slash commands and interactivity all use it) becomes a :class:`BoltRequest`, the app
answers, and the :class:`BoltResponse` goes back. ``GET /healthz`` answers 200 for load
balancers. Bolt runs lazy listeners on its own thread pool after the ack.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from slack_bolt import App, BoltRequest, BoltResponse

logger = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
MAX_BODY = 1_000_000


def to_bolt_request(handler: BaseHTTPRequestHandler, body: bytes) -> BoltRequest:
    headers: dict[str, str | Sequence[str]] = {}
    for key, value in handler.headers.items():
        previous = headers.get(key.lower())
        headers[key.lower()] = [*previous, value] if isinstance(previous, list) else [value]
    return BoltRequest(
        body=body.decode("utf-8"), query=urlsplit(handler.path).query, headers=headers
    )


class _Handler(BaseHTTPRequestHandler):
    server: GencodeHTTPServer
    protocol_version = "HTTP/1.1"

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            if key.lower() != "content-length":
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if urlsplit(self.path).path == HEALTH_PATH:
            self._send(200, b'{"ok": true}', {"Content-Type": "application/json"})
        else:
            self._send(404, b"Not Found", {"Content-Type": "text/plain"})

    def do_POST(self) -> None:
        if urlsplit(self.path).path != EVENTS_PATH:
            self._send(404, b"Not Found", {"Content-Type": "text/plain"})
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._send(413, b"Payload Too Large", {"Content-Type": "text/plain"})
            return
        body = self.rfile.read(length)
        resp: BoltResponse = self.server.app.dispatch(to_bolt_request(self, body))
        payload = resp.body.encode("utf-8") if isinstance(resp.body, str) else bytes(resp.body)
        self._send(resp.status, payload, resp.first_headers_without_set_cookie())

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("%s - " + format, self.address_string(), *args)


class GencodeHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, app: App, host: str, port: int) -> None:
        self.app = app
        super().__init__((host, port), _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


def make_server(app: App, host: str = "127.0.0.1", port: int = 3000) -> GencodeHTTPServer:
    """Bind (``port=0`` picks a free port); call ``serve_forever()`` to run."""
    server = GencodeHTTPServer(app, host, port)
    logger.info("listening on %s%s", server.url, EVENTS_PATH)
    return server
