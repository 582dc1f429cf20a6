"""Cold-start the Lambda handler from an unzipped bundle alone (run by lambda_bundle.py smoke).

Runs under ``python -S`` with only the bundle on ``sys.path``, so a dependency trimmed by
mistake fails here. One loopback server plays every remote the cold start and the first
request touch: Slack's Web API (``auth.test``), Secrets Manager (the Slack secret), Lambda
(the lazy listener's asynchronous re-invocation) and OpenSearch (the event-id claim).
The environment is the function's own, taken from the packaged CloudFormation template.
Standard library and the bundle only; nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:gencode/smoke/slack-AbCdEf"
FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:gencode-smoke-slack"
SIGNING = "smoke-signing-secret"
TOKEN = "xoxb-smoke-token"
seen: list[tuple[str, str]] = []
created: list[dict[str, Any]] = []


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def _reply(self, status: int, body: dict[str, Any], kind: str = "application/json") -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            # A HEAD response has headers only (RFC 9110 9.3.2): its Content-Length is the
            # size a GET would have. A body here would be read as the start of the next
            # response on the kept-alive connection, and opensearch-py would retry the
            # request that met it (the index PUT went out twice).
            self.wfile.write(data)

    def _any(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length)
        target = self.headers.get("x-amz-target", "")
        seen.append((self.command, target or self.path))
        if self.path.startswith("/api/auth.test"):
            self._reply(200, {"ok": True, "user_id": "UBOT", "bot_id": "BBOT", "team_id": "T1"})
        elif self.path.startswith("/api/"):
            self._reply(200, {"ok": True})
        elif target == "secretsmanager.GetSecretValue":
            assert json.loads(raw)["SecretId"] == ARN
            value = {"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SIGNING}
            self._reply(
                200,
                {"ARN": ARN, "Name": "smoke", "SecretString": json.dumps(value)},
                "application/x-amz-json-1.1",
            )
        elif self.path.startswith("/2015-03-31/functions/"):
            self._reply(202, {})
        elif self.command == "GET" and self.path.split("?")[0].endswith("/_mapping"):
            # OpenSearch, a fresh domain: no index yet, so the cold start creates it
            self._reply(404, {"error": {"type": "index_not_found_exception"}, "status": 404})
        elif self.command == "PUT" and self.path.count("/") == 1:
            created.append(json.loads(raw))
            self._reply(200, {"acknowledged": True, "index": self.path.strip("/")})
        else:  # OpenSearch: the dedupe claim (index with op_type=create)
            self._reply(201, {"_index": "claims", "_id": "x", "_version": 1, "result": "created"})

    do_GET = do_POST = do_PUT = do_HEAD = _any


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client closing keep-alive
            super().handle_error(request, client_address)


def signed(body: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    ts = str(int(time.time()))
    mac = hmac.new(SIGNING.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "rawPath": "/slack/events",
        "requestContext": {"http": {"method": "POST"}},
        "headers": {
            "content-type": "application/json",
            "x-slack-request-timestamp": ts,
            "x-slack-signature": f"v0={mac}",
            **(headers or {}),
        },
        "body": body,
        "isBase64Encoded": False,
    }


class Context:
    function_name = "gencode-smoke-slack"
    invoked_function_arn = FUNCTION_ARN
    aws_request_id = "smoke"

    def get_remaining_time_in_millis(self) -> int:
        return 600_000


def main() -> int:
    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    environment = json.loads(os.environ.pop("GENCODE_SMOKE_ENVIRONMENT"))
    for name, value in environment.items():
        os.environ[name] = value if isinstance(value, str) else ""
    os.environ.update(
        OPENSEARCH_URL=url,  # a CloudFormation Fn::If in the template
        SLACK_SECRET_ARN=ARN,  # likewise
        SLACK_API_URL=f"{url}/api/",
        AWS_REGION="us-east-1",  # Lambda sets both
        AWS_DEFAULT_REGION="us-east-1",
        AWS_LAMBDA_FUNCTION_NAME=Context.function_name,
        AWS_ACCESS_KEY_ID="AKIDSMOKE",
        AWS_SECRET_ACCESS_KEY="smoke",
        AWS_ENDPOINT_URL_SECRETS_MANAGER=url,
        AWS_ENDPOINT_URL_LAMBDA=url,
        GENCODE_HOME=os.path.join(os.getcwd(), "gencode-home"),
    )
    assert "site-packages" not in " ".join(sys.path), sys.path

    started = time.perf_counter()
    from bot import lambda_handler

    health = lambda_handler.handler(
        {"rawPath": "/healthz", "requestContext": {"http": {"method": "GET"}}}, Context()
    )
    cold = time.perf_counter() - started
    assert health["statusCode"] == 200, health
    (index,) = created
    assert "nori_tokenizer" in json.dumps(index) and index["mappings"]["_meta"]["embed_dim"] == 1024

    challenge = json.dumps({"type": "url_verification", "challenge": "c-123", "token": "t"})
    response = lambda_handler.handler(signed(challenge), Context())
    assert response["statusCode"] == 200 and "c-123" in response["body"], response

    mention = json.dumps(
        {
            "type": "event_callback",
            "team_id": "T1",
            "api_app_id": "A1",
            "event_id": "EvSMOKE",
            "event_time": int(time.time()),
            "event": {
                "type": "app_mention",
                "channel": "C1",
                "user": "U1",
                "text": "<@UBOT> 재시도하며 업로드하는 함수",
                "ts": "1.000100",
            },
        }
    )
    response = lambda_handler.handler(signed(mention), Context())
    assert response["statusCode"] == 200, response
    invocations = [p for m, p in seen if p.startswith("/2015-03-31/functions/")]
    assert invocations and FUNCTION_ARN.replace(":", "%3A") in invocations[0], seen

    bad = signed(challenge)
    bad["headers"]["x-slack-signature"] = "v0=bad"
    assert lambda_handler.handler(bad, Context())["statusCode"] == 401

    # What the lazy listener imports later: Bedrock through LangChain, OpenSearch over
    # SigV4, NumPy, and the Korean analyser with the trimmed mecab-ko dictionary.
    from langchain_aws import ChatBedrockConverse  # noqa: F401
    from langchain_core.messages import HumanMessage  # noqa: F401
    from opensearchpy import AWSV4SignerAuth, RequestsHttpConnection  # noqa: F401

    import rag.bedrock  # noqa: F401
    from rag.analysis import Analyzer

    terms = Analyzer().korean_morphemes("디렉터리 트리 전체를 재귀적으로 복사하기")
    assert "디렉터리" in terms and "복사" in terms, terms

    # The service models the bundle keeps (the rest of botocore/data is trimmed).
    import boto3

    for service in ("bedrock-runtime", "bedrock", "secretsmanager", "lambda", "sts"):
        boto3.client(service, region_name="us-east-1")

    loaded = [
        m
        for m in list(sys.modules.values())
        if (getattr(m, "__file__", None) or "").startswith(os.getcwd())
        and (getattr(m, "__file__", None) or "").endswith(".py")
    ]
    precompiled = sum(1 for m in loaded if m.__cached__ and os.path.exists(m.__cached__))
    print(
        f"smoke: ok: cold start (Slack secret, auth.test, OpenSearch index created with nori) "
        f"{cold:.2f}s; url_verification, "
        f"app_mention ack + lazy Invoke of {FUNCTION_ARN.rsplit(':', 1)[-1]}, 401 on a bad "
        f"signature; mecab-ko: {' / '.join(terms)}; bytecode shipped for {precompiled} of the "
        f"{len(loaded)} modules imported"
    )
    server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
