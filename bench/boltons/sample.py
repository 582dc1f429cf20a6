#!/usr/bin/env python3
"""Candidate walker + random sampler for the blind query sets.

Library: boltons==26.2.0 (pip install boltons==26.2.0), package dir site-packages/boltons
Seeds: english 4242, korean_random 5353 (random.Random(SEED).shuffle of sorted candidates)

Walker rules (exact):
  * files: every *.py under site-packages/boltons/ (recursively); skip any path with a
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
Usage: python sample.py list            -> candidates.tsv (path\tqualname\tlineno\tnstmts)
       python sample.py draw SEED N     -> prints first N of shuffled list
"""

import ast
import collections
import os
import random
import sys

import boltons

ROOT = os.path.dirname(os.path.dirname(boltons.__file__))  # site-packages
PKG = "boltons"
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


def walk():
    out = []
    base = os.path.join(ROOT, PKG)
    for dp, dns, fns in os.walk(base):
        dns[:] = sorted(d for d in dns if d not in SKIP_DIRS and d != "__pycache__")
        for fn in sorted(fns):
            if not fn.endswith(".py") or "_compat" in fn or fn == "conftest.py":
                continue
            full = os.path.join(dp, fn)
            rel = os.path.relpath(full, ROOT).replace(os.sep, "/")
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


def draw(seed):
    c = walk()
    r = random.Random(seed)
    r.shuffle(c)
    return c


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else "list"
    if cmd == "list":
        c = walk()
        with open(
            os.path.join(os.path.dirname(os.path.abspath(__file__)), "candidates.tsv"), "w"
        ) as f:
            for p, q, ln, k in c:
                f.write(f"{p}\t{q}\t{ln}\t{k}\n")
        print(len(c), "candidates")
    elif cmd == "draw":
        seed, n = int(sys.argv[2]), int(sys.argv[3])
        for i, (p, q, ln, k) in enumerate(draw(seed)[:n]):
            print(f"{i}\t{p}\t{q}\t{ln}\t{k}")
