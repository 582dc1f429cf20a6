"""Blind question sets kept as data, and one tool that checks, draws and builds them.

Each corpus is a folder of ``bench/`` (``boltons/``, ``rich/``, ``networkx/``, ``astroid/``):
its question sets and skips as TSV, its README and its writers' brief as Markdown, and a
manifest, ``corpus.toml``, that names the library (version and wheel hash), the candidate
rules' parameters, and each set's file, columns, language and rules (seed and positions of
a random draw, picks, draws to avoid). ``python -m bench.sets`` reads only that: it holds no
per-corpus code. ``bench.blind`` reads the scored sets through :func:`scored_sets`.
"""

from __future__ import annotations

from .build import BuildError, build, write
from .candidates import Candidate, draw, install, walk
from .checks import Report, check
from .manifest import Corpus, ManifestError, SetSpec, all_corpora, load
from .scored import scored_sets

__all__ = [
    "BuildError",
    "Candidate",
    "Corpus",
    "ManifestError",
    "Report",
    "SetSpec",
    "all_corpora",
    "build",
    "check",
    "draw",
    "install",
    "load",
    "scored_sets",
    "walk",
    "write",
]
