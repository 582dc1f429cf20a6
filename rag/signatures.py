"""How an indexed function or class is really called, when its code says so for sure.

The verifier (:mod:`rag.verify`) binds an answer's calls to these signatures. A wrong
signature is worse than none: a false "missing argument" sends the model to "fix" a correct
call, and the repair request then hands it the wrong signature as the truth. Two things
make the ``def`` line a wrong guide:

* **Decorators.** ``@with_db def load_user(db, user_id)`` is called as ``load_user(42)``: the
  decorator injects ``db``. Only decorators known to keep the call signature
  (:data:`PRESERVING`: ``staticmethod``, ``classmethod``, ``functools.cache``/``lru_cache``,
  ``contextlib.contextmanager`` (which changes only what is returned), ``typing.overload``,
  ``abc.abstractmethod``…) are trusted; a function with any other decorator is *unknown*
  and its calls are not checked. ``property`` and friends are unknown too: they are not
  called with the ``def``'s arguments at all.
* **Constructors.** ``Point(1, 2)`` calls ``__init__``: the class's own (with its decorators
  checked as above), one a ``@dataclass`` writes from its fields (defaults, ``kw_only``,
  ``KW_ONLY``, ``field(init=False)``, ``InitVar``, ``ClassVar``, fields of dataclass bases
  first), a ``NamedTuple``'s fields, or, for a class without one, its single base's. Unknown
  when any of these is out of sight: an unknown class decorator, a metaclass, several
  bases, a base that is not indexed (it may define ``__init__``), an ``Enum`` (calling it
  looks a member up), ``__new__``.

The class's chunk (:func:`rag.chunking._class_outline`) keeps decorators, bases and field
lines in full and methods as signatures: all a constructor needs.
"""

from __future__ import annotations

import ast
import functools
import textwrap
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from .models import Chunk

Fetch = Callable[[Sequence[str]], list[Chunk]]
"""``qualnames -> chunks`` within the asker's scope (the store's ``definitions``)."""

PRESERVING = frozenset(
    {
        "staticmethod",
        "classmethod",
        "cache",
        "lru_cache",
        "wraps",
        "contextmanager",
        "asynccontextmanager",
        "overload",
        "final",
        "override",
        "abstractmethod",
        "singledispatch",
        "singledispatchmethod",
        "no_type_check",
        "deprecated",
        "register",
    }
)
"""Function decorators that keep how the function is called (a bare name, or one of
:data:`_STDLIB` dotted: ``functools.lru_cache``; ``atexit.register``)."""

CLASS_PRESERVING = frozenset({"dataclass", "total_ordering", "final", "runtime_checkable"})
"""Class decorators that leave the constructor to ``__init__`` (or to ``dataclass``)."""

_STDLIB = frozenset(
    {"functools", "contextlib", "typing", "typing_extensions", "abc", "atexit", "warnings"}
)
_DATACLASS_MODULES = frozenset({"dataclasses"})
_TRIVIAL_BASES = frozenset({"object", "Generic", "Protocol", "ABC"})
_ENUM_BASES = frozenset({"Enum", "IntEnum", "StrEnum", "Flag", "IntFlag", "ReprEnum"})
MAX_DEPTH = 5
"""Bases followed to find a constructor; deeper chains are left unknown."""


def dotted(node: ast.expr) -> str:
    """``functools.lru_cache`` for ``@functools.lru_cache(maxsize=2)``; "" if not a name."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Subscript):
        node = node.value
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return ""
    parts.append(node.id)
    return ".".join(reversed(parts))


def _trusted(name: str, allowed: frozenset[str], modules: frozenset[str]) -> bool:
    module, _, last = name.rpartition(".")
    return last in allowed and (not module or module in modules)


def signature_known(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether calls to ``fn`` bind to its ``def`` line: every decorator keeps it."""
    return all(_trusted(dotted(d), PRESERVING, _STDLIB) for d in fn.decorator_list)


def decorator_names(fn: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> set[str]:
    """The last part of each decorator's name (``classmethod``, ``lru_cache``)."""
    return {dotted(d).rpartition(".")[2] for d in fn.decorator_list}


@functools.lru_cache(maxsize=4096)
def parsed_function(code: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    node = _first(code)
    return node if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) else None


@functools.lru_cache(maxsize=4096)
def parsed_class(code: str) -> ast.ClassDef | None:
    node = _first(code)
    return node if isinstance(node, ast.ClassDef) else None


def _first(code: str) -> ast.stmt | None:
    try:
        tree = ast.parse(textwrap.dedent(code))
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        return None
    return tree.body[0] if tree.body else None


# -- constructors -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Param:
    name: str
    annotation: ast.expr | None
    default: ast.expr | None
    kw_only: bool


def _init(params: Sequence[_Param]) -> ast.FunctionDef | None:
    """``def __init__(self, ...)`` for parameters in field order (keyword-only ones last),
    or None where Python itself would refuse the class (a default before a non-default)."""
    positional = [p for p in params if not p.kw_only]
    kwonly = [p for p in params if p.kw_only]
    defaults = [p.default for p in positional if p.default is not None]
    if any(p.default is None for p in positional[len(positional) - len(defaults) :]):
        return None
    args = ast.arguments(
        posonlyargs=[],
        args=[ast.arg("self"), *(ast.arg(p.name, p.annotation) for p in positional)],
        vararg=None,
        kwonlyargs=[ast.arg(p.name, p.annotation) for p in kwonly],
        kw_defaults=[p.default for p in kwonly],
        kwarg=None,
        defaults=defaults,
    )
    fn = ast.FunctionDef(
        name="__init__", args=args, body=[ast.Pass()], decorator_list=[], returns=None
    )
    return ast.fix_missing_locations(ast.Module(body=[fn], type_ignores=[])).body[0]  # type: ignore[return-value]


def _constant(node: ast.expr | None) -> object:
    return node.value if isinstance(node, ast.Constant) else ...


def _dataclass_options(cls: ast.ClassDef) -> dict[str, object] | None:
    """The keywords of its ``@dataclass(...)`` (``{}`` when bare), or None if not one.
    A keyword that is not a literal makes it unknown (``...`` as its value)."""
    for d in cls.decorator_list:
        if _trusted(dotted(d), frozenset({"dataclass"}), _DATACLASS_MODULES):
            if isinstance(d, ast.Call):
                return {k.arg or "": _constant(k.value) for k in d.keywords}
            return {}
    return None


def _field_call(value: ast.expr | None) -> ast.Call | None:
    if isinstance(value, ast.Call) and _trusted(
        dotted(value), frozenset({"field"}), _DATACLASS_MODULES
    ):
        return value
    return None


def _annotation_kind(annotation: ast.expr) -> str:
    """``classvar``, ``initvar``, ``kw_only`` (the ``KW_ONLY`` marker) or ``field``."""
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        text = annotation.value.strip()
        head = text.split("[", 1)[0].rpartition(".")[2]
    else:
        head = dotted(annotation).rpartition(".")[2]
    return {"ClassVar": "classvar", "InitVar": "initvar", "KW_ONLY": "kw_only"}.get(head, "field")


def _own_fields(cls: ast.ClassDef, kw_only_default: bool) -> list[_Param] | None:
    """The ``__init__`` parameters a dataclass's own body declares, in order."""
    out: list[_Param] = []
    kw_only = kw_only_default
    for stmt in cls.body:
        if not isinstance(stmt, ast.AnnAssign) or not isinstance(stmt.target, ast.Name):
            continue
        kind = _annotation_kind(stmt.annotation)
        if kind == "classvar":
            continue
        if kind == "kw_only":
            kw_only = True
            continue
        default = stmt.value
        this_kw_only = kw_only
        call = _field_call(stmt.value)
        if call is not None:
            options = {k.arg: k.value for k in call.keywords if k.arg}
            if any(k.arg is None for k in call.keywords):
                return None  # field(**options): cannot tell
            if _constant(options.get("init")) is False:
                continue
            if "kw_only" in options:
                flag = _constant(options["kw_only"])
                if not isinstance(flag, bool):
                    return None
                this_kw_only = flag
            if "default" in options:
                default = options["default"]
            elif "default_factory" in options:
                default = ast.Call(options["default_factory"], [], [])
            else:
                default = None
        out.append(_Param(stmt.target.id, stmt.annotation, default, this_kw_only))
    return out


def _bases(cls: ast.ClassDef) -> list[str] | None:
    """Dotted names of the bases that may matter, or None if one cannot be named."""
    out = []
    for base in cls.bases:
        name = dotted(base)
        if not name:
            return None
        if name.rpartition(".")[2] not in _TRIVIAL_BASES:
            out.append(name)
    return out


class Constructors:
    """Resolves the ``__init__`` a call to an indexed class binds against.

    ``known`` are chunks already fetched for the answer (classes and their ``__init__``);
    ``fetch`` is asked, a bounded number of times, for base classes not among them.
    Results are kept for the life of the object (one answer's checks).
    """

    def __init__(
        self,
        known: Sequence[Chunk],
        fetch: Fetch,
        *,
        asked: Iterable[str] = (),
        max_fetches: int = 8,
    ) -> None:
        self.by_name: dict[str, list[Chunk]] = {}
        self.fetched: set[str] = set(asked)
        """Names already looked up (found or not): never asked again."""
        self.fetch = fetch
        self.fetches_left = max_fetches
        self._memo: dict[str, ast.FunctionDef | ast.AsyncFunctionDef | None] = {}
        self._add(known)

    def _add(self, chunks: Sequence[Chunk]) -> None:
        for chunk in chunks:
            self.by_name.setdefault(chunk.qualname, []).append(chunk)

    def _named(self, name: str) -> list[Chunk]:
        if name not in self.by_name and name not in self.fetched and self.fetches_left > 0:
            self.fetches_left -= 1
            self.fetched |= {name, f"{name}.__init__"}
            self._add(self.fetch([name, f"{name}.__init__"]))
        return self.by_name.get(name, [])

    def init_of(
        self, chunk: Chunk, depth: int = 0
    ) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        """``__init__`` (``self`` first) for a class chunk, or None when not known for sure."""
        if chunk.id not in self._memo:
            self._memo[chunk.id] = None  # a cycle of bases ends unknown
            self._memo[chunk.id] = self._resolve(chunk, depth)
        return self._memo[chunk.id]

    def _resolve(self, chunk: Chunk, depth: int) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        cls = parsed_class(chunk.code)
        if cls is None or depth > MAX_DEPTH or cls.keywords:  # metaclass=…: out of sight
            return None
        if not all(
            _trusted(dotted(d), CLASS_PRESERVING, _STDLIB | _DATACLASS_MODULES)
            for d in cls.decorator_list
        ):
            return None
        bases = _bases(cls)
        if bases is None or any(b.rpartition(".")[2] in _ENUM_BASES for b in bases):
            return None
        methods = {
            s.name for s in cls.body if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        if "__init__" in methods:
            return self._explicit_init(chunk)
        if "__new__" in methods:
            return None
        options = _dataclass_options(cls)
        if options is not None:
            return self._dataclass_init(chunk, cls, options, bases, depth)
        if [b.rpartition(".")[2] for b in bases] == ["NamedTuple"]:
            fields = _own_fields(cls, kw_only_default=False)
            return _init(fields) if fields is not None else None
        if len(bases) != 1:  # none: object's; several: the MRO decides, left unknown
            return None
        base = self._base(chunk, bases[0])
        return self.init_of(base, depth + 1) if base is not None else None

    def _explicit_init(self, chunk: Chunk) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        inits = [
            c
            for c in self._named(f"{chunk.qualname}.__init__")
            if c.source_path == chunk.source_path
        ]
        fn = parsed_function(inits[0].code) if inits else None
        return fn if fn is not None and signature_known(fn) else None

    def _dataclass_init(
        self,
        chunk: Chunk,
        cls: ast.ClassDef,
        options: dict[str, object],
        bases: list[str],
        depth: int,
    ) -> ast.FunctionDef | None:
        init, kw_only = options.get("init", True), options.get("kw_only", False)
        if init is not True or not isinstance(kw_only, bool):
            return None  # init=False (object's or a base's), or options not literal
        fields: dict[str, _Param] = {}
        for name in reversed(bases):  # like dataclasses: the MRO's far end first
            base = self._base(chunk, name)
            inherited = self._dataclass_fields(base, depth + 1) if base else None
            if inherited is None:
                return None
            fields.update((p.name, p) for p in inherited)
        own = _own_fields(cls, kw_only)
        if own is None:
            return None
        fields.update((p.name, p) for p in own)
        return _init(list(fields.values()))

    def _dataclass_fields(self, chunk: Chunk, depth: int) -> list[_Param] | None:
        """A base's fields as a dataclass subclass inherits them ([] for a plain class)."""
        cls = parsed_class(chunk.code)
        if cls is None or depth > MAX_DEPTH:
            return None
        options = _dataclass_options(cls)
        if options is None:
            return [] if _bases(cls) == [] else None  # a plain base of its own: no fields
        kw_only = options.get("kw_only", False)
        bases = _bases(cls)
        if bases is None or not isinstance(kw_only, bool):
            return None
        fields: dict[str, _Param] = {}
        for name in reversed(bases):
            base = self._base(chunk, name)
            inherited = self._dataclass_fields(base, depth + 1) if base else None
            if inherited is None:
                return None
            fields.update((p.name, p) for p in inherited)
        own = _own_fields(cls, kw_only)
        if own is None:
            return None
        fields.update((p.name, p) for p in own)
        return list(fields.values())

    def _base(self, chunk: Chunk, name: str) -> Chunk | None:
        """The indexed class a base name means: in the same file first, else the only one."""
        last = name.rpartition(".")[2]
        candidates = (
            [c for c in [*self._named(last), *self._named(name)] if c.kind == "class"]
            if name != last
            else [c for c in self._named(last) if c.kind == "class"]
        )
        here = [c for c in candidates if c.source_path == chunk.source_path]
        unique = {c.id: c for c in (here or candidates)}
        return next(iter(unique.values())) if len(unique) == 1 else None


def constructor_text(chunk: Chunk, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    """``Point(x: int, y: int=0)``: how to call the class, for the repair request."""
    args = fn.args
    shown = ast.arguments(
        posonlyargs=args.posonlyargs[1:] if args.posonlyargs else [],
        args=args.args[1:] if not args.posonlyargs else args.args,
        vararg=args.vararg,
        kwonlyargs=args.kwonlyargs,
        kw_defaults=args.kw_defaults,
        kwarg=args.kwarg,
        defaults=args.defaults,
    )
    return f"{chunk.qualname}({ast.unparse(shown)})"
