"""``gencode serve``: an aiohttp server in front of the (synchronous) Bolt app.

Two converters and a dispatch, like Bolt's own adapters: ``POST /slack/events`` (events,
slash commands and interactivity all use it) becomes a :class:`BoltRequest`, the app
answers in a thread of its own (``dispatch`` blocks until the ack, up to 3 s), and the
:class:`BoltResponse` goes back. ``GET /healthz`` answers 200 for load balancers.
``POST /git/webhook`` (when repositories are synced) takes pushes: see :mod:`bot.git_hooks`.

Why aiohttp rather than ``http.server``: its parser refuses a bad ``Content-Length``, its
``client_max_size`` bounds the body, a connection that never finishes its headers is closed
after ``keepalive_timeout``, the listen backlog is real, and a waiting client costs a
coroutine, not a thread. What reaches Bolt has been checked here first, cheapest first:
size, then the Slack signature (so nothing unsigned is ever parsed), then that the body is
UTF-8 and the object Bolt expects. Anything else gets a 4xx and a debug line, never a
traceback.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from slack_bolt import App, BoltRequest, BoltResponse

from .checks import body_problem, signature_problem
from .git_hooks import MAX_WEBHOOK_BODY, WEBHOOK_PATH, GitHooks

logger = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
MAX_BODY = 1_000_000
BACKLOG = 1024
DISPATCH_WORKERS = 64
"""Requests handed to Bolt at once; each holds its thread until the ack (at most 3 s)."""


class _ClientFaultsAtDebug(logging.LoggerAdapter[logging.Logger]):
    """aiohttp's protocol logger, with a client's malformed HTTP at debug and no traceback.

    aiohttp refuses ``Content-Length: abc`` and the like with a 400 (right) and then logs
    an ERROR with a stack trace (noise anyone on the internet can make). A failure of our
    own handler still reaches the log in full.
    """

    def exception(self, msg: object, *args: object, **kwargs: object) -> None:
        exc = kwargs.get("exc_info")
        if isinstance(exc, HttpProcessingError):
            self.logger.debug("refused malformed HTTP: %s", str(exc).strip().splitlines()[0])
            return
        self.logger.exception(msg, *args, **kwargs)  # type: ignore[arg-type,unused-ignore]


def _plain(status: int, text: str) -> web.Response:
    return web.Response(status=status, text=text, content_type="text/plain")


async def _bounded(request: web.Request, limit: int) -> bytes:
    """The body, or ValueError past ``limit`` bytes (this route reads past the 1 MB that
    Slack's route allows: a push of many commits is bigger)."""
    parts: list[bytes] = []
    size = 0
    while chunk := await request.content.read(65_536):
        size += len(chunk)
        if size > limit:
            raise ValueError("too large")
        parts.append(chunk)
    return b"".join(parts)


def to_bolt_request(request: web.Request, text: str) -> BoltRequest:
    headers: dict[str, str | Sequence[str]] = {}
    for key in request.headers:
        headers[key.lower()] = request.headers.getall(key)
    return BoltRequest(body=text, query=request.query_string, headers=headers)


def to_web_response(resp: BoltResponse) -> web.Response:
    body = resp.body.encode("utf-8") if isinstance(resp.body, str) else bytes(resp.body)
    headers = {
        k: v
        for k, v in resp.first_headers_without_set_cookie().items()
        if k.lower() != "content-length"
    }
    return web.Response(status=resp.status, body=body, headers=headers)


class GencodeServer:
    """The Bolt app on ``host:port``, served by aiohttp on an event loop of its own thread.

    ``make_server`` binds at once (``port=0`` picks a free port, see :attr:`url`); then
    :meth:`start` serves in the background (tests) or :meth:`serve_forever` blocks (CLI).
    """

    def __init__(
        self,
        app: App,
        *,
        host: str,
        port: int,
        signing_secret: str,
        request_timeout: float = 30.0,
        max_body: int = MAX_BODY,
        backlog: int = BACKLOG,
        dispatch_workers: int = DISPATCH_WORKERS,
        git_hooks: GitHooks | None = None,
    ) -> None:
        self.app = app
        self.git_hooks = git_hooks
        self._secret = signing_secret.encode()
        self.request_timeout = request_timeout
        self.max_body = max_body
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._sock = socket.create_server((host, port), family=family, backlog=backlog)
        self._dispatch = ThreadPoolExecutor(dispatch_workers, thread_name_prefix="gencode-http")
        self._loop = asyncio.new_event_loop()
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self._stopped = threading.Event()
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        host, port = self._sock.getsockname()[:2]
        return f"http://{host!s}:{port}"

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> GencodeServer:
        """Serve in a background thread; returns once the server accepts connections."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="gencode-serve", daemon=True)
            self._thread.start()
            self._started.wait()
        return self

    def serve_forever(self) -> None:
        """Serve until :meth:`close` (or Ctrl-C in the calling thread)."""
        self.start()
        while not self._stopped.wait(0.5):
            pass

    def close(self) -> None:
        """Stop accepting, finish what is in flight (briefly), release the port and threads."""
        if self._thread is not None and not self._stopped.is_set():
            asyncio.run_coroutine_threadsafe(self._cleanup(), self._loop).result(timeout=10)
            self._thread.join(timeout=10)
        elif self._thread is None:
            self._loop.close()
        self._sock.close()
        self._dispatch.shutdown(wait=False, cancel_futures=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._setup())
        self._started.set()
        try:
            self._loop.run_forever()
        finally:
            self._loop.close()
            self._stopped.set()

    async def _setup(self) -> None:
        web_app = web.Application(client_max_size=self.max_body)
        web_app.router.add_post(EVENTS_PATH, self._events)
        web_app.router.add_get(HEALTH_PATH, self._health)
        if self.git_hooks is not None:
            web_app.router.add_post(WEBHOOK_PATH, self._git_webhook)
        # keepalive_timeout also closes a connection that never completes its first request.
        self._runner = web.AppRunner(
            web_app,
            access_log=None,
            keepalive_timeout=self.request_timeout,
            shutdown_timeout=2,
            logger=_ClientFaultsAtDebug(logging.getLogger("aiohttp.server"), {}),
        )
        await self._runner.setup()
        await web.SockSite(self._runner, self._sock).start()
        logger.info("listening on %s%s", self.url, EVENTS_PATH)

    async def _cleanup(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        self._loop.call_soon(self._loop.stop)

    # -- routes ------------------------------------------------------------------------------

    async def _health(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def _git_webhook(self, request: web.Request) -> web.StreamResponse:
        """A push from GitHub or GitLab: checked and matched in a worker thread (a store
        read and write), the sync itself left to the background; answered at once."""
        assert self.git_hooks is not None
        try:
            raw = await asyncio.wait_for(_bounded(request, MAX_WEBHOOK_BODY), self.request_timeout)
        except ValueError:
            return _plain(413, "Payload Too Large")
        except (TimeoutError, ConnectionResetError):
            return _plain(408, "Request Timeout")
        headers = {k: v for k, v in request.headers.items()}
        loop = asyncio.get_running_loop()
        status, text = await loop.run_in_executor(
            self._dispatch, self.git_hooks.webhook, headers, raw
        )
        return _plain(status, text)

    async def _events(self, request: web.Request) -> web.StreamResponse:
        peer = request.remote
        try:
            raw = await asyncio.wait_for(request.read(), self.request_timeout)
        except web.HTTPRequestEntityTooLarge:
            logger.debug("refused a body over %d bytes from %s", self.max_body, peer)
            return _plain(413, "Payload Too Large")
        except ConnectionResetError:  # closed by the client, or by the keep-alive timeout
            logger.debug("a request from %s ended before its body", peer)
            return _plain(400, "Bad Request")
        except TimeoutError:
            logger.debug("closed a request from %s whose body never finished", peer)
            if request.transport is not None:
                request.transport.close()
            return _plain(408, "Request Timeout")
        problem = signature_problem(
            self._secret,
            raw,
            request.headers.get("X-Slack-Request-Timestamp", ""),
            request.headers.get("X-Slack-Signature", ""),
        )
        if problem:
            logger.debug("refused a request from %s: %s", peer, problem)
            return _plain(401, "Unauthorized")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            logger.debug("refused a signed request from %s: body is not UTF-8", peer)
            return _plain(400, "Bad Request: body is not UTF-8")
        content_type = request.headers.get("Content-Type", "").split(";")[0].strip()
        problem = body_problem(text, content_type)
        if problem:
            logger.debug("refused a signed request from %s: %s", peer, problem)
            return _plain(400, f"Bad Request: {problem}")
        bolt_request = to_bolt_request(request, text)
        loop = asyncio.get_running_loop()
        resp = await loop.run_in_executor(self._dispatch, self.app.dispatch, bolt_request)
        return to_web_response(resp)


def make_server(
    app: App,
    host: str = "127.0.0.1",
    port: int = 3000,
    *,
    signing_secret: str,
    request_timeout: float = 30.0,
    git_hooks: GitHooks | None = None,
) -> GencodeServer:
    """Bind (``port=0`` picks a free port); call ``start()`` or ``serve_forever()`` to run.

    ``signing_secret`` is checked here, before anything in the body is parsed; Bolt checks
    it again. ``request_timeout`` bounds how long a client may take to send a request.
    """
    return GencodeServer(
        app,
        host=host,
        port=port,
        signing_secret=signing_secret,
        request_timeout=request_timeout,
        git_hooks=git_hooks,
    )
