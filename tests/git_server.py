"""A real git server on loopback: ``git http-backend`` (git's own smart-HTTP CGI program)
behind a small stdlib HTTP wrapper that requires basic auth, like a private GitHub repo.

Repositories live in ``root``; :meth:`GitServer.repo` makes a work tree with the git binary
and :meth:`Repo.push` publishes it to the bare repository the server serves. Every request
is recorded (path, query, whether auth was sent and accepted), so tests can say what was
fetched and that nothing was fetched at all.
"""

from __future__ import annotations

import base64
import os
import shutil
import socket
import subprocess
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

TOKEN = "ghp_TESTtoken0123456789abcdefSECRET"
USER = "x-access-token"

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
    "HOME": "/nonexistent",
}


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


@dataclass
class Request:
    method: str
    path: str
    query: str
    authorized: bool
    status: int = 0
    sent: int = 0
    """Bytes of the response body (a pack, for a fetch)."""


@dataclass
class Repo:
    """A work tree whose ``push`` publishes to the server's bare repository ``name``."""

    server: GitServer
    name: str
    work: Path

    def write(self, files: dict[str, str | bytes]) -> Repo:
        for rel, content in files.items():
            path = self.work / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content)
        return self

    def remove(self, *paths: str) -> Repo:
        for rel in paths:
            (self.work / rel).unlink()
        return self

    def commit(self, message: str = "change", *, branch: str | None = None) -> str:
        if branch:
            git(self.work, "checkout", "-q", "-B", branch)
        git(self.work, "add", "-A")
        git(self.work, "commit", "-q", "--allow-empty", "-m", message)
        return git(self.work, "rev-parse", "HEAD")

    def push(self, *, branch: str = "main", force: bool = False) -> str:
        args = ["push", "-q"] + (["--force"] if force else [])
        git(self.work, *args, str(self.server.bare(self.name)), f"HEAD:refs/heads/{branch}")
        return git(self.work, "rev-parse", "HEAD")

    def delete_branch(self, branch: str) -> None:
        git(self.server.bare(self.name), "update-ref", "-d", f"refs/heads/{branch}")

    def amend(self, files: dict[str, str | bytes], message: str = "rewritten") -> str:
        """Rewrite the last commit (a force-push follows)."""
        self.write(files)
        git(self.work, "add", "-A")
        git(self.work, "commit", "-q", "--amend", "-m", message)
        return git(self.work, "rev-parse", "HEAD")


@dataclass
class GitServer:
    root: Path
    token: str = TOKEN
    requests: list[Request] = field(default_factory=list)
    redirect_to: str = ""
    """When set, every request is answered with a redirect to this base URL."""

    def __post_init__(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                server._handle(self, "GET")

            def do_POST(self) -> None:
                server._handle(self, "POST")

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> GitServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def url(self, name: str) -> str:
        return f"{self.base}/acme/{name}.git"

    def bare(self, name: str) -> Path:
        return self.root / "acme" / f"{name}.git"

    def repo(self, name: str, files: dict[str, str | bytes], *, branch: str = "main") -> Repo:
        """A new repository with one commit of ``files``, pushed to ``branch``."""
        bare = self.bare(name)
        bare.mkdir(parents=True)
        git(bare, "init", "-q", "--bare", "-b", branch)
        work = self.root.parent / "work" / name
        work.mkdir(parents=True)
        git(work, "init", "-q", "-b", branch)
        repo = Repo(self, name, work).write(files)
        repo.commit("first")
        repo.push(branch=branch)
        return repo

    def fetches(self) -> list[Request]:
        """The pack requests that were answered (``git-upload-pack`` POSTs)."""
        with self._lock:
            return [r for r in self.requests if r.path.endswith("/git-upload-pack") and r.status]

    def _authorized(self, header: str) -> bool:
        if not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return False
        return user == USER and password == self.token

    def _handle(self, h: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(h.path)
        record = Request(
            method, parts.path, parts.query, self._authorized(h.headers.get("Authorization", ""))
        )
        with self._lock:
            self.requests.append(record)
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        if self.redirect_to:
            record.status = 302
            h.send_response(302)
            h.send_header("Location", self.redirect_to + h.path)
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        if not record.authorized:
            record.status = 401
            h.send_response(401)
            h.send_header("WWW-Authenticate", 'Basic realm="git"')
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GIT_PROJECT_ROOT": str(self.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": parts.path,
            "QUERY_STRING": parts.query,
            "REQUEST_METHOD": method,
            "CONTENT_TYPE": h.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_USER": USER,
            "REMOTE_ADDR": "127.0.0.1",
            "GIT_PROTOCOL": h.headers.get("Git-Protocol", ""),
            "HTTP_CONTENT_ENCODING": h.headers.get("Content-Encoding", ""),
        }
        git_bin = shutil.which("git") or "git"
        done = subprocess.run(
            [git_bin, "http-backend"], input=body, env=env, capture_output=True, check=False
        )
        head, _, payload = done.stdout.partition(b"\r\n\r\n")
        if not _:
            head, _, payload = done.stdout.partition(b"\n\n")
        status = 200
        headers: list[tuple[str, str]] = []
        for line in head.decode("latin-1").splitlines():
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.strip().split()[0])
            elif name:
                headers.append((name, value.strip()))
        record.status = status
        record.sent = len(payload)
        h.send_response(status)
        for name, value in headers:
            h.send_header(name, value)
        h.send_header("Content-Length", str(len(payload)))
        h.end_headers()
        h.wfile.write(payload)


class Listener:
    """A TCP socket on loopback that only records the connections it accepts: the proof
    that a refused URL made no connection at all."""

    def __init__(self) -> None:
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.1)
        self.accepted = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._sock.getsockname()[1])

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._sock.close()


class Silent:
    """A server that accepts and then says nothing: a fetch from it must time out."""

    def __init__(self) -> None:
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._conns: list[socket.socket] = []
        self._sock.settimeout(0.1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._conns.append(conn)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        for conn in self._conns:
            conn.close()
        self._sock.close()
