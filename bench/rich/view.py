#!/usr/bin/env python3
"""Show drawn candidates with their source: python view.py SEED START END"""

import ast
import os
import sys

import sample

seed, start, end = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
drawn = sample.draw(seed)
for i in range(start, min(end, len(drawn))):
    p, q, ln, k = drawn[i]
    src = open(os.path.join(sample.ROOT, p), encoding="utf-8").read()
    tree = ast.parse(src)
    node = None
    for n in ast.walk(tree):
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.lineno == ln:
            node = n
    seg = ast.get_source_segment(src, node) if node else "?"
    print(f"===== position {i}: {p}  {q}  (line {ln}, {k} stmts)")
    print(seg)
    print()
