"""The sets ``bench.blind`` scores, read through the corpus's manifest."""

from __future__ import annotations

from ..corpus import Query
from .manifest import ManifestError, load
from .tables import read


def scored_sets(name: str) -> list[tuple[str, list[Query]]]:
    """``(label, questions)`` for each set with a ``label``, in the manifest's order.

    A malformed line stops the run (scoring a set silently short would mislead);
    ``python -m bench.sets check`` says what else is wrong with a set.
    """
    corpus = load(name)
    out = []
    for spec in corpus.sets:
        if spec.label is None:
            continue
        got = read(corpus.folder, spec.table)
        if got.problems:
            raise ManifestError(f"{corpus.name}: {got.problems[0]}")
        questions = [
            Query(r[spec.query].strip(), r["path"].strip(), r["qualname"].strip()) for r in got.rows
        ]
        out.append((spec.label, questions))
    return out
