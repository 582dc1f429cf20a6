#!/usr/bin/env python3
"""Check korean_random_test.tsv / korean_random_skips.tsv (seed 7272).

Checks: every gold is in candidates.tsv; no duplicate queries or golds; no query
contains the function identifier or its split-word phrase (case-insensitive, also the
camel/underscore split joined with spaces or nothing); every considered position
0..LAST of the draw is exactly one row or one skip.
"""

import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 7272
TEST = os.path.join(HERE, "korean_random_test.tsv")
SKIPS = os.path.join(HERE, "korean_random_skips.tsv")


def read_tsv(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            rows.append(line.split("\t"))
    return rows


def split_words(name):
    name = name.strip("_")
    parts = []
    for chunk in name.split("_"):
        parts += re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+", chunk) or [chunk]
    return [p.lower() for p in parts if p]


def main():
    errors = []
    cands = set()
    with open(os.path.join(HERE, "candidates.tsv"), encoding="utf-8") as f:
        for line in f:
            p, q = line.rstrip("\n").split("\t")[:2]
            cands.add((p, q))

    rows = read_tsv(TEST)
    skips = read_tsv(SKIPS)
    for r in rows:
        if len(r) != 3:
            errors.append(f"bad row (need 3 cols): {r}")
    for s in skips:
        if len(s) != 4:
            errors.append(f"bad skip (need 4 cols): {s}")
    rows = [r for r in rows if len(r) == 3]
    skips = [s for s in skips if len(s) == 4]

    golds = [(p, q) for _, p, q in rows]
    for g in golds:
        if g not in cands:
            errors.append(f"gold not in candidates: {g}")
    if len(set(golds)) != len(golds):
        errors.append("duplicate golds")
    queries = [r[0] for r in rows]
    if len(set(queries)) != len(queries):
        errors.append("duplicate queries")

    # identifier / split-word phrase check
    for query, _p, qn in rows:
        ql = query.lower()
        name = qn.split(".")[-1]
        words = split_words(name)
        patterns = {name.lower(), name.strip("_").lower(), " ".join(words), "".join(words)}
        if len(words) > 1:
            patterns.add("-".join(words))
        for pat in patterns:
            if not pat:
                continue
            if re.search(r"(?<![a-z0-9])" + re.escape(pat) + r"(?![a-z0-9])", ql):
                errors.append(f"query contains identifier/phrase {pat!r}: {query}")

    # position coverage
    skip_pos = {}
    for pos, p, q, _ in skips:
        skip_pos[int(pos)] = (p, q)
    last = max(skip_pos) if skip_pos else 0
    out = subprocess.run(
        [sys.executable, os.path.join(HERE, "sample.py"), "draw", str(SEED), "400"],
        capture_output=True,
        text=True,
        check=True,
        cwd=HERE,
    ).stdout
    draw = {}
    for line in out.splitlines():
        i, p, q = line.split("\t")[:3]
        draw[(p, q)] = int(i)
    row_pos = {}
    for g in golds:
        if g in draw:
            row_pos[draw[g]] = g
        else:
            errors.append(f"gold not in draw: {g}")
    for pos, g in skip_pos.items():
        if draw.get(g) != pos:
            errors.append(f"skip position mismatch: {pos} {g}")
    last = max(list(row_pos) + list(skip_pos))
    for i in range(last + 1):
        in_r, in_s = i in row_pos, i in skip_pos
        if in_r == in_s:
            errors.append(f"position {i}: row={in_r} skip={in_s}")
    if len(rows) < 60:
        errors.append(f"only {len(rows)} rows (<60)")

    print(f"rows={len(rows)} skips={len(skips)} positions=0..{last}")
    if errors:
        print("ERRORS:")
        for e in errors:
            print("  " + e)
        sys.exit(1)
    print("OK")


if __name__ == "__main__":
    main()
