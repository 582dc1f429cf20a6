"""Check the Python in an answer before anyone copies it, and have the model repair it once.

Four checks run on every Python code block of a model's answer:

1. **It parses** (``ast``). A fragment is handled, not flagged: a block indented as a
   whole is dedented first, and ``return``/``await``/``yield`` outside a function are fine.
2. **Static checks** (pyflakes): undefined names, names used before assignment, imports
   shadowed before use (errors), unused imports (a warning, never a failure). Pyflakes
   rather than ruff: it is pure Python and under 1 MB, where ruff is a ~30 MB binary, and
   the Lambda bundle is already near its 250 MB limit (infra/README.md).
3. **Calls to the team's functions** are bound to the indexed function's real signature
   (parsed from its code with ``ast``): positional and keyword arguments, defaults,
   ``*args``/``**kwargs``, keyword-only and positional-only parameters, ``self`` for a
   method called on an instance or a constructor. A call resolves through the answer's
   imports (``from billing.orders import f``, ``import billing.orders as o; o.f()``); a
   module ``billing.orders`` is the file ``billing/orders.py`` (or ``orders.py``, or
   ``src/billing/orders.py``: the shorter dotted path must be a suffix of the longer).
4. **Imports** that are neither standard library, installed here (or named in a
   ``pip install`` line of the answer), nor indexed are *listed*: they may be real packages.

"Looks like a team helper but is not indexed" is reported (as ``not-found``) only in two
cases, to stay quiet about code we cannot know:

* a bare call to a name the answer never defines or imports and that is not a builtin
  (``compute_order_totl(order)``): the answer treats it as existing team code;
* a name imported from (or called as an attribute of) a module whose file *is* indexed,
  when that file does not define it. If the name is indexed in another file, the finding
  says where (``wrong-module``).

Calls on objects whose class the answer does not make visible (``self.x()``,
``client.send()``) are not checked, and a method the index lacks is never reported (it may
be inherited). Names an answer defines in one block are known to its
other blocks. Undefined plain names are taken as context the reader supplies (``order``,
``db``) in a fragment (a block with no top-level import, ``def`` or ``class``) and in a
program's top-level statements; they are errors inside a function or class body, and at
top level when used as a standard-library module (``json.dumps`` without ``import json``).
Calls to undefined names are always checked as above.

:func:`answer_checked` runs the generator, the checks and, when an error is found, one
repair request with the exact findings; the repaired answer is checked again and never
repaired twice.
"""

from __future__ import annotations

import ast
import bisect
import builtins
import difflib
import functools
import importlib.util
import logging
import re
import sys
import textwrap
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from pyflakes import checker as pyflakes_checker
from pyflakes import messages as pyflakes_messages

from .chunking import MODULE_QUALNAME
from .errors import GencodeError
from .generate import Generator, TextCallback
from .models import Answer, Chunk, CodeBlock, Finding, Hit, Turn, Verdict, Verification
from .signatures import (
    Constructors,
    constructor_text,
    decorator_names,
    parsed_function,
    signature_known,
)

if TYPE_CHECKING:
    from .codemap import CodeMap

logger = logging.getLogger(__name__)

Lookup = Callable[[Sequence[str], Sequence[str]], list[Chunk]]
"""``(qualnames, paths) -> chunks``: the store's ``definitions`` within the asker's scope."""

PYTHON_TAGS = frozenset({"python", "py", "python3", "py3"})
_PIP_INSTALL = re.compile(r"pip3?\s+install\s+([^\n`]+)")
_BUILTINS = frozenset(dir(builtins)) | {"__file__", "__name__", "__doc__"}
LOOKUP_BATCH = 100
"""Names (and paths) per store lookup: the stores answer at most 500 of each."""
_PROMPT = re.compile(r"^(>>>|\.\.\.)( |$)")


# -- parsing ------------------------------------------------------------------------------


@dataclass
class _Block:
    number: int
    code: str
    tree: ast.Module | None = None
    fragment: bool = False
    syntax: Finding | None = None
    nodes: list[ast.AST] = field(default_factory=list)
    """Every node of ``tree``, walked once: the checks below read it many times."""


def _console(code: str) -> str:
    """An interactive session (``>>> f(1)`` then its output) as the code typed in it; output
    lines become blank so line numbers still match the block."""
    return "".join(
        line[4:] if _PROMPT.match(line) else "\n" for line in code.splitlines(keepends=True)
    )


def _parse(number: int, code: str) -> _Block:
    """Parse a block as written, else dedented: a method body quoted on its own is fine."""
    first: SyntaxError | None = None
    if code.lstrip().startswith(">>>"):
        code = _console(code)
    for text in (code, textwrap.dedent(code)):
        try:
            tree = ast.parse(text)
        except SyntaxError as exc:
            first = first or exc
            continue
        except (RecursionError, MemoryError):  # a.b.b.b… thousands deep: CPython gives up too
            return _Block(number, code, syntax=_too_deep(number, "compile"))
        program = any(
            isinstance(s, ast.Import | ast.ImportFrom | ast.FunctionDef | ast.AsyncFunctionDef)
            or isinstance(s, ast.ClassDef)
            for s in tree.body
        )
        return _Block(number, text, tree, fragment=not program, nodes=list(ast.walk(tree)))
    assert first is not None
    return _Block(
        number,
        code,
        syntax=Finding(
            "syntax", line=first.lineno or 1, block=number, detail=(first.msg or "invalid syntax",)
        ),
    )


def _too_deep(block: int, stage: str) -> Finding:
    """The verdict for code nested past what Python's parser (``compile``) or the checks
    (``check``: pyflakes recurses once per level) can follow: a finding, not a crash, so the
    answer still says what its check found."""
    return Finding("too-deep", line=1, block=block, detail=(stage,))


def _bound_names(tree: ast.Module) -> set[str]:
    """Names a block binds at its top level: what its other blocks may use."""
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for a in node.names:
                names.add(a.asname or a.name.split(".")[0])
        else:
            for sub in ast.walk(node):
                if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                    names.add(sub.id)
    return names


def _used_names(nodes: list[ast.AST]) -> set[str]:
    return {n.id for n in nodes if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _defined_anywhere(nodes: list[ast.AST]) -> set[str]:
    """Every function and class name a block defines, at any depth."""
    return {
        n.name
        for n in nodes
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    }


def _import_bindings(nodes: list[ast.AST]) -> dict[int, set[str]]:
    """Line -> the names the imports on that line bind, at any depth, in one pass (looked
    up once per pyflakes message: a search per message would be quadratic in the block)."""
    out: dict[int, set[str]] = {}
    for node in nodes:
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = out.setdefault(node.lineno, set())
            for a in node.names:
                if isinstance(node, ast.Import):
                    names.add(a.asname or a.name.split(".")[0])
                else:
                    names.add(a.asname or a.name)
    return out


_IDENTIFIER = re.compile(r"[^\W\d]\w*")


def _words(code: str) -> set[str]:
    """Every identifier-like word of a block's text: a superset of the names pyflakes can
    look up in it (string annotations included)."""
    return set(_IDENTIFIER.findall(code))


class _Spans:
    """Is a line inside some function or class body? Sorted, merged spans and a bisect:
    asked once per undefined name, so a scan of every body each time would be quadratic."""

    def __init__(self, spans: list[tuple[int, int]]) -> None:
        merged: list[tuple[int, int]] = []
        for start, end in sorted(spans):
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        self.starts = [start for start, _ in merged]
        self.ends = [end for _, end in merged]

    def __contains__(self, line: int) -> bool:
        i = bisect.bisect_right(self.starts, line) - 1
        return i >= 0 and line <= self.ends[i]


def _static(
    block: _Block, others: set[str], used_elsewhere: set[str]
) -> tuple[list[Finding], set[str]]:
    """Pyflakes on one block; names bound by the answer's other blocks count as defined.

    ``others`` needs to hold only the names this block could use (see :func:`_words`):
    pyflakes copies it into a binding per name for every block, so passing every name of
    every other block made the checks quadratic in the number of blocks. Likewise,
    ``used_elsewhere`` needs only this block's imported names.

    Returns the findings and every name pyflakes found undefined (calls among them are
    checked against the index next).
    """
    assert block.tree is not None
    try:
        checker = pyflakes_checker.Checker(block.tree, filename="answer.py", builtins=others)
    except RecursionError:
        return [_too_deep(block.number, "check")], set()
    found = checker.messages
    imported = _import_bindings(block.nodes)
    out: list[Finding] = []
    undefined: set[str] = set()
    called = {
        n.func.id for n in block.nodes if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
    }
    bodies = _Spans(
        [
            (n.lineno, n.end_lineno or n.lineno)
            for n in block.nodes
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        ]
    )
    module_bases = {
        n.value.id
        for n in block.nodes
        if isinstance(n, ast.Attribute)
        and isinstance(n.value, ast.Name)
        and n.value.id in sys.stdlib_module_names
    }
    for m in found:
        line = int(m.lineno)
        if isinstance(m, pyflakes_messages.UndefinedName):
            name = str(m.message_args[0])
            undefined.add(name)
            if name in called or block.fragment:
                continue  # calls go to the team-function check; fragments have context
            if line not in bodies and name not in module_bases:
                continue  # script-level code uses the reader's variables (order, db)
            out.append(Finding("undefined", line, block.number, name=name))
        elif isinstance(m, pyflakes_messages.UndefinedLocal):
            out.append(Finding("before-assignment", line, block.number, str(m.message_args[0])))
        elif isinstance(
            m, pyflakes_messages.ImportShadowedByLoopVar | pyflakes_messages.RedefinedWhileUnused
        ):
            name, orig = str(m.message_args[0]), m.message_args[1]
            first = int(getattr(orig, "lineno", orig))
            # A redefinition shadows an import only if what came first was an import.
            loop = isinstance(m, pyflakes_messages.ImportShadowedByLoopVar)
            if loop or name in imported.get(first, ()):
                out.append(Finding("shadowed-import", line, block.number, name, (str(first),)))
        elif isinstance(m, pyflakes_messages.UnusedImport):
            if imported.get(line, set()) & used_elsewhere:
                continue
            out.append(
                Finding(
                    "unused-import", line, block.number, str(m.message_args[0]), severity="warning"
                )
            )
    return out, undefined


# -- calls ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Call:
    node: ast.Call
    block: int
    qualname: str
    """What to look up: ``f``, ``Class.method``, or ``Class`` for a constructor."""
    shown: str
    """How the answer wrote it, for messages."""
    module: str | None
    """The module the answer says it comes from; None for a bare undefined name."""
    bound: bool = False
    """Called on an instance (``x.method()``): ``self`` is already given."""
    helper: bool = False
    """A bare call to a name defined nowhere: report it when nothing indexed matches."""


def _dotted(node: ast.expr) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


@dataclass
class _Imports:
    modules: dict[str, str] = field(default_factory=dict)
    """Local dotted name -> module: ``o`` -> ``billing.orders``; ``billing.orders`` -> itself."""
    names: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Local name -> (module, name in it): ``from billing.orders import f as g``."""
    all_modules: set[str] = field(default_factory=set)

    def add(self, nodes: list[ast.AST]) -> None:
        for node in nodes:
            if isinstance(node, ast.Import):
                for a in node.names:
                    self.all_modules.add(a.name)
                    if a.asname:
                        self.modules[a.asname] = a.name
                    else:
                        parts = a.name.split(".")
                        for i in range(1, len(parts) + 1):
                            self.modules[".".join(parts[:i])] = ".".join(parts[:i])
            elif isinstance(node, ast.ImportFrom):
                module = "." * node.level + (node.module or "")
                self.all_modules.add(module)
                for a in node.names:
                    if a.name != "*":
                        self.names[a.asname or a.name] = (module, a.name)


def _calls(block: _Block, imports: _Imports, undefined: set[str], own: set[str]) -> list[_Call]:
    assert block.tree is not None
    instances: dict[str, tuple[str, str | None]] = {}
    """``x = C(...)``: local name -> (class qualname, module)."""
    for node in block.nodes:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Call)
        ):
            target = _target(node.value.func, imports, undefined, own)
            if target is not None:
                instances[node.targets[0].id] = (target[0], target[1])
    out: list[_Call] = []
    for node in block.nodes:
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        shown = _dotted(func)
        if shown is None:
            continue
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            base = func.value.id
            if base in instances and base not in imports.modules:
                cls, module = instances[base]
                out.append(_Call(node, block.number, f"{cls}.{func.attr}", shown, module, True))
                continue
        target = _target(func, imports, undefined, own)
        if target is not None:
            qualname, module, helper = target
            out.append(_Call(node, block.number, qualname, shown, module, helper=helper))
    return out


def _target(
    func: ast.expr, imports: _Imports, undefined: set[str], own: set[str]
) -> tuple[str, str | None, bool] | None:
    """``(qualname, module, helper)`` to look up for a call's function, or None."""
    if isinstance(func, ast.Name):
        if func.id in imports.names:
            module, name = imports.names[func.id]
            return name, module, False
        if func.id in undefined and func.id not in own and func.id not in _BUILTINS:
            return func.id, None, True
        return None
    if not isinstance(func, ast.Attribute):
        return None
    base = _dotted(func.value)
    if base is None:
        return None
    if base in imports.modules:
        return func.attr, imports.modules[base], False
    if base in imports.names:  # Class.method on an imported class
        module, name = imports.names[base]
        return f"{name}.{func.attr}", module, False
    return None


# -- modules and signatures ---------------------------------------------------------------


def module_of(path: str) -> str:
    """``billing/orders.py`` -> ``billing.orders``; ``pkg/__init__.py`` -> ``pkg``."""
    stem = path.replace("\\", "/").removesuffix(".py").removesuffix("/__init__")
    return stem.strip("/").replace("/", ".")


def module_matches(path: str, module: str) -> bool:
    """The shorter dotted name is a suffix of the longer (files shared as ``orders.py``)."""
    if module.startswith("."):
        module = module.lstrip(".")
        if not module:
            return False
    a, b = module_of(path).split("."), module.split(".")
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    return long[len(long) - len(short) :] == short


def module_within(path: str, package: str) -> bool:
    """The file is inside ``package`` (a package re-exports its submodules' names):
    ``astroid/nodes/node_classes.py`` is within ``astroid.nodes`` (and ``.nodes``)."""
    parts = module_of(path).split(".")
    return any(module_matches("/".join(parts[:i]) + ".py", package) for i in range(1, len(parts)))


def candidate_paths(module: str) -> list[str]:
    """Paths a module's file may be indexed under (suffixes of its dotted name, src/ too)."""
    parts = module.lstrip(".").split(".")
    if not parts or not parts[0]:
        return []
    out = []
    for i in range(len(parts)):
        stem = "/".join(parts[i:])
        out += [f"{stem}.py", f"{stem}/__init__.py"]
    out += [f"src/{'/'.join(parts)}.py", f"src/{'/'.join(parts)}/__init__.py"]
    return out


@functools.cache
def installed(top: str) -> bool:
    """Whether a top-level module can be imported here (looked up once per process)."""
    try:
        return importlib.util.find_spec(top) is not None
    except (ImportError, ValueError):
        return False


_STDLIB_HINT_MODULES = (
    "pathlib", "operator", "collections", "itertools", "functools", "datetime", "dataclasses",
    "typing", "json", "os", "re", "time", "math", "random", "decimal", "uuid", "hashlib",
    "shutil", "subprocess", "tempfile", "textwrap", "contextlib", "enum", "logging", "asyncio",
    "csv", "io", "urllib.parse", "concurrent.futures", "statistics", "copy", "base64",
    "threading", "heapq", "bisect",
)  # fmt: skip


@functools.cache
def stdlib_exports() -> dict[str, str]:
    """Public names of common standard-library modules (``Path`` -> ``pathlib``): a call
    to one of them, undefined in the answer, is a missing import, not a missing helper."""
    out: dict[str, str] = {}
    for name in _STDLIB_HINT_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        for export in getattr(module, "__all__", ()):
            out.setdefault(str(export), name)
    return out


def bind(
    fn: ast.FunctionDef | ast.AsyncFunctionDef, call: ast.Call, *, drop_first: bool
) -> list[tuple[str, tuple[str, ...]]]:
    """Python's own argument binding, on the signature alone: ``(kind, detail)`` problems."""
    a = fn.args
    positional = [p.arg for p in a.posonlyargs + a.args]
    posonly = {p.arg for p in a.posonlyargs}
    n_defaults = len(a.defaults)
    required = positional[: len(positional) - n_defaults]
    if drop_first and positional:
        dropped = positional[0]
        positional = positional[1:]
        required = [p for p in required if p != dropped]
        posonly.discard(dropped)
    kwonly = [p.arg for p in a.kwonlyargs]
    kw_required = [p.arg for p, d in zip(a.kwonlyargs, a.kw_defaults, strict=True) if d is None]
    starred = any(isinstance(x, ast.Starred) for x in call.args)
    double = any(k.arg is None for k in call.keywords)
    given = len(call.args)
    problems: list[tuple[str, tuple[str, ...]]] = []
    if not starred and a.vararg is None and given > len(positional):
        low, high = len(required), len(positional)
        expected = str(high) if low == high else f"{low}–{high}"
        problems.append(("arg-count", (expected, str(given))))
    bound = set(positional[:given]) if not starred else set()
    for k in call.keywords:
        if k.arg is None:
            continue
        if k.arg in posonly:  # never binds by name: an error, or one more **kwargs entry
            if a.kwarg is None:
                problems.append(("bad-keyword", (k.arg, "")))
        elif k.arg in positional or k.arg in kwonly:
            if k.arg in bound:
                problems.append(("duplicate-arg", (k.arg,)))
            bound.add(k.arg)
        elif a.kwarg is None:
            close = difflib.get_close_matches(k.arg, positional + kwonly, n=1)
            problems.append(("bad-keyword", (k.arg, close[0] if close else "")))
    if not starred and not double and not problems:
        missing = [p for p in required + kw_required if p not in bound]
        if missing:
            problems.append(("missing-arg", tuple(missing)))
    return problems


def _bind_any(
    call: _Call, here: list[Chunk], constructors: Constructors
) -> list[tuple[str, tuple[str, ...]]] | None:
    """The problems binding against the first candidate, ``[]`` if any one binds, or None
    when no candidate's signature is known for sure (:mod:`rag.signatures`)."""
    first: list[tuple[str, tuple[str, ...]]] | None = None
    for chunk in here:
        drop = call.bound
        if chunk.kind == "class":  # a constructor: bind against __init__, minus self
            fn = constructors.init_of(chunk)
            drop = True
        else:
            fn = parsed_function(chunk.code)
            if fn is not None and not signature_known(fn):
                fn = None  # @with_db and the like change how it is called
        if fn is None:
            continue
        decorators = decorator_names(fn)
        if chunk.kind != "class" and "classmethod" in decorators:
            drop = True
        elif chunk.kind != "class" and "staticmethod" in decorators:
            drop = False
        problems = bind(fn, call.node, drop_first=drop)
        if not problems:
            return []
        first = first if first is not None else problems
    return first


# -- resolving calls to indexed definitions -------------------------------------------------


def _wanted(calls: Sequence[_Call], imports: _Imports) -> tuple[set[str], set[str], list[str]]:
    """``(team modules, qualnames, paths)`` to look up for ``calls``: each name, its
    ``__init__`` (a constructor), and for ``mod.f`` on ``from pkg import mod`` also ``f``."""
    modules = {
        m
        for m in imports.all_modules
        if m.startswith(".") or m.split(".")[0] not in sys.stdlib_module_names
    }
    qualnames: set[str] = set()
    for c in calls:
        qualnames |= {c.qualname, f"{c.qualname}.__init__"}
        if c.module is not None and "." in c.qualname and not c.bound:
            head, tail = c.qualname.split(".", 1)
            qualnames |= {tail, f"{tail}.__init__"}
            modules.add(f"{c.module}.{head}" if c.module.strip(".") else f"{c.module}{head}")
    paths = [p for m in sorted(modules) for p in candidate_paths(m)]
    return modules, qualnames, paths


def _found(found: Sequence[Chunk], modules: set[str]) -> tuple[set[str], dict[str, list[Chunk]]]:
    """The modules among ``modules`` that are indexed, and the definitions found by name."""
    indexed = {m for m in modules if any(module_matches(c.source_path, m) for c in found)}
    by_name: dict[str, list[Chunk]] = {}
    for chunk in found:
        if chunk.qualname != MODULE_QUALNAME:
            by_name.setdefault(chunk.qualname, []).append(chunk)
    return indexed, by_name


def _in_module(call_module: str, everywhere: Sequence[Chunk], indexed: set[str]) -> list[Chunk]:
    here = [c for c in everywhere if module_matches(c.source_path, call_module)]
    if not here:  # a package re-exporting its submodules' names (``from pkg import C``)
        here = [c for c in everywhere if module_within(c.source_path, call_module)]
    if not here and everywhere and call_module not in indexed:
        here = list(everywhere)  # a module path laid out differently from the index
    return here


def _candidates(call: _Call, by_name: dict[str, list[Chunk]], indexed: set[str]) -> list[Chunk]:
    """The indexed definitions a call may bind to (one call, one name, many files)."""
    everywhere = by_name.get(call.qualname, [])
    if call.module is None:
        return everywhere
    here = _in_module(call.module, everywhere, indexed)
    if not here and "." in call.qualname and not call.bound:
        # ``from billing import orders; orders.total()``: ``orders`` is a module, not a class
        head, tail = call.qualname.split(".", 1)
        sub = f"{call.module}.{head}" if call.module.strip(".") else f"{call.module}{head}"
        if sub in indexed:
            here = _in_module(sub, by_name.get(tail, []), indexed)
    return here


@dataclass(frozen=True)
class Resolved:
    """A name used in a piece of code and the indexed definitions it resolves to."""

    shown: str
    """How the code wrote it: ``util.safe_infer``, ``self.infer``, ``ParseError``."""
    qualname: str
    """What was looked up: ``safe_infer``, ``Class.method``, ``Class``."""
    module: str | None
    """The module the code imports it from; None for a name the code neither imports nor
    defines (in a file's own function, a definition of that same file)."""
    line: int
    chunks: tuple[Chunk, ...]


def resolve_calls(
    code: str,
    lookup: Lookup,
    *,
    self_classes: Sequence[tuple[str, str]] = (),
    targets: Sequence[str] = (),
) -> list[Resolved]:
    """The calls in ``code`` resolved to indexed definitions, as the checker resolves them.

    One lookup through ``lookup`` (the store's scoped ``definitions``), the same imports
    (``code`` should start with its module's import lines), the same rules for modules,
    packages and constructors. Two additions for code that is itself indexed, for
    :mod:`rag.codemap`: ``self.m()`` and ``cls.m()`` resolve to ``C.m`` for each
    ``(C, module)`` of ``self_classes`` in order (a class, then its bases); and each
    expression of ``targets`` (a base class, a raised exception) resolves as if called.
    Unresolved calls are left out; a failed lookup resolves nothing.
    """
    block = _parse(1, code)
    if block.tree is None:
        return []
    imports = _Imports()
    imports.add(block.nodes)
    _, undefined = _static(block, set(), set())
    own = _defined_anywhere(block.nodes)
    calls = _calls(block, imports, undefined, own)
    for expr in targets:
        try:
            named = ast.parse(expr, mode="eval").body
        except SyntaxError:
            continue
        target = _target(named, imports, undefined | {_root_name(named)} - own, own)
        if target is not None:
            fake = ast.Call(func=named, args=[], keywords=[], lineno=0, col_offset=0)
            calls.append(_Call(fake, 1, target[0], expr, target[1], helper=target[2]))
    methods: list[_Call] = []
    for node in block.nodes:
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id in ("self", "cls")
        ):
            shown = f"{func.value.id}.{func.attr}"
            for cls, module in self_classes:
                methods.append(_Call(node, 1, f"{cls}.{func.attr}", shown, module, bound=True))
    modules, qualnames, paths = _wanted(calls + methods, imports)
    try:
        found = lookup(sorted(qualnames), paths) if qualnames else []
    except GencodeError as exc:
        logger.warning("could not look up definitions to resolve calls: %s", exc)
        return []
    indexed, by_name = _found(found, modules | {m for _, m in self_classes})
    out: list[Resolved] = []
    done: set[tuple[int, int, str]] = set()
    for call in calls + methods:
        where = (call.node.lineno, call.node.col_offset, call.shown)
        if where in done:
            continue  # ``self.m()``: the first class of self_classes that defines m wins
        here = _candidates(call, by_name, indexed)
        if here:
            done.add(where)
            out.append(
                Resolved(call.shown, call.qualname, call.module, call.node.lineno, tuple(here))
            )
    return out


def _root_name(node: ast.expr) -> str:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else ""


def signature_text(chunk: Chunk) -> str:
    """``qualname(params) -> returns``: how the checker and the code map show a signature,
    so the signature in a repair request is the one the code map showed."""
    c = chunk
    params = c.signature.split(c.name, 1)[-1] if c.name in c.signature else c.signature
    return f"{c.qualname}{params}"


# -- the checker --------------------------------------------------------------------------


@dataclass
class Verifier:
    """Checks answers against the functions one conversation may see (``lookup``)."""

    lookup: Lookup

    def check(self, answer_text: str, blocks: Sequence[CodeBlock]) -> Verification:
        started = time.perf_counter()
        parsed: list[_Block] = []
        for block in blocks:
            tag = block.language.lower()
            if tag in PYTHON_TAGS:
                parsed.append(_parse(len(parsed) + 1, block.code))
            elif not tag:  # untagged: Python only if it parses as Python
                candidate = _parse(len(parsed) + 1, block.code)
                if candidate.tree is not None:
                    parsed.append(candidate)
        if not parsed:
            return Verification("no_code", seconds=time.perf_counter() - started)
        findings: list[Finding] = [b.syntax for b in parsed if b.syntax]
        good = [b for b in parsed if b.tree is not None]
        bound = {b.number: _bound_names(b.tree) for b in good if b.tree}
        used = {b.number: _used_names(b.nodes) for b in good}
        bound_by = Counter(name for names in bound.values() for name in names)
        used_by = Counter(name for names in used.values() for name in names)
        own: set[str] = set()
        imports = _Imports()
        for b in good:
            own |= _defined_anywhere(b.nodes)
            imports.add(b.nodes)
        calls: list[_Call] = []
        for b in good:
            # Names bound (or used) by *another* block: counted once per block, so each
            # block's share is found in time linear in its own size.
            mine, uses = bound[b.number], used[b.number]
            others = {w for w in _words(b.code) if bound_by[w] > (w in mine)}
            imported = set().union(*_import_bindings(b.nodes).values())
            used_elsewhere = {n for n in imported if used_by[n] > (n in uses)}
            static, undefined = _static(b, others, used_elsewhere)
            findings += static
            calls += _calls(b, imports, undefined, own)
        matched, more, team_modules = self._check_calls(calls, imports)
        findings += more
        unknown = self._unknown_imports(imports, team_modules, answer_text)
        findings.sort(key=lambda f: (f.block, f.line))
        errors = any(f.severity == "error" for f in findings)
        return Verification(
            "failing" if errors else "verified",
            findings=tuple(findings),
            blocks=len(parsed),
            calls_matched=matched,
            unknown_imports=unknown,
            seconds=time.perf_counter() - started,
        )

    def _find(self, qualnames: Sequence[str], paths: Sequence[str] = ()) -> list[Chunk]:
        """``lookup`` in batches: the stores answer at most 500 names (and rows) at a time,
        and a name cut off would come back as a false "not found"."""
        names, files = sorted(set(qualnames)), sorted(set(paths))
        out: list[Chunk] = []
        for i in range(0, max(len(names), len(files)), LOOKUP_BATCH):
            out += self.lookup(names[i : i + LOOKUP_BATCH], files[i : i + LOOKUP_BATCH])
        return out

    def _check_calls(
        self, calls: list[_Call], imports: _Imports
    ) -> tuple[int, list[Finding], set[str]]:
        """``(calls that match, findings, modules found indexed)``."""
        modules, qualnames, paths = _wanted(calls, imports)
        try:
            found = self._find(sorted(qualnames), paths) if (qualnames or paths) else []
        except GencodeError as exc:  # no index, no call checks: never a false "not found"
            logger.warning("could not look up the team's functions; calls unchecked: %s", exc)
            return 0, [], set()
        indexed_modules, by_name = _found(found, modules)
        constructors = Constructors(found, self._find, asked=qualnames)
        matched = 0
        findings: list[Finding] = []
        for call in calls:
            line = call.node.lineno
            everywhere = by_name.get(call.qualname, [])
            here = _candidates(call, by_name, indexed_modules)
            if not here:
                if call.bound or "." in call.qualname:
                    # x = f(...) then x.m(): f was no class; C.m(): maybe inherited
                    continue
                if call.helper and call.shown in stdlib_exports():
                    module = stdlib_exports()[call.shown]
                    findings.append(Finding("undefined", line, call.block, call.shown, (module,)))
                elif call.helper or (call.module is not None and call.module in indexed_modules):
                    if everywhere and call.module:
                        findings.append(
                            Finding(
                                "wrong-module",
                                line,
                                call.block,
                                call.shown,
                                (call.module, everywhere[0].source_path),
                            )
                        )
                    else:
                        findings.append(
                            Finding("not-found", line, call.block, call.shown, (call.module or "",))
                        )
                continue
            problems = _bind_any(call, here, constructors)
            if problems is None:
                continue  # no signature known for sure (a decorator, a constructor out of sight)
            if problems:
                kind, detail = problems[0]
                findings.append(Finding(kind, line, call.block, call.shown, detail))
            else:
                matched += 1
        return matched, findings, indexed_modules

    @staticmethod
    def _unknown_imports(imports: _Imports, team: set[str], text: str) -> tuple[str, ...]:
        stated = {
            re.split(r"[<>=\[; ]", word)[0].lower().replace("-", "_")
            for m in _PIP_INSTALL.finditer(text)
            for word in m.group(1).split()
            if not word.startswith("-")
        }
        out = set()
        for m in imports.all_modules:
            if m.startswith(".") or m in team:
                continue
            top = m.split(".")[0]
            if top in sys.stdlib_module_names or top.lower() in stated or installed(top):
                continue
            out.add(top)
        return tuple(sorted(out))


# -- one repair round -----------------------------------------------------------------------


def repair_request(question: str, v: Verification, signatures: Sequence[str]) -> str:
    """The follow-up that asks the model to fix exactly what the checks found."""
    lines = [
        question,
        "",
        "---",
        "Your previous answer was checked automatically and has these problems:",
    ]
    for f in v.errors:
        lines.append(f"- code block {f.block}, line {f.line}: {f.message}")
    if signatures:
        lines.append("The real signatures of the team's functions involved:")
        lines += [f"- {s}" for s in signatures]
    lines.append(
        "Write the whole answer again with these problems fixed, in the same language as the "
        "question. Call only functions that exist in the references, with their real signatures."
    )
    return "\n".join(lines)


def _signatures(v: Verification, lookup: Lookup) -> list[str]:
    """``qualname(params)  (path)`` of the indexed functions the errors are about."""
    names: set[str] = set()
    for f in v.errors:
        if f.kind in _SIGNATURE_KINDS and f.name:
            parts = f.name.split(".")
            for tail in (parts[-1:], parts[-2:]):
                names |= {".".join(tail), ".".join(tail) + ".__init__"}
    if not names:
        return []
    found = lookup(sorted(names), ())
    constructors = Constructors(found, lambda more: lookup(more, ()), asked=names)
    out = set()
    for c in found:
        if c.qualname == MODULE_QUALNAME:
            continue
        if c.kind == "class":  # how to call it, where no __init__ of its own says so below
            init = constructors.init_of(c)
            own = any(k.qualname == f"{c.qualname}.__init__" for k in found)
            if init is not None and not own:
                out.add(f"{constructor_text(c, init)}  ({c.source_path})")
            continue
        fn = parsed_function(c.code)
        if fn is None or not signature_known(fn):
            continue  # its def line is not how it is called: better no signature than a wrong one
        out.add(f"{signature_text(c)}  ({c.source_path})")
    return sorted(out)


_SIGNATURE_KINDS = {"arg-count", "missing-arg", "bad-keyword", "duplicate-arg", "wrong-module"}


def answer_checked(
    generator: Generator,
    verifier: Verifier,
    question: str,
    hits: Sequence[Hit],
    *,
    history: Sequence[Turn] = (),
    on_text: TextCallback | None = None,
    on_restart: Callable[[], None] | None = None,
    code_map: CodeMap | None = None,
) -> Answer:
    """Generate, check, and repair at most once. Extractive answers are labelled, not checked.

    ``on_restart`` is called before the repaired answer streams into ``on_text``, so a
    caller showing the stream can start over (Slack replaces the placeholder's text). The
    repair request sees the same references and code map as the first answer.
    """
    first = generator.answer(question, hits, history=history, on_text=on_text, code_map=code_map)
    if not first.generated:
        return replace(first, verification=Verification("extractive"))
    try:
        checked = verifier.check(first.text, first.code_blocks)
    except Exception:  # a bug in checking must not cost the asker the answer
        logger.exception("checking an answer failed; it goes out without a verification line")
        return first
    if checked.verdict != "failing":
        return replace(first, verification=checked)
    logger.info(
        "answer failed %d checks (%s); asking for one repair",
        len(checked.errors),
        ", ".join(sorted({f.kind for f in checked.errors})),
    )
    request = repair_request(question, checked, _signatures(checked, verifier.lookup))
    if on_restart:
        on_restart()
    second = generator.answer(
        request,
        hits,
        history=(*history, Turn(question, first.text)),
        on_text=on_text,
        code_map=code_map,
    )
    try:
        again = verifier.check(second.text, second.code_blocks)
    except Exception:
        logger.exception("checking a repaired answer failed; it goes out without a line")
        return second
    verdict: Verdict = "repaired" if again.verdict == "verified" else "failing"
    if again.verdict == "no_code":
        verdict = "failing"
    final = replace(
        again,
        verdict=verdict,
        repaired=checked.errors,
        seconds=checked.seconds + again.seconds,
    )
    return replace(
        second,
        notes=tuple(dict.fromkeys((*first.notes, *second.notes))),
        verification=final,
    )
