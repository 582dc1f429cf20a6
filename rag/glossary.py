"""Korean developer vocabulary mapped to the English words code is written in.

Why: BM25 can only match words that occur in the index, and most code (names, docstrings,
extractive summaries) is English. A Korean question's content morphemes are looked up here
and their English equivalents join the lexical query, so "파일 업로드 재시도" also searches
for "file upload retry". The vector retriever crosses languages on its own; this lets the
lexical side contribute too. Keys are mecab-ko-dic morphemes in dictionary form (or two
adjacent ones joined); :meth:`rag.analysis.Analyzer.lemmas` turns 가져와서 into 가져오 first.

The vocabulary is data, in two tab-separated files next to this module, read once at
import: ``glossary_domain.tsv`` (Gencode's domain, widened on one benchmark set's misses,
see bench/README.md), then ``glossary_general.tsv`` (general software vocabulary). Both
stay because both measured: on the Korean development sets, lexical MRR@10 averaged 0.443
with both, 0.379 with the domain layer alone, 0.229 with the general one alone and 0.146
with neither (bench/README.md, "Korean vocabulary").
"""

from __future__ import annotations

from importlib import resources

LAYERS = ("glossary_domain.tsv", "glossary_general.tsv")
"""Earlier files win where a key is in several."""


def load(text: str) -> dict[str, tuple[str, ...]]:
    """``korean<TAB>english words`` per line; ``#`` starts a comment line."""
    out: dict[str, tuple[str, ...]] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        korean, sep, english = line.partition("\t")
        if not sep or not korean.strip() or not english.split():
            raise ValueError(f"glossary line {number}: want 'korean<TAB>english', got {line!r}")
        out.setdefault(korean.strip(), tuple(english.split()))
    return out


def _load_layers() -> dict[str, tuple[str, ...]]:
    table: dict[str, tuple[str, ...]] = {}
    for name in LAYERS:
        for korean, english in load(
            resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
        ).items():
            table.setdefault(korean, english)
    return table


KOREAN_TO_ENGLISH: dict[str, tuple[str, ...]] = _load_layers()


def english_for(morphemes: list[str], *, skip: frozenset[str] = frozenset()) -> list[str]:
    """English words for a run of Korean morphemes (single ones and adjacent pairs)."""
    out: list[str] = []
    for i, morpheme in enumerate(morphemes):
        if morpheme in skip:
            continue
        pair = morpheme + morphemes[i + 1] if i + 1 < len(morphemes) else ""
        if pair in KOREAN_TO_ENGLISH:
            out.extend(KOREAN_TO_ENGLISH[pair])
        out.extend(KOREAN_TO_ENGLISH.get(morpheme, ()))
    return out
