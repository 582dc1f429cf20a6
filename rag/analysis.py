"""Lexical analysis shared by indexing and querying in the embedded store.

Code and Korean both defeat a stock full-text tokenizer: ``get_user_by_id`` is one token
to FTS5 and 메시지를 never matches 메시지. So text is pre-tokenized here into plain
space-separated terms before FTS5 sees it:

* identifiers are split (``get_user_by_id`` → get user by id, ``HTTPClient`` → http client)
  and also kept whole (``get_user_by_id``), lower-cased;
* Hangul runs go through MeCab with the mecab-ko dictionary (the family behind OpenSearch's
  nori), keeping content morphemes and dropping particles and endings;
* English words get a light suffix stemmer so that ``uploads``/``uploading`` meet ``upload``.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Iterable
from typing import Any

from .glossary import english_for

_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|[0-9]+|[\uac00-\ud7a3]+")
_CAMEL = re.compile(r"[A-Z]+[0-9]*(?=[A-Z][a-z])|[A-Z]?[a-z]+[0-9]*|[A-Z]+[0-9]*|[0-9]+")
_HANGUL = re.compile(r"[\uac00-\ud7a3]")


def has_hangul(text: str) -> bool:
    """Whether ``text`` has a Hangul syllable: what makes a question Korean for retrieval."""
    return bool(_HANGUL.search(text))


STOPWORDS = frozenset(
    """a an and are as at be by for from has have in is it its of on or that the this to was
    were will with self cls def return none true false""".split()
)
# Words of a request that say nothing about the code wanted ("how do I write a function
# that ..."); dropped from queries only, so they do not drown the words that matter.
QUERY_STOPWORDS = STOPWORDS | frozenset(
    """how do does did what when where which who why can could should would shall may might
    i me my we our you your please want need make write give show some any code function
    functions method snippet example using use way there then than so if into about just
    코드 함수 주 작성 방법 어떻게 하 되 것 수 좀 의""".split()
)

# Part-of-speech tags (mecab-ko-dic) worth indexing: nouns, verb and adjective stems,
# roots, foreign words and numbers. Particles (J*), endings (E*) and affixes are dropped.
_KEEP_TAGS = ("NNG", "NNP", "NNB", "NR", "NP", "VV", "VA", "XR", "SL", "SN", "SH", "MAG")


def identifier_words(identifier: str) -> list[str]:
    """``get_user_by_id`` → get, user, by, id; ``HTTPClient`` → http, client."""
    words: list[str] = []
    for part in re.split(r"[^A-Za-z0-9]+", identifier):
        words.extend(w.lower() for w in _CAMEL.findall(part))
    return words


def stem(word: str) -> str:
    """A deliberately light English stemmer: plural and -ing/-ed forms only."""
    if len(word) <= 4 or not word.isascii() or not word.isalpha():
        return word
    for suffix, repl in (
        ("ies", "y"),
        ("sses", "ss"),
        ("ing", ""),
        ("ed", ""),
        ("es", ""),
        ("s", ""),
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                return word
            if suffix == "es" and not word.endswith(("shes", "ches", "xes", "zes")):
                continue
            return word[: len(word) - len(suffix)] + repl
    return word


def _lemmas(morphemes: Iterable[Any]) -> list[str]:
    out: list[str] = []
    for morpheme in morphemes:
        feature = morpheme.feature
        if feature.type in ("Inflect", "Compound") and feature.expression:
            out.extend(part.split("/", 1)[0] for part in feature.expression.split("+"))
        else:
            out.append(morpheme.surface)
    return out


class Analyzer:
    """Turns text into index terms. One per store; MeCab loads on the first Korean text."""

    def __init__(self, *, stemming: bool = True) -> None:
        self._stemming = stemming
        self._mecab: Any = None
        self._lock = threading.Lock()
        self._english_words = functools.lru_cache(maxsize=4096)(self._lookup_english)

    def _tagger(self) -> Any:
        with self._lock:
            if self._mecab is None:
                import mecab

                self._mecab = mecab.MeCab()
            return self._mecab

    def korean_morphemes(self, text: str) -> list[str]:
        return [
            surface
            for surface, tag in self._tagger().pos(text)
            if tag.split("+")[0] in _KEEP_TAGS and not (len(surface) == 1 and tag.startswith("V"))
        ]

    def lemmas(self, token: str) -> list[str]:
        """A Korean token's morphemes in dictionary form, for glossary lookups.

        MeCab fuses a verb and its ending into one surface (``가져와서`` is one morpheme,
        VV+EC) and keeps some compounds whole; its *expression* field spells out the parts
        (``가져오/VV/*+아서/EC/*``), so ``가져오`` finds its English whatever the ending.
        """
        return _lemmas(self._tagger().parse(token))

    def english_words(self, token: str) -> tuple[str, ...]:
        """The glossary's English for one Korean token, looked up two ways.

        As MeCab segments it (a loanword may be two pieces, 리스+너, keyed as 리스너) and
        in dictionary form (가져와서 → 가져오), since either can be the one the glossary has.
        Memoised: a question is analysed for the lexical query and again for its embedding.
        """
        return self._english_words(token)

    def _lookup_english(self, token: str) -> tuple[str, ...]:
        morphemes = self._tagger().parse(token)
        surfaces = [m.surface for m in morphemes]
        words = english_for(surfaces, skip=QUERY_STOPWORDS)
        lemmas = _lemmas(morphemes)
        if lemmas != surfaces:
            words += english_for(lemmas, skip=QUERY_STOPWORDS)
        return tuple(dict.fromkeys(words))

    def terms(self, text: str, *, translate: bool = False) -> list[str]:
        """Index terms of ``text``; with ``translate``, Korean words also yield English ones."""
        out: list[str] = []
        for token in _TOKEN.findall(text):
            if _HANGUL.match(token):
                out.extend(self.korean_morphemes(token))
                if translate:
                    out.extend(self._english(self.english_words(token)))
                continue
            words = identifier_words(token)
            lowered = token.lower().strip("_")
            if len(words) > 1 and lowered not in STOPWORDS:
                out.append(lowered)
            for word in words:
                if word in STOPWORDS or len(word) < 2 and not word.isdigit():
                    continue
                out.append(stem(word) if self._stemming else word)
        return out

    def document(self, text: str) -> str:
        """Space-joined terms, ready for an FTS5 column with the ``unicode61`` tokenizer."""
        return " ".join(self.terms(text))

    def english_gloss(self, text: str) -> str:
        """The English words of the Korean developer terms in ``text``, or ``""``.

        The query embedding averages the question's vector with this gloss's: the
        multilingual encoder already crosses languages, and naming the developer terms in
        English as well pulls a Korean question toward English code names without losing
        what only the Korean says (bench/retrieval.py measures it).
        """
        english: list[str] = []
        for token in _TOKEN.findall(text):
            if _HANGUL.match(token):
                english.extend(self.english_words(token))
        return " ".join(dict.fromkeys(english))

    def unglossed(self, text: str) -> list[str]:
        """Content morphemes of the Korean words in ``text`` that the glossaries have no
        English for: what :mod:`rag.lexicon` looks up in the indexed code's vocabulary."""
        out: list[str] = []
        for token in _TOKEN.findall(text):
            if not _HANGUL.match(token) or self.english_words(token):
                continue
            out.extend(
                m
                for m in self.korean_morphemes(token)
                if m not in QUERY_STOPWORDS and not self.english_words(m)
            )
        return list(dict.fromkeys(out))

    def _english(self, words: Iterable[str]) -> list[str]:
        return [stem(w) if self._stemming else w for w in words]

    def query_phrases(self, text: str) -> frozenset[frozenset[str]]:
        """Pairs of content words that stand next to each other in a question, filler words
        skipped: "post a message ... when rate limited" holds {post, message} and
        {rate, limit}. A Korean word stands for its morphemes and its English words, so
        파일을 업로드 holds {file, upload}.

        Why: a question that asks for two things names each with a phrase, and a function
        whose name holds one of them is an answer to that part (:func:`rag.retrieve.covering`).
        """
        places: list[set[str]] = []
        for token in _TOKEN.findall(text):
            if _HANGUL.match(token):
                words = set(self.korean_morphemes(token))
                words.update(self._english(self.english_words(token)))
                words -= QUERY_STOPWORDS
                if words:
                    places.append(words)
                continue
            for word in identifier_words(token):
                if word in QUERY_STOPWORDS or len(word) < 2 and not word.isdigit():
                    continue
                term = stem(word) if self._stemming else word
                if term not in QUERY_STOPWORDS:
                    places.append({term})
        return frozenset(
            frozenset((a, b))
            for left, right in zip(places, places[1:], strict=False)
            for a in left
            for b in right
            if a != b
        )

    def query_terms(self, text: str) -> list[str]:
        """Unique terms of a question, without filler words, Korean also in English."""
        terms = [t for t in self.terms(text, translate=True) if t not in QUERY_STOPWORDS]
        return list(dict.fromkeys(terms))
