"""A loopback server that speaks enough of the bedrock-runtime REST API for Gencode's tests.

Routes: ``POST /model/{modelId}/converse`` (JSON), ``/converse-stream`` (AWS event-stream
frames with real CRCs, so botocore decodes them as it would from AWS) and ``/invoke``
(Titan Text Embeddings V2). boto3 and ``ChatBedrockConverse`` reach it through
``endpoint_url`` with dummy credentials and sign every request for real; the region a
request was signed for is read back from its ``Authorization`` header.

Each region can be told to delay, throttle, fail or return malformed output, so tests
(and ``bench/summarize_fanout.py``) can show failover and error reporting::

    with BedrockServer() as server:
        server.region("us-east-1").throttle_rate = 1.0
        ...
        assert server.calls("converse", region="us-west-2")
"""

from __future__ import annotations

import binascii
import hashlib
import json
import random
import re
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

import numpy as np

_ROUTE = re.compile(r"^/model/(?P<model>[^/]+)/(?P<op>converse|converse-stream|invoke)$")
_REGION = re.compile(r"Credential=[^/]+/\d{8}/(?P<region>[^/]+)/bedrock/aws4_request")

ERRORS: dict[str, tuple[int, str]] = {
    "ThrottlingException": (429, "Too many requests, please wait before trying again."),
    "ServiceUnavailableException": (503, "Bedrock is unable to process your request."),
    "InternalServerException": (
        500,
        "The request processing has failed because of an unknown error.",
    ),
    "AccessDeniedException": (
        403,
        "You don't have access to the model with the specified model ID.",
    ),
    "ValidationException": (400, "The provided model identifier is invalid."),
    "ResourceNotFoundException": (404, "Model not found."),
}


@dataclass
class Behaviour:
    """What one region does with each request. Change fields while the server runs."""

    delay: float = 0.0
    """Seconds to wait before answering (the model's latency)."""
    throttle_rate: float = 0.0
    """Probability of answering 429 ThrottlingException at once, without the delay."""
    throttle_first: int = 0
    """Throttle this many requests before any other behaviour applies."""
    error: str = ""
    """Answer every request with this error code (a key of ``ERRORS``)."""
    malformed: bool = False
    """Answer 200 with a body that lacks the model's output."""
    cut_after: int | None = None
    """converse-stream: drop the connection after this many text deltas."""


@dataclass(frozen=True)
class Recorded:
    op: str
    model_id: str
    region: str
    body: dict[str, Any]
    status: int

    @property
    def system_text(self) -> str:
        return "\n".join(b.get("text", "") for b in self.body.get("system", []))

    @property
    def last_user_text(self) -> str:
        for message in reversed(self.body.get("messages", [])):
            if message.get("role") == "user":
                return "\n".join(b.get("text", "") for b in message.get("content", []))
        return ""

    @property
    def prompt_text(self) -> str:
        """Everything the model was sent, system prompt and all messages."""
        parts = [self.system_text]
        for message in self.body.get("messages", []):
            parts.extend(b.get("text", "") for b in message.get("content", []))
        return "\n".join(parts)


Reply = Callable[[Recorded], str]


@dataclass
class ThinkingModel:
    """A model that reasons before it writes, as the Claude 5 family does by default.

    Reasoning tokens count against ``inferenceConfig.maxTokens``: a request spends
    ``tokens[effort]`` on reasoning first (effort from ``outputConfig.effort``, or
    ``output_config.effort`` in ``additionalModelRequestFields``; ``default_effort`` when
    the request says nothing), and only what is left goes to text. When nothing is left
    the reply is reasoning only, with ``stopReason: max_tokens``: the real failure a small
    summary budget meets. Replies carry ``reasoningContent`` blocks (Converse) and
    ``reasoningContent`` deltas (ConverseStream) in Bedrock's wire format, before the text.
    """

    reasoning: str = "THINKING: the user wants working code; check the references first. "
    tokens: dict[str, int] = field(
        default_factory=lambda: {"low": 150, "medium": 600, "high": 1_500, "xhigh": 3_000}
    )
    default_effort: str = "high"
    reject_disabled: bool = True
    """``thinking: {"type": "disabled"}`` gets a ValidationException, as Sonnet 5.5 does."""

    def effort(self, body: dict[str, Any]) -> str:
        extra = body.get("additionalModelRequestFields") or {}
        return str(
            (body.get("outputConfig") or {}).get("effort")
            or (extra.get("output_config") or {}).get("effort")
            or self.default_effort
        )

    def refusal(self, body: dict[str, Any]) -> str:
        """The ValidationException message for a request this model refuses, or ``""``."""
        thinking = (body.get("additionalModelRequestFields") or {}).get("thinking") or {}
        if self.reject_disabled and thinking.get("type") == "disabled":
            return (
                "The model returned the following errors: thinking.type: 'disabled' is "
                "not supported for this model. Use 'adaptive' thinking and control it "
                "with output_config.effort."
            )
        return ""

    def split(self, body: dict[str, Any], text: str) -> tuple[str, str, str, int]:
        """``(reasoning, text, stop_reason, output_tokens)`` within the request's budget."""
        budget = int((body.get("inferenceConfig") or {}).get("maxTokens") or 4_096)
        spend = self.tokens.get(self.effort(body), self.tokens[self.default_effort])
        reasoning_tokens = min(spend, budget)
        reasoning = (self.reasoning * (reasoning_tokens * 4 // len(self.reasoning) + 1))[
            : reasoning_tokens * 4
        ]
        room = budget - reasoning_tokens
        if room <= 0:
            return reasoning, "", "max_tokens", budget
        text_tokens = max(1, len(text) // 4) if text else 0
        if text_tokens > room:
            return reasoning, text[: room * 4], "max_tokens", budget
        return reasoning, text, "end_turn", reasoning_tokens + text_tokens


def default_reply(request: Recorded) -> str:
    """A bilingual summary for summary prompts, otherwise an answer citing [1] with code."""
    if "summar" in request.system_text.lower():
        m = re.search(r"^Name: (.+)$", request.last_user_text, re.M)
        name = m.group(1).strip() if m else "this code"
        return f"Does what {name} does.\n{name}의 기능을 수행합니다."
    return "Reuse the team's helper [1]:\n\n```python\ndef answer():\n    return helper()\n```\n"


def event_frame(event_type: str, payload: dict[str, Any]) -> bytes:
    """One AWS event-stream message: prelude + CRC, string headers, JSON payload, CRC."""
    headers = b""
    for name, value in (
        (":event-type", event_type),
        (":content-type", "application/json"),
        (":message-type", "event"),
    ):
        n, v = name.encode(), value.encode()
        headers += struct.pack(">B", len(n)) + n + b"\x07" + struct.pack(">H", len(v)) + v
    body = json.dumps(payload).encode()
    total = 12 + len(headers) + len(body) + 4
    prelude = struct.pack(">II", total, len(headers))
    prelude += struct.pack(">I", binascii.crc32(prelude) & 0xFFFFFFFF)
    message = prelude + headers + body
    return message + struct.pack(">I", binascii.crc32(message) & 0xFFFFFFFF)


def titan_embedding(text: str, dimensions: int) -> list[float]:
    """A deterministic bag-of-words vector: texts that share words are similar."""
    vec = np.zeros(dimensions, dtype=np.float64)
    for word in re.findall(r"\w+", text.lower()):
        seed = int.from_bytes(hashlib.sha256(word.encode()).digest()[:8], "big")
        vec += np.random.default_rng(seed).standard_normal(dimensions)
    norm = np.linalg.norm(vec)
    return [float(x) for x in (vec / norm if norm else vec)]


class BedrockServer:
    """bedrock-runtime on 127.0.0.1, port 0, in a thread; records every request."""

    def __init__(self, *, reply: Reply = default_reply, seed: int = 7, piece_chars: int = 6):
        self.reply = reply
        self.piece_chars = piece_chars
        """converse-stream sends the reply in text deltas of this many characters."""
        self.default = Behaviour()
        self.known_models: set[str] | None = None
        """When set, other model ids get ``ValidationException``."""
        self.thinking: ThinkingModel | None = None
        """When set, every model reasons before it writes (see :class:`ThinkingModel`)."""
        self._regions: dict[str, Behaviour] = {}
        self._records: list[Recorded] = []
        self._counts: dict[str, int] = {}
        self._in_flight: dict[str, int] = {}
        self.max_in_flight: dict[str, int] = {}
        """Most requests one region was serving at the same time."""
        self._lock = threading.Lock()
        self._random = random.Random(seed)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._httpd.request_queue_size = 128
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    # -- control -----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def region(self, name: str) -> Behaviour:
        """The behaviour switches of one region (created from the defaults on first use)."""
        with self._lock:
            if name not in self._regions:
                self._regions[name] = Behaviour(**self.default.__dict__)
            return self._regions[name]

    def calls(self, op: str | None = None, *, region: str | None = None) -> list[Recorded]:
        with self._lock:
            return [
                r
                for r in self._records
                if (op is None or r.op == op) and (region is None or r.region == region)
            ]

    def reset(self) -> None:
        with self._lock:
            self._records.clear()
            self._counts.clear()
            self._regions.clear()
            self.max_in_flight.clear()

    def start(self) -> BedrockServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> BedrockServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- serving -----------------------------------------------------------------------------

    def _decide(self, region: str) -> tuple[Behaviour, str]:
        """Which error (if any) this request gets; counts requests per region."""
        behaviour = self.region(region)
        with self._lock:
            n = self._counts.get(region, 0)
            self._counts[region] = n + 1
            if n < behaviour.throttle_first:
                return behaviour, "ThrottlingException"
            if behaviour.throttle_rate and self._random.random() < behaviour.throttle_rate:
                return behaviour, "ThrottlingException"
        return behaviour, behaviour.error

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                m = _ROUTE.match(self.path.split("?")[0])
                if not m:
                    self._error(404, "UnknownOperationException", f"no route {self.path}")
                    return
                model_id, op = unquote(m.group("model")), m.group("op")
                auth = _REGION.search(self.headers.get("Authorization", ""))
                region = auth.group("region") if auth else ""
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {}
                behaviour, error = server._decide(region)
                if not error and server.known_models is not None:
                    if model_id not in server.known_models:
                        error = "ValidationException"
                refusal = ""
                if not error and server.thinking is not None and op != "invoke":
                    refusal = server.thinking.refusal(body)
                    error = "ValidationException" if refusal else ""
                status = ERRORS[error][0] if error else 200
                record = Recorded(op, model_id, region, body, status)
                with server._lock:
                    server._records.append(record)
                if refusal:
                    self._error(400, "ValidationException", refusal)
                    return
                if error:
                    if error != "ThrottlingException":
                        time.sleep(min(behaviour.delay, 0.05))
                    self._error(*ERRORS[error][:1], error, ERRORS[error][1])
                    return
                with server._lock:
                    n = server._in_flight[region] = server._in_flight.get(region, 0) + 1
                    server.max_in_flight[region] = max(server.max_in_flight.get(region, 0), n)
                try:
                    time.sleep(behaviour.delay)
                    if op == "invoke":
                        self._invoke(body, behaviour)
                    elif op == "converse":
                        self._converse(record, behaviour)
                    else:
                        self._stream(record, behaviour)
                finally:
                    with server._lock:
                        server._in_flight[region] -= 1

            def _send_json(self, status: int, payload: dict[str, Any], **headers: str) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def _error(self, status: int, code: str, message: str) -> None:
                self._send_json(status, {"message": message}, **{"x-amzn-ErrorType": f"{code}:"})

            def _invoke(self, body: dict[str, Any], behaviour: Behaviour) -> None:
                if behaviour.malformed:
                    self._send_json(200, {"inputTextTokenCount": 1})
                    return
                text = str(body.get("inputText", ""))
                dims = int(body.get("dimensions", 1024))
                self._send_json(
                    200,
                    {
                        "embedding": titan_embedding(text, dims),
                        "inputTextTokenCount": len(text.split()),
                    },
                )

            def _converse(self, record: Recorded, behaviour: Behaviour) -> None:
                if behaviour.malformed:
                    self._send_json(200, {"output": {}, "stopReason": "end_turn"})
                    return
                text = server.reply(record)
                content: list[dict[str, Any]] = [{"text": text}]
                stop, usage = "end_turn", _usage(record, text)
                if server.thinking is not None:
                    reasoning, text, stop, out = server.thinking.split(record.body, text)
                    content = [
                        {
                            "reasoningContent": {
                                "reasoningText": {"text": reasoning, "signature": "c2ln"}
                            }
                        }
                    ]
                    if text:
                        content.append({"text": text})
                    usage = {
                        **usage,
                        "outputTokens": out,
                        "totalTokens": usage["inputTokens"] + out,
                    }
                self._send_json(
                    200,
                    {
                        "output": {"message": {"role": "assistant", "content": content}},
                        "stopReason": stop,
                        "usage": usage,
                        "metrics": {"latencyMs": int(behaviour.delay * 1000)},
                    },
                )

            def _stream(self, record: Recorded, behaviour: Behaviour) -> None:
                text = "" if behaviour.malformed else server.reply(record)
                self.send_response(200)
                self.send_header("Content-Type", "application/vnd.amazon.eventstream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                frames = [event_frame("messageStart", {"role": "assistant"})]
                stop, usage = "end_turn", _usage(record, text)
                index = 0
                if server.thinking is not None and not behaviour.malformed:
                    reasoning, text, stop, out = server.thinking.split(record.body, text)
                    usage = {
                        **usage,
                        "outputTokens": out,
                        "totalTokens": usage["inputTokens"] + out,
                    }
                    for i in range(0, len(reasoning), 200):
                        frames.append(
                            event_frame(
                                "contentBlockDelta",
                                {
                                    "contentBlockIndex": 0,
                                    "delta": {"reasoningContent": {"text": reasoning[i : i + 200]}},
                                },
                            )
                        )
                    frames.append(
                        event_frame(
                            "contentBlockDelta",
                            {
                                "contentBlockIndex": 0,
                                "delta": {"reasoningContent": {"signature": "c2ln"}},
                            },
                        )
                    )
                    frames.append(event_frame("contentBlockStop", {"contentBlockIndex": 0}))
                    index = 1
                n = server.piece_chars
                pieces = [text[i : i + n] for i in range(0, len(text), n)]
                for i, piece in enumerate(pieces):
                    if behaviour.cut_after is not None and i >= behaviour.cut_after:
                        for frame in frames:
                            self._chunk(frame)
                        self.wfile.flush()
                        # Drop the connection without the terminating chunk: a cut stream.
                        self.close_connection = True
                        self.connection.shutdown(socket.SHUT_RDWR)
                        return
                    frames.append(
                        event_frame(
                            "contentBlockDelta",
                            {"contentBlockIndex": index, "delta": {"text": piece}},
                        )
                    )
                if pieces or index == 0:
                    frames.append(event_frame("contentBlockStop", {"contentBlockIndex": index}))
                frames.append(event_frame("messageStop", {"stopReason": stop}))
                frames.append(
                    event_frame("metadata", {"usage": usage, "metrics": {"latencyMs": 1}})
                )
                for frame in frames:
                    self._chunk(frame)
                self.wfile.write(b"0\r\n\r\n")

            def _chunk(self, data: bytes) -> None:
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()

        return Handler


def _usage(record: Recorded, text: str) -> dict[str, int]:
    inp = max(1, len(record.prompt_text) // 4)
    out = max(1, len(text) // 4) if text else 0
    return {"inputTokens": inp, "outputTokens": out, "totalTokens": inp + out}


AWS_TEST_ENV = {
    "AWS_ACCESS_KEY_ID": "AKIDGENCODETEST",
    "AWS_SECRET_ACCESS_KEY": "gencode-test-secret",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": "/nonexistent/gencode-aws-config",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/gencode-aws-credentials",
}
"""Dummy credentials (SigV4 still signs for real) and no way to find real ones."""

AWS_VARIABLES = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_BEARER_TOKEN_BEDROCK",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "BEDROCK_REGIONS",
    "BEDROCK_ENDPOINT_URL",
    "GENCODE_LLM",
    "GENCODE_EMBEDDER",
)
