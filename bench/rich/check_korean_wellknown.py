#!/usr/bin/env python3
"""Check korean_wellknown_test.tsv (hand-picked well-known Korean set) for rich 15.0.0.

Checks:
  * every row has 3 columns; every gold (path, qualname) is in candidates.tsv
  * public names only (no part of qualname starts with "_")
  * no duplicate queries, no duplicate golds
  * no gold is in the Korean random draw (sample.py draw 7272, positions 0-99)
  * no query contains the function identifier, the full qualname, or the split-word phrase
    (words joined by space / nothing / underscore), case-insensitive -> ERROR
  * single English split words found in a query are listed as WARNINGS (informational)
  * every considered function is a row or a skip (skips file), and none is both
  * at least 62 rows, spread over several modules
Run: .venv/bin/python check_korean_wellknown.py
"""

import collections
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import sample  # noqa: E402

TEST = os.path.join(HERE, "korean_wellknown_test.tsv")
SKIPS = os.path.join(HERE, "korean_wellknown_skips.tsv")


def split_words(name):
    words = []
    for part in re.split(r"[._]+", name):
        words += re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+", part)
    return [w.lower() for w in words if w]


def read_rows(path):
    out = []
    for ln, line in enumerate(open(path, encoding="utf-8"), 1):
        line = line.rstrip("\n")
        if not line.strip() or line.startswith("#"):
            continue
        out.append((ln, line.split("\t")))
    return out


def main():
    errors, warnings = [], []
    cands = set()
    for line in open(os.path.join(HERE, "candidates.tsv"), encoding="utf-8"):
        p, q, _ln, _k = line.rstrip("\n").split("\t")
        cands.add((p, q))
    excluded = {(p, q) for p, q, _l, _k in sample.draw(7272)[:100]}

    rows = read_rows(TEST)
    queries, golds = collections.Counter(), collections.Counter()
    modules = collections.Counter()
    for ln, cols in rows:
        if len(cols) != 3:
            errors.append(f"line {ln}: expected 3 columns, got {len(cols)}")
            continue
        query, path, qual = cols
        gold = (path, qual)
        queries[query] += 1
        golds[gold] += 1
        modules[path] += 1
        if gold not in cands:
            errors.append(f"line {ln}: gold not in candidates.tsv: {path} {qual}")
        if any(part.startswith("_") for part in qual.split(".")):
            errors.append(f"line {ln}: non-public gold {qual}")
        if gold in excluded:
            errors.append(f"line {ln}: gold is in 7272 first-100 draw: {path} {qual}")
        ql = query.lower()
        func = qual.split(".")[-1]
        words = split_words(func)
        bad = {func.lower(), qual.lower()}
        if len(words) > 1:
            bad |= {" ".join(words), "".join(words), "_".join(words), "-".join(words)}
        for b in bad:
            if len(b) >= 3 and re.search(r"(?<![a-z])" + re.escape(b) + r"(?![a-z])", ql):
                errors.append(f"line {ln}: query contains identifier/phrase {b!r}: {query}")
        for w in set(split_words(qual)):
            if len(w) >= 3 and re.search(r"(?<![a-z])" + re.escape(w) + r"(?![a-z])", ql):
                warnings.append(f"line {ln}: single split word {w!r} in query for {qual}")
    for q, c in queries.items():
        if c > 1:
            errors.append(f"duplicate query ({c}x): {q}")
    for g, c in golds.items():
        if c > 1:
            errors.append(f"duplicate gold ({c}x): {g}")

    skipped = set()
    if os.path.exists(SKIPS):
        for ln, cols in read_rows(SKIPS):
            if len(cols) != 4:
                errors.append(f"skips line {ln}: expected 4 columns")
                continue
            pos, p, q, reason = cols
            if (p, q) not in cands:
                errors.append(f"skips line {ln}: not a candidate: {p} {q}")
            if (p, q) in golds:
                errors.append(f"skips line {ln}: both row and skip: {p} {q}")
            if not reason.strip():
                errors.append(f"skips line {ln}: empty reason")
            skipped.add((p, q))
    considered = set(golds) | skipped
    missing = considered - set(golds) - skipped
    if missing:
        errors.append(f"considered but neither row nor skip: {sorted(missing)}")

    if len(rows) < 62:
        errors.append(f"only {len(rows)} rows (< 62)")
    if len(modules) < 10:
        errors.append(f"only {len(modules)} modules")

    for w in warnings:
        print("WARN ", w)
    for e in errors:
        print("ERROR", e)
    print(
        f"rows={len(rows)} skips={len(skipped)} modules={len(modules)} "
        f"warnings={len(warnings)} errors={len(errors)}"
    )
    print("per module:", dict(sorted(modules.items())))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
