"""Reaching Bedrock: options, one client per region, and what a failure means for people.

Every botocore failure is turned into an :class:`~rag.errors.LLMError` (or a per-item
error string) by :func:`explain`, whose messages say what to change. Its
:class:`Failure` kinds are what the fan-out and the generator's failover act on.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError
from .thinking import ReasoningOnly

DEFAULT_CONCURRENCY = 8


@dataclass(frozen=True)
class BedrockOptions:
    """How to reach Bedrock and how hard to push it; built from settings in ``bot/``."""

    regions: tuple[str, ...]
    endpoint_url: str | None = None
    """For tests and VPC endpoints; ``None`` means the public regional endpoint."""
    concurrency: int = DEFAULT_CONCURRENCY
    """Calls in flight per region at most."""
    max_attempts: int = 0
    """Attempts per item over all regions; 0 means ``max(4, 2 × regions)``."""
    backoff_base: float = 0.25
    """First cool-down of a region after a throttle, in seconds (doubles per repeat)."""
    backoff_cap: float = 8.0
    connect_timeout: float = 5.0
    read_timeout: float = 120.0

    def __post_init__(self) -> None:
        if not self.regions:
            raise ConfigError(
                "No Bedrock region is configured: set BEDROCK_REGIONS (for example "
                "us-east-1,us-west-2) or AWS_REGION."
            )
        if self.concurrency < 1:
            raise ConfigError("BEDROCK_CONCURRENCY must be at least 1.")

    @property
    def attempts(self) -> int:
        return self.max_attempts or max(4, 2 * len(self.regions))


def regions_from(value: str | Iterable[str]) -> tuple[str, ...]:
    """``"us-east-1, us-west-2"`` → ``("us-east-1", "us-west-2")``, duplicates removed."""
    items = value.split(",") if isinstance(value, str) else list(value)
    seen: dict[str, None] = {}
    for item in items:
        item = item.strip()
        if item:
            seen.setdefault(item, None)
    return tuple(seen)


def credentials_problem(session: Any = None) -> str:
    """Why boto3 would have no credentials, or ``""``. Called once at start-up."""
    import boto3
    from botocore.exceptions import BotoCoreError

    try:
        creds = (session or boto3.Session()).get_credentials()
    except BotoCoreError as exc:
        return f"AWS credentials could not be loaded: {exc}"
    if creds is None:
        return (
            "No AWS credentials found for Bedrock. Set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or run with an IAM role; or choose "
            "GENCODE_LLM=local / GENCODE_LLM=none and GENCODE_EMBEDDER=local to run "
            "without AWS."
        )
    return ""


class BedrockClients:
    """One ``bedrock-runtime`` client per region, built once and shared by threads.

    boto3 clients are thread-safe, sessions are not: all clients come from one session,
    created under a lock, each with a connection pool as large as its concurrency.
    """

    def __init__(self, options: BedrockOptions, *, session: Any = None) -> None:
        self.options = options
        self._session = session
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def _boto_session(self) -> Any:
        if self._session is None:
            import boto3

            self._session = boto3.Session()
        return self._session

    def control(self, region: str) -> Any:
        """A ``bedrock`` (control plane) client, for looking up inference profiles."""
        with self._lock:
            return self._boto_session().client(
                "bedrock", region_name=region, endpoint_url=self.options.endpoint_url or None
            )

    def get(self, region: str) -> Any:
        with self._lock:
            client = self._clients.get(region)
            if client is None:
                from botocore.config import Config

                config = Config(
                    region_name=region,
                    retries={"total_max_attempts": 1, "mode": "standard"},
                    max_pool_connections=self.options.concurrency + 4,
                    connect_timeout=self.options.connect_timeout,
                    read_timeout=self.options.read_timeout,
                    user_agent_extra="gencode",
                )
                client = self._boto_session().client(
                    "bedrock-runtime",
                    region_name=region,
                    endpoint_url=self.options.endpoint_url or None,
                    config=config,
                )
                self._clients[region] = client
            return client


# -- errors ----------------------------------------------------------------------------------

THROTTLED = frozenset(
    {
        "ThrottlingException",
        "TooManyRequestsException",
        "ServiceQuotaExceededException",
        "RequestLimitExceeded",
    }
)
UNAVAILABLE = frozenset(
    {
        "ServiceUnavailableException",
        "ServiceUnavailable",
        "InternalServerException",
        "InternalFailure",
        "ModelNotReadyException",
        "ModelTimeoutException",
        "ModelErrorException",
        "ModelStreamErrorException",
    }
)
CREDENTIALS = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "ExpiredTokenException",
        "ExpiredToken",
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
    }
)


class MalformedOutput(Exception):
    """The model answered 200 but without what we asked for; worth one more try elsewhere."""


@dataclass(frozen=True)
class Failure:
    """A classified failure: ``kind`` decides what the fan-out does next."""

    kind: str
    """``throttled`` / ``unavailable`` / ``malformed``: try again, elsewhere.
    ``region``: this region cannot serve the model (access, model id); skip it.
    ``item``: this input is refused (too long, invalid); no retry helps."""
    message: str


def error_code(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def explain(exc: BaseException, *, model_id: str, region: str) -> Failure:
    """Classify a failed Bedrock call and say, for people, what to do about it."""
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        NoCredentialsError,
        ReadTimeoutError,
    )
    from botocore.exceptions import (
        ConnectionError as BotoConnectionError,
    )

    where = f"in {region}" if region else ""
    if isinstance(exc, ReasoningOnly):
        return Failure("item", f"{model_id} {where}: {exc}")
    if isinstance(exc, MalformedOutput):
        return Failure("malformed", f"{model_id} {where} returned malformed output: {exc}")
    if isinstance(exc, NoCredentialsError):
        return Failure("region", credentials_problem() or str(exc))
    if isinstance(exc, ClientError):
        code = error_code(exc)
        message = str(exc.response.get("Error", {}).get("Message", "")) or str(exc)
        if code in THROTTLED:
            return Failure("throttled", f"Bedrock throttled {model_id} {where} ({code}).")
        if code in UNAVAILABLE:
            return Failure(
                "unavailable", f"Bedrock could not serve {model_id} {where} ({code}: {message})."
            )
        if code == "AccessDeniedException":
            return Failure(
                "region",
                f"Bedrock denied access to {model_id} {where}: {message} Enable access to "
                "this model in the Bedrock console for that region and allow "
                "bedrock:InvokeModel (and InvokeModelWithResponseStream) for your IAM "
                "identity, or pick another model with BEDROCK_CHAT_MODEL / "
                "BEDROCK_SUMMARY_MODEL / BEDROCK_EMBED_MODEL.",
            )
        if code in CREDENTIALS:
            return Failure(
                "region",
                f"Bedrock rejected the AWS credentials {where} ({code}: {message}). Check "
                "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN or AWS_PROFILE.",
            )
        if code == "ResourceNotFoundException" or (
            code == "ValidationException"
            and any(w in message.lower() for w in ("model identifier", "model id", "on-demand"))
        ):
            return Failure(
                "region",
                f"The model id {model_id!r} is not usable {where}: {message} Set "
                "BEDROCK_CHAT_MODEL / BEDROCK_SUMMARY_MODEL / BEDROCK_EMBED_MODEL to a "
                "model (or inference profile, such as global.…) offered in BEDROCK_REGIONS.",
            )
        if code == "ValidationException":
            return Failure("item", f"Bedrock refused the request for {model_id}: {message}")
        return Failure("unavailable", f"Bedrock failed {where} ({code or 'error'}: {message}).")
    if isinstance(exc, BotoConnectionError | ReadTimeoutError):
        return Failure("unavailable", f"Could not reach Bedrock {where}: {exc}")
    if isinstance(exc, BotoCoreError):
        return Failure("unavailable", f"Bedrock call failed {where}: {exc}")
    return Failure("unavailable", f"Bedrock call failed {where}: {type(exc).__name__}: {exc}")
