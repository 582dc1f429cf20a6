"""The one interface every store implements (SQLite embedded, OpenSearch in production).

Stores search; they do not fuse. Lexical and vector results come back as separate ranked
lists and :mod:`rag.retrieve` fuses them, so both stores rank identically. Every search
takes a :class:`~rag.models.Scope` and must apply it *inside* the query: filtering
afterwards would let another conversation's code crowd out the asker's own.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Protocol

from ..analysis import Analyzer
from ..embed import Vector
from ..lexicon import LexiconStore
from ..models import Chunk, Repository, Scope, SourceSummary, StoreStats

RepositoryChange = Callable[[Repository], Repository | None]

_REPOSITORY_FIELDS = frozenset(f.name for f in fields(Repository))


def repository_json(repo: Repository) -> str:
    """A registration as the stores keep it: JSON, so a new field needs no migration."""
    return json.dumps(asdict(repo), ensure_ascii=False, sort_keys=True)


def repository_from_json(text: str) -> Repository:
    """A stored registration; fields this version does not know are left out."""
    data = json.loads(text)
    return Repository(**{k: v for k, v in data.items() if k in _REPOSITORY_FIELDS})


def pack_manifest(manifest: Mapping[str, str]) -> bytes:
    return zlib.compress(json.dumps(dict(manifest), sort_keys=True).encode(), 6)


def unpack_manifest(blob: bytes | None) -> dict[str, str]:
    if not blob:
        return {}
    data = json.loads(zlib.decompress(blob))
    return {str(k): str(v) for k, v in data.items()}


@dataclass(frozen=True)
class ScoredChunk:
    chunk: Chunk
    score: float


@dataclass(frozen=True)
class Replaced:
    """What :meth:`ChunkStore.replace_source` found and did, read inside the write.

    Counting new and unchanged functions from what the store held *when it wrote*, not
    from an earlier read, keeps reports honest when two indexers work on the same files.
    """

    before: tuple[Chunk, ...]
    """The file's chunks (and the retired ones) just before the write, without embeddings."""
    removed: tuple[Chunk, ...]
    """Those of ``before`` that the write deleted."""


@dataclass(frozen=True)
class Feedback:
    """A 👍/👎 on an answer, kept with what was asked and what was cited."""

    workspace: str
    conversation: str
    user: str
    vote: int
    question: str
    answer: str
    reference_ids: tuple[str, ...]
    verdict: str = ""
    """How the answer's code fared in :mod:`rag.verify` (a ``rag.models.Verdict``)."""


@dataclass(frozen=True)
class AnswerRecord:
    """One answer given, with its verification verdict, for ``gencode stats``."""

    workspace: str
    conversation: str
    model: str
    verdict: str
    errors: int = 0
    """Failing findings left in the final answer."""


class ChunkStore(LexiconStore, Protocol):
    """Also a :class:`~rag.lexicon.LexiconStore`: the corpus lexicon lives with the index."""

    backend: str
    analyzer: Analyzer
    """Turns text into lexical terms; the engine uses the same one for questions."""

    def ensure_embedder(self, model_id: str, dim: int) -> None:
        """Record the embedding model on first use; refuse a different one afterwards."""
        ...

    def recorded_embedder(self) -> str | None:
        """The embedding model id the index was built with, or None for a new index."""
        ...

    def replace_source(
        self,
        source_key: str,
        chunks: Sequence[Chunk],
        *,
        retire: Sequence[str] = (),
        since: float | None = None,
    ) -> Replaced:
        """Make ``chunks`` the whole indexed content of one file, atomically.

        Chunks of that file not in ``chunks`` are deleted, and so are the chunks with the
        ids in ``retire`` (an older copy of the same file under a former key). Readers see
        the old version or the new one, never a mix. Every chunk must carry its embedding.

        With ``since`` (a :meth:`mark` taken when the indexing began), the write is refused
        with :class:`~rag.errors.SourceForgotten` if the file or its repository was
        forgotten after that mark, and nothing of it stays in the index.
        """
        ...

    def mark(self) -> float:
        """Where the store is in its order of forgets; an indexer takes one when it starts.

        A forget recorded after the mark cancels that indexer (:meth:`forgotten_since`).
        SQLite counts forgets; OpenSearch, which has no transactions nor counters across
        documents, uses the clock (containers' clocks agree to milliseconds, indexing takes
        seconds).
        """
        ...

    def forget_units(self, units: Sequence[str]) -> list[Chunk]:
        """Forget whole units (a file's key, or a repository's key prefix): end the
        registration of a repository kept in sync whose id is the unit, leave a tombstone
        for each, then delete every chunk whose key starts with it; return those chunks.

        The tombstone is what makes the forget stick while the unit is being indexed,
        here or in another process: see :meth:`forgotten_since` and ``replace_source``.
        """
        ...

    def forgotten_since(self, source_key: str, since: float) -> bool:
        """Whether the file with this key, or its repository, was forgotten after ``since``."""
        ...

    # -- repositories kept in sync from git (rag.git) -------------------------------------

    def add_repository(self, repo: Repository) -> bool:
        """Register ``repo`` unless one with its id exists (atomic); True if it was added."""
        ...

    def repository(self, repo_id: str) -> Repository | None: ...

    def repositories(self, workspace: str | None = None) -> list[Repository]:
        """Every registration (of one workspace, if given)."""
        ...

    def update_repository(
        self,
        repo_id: str,
        change: RepositoryChange,
        *,
        manifest: Mapping[str, str] | None = None,
    ) -> Repository | None:
        """Read, ``change`` and write one registration atomically (across processes):
        ``change`` returns the new record, or None to leave it as it is. With ``manifest``
        (path → blob id of every file indexed), it is written with the change, only if
        the change was. Returns the record as it stands after; None if it does not exist
        (a forgotten repository is never brought back by a late update)."""
        ...

    def repository_manifest(self, repo_id: str) -> dict[str, str]:
        """Path → git blob id of the files indexed for a repository (empty if none)."""
        ...

    def delete_repositories(self, repo_ids: Sequence[str]) -> None: ...

    def delete_file(self, workspace: str, file_id: str) -> list[Chunk]:
        """Delete every chunk of a shared file (by its Slack file id); return what went."""
        ...

    def sources(
        self, scope: Scope, *, prefix: str = "", shared_by: str = ""
    ) -> list[SourceSummary]:
        """Every indexed file ``scope`` may see (whose key starts with ``prefix``), with its
        function count, latest indexing time and who indexed it.

        With ``shared_by``, every file of the workspace that this user indexed, wherever it
        was shared (what the user's own App Home shows them), instead of ``scope``'s view.
        """
        ...

    def chunks_of_source(self, source_key: str) -> list[Chunk]:
        """What is indexed for one file now (embeddings included)."""
        ...

    def upsert(self, chunks: Sequence[Chunk]) -> None: ...

    def delete(self, ids: Sequence[str]) -> None: ...

    def get(self, ids: Sequence[str]) -> list[Chunk]: ...

    def get_by_hash(self, workspace: str, code_hashes: Sequence[str]) -> dict[str, Chunk]:
        """One indexed chunk (with summary and embedding) per known code hash, for reuse."""
        ...

    def lexical(self, query: str, *, k: int, scope: Scope) -> list[ScoredChunk]:
        """BM25 top-k over name, summary, docstring and code, best first."""
        ...

    def vector(self, embedding: Vector, *, k: int, scope: Scope) -> list[ScoredChunk]:
        """Cosine top-k, best first."""
        ...

    def hybrid(
        self, query: str, embedding: Vector, *, k: int, scope: Scope
    ) -> tuple[list[ScoredChunk], list[ScoredChunk]]:
        """``(lexical, vector)`` top-k lists, in one round trip where the backend allows."""
        ...

    def record_feedback(self, feedback: Feedback) -> None: ...

    def definitions(
        self, *, scope: Scope, qualnames: Sequence[str], paths: Sequence[str] = ()
    ) -> list[Chunk]:
        """Chunks whose qualified name is in ``qualnames`` (from any file), plus one chunk
        of each file whose path is in ``paths``, among the chunks ``scope`` may see.

        Checking an answer's calls needs the real signatures of the team's functions; the
        scope filter runs inside the query, as for retrieval, so a function indexed in
        another private conversation never "resolves".
        """
        ...

    def record_answer(self, record: AnswerRecord) -> None:
        """Keep one answer's verdict (see :mod:`rag.verify`)."""
        ...

    def verdict_counts(self) -> dict[str, int]:
        """How many recorded answers ended with each verdict."""
        ...

    def claim_once(self, key: str, *, ttl: float = 86_400.0) -> bool:
        """True for the first caller of ``key`` (across processes); false for repeats.

        Slack retries events and may deliver them to another process or Lambda container;
        a claim in the shared store makes sure each piece of work runs once.
        """
        ...

    def remember(self, key: str, *, ttl: float, value: str = "") -> None:
        """Keep ``key`` (and ``value``) for ``ttl`` seconds from now (again, with the new
        value, if it was already kept)."""
        ...

    def recall(self, prefix: str) -> dict[str, str]:
        """The kept, unexpired keys that start with ``prefix``, with their values.

        What every process and container needs to see of each other's work, such as the
        shares being indexed (a share a killed process left behind is found this way).
        """
        ...

    def drop_note(self, key: str) -> None:
        """Stop keeping ``key`` (nothing happens if it is not kept)."""
        ...

    def remembers(self, key: str) -> bool:
        """Whether ``key`` is kept and has not expired (see :meth:`remember`)."""
        ...

    def stats(self) -> StoreStats: ...

    def close(self) -> None: ...
