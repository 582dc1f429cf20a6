"""Candidate walker + random sampler for the blind query sets.

One set of rules for every blind corpus (``bench/<library>/sample.py`` names the package and
its seeds; ``random.Random(SEED).shuffle`` of the sorted candidates draws them).

Walker rules (exact):
  * files: every *.py under site-packages/<package>/ (recursively); skip any path with a
    directory component named tests/test/vendor/_vendor, any file named conftest.py, and any
    file whose name contains "_compat".
  * path = path relative to site-packages, posix separators, e.g. boltons/iterutils.py
  * callables: (a) FunctionDef/AsyncFunctionDef that are DIRECT children of the module body
    -> qualname "func"; (b) FunctionDef/AsyncFunctionDef that are DIRECT children of a
    ClassDef that is itself a direct child of the module body -> qualname "Class.method".
    Nothing inside if/try/with blocks, no nested functions, no nested classes.
  * skip all dunder names (start AND end with "__"), including __init__.
  * single-underscore private names are KEPT.
  * skip defs decorated with @overload / @typing.overload.
  * statement count = number of ast.stmt nodes anywhere inside the def body (recursive,
    nested defs' statements included), minus 1 if the first body statement is a docstring;
    skip if < 3.
  * if the same (path, qualname) occurs more than once (e.g. property getter + setter),
    all occurrences are dropped from the candidate list (ambiguous gold).
Usage (through a library's sample.py):
       python sample.py list            -> candidates.tsv (path\tqualname\tlineno\tnstmts)
       python sample.py draw SEED N     -> prints first N of shuffled list
"""

import ast
import collections
import os
import random

SKIP_DIRS = {"tests", "test", "vendor", "_vendor"}


def n_stmts(fn):
    body = fn.body
    cnt = 0
    for st in body:
        for node in ast.walk(st):
            if isinstance(node, ast.stmt):
                cnt += 1
    if (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(getattr(body[0], "value", None), ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        cnt -= 1
    return cnt


def is_overload(fn):
    for d in fn.decorator_list:
        if isinstance(d, ast.Name) and d.id == "overload":
            return True
        if isinstance(d, ast.Attribute) and d.attr == "overload":
            return True
    return False


def is_dunder(name):
    return name.startswith("__") and name.endswith("__")


def walk(root, pkg):
    """Every candidate ``(path, qualname, lineno, statements)`` of ``pkg`` under ``root``, sorted."""
    out = []
    base = os.path.join(root, pkg)
    for dp, dns, fns in os.walk(base):
        dns[:] = sorted(d for d in dns if d not in SKIP_DIRS and d != "__pycache__")
        for fn in sorted(fns):
            if not fn.endswith(".py") or "_compat" in fn or fn == "conftest.py":
                continue
            full = os.path.join(dp, fn)
            rel = os.path.relpath(full, root).replace(os.sep, "/")
            tree = ast.parse(open(full, encoding="utf-8").read(), filename=rel)
            for node in tree.body:
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    out.append((rel, node.name, node))
                elif isinstance(node, ast.ClassDef):
                    for sub in node.body:
                        if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef)):
                            out.append((rel, f"{node.name}.{sub.name}", sub))
    counts = collections.Counter((p, q) for p, q, _ in out)
    cands = []
    for p, q, node in out:
        name = q.split(".")[-1]
        if is_dunder(name) or is_overload(node):
            continue
        if counts[(p, q)] > 1:
            continue
        k = n_stmts(node)
        if k < 3:
            continue
        cands.append((p, q, node.lineno, k))
    cands.sort(key=lambda t: (t[0], t[1]))
    return cands


def draw(root, pkg, seed):
    """The candidates in the order ``random.Random(seed)`` shuffles them."""
    c = walk(root, pkg)
    r = random.Random(seed)
    r.shuffle(c)
    return c


def view(root, pkg, seed, start, end):
    """Print the drawn candidates at positions ``start`` to ``end`` with their source: what
    the writers of the question sets read."""
    drawn = draw(root, pkg, seed)
    for i in range(start, min(end, len(drawn))):
        p, q, ln, k = drawn[i]
        src = open(os.path.join(root, p), encoding="utf-8").read()
        node = None
        for n in ast.walk(ast.parse(src)):
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.lineno == ln:
                node = n
        seg = ast.get_source_segment(src, node) if node else "?"
        print(f"===== position {i}: {p}  {q}  (line {ln}, {k} stmts)")
        print(seg)
        print()


def main(root, pkg, folder, argv):
    cmd = argv[0] if argv else "list"
    if cmd == "list":
        c = walk(root, pkg)
        with open(os.path.join(folder, "candidates.tsv"), "w") as f:
            for p, q, ln, k in c:
                f.write(f"{p}\t{q}\t{ln}\t{k}\n")
        print(len(c), "candidates")
    elif cmd == "draw":
        seed, n = int(argv[1]), int(argv[2])
        for i, (p, q, ln, k) in enumerate(draw(root, pkg, seed)[:n]):
            print(f"{i}\t{p}\t{q}\t{ln}\t{k}")
