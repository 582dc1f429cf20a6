"""The code map, measured: does the context hold the callees a new function needs?

``python -m bench.context [--library astroid|docutils] [--set dev|heldout|korean|index]
[--embedder e5]``

The development library is astroid 4.4.0, the held-out one docutils 0.23.1 (each pinned with
its sha256 in ``bench/<library>/corpus.toml``, whose sets ``python -m bench.sets check``
checks; no other bench uses either). Its functions ``F`` that call two or more functions or classes
defined in it are the questions (``bench/<library>/functions.tsv``, made by
``--make-set``): each ``F`` is asked for with its docstring's first sentence, after the
index was given ``F`` with its body removed (``def F(...): ...``), so ``F`` can never be
its own answer. Incrementally: the library is indexed once; for each ``F`` only its file
is re-indexed with the body removed, then restored, so unchanged functions cost no model
call or embedding.

``F``'s callees are what a static resolver (``StaticCallees``, which ``--make-set`` runs
over the library's source) resolves its calls to: an oracle independent of Gencode's
resolution. A callee is *in the context* with its signature when the prompt holds, as a reference or a
map entry, its own definition; for a method, also a reference to its class (whose outline
lists every method's signature); for a class, its ``__init__`` or its class entry (which
shows ``__init__``).

Reported, at context budgets of 2k, 4k and 8k tokens (Gencode's counting rule,
rag/tokens.py): mean callee recall of today's context (the top 6 references, trimmed to
the budget), of references alone filling the budget, and of references plus the code map;
the share of context tokens the map takes. Then the checker's view: a scripted reply per
``F`` that calls its callees with their real signatures, and one with a wrong signature
for a callee in the map, whose repair request must quote the map's signature.
"""

from __future__ import annotations

import argparse
import ast
import csv
import dataclasses
import json
import os
import random
import shutil
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.config import Settings
from bot.services import build_engine
from rag import Answer, Chunk, Engine, Hit, Scope, Source, Turn
from rag.chunking import ParsedChunk, chunk_python
from rag.codemap import RELATED_HITS, CodeMap, ContextBudget
from rag.generate import TextCallback, cited_numbers, code_blocks
from rag.models import MapEntry
from rag.prompt import Prompt, build_prompt
from rag.signatures import parsed_function
from rag.summarize import first_sentence
from rag.tokens import count_tokens
from rag.verify import answer_checked, signature_text

from . import sets
from ._common import DATA, status, table
from .sets.manifest import Library as Pin

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Library:
    """A pinned library the bench indexes, and its question sets (``bench/<name>/``, whose
    ``corpus.toml`` pins the version and hash: :mod:`bench.sets` checks the sets)."""

    name: str
    dev_size: int
    """How many of its ``F``, after a fixed shuffle, are a development set; the rest are
    held out. 0: every ``F`` is held out."""

    @property
    def sets(self) -> Path:
        return HERE / self.name

    @property
    def pin(self) -> Pin:
        return sets.load(self.sets).library

    @property
    def version(self) -> str:
        return self.pin.version

    @property
    def functions(self) -> Path:
        return self.sets / "functions.tsv"

    @property
    def korean(self) -> Path:
        return self.sets / "korean_blind.tsv"

    data: Path | None = None
    """Another copy of the library's data folder (``--data``), so that two sets can be
    scored at once: each run re-indexes the files it stubs."""

    @property
    def root(self) -> Path:
        return self.data or DATA / self.name

    @property
    def site(self) -> Path:
        return self.root / "site"

    @property
    def corpus(self) -> Path:
        """``corpus/<name>/...``: indexed with ``--repo <name>``, so paths read
        ``astroid/util.py``."""
        return self.root / "corpus"


LIBRARIES = {
    "astroid": Library("astroid", dev_size=40),
    "docutils": Library("docutils", dev_size=0),
}
"""astroid chose the code map's design and is a development corpus now (every set of it
has been scored); docutils judges it, scored once (``bench/docutils/README.md``)."""
ASTROID = LIBRARIES["astroid"]

BUDGETS = (2_000, 4_000, 8_000)
TODAY_K = 6
"""What ``Engine.ask`` retrieved before the code map: 6 references."""
SEED = 20261207
KOREAN_SIZE = 50
SCOPE = Scope.of("local")


# -- the library and its question set ----------------------------------------------------------


def install(lib: Library) -> Path:
    """The library into the bench's own folder, hash-checked against its ``corpus.toml``;
    returns the package directory."""
    return sets.install(lib.pin, lib.name) / lib.name


def build_corpus(lib: Library) -> Path:
    """The package's source as it ships (docstrings kept: a team's code has them)."""
    package = install(lib)
    target = lib.corpus / lib.name
    if not target.exists():
        shutil.copytree(package, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return target


@dataclass(frozen=True)
class Callee:
    path: str
    qualname: str
    kind: str
    """``function`` or ``class`` (what the oracle resolved the call to)."""


@dataclass(frozen=True)
class Question:
    path: str
    qualname: str
    query: str
    callees: tuple[Callee, ...]
    korean: str = ""


def _qualname(node: ast.AST, parents: Sequence[ast.AST]) -> str:
    names = [
        p.name
        for p in parents
        if isinstance(p, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
    ]
    return ".".join([*names, node.name])  # type: ignore[attr-defined]


@dataclass
class _Module:
    name: str
    path: str
    tree: ast.Module
    defs: dict[str, ast.AST] = field(default_factory=dict)
    """Top-level functions and classes by name."""
    imports: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Local name -> (module, name in it; "" when the name is the module itself)."""


class StaticCallees:
    """``F``'s in-library callees, by the rules a reader follows, written for this bench
    alone (not Gencode's resolution, which it judges): ``f()`` defined or imported in the
    module (re-exports followed), ``mod.f()`` on an imported module, ``C.m()`` on a class,
    ``self.m()`` / ``cls.m()`` / ``super().m()`` through the method's class and its bases.
    Calls on other objects (``node.infer()``) have no type to resolve, and are not counted.

    (Astroid's own inference was the first choice of oracle; on this shared 2-core machine
    it resolved 13 functions in 4 minutes, so it was set aside.)
    """

    def __init__(self, package: Path) -> None:
        self.modules: dict[str, _Module] = {}
        for path in sorted(package.rglob("*.py")):
            rel = path.relative_to(package.parent).as_posix()
            name = rel.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
            module = _Module(name, rel, ast.parse(path.read_text(encoding="utf-8")))
            self.modules[name] = module
        for module in self.modules.values():
            self._bind(module)

    def _bind(self, module: _Module) -> None:
        package = (
            module.name if module.path.endswith("__init__.py") else module.name.rpartition(".")[0]
        )
        for node in ast.walk(module.tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.asname:
                        module.imports[a.asname] = (a.name, "")
                    else:
                        module.imports[a.name.split(".")[0]] = (a.name.split(".")[0], "")
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")
                    parts = parts[: len(parts) - node.level + 1]
                    base = ".".join([*parts, *([node.module] if node.module else [])])
                for a in node.names:
                    if a.name == "*":
                        continue
                    if f"{base}.{a.name}" in self.modules:
                        module.imports[a.asname or a.name] = (f"{base}.{a.name}", "")
                    else:
                        module.imports[a.asname or a.name] = (base, a.name)
        for node in module.tree.body:
            for sub in [node, *(n for n in ast.walk(node) if isinstance(n, ast.If | ast.Try))]:
                for stmt in getattr(sub, "body", []) + getattr(sub, "orelse", []):
                    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                        module.defs.setdefault(stmt.name, stmt)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                module.defs[node.name] = node

    def lookup(self, module: str, name: str, depth: int = 0) -> tuple[_Module, ast.AST] | None:
        """``name`` as ``module`` defines or re-exports it."""
        m = self.modules.get(module)
        if m is None or depth > 6:
            return None
        if name in m.defs:
            return m, m.defs[name]
        if name in m.imports:
            target, inner = m.imports[name]
            if inner:
                return self.lookup(target, inner, depth + 1)
        return None

    def _method(
        self, m: _Module, cls: ast.ClassDef, attr: str, seen: int = 0
    ) -> tuple[_Module, str, ast.AST] | None:
        """``attr`` in ``cls`` or its bases (left first)."""
        for stmt in cls.body:
            if (
                isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                and stmt.name == attr
            ):
                return m, f"{cls.name}.{attr}", stmt
        if seen > 8:
            return None
        for base in cls.bases:
            found = self._name(m, base)
            if found is not None and isinstance(found[1], ast.ClassDef):
                hit = self._method(found[0], found[1], attr, seen + 1)
                if hit is not None:
                    return hit
        return None

    def _name(self, m: _Module, expr: ast.expr) -> tuple[_Module, ast.AST] | None:
        """What a name or ``mod.name`` expression refers to, at module level."""
        if isinstance(expr, ast.Name):
            if expr.id in m.defs:
                return m, m.defs[expr.id]
            if expr.id in m.imports:
                target, inner = m.imports[expr.id]
                return self.lookup(target, inner) if inner else None
            return None
        if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name):
            bound = m.imports.get(expr.value.id)
            if bound is not None and not bound[1]:
                return self.lookup(bound[0], expr.attr)
        return None

    def callees(self, module: str, qualname: str) -> list[tuple[str, str, str]]:
        m = self.modules[module]
        parts = qualname.split(".")
        node: ast.AST | None = m.defs.get(parts[0])
        owner: ast.ClassDef | None = None
        for part in parts[1:]:
            if isinstance(node, ast.ClassDef):
                owner = node
            node = (
                next(
                    (
                        s
                        for s in ast.walk(node)
                        if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                        and s.name == part
                        and s is not node
                    ),
                    None,
                )
                if node is not None
                else None
            )
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            return []
        if len(parts) < 2 or not isinstance(m.defs.get(parts[0]), ast.ClassDef) or len(parts) != 2:
            owner = owner if len(parts) == 2 else None
        local = {a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg)}
        local |= {
            n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
        }
        out: dict[tuple[str, str], str] = {}

        def add(found_module: _Module, name: str, target: ast.AST) -> None:
            kind = "class" if isinstance(target, ast.ClassDef) else "function"
            key = (found_module.path, name)
            if key != (m.path, qualname):
                out[key] = kind

        for call in ast.walk(node):
            if not isinstance(call, ast.Call):
                continue
            f = call.func
            if isinstance(f, ast.Name) and f.id not in local:
                found = self._name(m, f)
                if found is not None:
                    add(found[0], getattr(found[1], "name", ""), found[1])
            elif isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
                base = f.value.id
                if base in ("self", "cls") and owner is not None:
                    hit = self._method(m, owner, f.attr)
                    if hit is not None:
                        add(hit[0], hit[1], hit[2])
                elif base not in local:
                    found = self._name(m, f)
                    if found is not None:
                        add(found[0], getattr(found[1], "name", ""), found[1])
                        continue
                    cls = self._name(m, f.value)
                    if cls is not None and isinstance(cls[1], ast.ClassDef):
                        hit = self._method(cls[0], cls[1], f.attr)
                        if hit is not None:
                            add(hit[0], hit[1], hit[2])
            elif (
                isinstance(f, ast.Attribute)
                and isinstance(f.value, ast.Call)
                and isinstance(f.value.func, ast.Name)
                and f.value.func.id == "super"
                and owner is not None
            ):
                for b in owner.bases:
                    found = self._name(m, b)
                    if found is not None and isinstance(found[1], ast.ClassDef):
                        hit = self._method(found[0], found[1], f.attr)
                        if hit is not None:
                            add(hit[0], hit[1], hit[2])
                            break
        return [(p, q, k) for (p, q), k in sorted(out.items())]


def _corpus_chunks(lib: Library) -> list[ParsedChunk]:
    """What the chunker makes of the corpus: the names the index holds."""
    out: list[ParsedChunk] = []
    for path in sorted((lib.corpus / lib.name).rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        if source.strip():
            out += chunk_python(source, path.relative_to(lib.corpus).as_posix())
    return out


def make_set(lib: Library) -> list[Question]:
    """Every documented function with two or more indexed callees, written to
    ``lib.functions``."""
    package = build_corpus(lib)
    resolver = StaticCallees(package)
    indexed = {(c.path, c.qualname): c for c in _corpus_chunks(lib)}
    questions = []
    for (path, qualname), chunk in sorted(indexed.items()):
        if chunk.kind not in ("function", "method", "async_function", "async_method"):
            continue
        if not chunk.docstring:
            continue
        module = path.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
        callees = tuple(
            Callee(p, q, k) for p, q, k in resolver.callees(module, qualname) if (p, q) in indexed
        )
        query = " ".join(first_sentence(chunk.docstring).split())
        if len(callees) < 2 or len(query.split()) < 3 or not _stubbable(lib, path, qualname):
            continue
        questions.append(Question(path, qualname, query, callees))
    with lib.functions.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter="\t", lineterminator="\n")
        w.writerow(["path", "qualname", "query", "callees"])
        for q in questions:
            callees = json.dumps([[c.path, c.qualname, c.kind] for c in q.callees])
            w.writerow([q.path, q.qualname, q.query, callees])
    return questions


def _tsv(path: Path) -> list[dict[str, str]]:
    """A blind set's rows: tab-separated, unquoted (a field may hold a ``"``)."""
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


def pick_korean(lib: Library, source: Path) -> int:
    """Copy :data:`KOREAN_SIZE` rows of a blind Korean set for held-out ``F`` (a fixed seed,
    drawn before any score) into ``lib.korean``, unchanged (``path``, ``qualname``,
    ``english``, ``korean``); the others come from the dev ``F`` only if the held-out ones
    are too few."""
    rows = {(r["path"], r["qualname"]): r for r in _tsv(source)}
    dev, heldout = split(lib, load_set(lib))
    pool = [rows[(q.path, q.qualname)] for q in heldout if (q.path, q.qualname) in rows]
    spare = [rows[(q.path, q.qualname)] for q in dev if (q.path, q.qualname) in rows]
    rng = random.Random(SEED)
    chosen = rng.sample(pool, min(KOREAN_SIZE, len(pool)))
    chosen += rng.sample(spare, min(KOREAN_SIZE - len(chosen), len(spare)))
    chosen.sort(key=lambda r: (r["path"], r["qualname"]))
    columns = ("path", "qualname", "english", "korean")
    lines = ["\t".join(columns), *("\t".join(r[c] for c in columns) for r in chosen)]
    lib.korean.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(chosen)


def load_set(lib: Library) -> list[Question]:
    with lib.functions.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    korean = _korean(lib)
    return [
        Question(
            r["path"],
            r["qualname"],
            r["query"],
            tuple(Callee(*c) for c in json.loads(r["callees"])),
            korean.get((r["path"], r["qualname"]), ""),
        )
        for r in rows
    ]


def _korean(lib: Library) -> dict[tuple[str, str], str]:
    if not lib.korean.exists():
        return {}
    return {(r["path"], r["qualname"]): r["korean"] for r in _tsv(lib.korean)}


def split(lib: Library, questions: Sequence[Question]) -> tuple[list[Question], list[Question]]:
    """``(dev, heldout)``: a fixed shuffle; the first ``lib.dev_size`` choose, the rest judge."""
    order = sorted(questions, key=lambda q: (q.path, q.qualname))
    random.Random(SEED).shuffle(order)
    return order[: lib.dev_size], order[lib.dev_size :]


# -- indexing -----------------------------------------------------------------------------------


def settings(lib: Library, embedder: str) -> Settings:
    return Settings(home=lib.root / f"home-{embedder}", embedder=embedder)


INDEX_VERSION = 2
"""2: paths start with ``astroid/`` (the corpus folder above the package is indexed)."""


def index(lib: Library, embedder: str) -> dict[str, object]:
    build_corpus(lib)
    corpus = lib.corpus
    s = settings(lib, embedder)
    marker = s.home / "bench-index.json"
    if marker.exists():
        cached: dict[str, object] = json.loads(marker.read_text())
        if cached.get("version") == INDEX_VERSION:
            return cached
        shutil.rmtree(s.home, ignore_errors=True)  # another layout: start again
    # No marker and a store: an interrupted run. Indexing is incremental (functions
    # already embedded are reused), so it resumes rather than starting again.
    status(f"indexing {lib.name} with GENCODE_EMBEDDER={embedder} (once) ...")
    started = time.perf_counter()
    engine = build_engine(s)
    try:
        report = engine.index_paths([corpus], repo=lib.name)
        info: dict[str, object] = {
            "version": INDEX_VERSION,
            "embedder": engine.embedder.model_id,
            "chunks": engine.stats().chunks,
            "errors": len(report.errors),
            "index_seconds": round(time.perf_counter() - started, 1),
        }
    finally:
        engine.close()
    marker.write_text(json.dumps(info, indent=2))
    return info


def _all_chunks(engine: Engine) -> list[Chunk]:
    return [c for s in engine.sources(SCOPE) for c in engine.store.chunks_of_source(s.key)]


def _def_node(source: str, qualname: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    tree = ast.parse(source)
    stack: list[tuple[list[ast.stmt], str]] = [(tree.body, "")]
    while stack:
        body, prefix = stack.pop()
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = f"{prefix}{node.name}"
                if name == qualname and not isinstance(node, ast.ClassDef):
                    return node
                stack.append((node.body, name + "."))
            else:
                for attr in ("body", "orelse", "finalbody"):
                    child = getattr(node, attr, None)
                    if isinstance(child, list) and child and isinstance(child[0], ast.stmt):
                        stack.append((child, prefix))
                for handler in getattr(node, "handlers", []) or []:
                    stack.append((handler.body, prefix))
    return None


def _stubbable(lib: Library, path: str, qualname: str) -> bool:
    """A body that starts on a line of its own (``def f(): return x`` is left out)."""
    source = (lib.corpus / path).read_text(encoding="utf-8")
    node = _def_node(source, qualname)
    if node is None:
        return False
    first = node.body[0]
    line = source.splitlines()[first.lineno - 1]
    return first.lineno > node.lineno and not line[: first.col_offset].strip()


def without_body(source: str, qualname: str) -> str:
    """``source`` with ``qualname``'s body (docstring included) replaced by ``...``."""
    node = _def_node(source, qualname)
    assert node is not None, qualname
    lines = source.splitlines(keepends=True)
    first, last = node.body[0].lineno, node.end_lineno or node.body[-1].lineno
    indent = lines[first - 1][: len(lines[first - 1]) - len(lines[first - 1].lstrip())]
    return "".join(lines[: first - 1] + [f"{indent}...\n"] + lines[last:])


@dataclass
class Stubbed:
    """F's file with F's body removed, while the block runs; restored after."""

    engine: Engine
    question: Question
    lib: Library
    original: bytes = b""

    def __enter__(self) -> Stubbed:
        self.original = (self.lib.corpus / self.question.path).read_bytes()
        stub = without_body(self.original.decode("utf-8"), self.question.qualname)
        self._index(stub.encode("utf-8"))
        return self

    def __exit__(self, *exc: object) -> None:
        self._index(self.original)

    def _index(self, data: bytes) -> None:
        report = self.engine.index_bytes(
            data, Source(self.question.path, workspace="local", repo=self.lib.name)
        )
        if report.error:
            raise SystemExit(f"re-indexing {self.question.path} failed: {report.error}")
        if not (report.unchanged or report.changed):
            raise SystemExit(f"{self.question.path} is not the indexed file: paths differ")


# -- what the context holds ---------------------------------------------------------------------


def covered(callee: Callee, prompt: Prompt) -> bool:
    """Whether the prompt shows ``callee``'s signature (see the module docstring)."""
    refs = {(h.chunk.source_path, h.chunk.qualname) for h in prompt.references}
    entries = {
        (e.chunk.source_path, e.chunk.qualname) for e in prompt.code_map if e.kind != "imports"
    }
    own = (callee.path, callee.qualname)
    if own in refs or own in entries:
        return True
    if callee.kind == "class":
        return (callee.path, f"{callee.qualname}.__init__") in refs
    owner = callee.qualname.rsplit(".", 1)[0] if "." in callee.qualname else ""
    return bool(owner) and (callee.path, owner) in refs


@dataclass
class Row:
    question: Question
    recall: dict[str, float] = field(default_factory=dict)
    """``"<config>@<budget>"`` -> share of callees in the context."""
    map_share: dict[str, float] = field(default_factory=dict)
    prompts: dict[str, Prompt] = field(default_factory=dict)


@dataclass(frozen=True)
class Config:
    """One way of making the context, for the development sweep."""

    name: str
    k: int
    map_share: float | None
    """None: references only."""
    hops: int = 1
    related: int = 0
    """How many retrieved hits may be map entries themselves (0: none; the seeds only
    when another seed uses them)."""


TODAY = Config("today: top 6 references", TODAY_K, None)
FILLED = Config("references only, filling the budget", 20, None)


def run_question(
    engine: Engine,
    lib: Library,
    q: Question,
    configs: Sequence[Config],
    *,
    korean: bool = False,
) -> Row:
    row = Row(q)
    query = q.korean if korean else q.query
    with Stubbed(engine, q, lib):
        hits = engine.retrieve(query, SCOPE, k=max(max(c.k, c.related) for c in configs))
        maps: dict[tuple[int, int, int], list[MapEntry]] = {}
        for config in configs:
            shape = (config.k, config.hops, config.related)
            if config.map_share is not None and shape not in maps:
                engine.map_hops = config.hops
                related = hits[config.k : config.related]
                maps[shape] = list(
                    engine.code_map(
                        hits[: config.k], SCOPE, budget=ContextBudget(1), related=related
                    ).entries
                )
        for config in configs:
            shape = (config.k, config.hops, config.related)
            for budget in BUDGETS:
                entries = maps.get(shape, []) if config.map_share else []
                cm = CodeMap(tuple(entries), ContextBudget(budget, config.map_share or 0.0))
                prompt = build_prompt(query, hits[: config.k], code_map=cm)
                label = f"{config.name}@{budget}"
                row.recall[label] = sum(covered(c, prompt) for c in q.callees) / len(q.callees)
                row.prompts[label] = prompt
                if config.map_share is not None:
                    context = prompt.part("references") + prompt.part("map")
                    row.map_share[label] = prompt.part("map") / context if context else 0.0
    return row


def evaluate(
    engine: Engine,
    lib: Library,
    questions: Sequence[Question],
    configs: Sequence[Config],
    *,
    korean: bool = False,
) -> list[Row]:
    rows = []
    for n, q in enumerate(questions, 1):
        if n % 25 == 0:
            status(f"  {n}/{len(questions)}")
        rows.append(run_question(engine, lib, q, configs, korean=korean))
    return rows


def recall_table(rows: Sequence[Row], configs: Sequence[Config]) -> str:
    out = []
    for config in configs:
        cells: list[object] = [config.name]
        for budget in BUDGETS:
            cells.append(statistics.fmean(r.recall[f"{config.name}@{budget}"] for r in rows))
        if config.map_share is not None:
            share = [
                statistics.fmean(r.map_share[f"{config.name}@{b}"] for r in rows) for b in BUDGETS
            ]
            cells.append(" / ".join(f"{s:.2f}" for s in share))
        else:
            cells.append("")
        out.append(cells)
    headers = [
        "context",
        *(f"callee recall @{b // 1000}k" for b in BUDGETS),
        "map share of tokens 2k / 4k / 8k",
    ]
    return table(headers, out)


# -- the checker's view ---------------------------------------------------------------------------


@dataclass
class ScriptedModel:
    """A fake *model* (allowed): replies from a script, records what it was asked."""

    replies: list[str]
    asked: list[str] = field(default_factory=list)
    model_id: str = "scripted"

    def answer(
        self,
        question: str,
        hits: Sequence[Hit],
        *,
        history: Sequence[Turn] = (),
        on_text: TextCallback | None = None,
        code_map: CodeMap | None = None,
    ) -> Answer:
        self.asked.append(question)
        text = self.replies.pop(0)
        shown = build_prompt(question, hits, history=history, code_map=code_map)
        return Answer(
            text=text,
            code_blocks=code_blocks(text),
            references=shown.references,
            cited=frozenset(cited_numbers(text, len(shown.references))),
            model=self.model_id,
            generated=True,
            code_map=shown.code_map,
        )

    def standalone_question(self, question: str, history: Sequence[Turn]) -> str:
        return question


def _module(path: str) -> str:
    return path.removesuffix(".py").removesuffix("/__init__").replace("/", ".")


def call_for(chunk: Chunk, init: Chunk | None, *, wrong: bool) -> tuple[str, str, list[str]] | None:
    """``(import line, call, parameter names)`` calling ``chunk`` with its real signature,
    or with one positional argument too many (``wrong``); None if that cannot be done."""
    module = _module(chunk.source_path)
    method = chunk.kind in ("method", "async_method")
    owner, _, name = chunk.qualname.rpartition(".")
    if (method and "." in owner) or (not method and owner):
        return None  # nested classes and functions: not importable by one name
    target = init if chunk.kind == "class" else chunk
    if target is None:  # a class with no __init__ of its own
        return None if wrong else (f"from {module} import {chunk.name}", f"{chunk.name}()", [])
    fn = parsed_function(target.code)
    if fn is None:  # not parseable alone (docutils: a string that dedent cannot shift)
        return None
    decorators = {ast.unparse(d).rsplit(".", 1)[-1] for d in fn.decorator_list}
    if decorators - {"staticmethod", "classmethod"}:
        return None  # a decorator may change the call's signature: the checker skips those
    a = fn.args
    positional = [p.arg for p in a.posonlyargs + a.args]
    required = positional[: len(positional) - len(a.defaults)]
    if chunk.kind == "class" or (method and "staticmethod" not in decorators):
        positional, required = positional[1:], required[1:]
    kw_required = [p.arg for p, d in zip(a.kwonlyargs, a.kw_defaults, strict=True) if d is None]
    chosen = required
    if wrong:
        if a.vararg is not None:
            return None
        chosen = [*positional, "extra"]
    args = [f"p_{p}" for p in chosen] + [f"{p}=p_{p}" for p in kw_required]
    names = [*chosen, *kw_required]
    if method:
        lead = [] if decorators & {"staticmethod", "classmethod"} else ["p_self"]
        names += ["self"] if lead else []
        return f"from {module} import {owner}", f"{owner}.{name}({', '.join(lead + args)})", names
    return f"from {module} import {name}", f"{name}({', '.join(args)})", names


def scripted_reply(calls: Sequence[tuple[str, str, list[str]]]) -> str:
    imports = sorted({c[0] for c in calls})
    params = sorted({f"p_{n}" for c in calls for n in c[2]})
    body = "\n".join(f"    {c[1]}" for c in calls)
    code = "\n".join(imports) + f"\n\n\ndef new_function({', '.join(params)}):\n{body}\n"
    return f"Here it is [1]:\n\n```python\n{code}```\n"


def checker_view(engine: Engine, lib: Library, rows: Sequence[Row]) -> dict[str, int]:
    """Correct calls pass; a wrong call to a callee in the map (at 4k) is flagged and the
    repair request quotes the map's signature."""
    counts = {"replies": 0, "verified": 0, "wrong": 0, "flagged": 0, "quoted": 0}
    verifier = engine.verifier(SCOPE)
    by_id = {}
    for row in rows:
        q = row.question
        chunks = engine.store.definitions(
            scope=SCOPE,
            qualnames=[c.qualname for c in q.callees]
            + [f"{c.qualname}.__init__" for c in q.callees],
        )
        for c in chunks:
            by_id[(c.source_path, c.qualname)] = c
        calls = []
        for callee in q.callees:
            chunk = by_id.get((callee.path, callee.qualname))
            if chunk is None:
                continue
            made = call_for(
                chunk, by_id.get((callee.path, f"{callee.qualname}.__init__")), wrong=False
            )
            if made is not None:
                calls.append(made)
        if not calls:
            continue
        with Stubbed(engine, q, lib):
            model = ScriptedModel([scripted_reply(calls)] * 2)  # a repair gets it again
            hits = engine.retrieve(q.query, SCOPE, k=TODAY_K)
            answer = answer_checked(model, verifier, q.query, hits)
            counts["replies"] += 1
            counts["verified"] += (
                answer.verification is not None and answer.verification.verdict == "verified"
            )
            prompt = row.prompts.get(f"{DEFAULT.name}@4000")
            in_map = [
                e
                for e in (prompt.code_map if prompt else ())
                if e.kind in ("callee", "class", "exception")
            ]
            for entry in in_map:
                init = by_id.get((entry.chunk.source_path, f"{entry.chunk.qualname}.__init__"))
                made = call_for(entry.chunk, init, wrong=True)
                if made is None:
                    continue
                target = init if entry.chunk.kind == "class" else entry.chunk
                assert target is not None
                model = ScriptedModel([scripted_reply([made]), scripted_reply([made])])
                checked = answer_checked(
                    model,
                    verifier,
                    q.query,
                    hits,
                    code_map=CodeMap(tuple(in_map), ContextBudget(4000)),
                )
                counts["wrong"] += 1
                v = checked.verification
                flagged = v is not None and any(
                    f.kind == "arg-count" for f in v.repaired or v.findings
                )
                counts["flagged"] += flagged
                repair = model.asked[1] if len(model.asked) > 1 else ""
                counts["quoted"] += (
                    flagged
                    and signature_text(target) in repair
                    and any(signature_text(target) in line for line in entry.lines)
                )
                break
    return counts


# -- tokens ---------------------------------------------------------------------------------------


def calibration(rows: Sequence[Row]) -> str:
    """Gencode's rule against the Claude 2 BPE (the only Claude tokenizer in a package), if
    ``tokenizers`` and that wheel's ``tokenizer.json`` are at hand (``--claude2-tokenizer``)."""
    path = os.environ.get("GENCODE_BENCH_CLAUDE2_TOKENIZER", "")
    if not path:
        return "(no Claude 2 tokenizer given: set GENCODE_BENCH_CLAUDE2_TOKENIZER to its tokenizer.json)"
    from tokenizers import Tokenizer  # type: ignore[import-not-found]

    tok = Tokenizer.from_file(path)
    ours = bpe = 0
    for row in rows:
        prompt = row.prompts[f"{DEFAULT.name}@4000"]
        ours += count_tokens(prompt.user)
        bpe += len(tok.encode(prompt.user).ids)
    return f"rule / Claude 2 BPE over {len(rows)} prompts: {ours:,} / {bpe:,} = {ours / bpe:.2f}"


# -- the run ----------------------------------------------------------------------------------------

SHARES = (0.5, 0.6)
DEFAULT = Config("references + map (the default)", 10, 0.5, 2, RELATED_HITS)
"""The shipped configuration (bot/config.py and rag/codemap.py defaults): 10 hits seed the
map, 2 hops, half the budget for the map, the top 50 hits entries themselves; chosen on
astroid (bench/README.md)."""
ROUND_1 = Config("references + map, no retrieved entries (round 1)", 10, 0.5, 2)
"""The first round's map: the seeds' callees only (for comparison)."""


def sweep_configs() -> list[Config]:
    configs = [TODAY, FILLED, ROUND_1]
    for share in SHARES:
        for related in (30, RELATED_HITS):
            name = f"refs + map, k=10, 2 hops, map share {share}, top {related} hits as entries"
            configs.append(Config(name, 10, share, 2, related))
    return configs


def run(lib: Library, which: str = "heldout", embedder: str = "e5") -> None:
    """Print the tables as they are ready (a long run on a shared machine)."""
    info = index(lib, embedder)
    if which == "index":
        print(f"{lib.name} {lib.version}: {info}")
        return
    engine = build_engine(settings(lib, embedder))
    try:
        if not lib.functions.exists():
            make_set(lib)
        questions = load_set(lib)
        dev, heldout = split(lib, questions)
        if which == "dev" and not dev:
            raise SystemExit(f"{lib.name} has no development set: every F is held out")
        print(
            f"{lib.name} {lib.version}: {info['chunks']} chunks, GENCODE_EMBEDDER={embedder} "
            f"({info['embedder']}), {len(questions)} functions F (dev {len(dev)}, "
            f"held-out {len(heldout)}); load average {os.getloadavg()[0]:.1f}\n",
            flush=True,
        )
        started = time.perf_counter()
        if which == "dev":
            configs = sweep_configs()
            rows = evaluate(engine, lib, dev, configs)
            print(recall_table(rows, configs), flush=True)
        else:
            configs = [TODAY, FILLED, ROUND_1, DEFAULT]
            if which == "heldout":
                rows = evaluate(engine, lib, heldout, configs)
                print(f"English, held-out ({len(rows)} functions):\n", flush=True)
            else:
                chosen = [q for q in questions if q.korean]
                rows = evaluate(engine, lib, chosen, configs, korean=True)
                print(f"Korean, written blind ({len(rows)} functions):\n", flush=True)
            print(recall_table(rows, configs), flush=True)
            print(
                f"\n{time.perf_counter() - started:.0f} s, load average "
                f"{os.getloadavg()[0]:.1f} (2 cores, shared)",
                flush=True,
            )
            if which == "heldout":
                print(calibration(rows), flush=True)
                counts = checker_view(engine, lib, rows)
                print(
                    f"\nchecker: {counts['verified']}/{counts['replies']} scripted replies with "
                    f"correct calls verified; {counts['flagged']}/{counts['wrong']} wrong calls "
                    f"to a map entry flagged, {counts['quoted']} with the map's signature in "
                    "the repair request",
                    flush=True,
                )
        print(
            f"\n{time.perf_counter() - started:.0f} s, load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
    finally:
        engine.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.context", description=__doc__)
    parser.add_argument("--library", default="astroid", choices=sorted(LIBRARIES))
    parser.add_argument(
        "--set",
        default="heldout",
        choices=["dev", "heldout", "korean", "index"],
        help="index: build the library's index and stop (no score)",
    )
    parser.add_argument("--embedder", default="e5", choices=["e5", "local"])
    parser.add_argument(
        "--data",
        type=Path,
        help="a copy of bench/.data/<library> to score from (two sets at once)",
    )
    parser.add_argument(
        "--make-set", action="store_true", help="find the functions F again (StaticCallees)"
    )
    parser.add_argument(
        "--korean-from", type=Path, help="pick the Korean questions from a blind set (TSV)"
    )
    args = parser.parse_args()
    lib = LIBRARIES[args.library]
    if args.data:
        lib = dataclasses.replace(lib, data=args.data)
    if args.make_set:
        questions = make_set(lib)
        print(f"{len(questions)} functions F written to {lib.functions}")
        return
    if args.korean_from:
        print(f"{pick_korean(lib, args.korean_from)} Korean rows written to {lib.korean}")
        return
    run(lib, args.set, args.embedder)


if __name__ == "__main__":
    main()
