"""The code map: what the retrieved functions depend on, in compact entries for the model.

Why: to write new code on top of the team's, a model must call the team's helpers,
construct its classes and raise its errors with their real signatures. Those are rarely
the top retrieved functions; they are what the top functions *call*. Retrieval alone
leaves the model to guess them, and the checker then finds a call that does not bind.

The map is built from the retrieved hits (the *seeds*), ranked by how many of them use
each definition, weighted by the seed's rank (``1/rank``):

- the indexed functions, methods and classes a seed calls, resolved through the checker's
  own resolution (:func:`rag.verify.resolve_calls`) over the store's scoped
  ``definitions``, so a map never shows code the asker's conversation may not see;
- for a method (a seed or a callee), its class header: bases, ``__init__`` signature and
  a dataclass's fields;
- the team-defined exceptions a seed raises;
- each seed module's import lines that bind what the seed uses (how to import it);
- the retrieved functions themselves, those ranked below the seeds included (``related``):
  one that is no reference is still worth its signature, at a tenth of a reference's cost.

Each entry is one signature line, one summary line and ``repo/path:line`` (a class adds its
``__init__`` and fields; an imports entry lists import lines). The prompt packs entries in
rank order into their share of the context budget (:mod:`rag.prompt`), fenced as data.
"""

from __future__ import annotations

import ast
import logging
import textwrap
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from .analysis import identifier_words
from .chunking import MODULE_QUALNAME
from .errors import GencodeError
from .models import Chunk, Hit, MapEntry, MapKind
from .signatures import parsed_function, signature_known
from .summarize import EXTRACTIVE, first_sentence
from .verify import Lookup, Resolved, module_of, resolve_calls, signature_text

logger = logging.getLogger(__name__)

FileChunks = Callable[[Chunk], Sequence[Chunk]]
"""The chunks of a seed's own file (same source, so same scope): its module preamble."""

EARLIER_WEIGHT = 0.5
"""A follow-up's earlier map counts as if a seed of rank 2 used each of its entries (the
first one; the next ones less, in their earlier order)."""

MRO_DEPTH = 4
"""Levels of base classes searched for an inherited method."""

SECOND_HOP = 0.5
"""What a callee's callee is worth, relative to the callee (a damping factor, as in a
random walk over the call graph)."""

RETRIEVED_WEIGHT = 0.5
"""A retrieved function counts as an entry worth this over its rank (``0.5/rank``): the
question's own similarity, below what a top seed uses (bench/README.md, "Code map")."""

RELATED_HITS = 50
"""How many retrieved hits may be entries themselves: the 10 seeds and 40 more."""

IMPORTS_WEIGHT = 0.5
"""An imports entry ranks as half its best seed: import lines help, but a callee's
signature is what a model cannot guess."""

MAX_CANDIDATES = 3
"""A call resolving to more indexed definitions than this (a common method name over many
classes) is too ambiguous to show."""

DEFAULT_CONTEXT_TOKENS = 8_000
"""``GENCODE_CONTEXT_TOKENS``'s default (``python -m bench.context``, bench/README.md)."""

DEFAULT_MAP_SHARE = 0.5
"""The part of the context budget kept for the code map: best at 2k and 4k tokens on the
bench's development set (bench/README.md, "Code map")."""

SUMMARY_CHARS = 160
RETRIEVED = "\x00retrieved"
"""The user a retrieved entry's own score is tallied under (no chunk id looks like it)."""
_KIND_ORDER: dict[MapKind, int] = {
    "callee": 0,
    "class": 1,
    "exception": 2,
    "retrieved": 3,
    "imports": 4,
}


@dataclass(frozen=True)
class ContextBudget:
    """The tokens references and the code map share in a prompt (``GENCODE_CONTEXT_TOKENS``).

    References are packed first into ``(1 - map_share)`` of ``tokens``; the map gets the
    rest, including whatever the references left unused.
    """

    tokens: int
    map_share: float = DEFAULT_MAP_SHARE

    def __post_init__(self) -> None:
        if self.tokens <= 0:
            raise ValueError("a context budget must be positive")
        if not 0.0 <= self.map_share <= 1.0:
            raise ValueError("map_share is a fraction")

    @property
    def reference_tokens(self) -> int:
        return self.tokens - int(self.tokens * self.map_share)


@dataclass(frozen=True)
class CodeMap:
    """Ranked candidate entries and the budget they share with the references."""

    entries: tuple[MapEntry, ...] = ()
    budget: ContextBudget | None = None
    """None: references fill the model's window as they always did, and no map is sent."""


@dataclass
class _Tally:
    chunk: Chunk
    kind: MapKind
    score: float = 0.0
    first: int = 10**6
    users: set[str] = field(default_factory=set)

    def use(self, weight: float, rank: int, user: str) -> None:
        if user in self.users:
            return  # each seed counts once, however often it calls
        self.users.add(user)
        self.score += weight
        self.first = min(self.first, rank)


# -- rendering ------------------------------------------------------------------------------


def summary_line(chunk: Chunk) -> str:
    """One line saying what the definition does: a model's summary's first sentence, else
    the docstring's, else its name in words."""
    if chunk.summary and chunk.summary_by != EXTRACTIVE:
        text = first_sentence(chunk.summary.splitlines()[0], SUMMARY_CHARS)
    elif chunk.docstring:
        text = first_sentence(chunk.docstring, SUMMARY_CHARS)
    else:
        text = " ".join(identifier_words(chunk.qualname.replace(".", " ")))
    return " ".join(text.split())


def location(chunk: Chunk) -> str:
    return f"{chunk.display_path}:{chunk.start_line}"


def function_lines(chunk: Chunk) -> tuple[str, ...]:
    """``def f(params)``, summary, location; a decorator that may change how ``f`` is called
    (``@with_db`` passing ``db`` itself) comes first, said to be one, as the checker treats
    such a signature as unknown (:func:`~rag.signatures.signature_known`)."""
    prefix = "async def" if chunk.kind.startswith("async") else "def"
    head: tuple[str, ...] = ()
    fn = parsed_function(chunk.code)
    if fn is not None and not signature_known(fn):
        shown = " ".join(f"@{ast.unparse(d)}" for d in fn.decorator_list)
        head = (f"{shown}  # changes how it is called: the parameters below are not the call's",)
    return (*head, f"{prefix} {signature_text(chunk)}", summary_line(chunk), location(chunk))


def class_lines(cls: Chunk, init: Chunk | None) -> tuple[str, ...]:
    """``class C(Base)``, how to construct it, a dataclass's fields, summary, location."""
    lines = [cls.signature]
    if init is not None:
        lines.append(f"def {signature_text(init)}")
    fields = dataclass_fields(cls.code)
    if fields:
        lines.append("fields: " + ", ".join(fields))
    lines += [summary_line(cls), location(cls)]
    return tuple(lines)


def dataclass_fields(code: str) -> list[str]:
    """``name: type = default`` of each field when the class is a dataclass (its outline
    keeps attributes in full)."""
    node = _first_def(code)
    if not isinstance(node, ast.ClassDef):
        return []
    names = {ast.unparse(d.func if isinstance(d, ast.Call) else d) for d in node.decorator_list}
    if not any(n.rsplit(".", 1)[-1] in ("dataclass", "define", "frozen") for n in names):
        return []
    out = []
    for stmt in node.body:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            text = f"{stmt.target.id}: {ast.unparse(stmt.annotation)}"
            if stmt.value is not None:
                text += f" = {ast.unparse(stmt.value)}"
            out.append(text)
    return out


def import_lines(preamble: Chunk, used: set[str]) -> tuple[str, ...]:
    """The preamble's import statements cut down to the names ``used``, one line each."""
    tree = _parse(preamble.code)
    if tree is None:
        return ()
    out: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            kept = [a for a in node.names if (a.asname or a.name.split(".")[0]) in used]
            if kept:
                out.append(ast.unparse(ast.Import(names=kept)))
        elif isinstance(node, ast.ImportFrom):
            kept = [a for a in node.names if (a.asname or a.name) in used]
            if kept:
                out.append(
                    ast.unparse(ast.ImportFrom(module=node.module, names=kept, level=node.level))
                )
    return tuple(dict.fromkeys(out))


def imports_lines(preamble: Chunk, lines: Sequence[str]) -> tuple[str, ...]:
    return (f"imports of {preamble.display_path}", *lines)


# -- building ------------------------------------------------------------------------------


def _parse(code: str) -> ast.Module | None:
    try:
        return ast.parse(textwrap.dedent(code))
    except (SyntaxError, ValueError, RecursionError):
        return None


def _first_def(code: str) -> ast.stmt | None:
    tree = _parse(code)
    if tree is None:
        return None
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            return node
    return None


def _bases(cls: Chunk) -> list[str]:
    node = _first_def(cls.code)
    if not isinstance(node, ast.ClassDef):
        return []
    return [ast.unparse(b) for b in node.bases]


def _raised(node: ast.stmt) -> list[str]:
    out = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.Raise) and sub.exc is not None:
            target = sub.exc.func if isinstance(sub.exc, ast.Call) else sub.exc
            if isinstance(target, ast.Name | ast.Attribute):
                out.append(ast.unparse(target))
    return list(dict.fromkeys(out))


def _names_used(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _owner(chunk: Chunk) -> str:
    """``Class`` for a method ``Class.method``; empty for anything else."""
    if chunk.kind in ("method", "async_method") and "." in chunk.qualname:
        return chunk.qualname.rsplit(".", 1)[0]
    return ""


@dataclass
class _Seed:
    hit: Hit
    rank: int
    file: Sequence[Chunk]
    scale: float = 1.0
    """1 for a retrieved function; :data:`SECOND_HOP` times its score for a callee whose
    own callees are followed."""

    @property
    def chunk(self) -> Chunk:
        return self.hit.chunk

    @property
    def weight(self) -> float:
        return self.scale / self.rank

    @property
    def preamble(self) -> Chunk | None:
        return next((c for c in self.file if c.qualname == MODULE_QUALNAME), None)

    def local(self, qualname: str) -> Chunk | None:
        return next((c for c in self.file if c.qualname == qualname), None)


class MapBuilder:
    """Builds the code map for a list of hits; one per question (it caches files)."""

    def __init__(
        self, lookup: Lookup, file_chunks: FileChunks, *, hops: int = 2, follow: int = 20
    ) -> None:
        self.lookup = lookup
        self.file_chunks = file_chunks
        self.hops = hops
        self._base_cache: dict[str, list[Chunk]] = {}
        self.follow = follow
        """How many of the best first-hop callees have their own callees followed."""
        self._files: dict[str, Sequence[Chunk]] = {}

    def _file(self, chunk: Chunk) -> Sequence[Chunk]:
        if chunk.source_key not in self._files:
            self._files[chunk.source_key] = self.file_chunks(chunk)
        return self._files[chunk.source_key]

    def build(
        self,
        hits: Sequence[Hit],
        *,
        earlier: Sequence[MapEntry] = (),
        related: Sequence[Hit] = (),
    ) -> list[MapEntry]:
        """Ranked entries for ``hits`` (best first), merged with a thread's ``earlier`` map.

        Every hit, and every ``related`` one (retrieved for the same question, ranked
        after ``hits``; they seed nothing), is an entry too, scored
        :data:`RETRIEVED_WEIGHT` over its rank, plus its use by the seeds: when it does not
        fit the budget as a reference, or was never one, its signature still does (the
        prompt leaves out the entries of the references it kept). Most functions a new
        one needs are used by none of the top hits, but many are retrieved lower down.
        """
        tallies: dict[str, _Tally] = {}
        seeds = [_Seed(h, n, self._file(h.chunk)) for n, h in enumerate(hits, 1)]

        def tally(chunk: Chunk, kind: MapKind, seed: _Seed) -> None:
            if chunk.id == seed.chunk.id or chunk.qualname == MODULE_QUALNAME:
                return
            if chunk.kind == "class" and kind == "callee":
                kind = "class"
            if chunk.id not in tallies:
                tallies[chunk.id] = _Tally(chunk, kind)
            elif kind == "exception":
                tallies[chunk.id].kind = kind
            tallies[chunk.id].use(seed.weight, seed.rank, seed.chunk.id)

        for seed in seeds:
            for kind, chunk in self._uses(seed):
                tally(chunk, kind, seed)
        if self.hops > 1:  # what the callees call, damped: the helpers of the helpers
            first = sorted(tallies.values(), key=lambda t: -t.score)[: self.follow]
            for t in first:
                if t.chunk.kind in ("class", "module"):
                    continue
                hop = _Seed(Hit(t.chunk, t.score), 1, self._file(t.chunk), SECOND_HOP * t.score)
                for kind, chunk in self._uses(hop):
                    tally(chunk, kind, hop)
        # A method's class header: for the seeds that are methods and the methods they call.
        wanted: list[tuple[_Seed, Chunk]] = []
        for seed in seeds:
            used = [t.chunk for t in tallies.values() if seed.chunk.id in t.users]
            wanted += [(seed, c) for c in [seed.chunk, *used] if _owner(c)]
        classes = self._definitions({_owner(c) for _, c in wanted})
        for seed, method in wanted:
            for cls in classes:
                if cls.qualname == _owner(method) and cls.source_key == method.source_key:
                    tally(cls, "class", seed)
        for rank, h in enumerate([*hits, *related], 1):
            chunk = h.chunk
            if chunk.kind == "module":
                continue
            if chunk.id not in tallies:
                shown: MapKind = "class" if chunk.kind == "class" else "retrieved"
                tallies[chunk.id] = _Tally(chunk, shown)
            tallies[chunk.id].use(RETRIEVED_WEIGHT / rank, rank, RETRIEVED)
        inits = self._inits([t.chunk for t in tallies.values() if t.chunk.kind == "class"])
        entries = [self._entry(t, inits) for t in tallies.values()]
        for seed in seeds:
            entry = self._imports(seed, seeds)
            if entry is not None:
                entries.append(entry)
        entries = _merge(entries, earlier)
        entries.sort(
            key=lambda e: (
                -e.score,
                _KIND_ORDER[e.kind],
                e.chunk.display_path,
                e.chunk.start_line,
            )
        )
        return entries

    def _definitions(self, qualnames: Iterable[str]) -> list[Chunk]:
        names = sorted(set(qualnames))
        if not names:
            return []
        try:
            return [c for c in self.lookup(names, ()) if c.qualname in names]
        except GencodeError as exc:  # a smaller map beats no answer
            logger.warning("could not look up definitions for the code map: %s", exc)
            return []

    def _uses(self, seed: _Seed) -> Iterable[tuple[MapKind, Chunk]]:
        """What one seed calls, constructs and raises, resolved to indexed definitions."""
        c = seed.chunk
        if c.kind == "module":
            return []
        node = _first_def(c.code)
        if node is None:
            return []
        preamble = seed.preamble
        head = preamble.code if preamble is not None else ""
        code = head + "\n\n" + textwrap.dedent(c.code)
        first_line = head.count("\n") + 3  # calls in the preamble are not the seed's
        self_classes: list[tuple[str, str]] = []
        targets: list[str] = list(_raised(node))
        owner = _owner(c)
        module = module_of(c.source_path)
        if owner:
            self_classes.append((owner, module))
            cls = seed.local(owner)
            if cls is not None:
                self_classes += [(b.qualname, module_of(b.source_path)) for b in self._mro(cls)]
        elif c.kind == "class":
            targets += _bases(c)
        resolved = resolve_calls(code, self.lookup, self_classes=self_classes, targets=targets)
        raised = set(_raised(node))
        out: list[tuple[MapKind, Chunk]] = []
        for r in resolved:
            if r.line and r.line < first_line:
                continue
            for chunk in self._pick(r, seed):
                kind: MapKind = (
                    "exception" if r.shown in raised and chunk.kind == "class" else "callee"
                )
                out.append((kind, chunk))
        return out

    def _bases_of(self, cls: Chunk) -> list[Chunk]:
        """The indexed classes ``cls`` names as its bases, resolved with its module's imports."""
        if cls.id not in self._base_cache:
            preamble = next((c for c in self._file(cls) if c.qualname == MODULE_QUALNAME), None)
            code = (preamble.code if preamble is not None else "") + "\n\n" + cls.code
            found = [
                b
                for r in self._resolve_targets(code, _bases(cls))
                for b in r.chunks
                if b.kind == "class" and (r.module is not None or b.source_key == cls.source_key)
            ]
            self._base_cache[cls.id] = found
        return self._base_cache[cls.id]

    def _mro(self, cls: Chunk) -> list[Chunk]:
        """``cls``'s indexed bases, theirs, and so on (left first, each once, at most
        :data:`MRO_DEPTH` levels): where an inherited ``self.m()`` is defined."""
        out: list[Chunk] = []
        seen = {cls.id}
        level = [cls]
        for _ in range(MRO_DEPTH):
            following: list[Chunk] = []
            for c in level:
                for base in self._bases_of(c):
                    if base.id not in seen:
                        seen.add(base.id)
                        out.append(base)
                        following.append(base)
            level = following
        return out

    def _resolve_targets(self, code: str, targets: Sequence[str]) -> list[Resolved]:
        if not targets:
            return []
        return [r for r in resolve_calls(code, self.lookup, targets=targets) if r.line == 0]

    def _pick(self, r: Resolved, seed: _Seed) -> list[Chunk]:
        """The definitions a call means: in the seed's own file for a name it neither
        imports nor defines; at most :data:`MAX_CANDIDATES` otherwise."""
        chunks = list(r.chunks)
        if r.module is None:
            chunks = [c for c in chunks if c.source_key == seed.chunk.source_key]
        chunks = _implementations(chunks)
        if len(chunks) > MAX_CANDIDATES:
            return []
        return chunks

    def _inits(self, classes: Sequence[Chunk], *, inherited: bool = True) -> dict[str, Chunk]:
        """``__init__`` of each class, from the class's own file, by class chunk id; for a
        class without one, the first its indexed bases define (:meth:`_mro`): shown without
        it, ``class mi(MathToken)`` reads as callable with no argument."""
        found = self._definitions(f"{c.qualname}.__init__" for c in classes)
        out: dict[str, Chunk] = {}
        for cls in classes:
            for c in found:
                if c.qualname == f"{cls.qualname}.__init__" and c.source_key == cls.source_key:
                    out[cls.id] = c
        mros = {c.id: self._mro(c) for c in classes if inherited and c.id not in out}
        bases = {b.id: b for mro in mros.values() for b in mro}
        if bases:  # one lookup for every base of every class that needs one
            theirs = self._inits(list(bases.values()), inherited=False)
            for cls_id, mro in mros.items():
                init = next((theirs[b.id] for b in mro if b.id in theirs), None)
                if init is not None:
                    out[cls_id] = init
        return out

    def _entry(self, t: _Tally, inits: dict[str, Chunk]) -> MapEntry:
        if t.chunk.kind == "class":
            lines = class_lines(t.chunk, inits.get(t.chunk.id))
        else:
            lines = function_lines(t.chunk)
        return MapEntry(t.chunk, t.kind, t.score, lines)

    def _imports(self, seed: _Seed, seeds: Sequence[_Seed]) -> MapEntry | None:
        """The import lines of a seed's module that bind what the module's seeds use; one
        entry per module, for its first seed, scored :data:`IMPORTS_WEIGHT` times the best
        of them."""
        preamble = seed.preamble
        same = [s for s in seeds if s.chunk.source_key == seed.chunk.source_key]
        if preamble is None or same[0] is not seed:
            return None
        used: set[str] = set()
        for s in same:
            node = _first_def(s.chunk.code)
            if node is not None:
                used |= _names_used(node)
        lines = import_lines(preamble, used)
        if not lines:
            return None
        score = IMPORTS_WEIGHT * max(s.weight for s in same)
        return MapEntry(preamble, "imports", score, imports_lines(preamble, lines))

    def entries_for(self, keys: Sequence[str], chunks: Sequence[Chunk]) -> list[MapEntry]:
        """Rebuild a thread's earlier entries (``kind:id`` keys, in their earlier order)
        from their chunks, scored :data:`EARLIER_WEIGHT` / position."""
        by_id = {c.id: c for c in chunks}
        kinds: dict[str, MapKind] = {
            "callee": "callee",
            "class": "class",
            "exception": "exception",
            "retrieved": "retrieved",
        }
        wanted: list[tuple[MapKind, Chunk]] = []
        for key in keys:
            kind, _, cid = key.partition(":")
            chunk = by_id.get(cid)
            if chunk is not None and kind in kinds:
                wanted.append((kinds[kind], chunk))
        inits = self._inits([c for _, c in wanted if c.kind == "class"])
        out = []
        for n, (kind, chunk) in enumerate(wanted, 1):
            tally = _Tally(chunk, kind, score=EARLIER_WEIGHT / n)
            out.append(self._entry(tally, inits))
        return out


def _implementations(chunks: Sequence[Chunk]) -> list[Chunk]:
    """One definition per file and name: ``@overload`` stubs and a property's setter are
    definitions of the same name; the last one not marked ``@overload`` is what runs."""
    by_name: dict[tuple[str, str], Chunk] = {}
    for c in sorted(chunks, key=lambda c: c.start_line):
        key = (c.source_key, c.qualname)
        if key in by_name and _is_overload(c) and not _is_overload(by_name[key]):
            continue
        by_name[key] = c
    return list(by_name.values())


def _is_overload(chunk: Chunk) -> bool:
    node = _first_def(chunk.code)
    return isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and any(
        ast.unparse(d).rsplit(".", 1)[-1] == "overload" for d in node.decorator_list
    )


def _merge(new: Sequence[MapEntry], earlier: Sequence[MapEntry]) -> list[MapEntry]:
    """The new question's entries with the thread's earlier ones: scores add up."""
    merged: dict[str, MapEntry] = {e.key: e for e in new}
    for e in earlier:
        if e.key in merged:
            m = merged[e.key]
            merged[e.key] = MapEntry(m.chunk, m.kind, m.score + e.score, m.lines)
        else:
            merged[e.key] = e
    return list(merged.values())
