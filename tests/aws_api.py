"""A loopback server for the two AWS APIs the Lambda itself calls at run time.

* Secrets Manager's JSON protocol: ``POST /`` with ``X-Amz-Target:
  secretsmanager.GetSecretValue``; errors as ``{"__type": …}`` with status 400.
* Lambda's ``Invoke`` (REST): ``POST /2015-03-31/functions/{name}/invocations``, which
  Bolt's lazy listener runner calls with ``X-Amz-Invocation-Type: Event``.

boto3 reaches it through ``AWS_ENDPOINT_URL_SECRETS_MANAGER`` / ``AWS_ENDPOINT_URL_LAMBDA``
and signs every request for real (SigV4), so tests can read the region and service from
the ``Authorization`` header. Port 0, one per test.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

INVOKE = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations$")
SCOPE = re.compile(r"Credential=[^/]+/\d{8}/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request")


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def signed_for(self) -> tuple[str, str]:
        """(region, service) from the SigV4 credential scope."""
        match = SCOPE.search(self.headers.get("authorization", ""))
        return (match["region"], match["service"]) if match else ("", "")


@dataclass
class AwsAPI:
    secrets: dict[str, str | bytes] = field(default_factory=dict)
    """Secret ARN → its SecretString (str) or SecretBinary (bytes)."""
    empty: set[str] = field(default_factory=set)
    """Secret ARNs that exist without a value (created with neither SecretString nor
    GenerateSecretString): reading them answers ResourceNotFoundException, as AWS does."""
    denied: set[str] = field(default_factory=set)
    """Secret ARNs whose reading answers AccessDeniedException."""
    requests: list[Request] = field(default_factory=list)
    invocations: list[dict[str, Any]] = field(default_factory=list)
    """``{"function": name, "type": invocation type, "payload": decoded JSON}``."""

    def __post_init__(self) -> None:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                request = Request(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                api.requests.append(request)
                status, headers, payload = api._answer(request)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            do_GET = do_PUT = do_HEAD = do_POST  # recorded and refused: not served here

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> AwsAPI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- routes --------------------------------------------------------------------------

    def _answer(self, request: Request) -> tuple[int, dict[str, str], bytes]:
        match = INVOKE.match(request.path)
        if match:
            self.invocations.append(
                {
                    "function": unquote(match["name"]),
                    "type": request.headers.get("x-amz-invocation-type", "RequestResponse"),
                    "payload": json.loads(request.body or b"null"),
                }
            )
            return 202, {"content-type": "application/json"}, b""
        target = request.headers.get("x-amz-target", "")
        if request.path == "/" and target == "secretsmanager.GetSecretValue":
            return self._get_secret_value(json.loads(request.body)["SecretId"])
        return _error(
            400, "UnknownOperationException", f"not served here: {target or request.path}"
        )

    def _get_secret_value(self, secret_id: str) -> tuple[int, dict[str, str], bytes]:
        if secret_id in self.denied:
            return _error(400, "AccessDeniedException", "not authorized to GetSecretValue")
        if secret_id in self.empty:
            return _error(
                400,
                "ResourceNotFoundException",
                "Secrets Manager can't find the specified secret value for staging label: "
                "AWSCURRENT",
            )
        if secret_id not in self.secrets:
            return _error(
                400, "ResourceNotFoundException", "Secrets Manager can't find the secret."
            )
        value = self.secrets[secret_id]
        body: dict[str, Any] = {
            "ARN": secret_id,
            "Name": secret_id.rsplit(":", 1)[-1],
            "VersionId": "v1",
            "VersionStages": ["AWSCURRENT"],
            "CreatedDate": 1_700_000_000,
        }
        if isinstance(value, bytes):
            import base64

            body["SecretBinary"] = base64.b64encode(value).decode()
        else:
            body["SecretString"] = value
        return 200, {"content-type": "application/x-amz-json-1.1"}, json.dumps(body).encode()


def _error(status: int, kind: str, message: str) -> tuple[int, dict[str, str], bytes]:
    body = json.dumps({"__type": kind, "message": message}).encode()
    return status, {"content-type": "application/x-amz-json-1.1"}, body
