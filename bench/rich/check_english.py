#!/usr/bin/env python3
"""Check english_test.tsv / english_skips.tsv.

- every gold (path, qualname) is in candidates.tsv
- no duplicate queries, no duplicate golds
- no query contains the function identifier or its split-word phrase (case-insensitive,
  whole-word match; leading underscores ignored)
- every position 0..LAST of the seed-6161 draw is a row or a skip (LAST read from the header)
- at least 150 rows
Exit code 1 on any error.
"""

import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import sample  # noqa: E402

SEED = 6161
TEST = os.path.join(HERE, "english_test.tsv")
SKIPS = os.path.join(HERE, "english_skips.tsv")

errors = []
cands = set()
for line in open(os.path.join(HERE, "candidates.tsv"), encoding="utf-8"):
    p, q = line.rstrip("\n").split("\t")[:2]
    cands.add((p, q))


def split_words(name):
    name = name.strip("_")
    parts = []
    for chunk in name.split("_"):
        parts += re.findall(r"[A-Z]+(?=[A-Z][a-z]|\d|$)|[A-Z]?[a-z]+|[A-Z]+|\d+", chunk)
    return [w.lower() for w in parts if w]


last = None
rows = []
for ln, line in enumerate(open(TEST, encoding="utf-8"), 1):
    line = line.rstrip("\n")
    if line.startswith("#"):
        m = re.search(r"positions 0\.\.(\d+)", line)
        if m:
            last = int(m.group(1))
        continue
    if not line.strip():
        continue
    cols = line.split("\t")
    if len(cols) != 3:
        errors.append(f"line {ln}: expected 3 columns, got {len(cols)}")
        continue
    rows.append((ln, *cols))

skips = []
for ln, line in enumerate(open(SKIPS, encoding="utf-8"), 1):
    line = line.rstrip("\n")
    if line.startswith("#") or not line.strip():
        continue
    cols = line.split("\t")
    if len(cols) != 4 or not cols[3].strip():
        errors.append(f"skips line {ln}: expected 4 columns with a reason")
        continue
    skips.append((int(cols[0]), cols[1], cols[2], cols[3]))

seen_q, seen_g = {}, {}
for ln, query, path, qual in rows:
    if (path, qual) not in cands:
        errors.append(f"line {ln}: gold not in candidates: {path} {qual}")
    if query.lower() in seen_q:
        errors.append(f"line {ln}: duplicate query (also line {seen_q[query.lower()]})")
    seen_q[query.lower()] = ln
    if (path, qual) in seen_g:
        errors.append(f"line {ln}: duplicate gold {path} {qual} (also line {seen_g[(path, qual)]})")
    seen_g[(path, qual)] = ln
    func = qual.split(".")[-1]
    low = query.lower()
    ident = func.strip("_").lower()
    phrase = " ".join(split_words(func))
    for needle in {ident, phrase}:
        if needle and re.search(r"(?<![a-z0-9_])" + re.escape(needle) + r"(?![a-z0-9_])", low):
            errors.append(f"line {ln}: query contains identifier/phrase {needle!r}: {query}")
    if query != query.strip() or "\t" in query:
        errors.append(f"line {ln}: whitespace problem in query")

if last is None:
    errors.append("header does not state 'positions 0..N'")
else:
    drawn = sample.draw(SEED)
    gold_set = {(p, q) for _, _, p, q in rows}
    skip_pos = {s[0]: s for s in skips}
    for pos in range(last + 1):
        p, q = drawn[pos][:2]
        if pos in skip_pos:
            if skip_pos[pos][1:3] != (p, q):
                errors.append(f"skip position {pos} does not match draw ({p} {q})")
            if (p, q) in gold_set:
                errors.append(f"position {pos} is both a row and a skip")
        elif (p, q) not in gold_set:
            errors.append(f"position {pos} ({p} {q}) is neither a row nor a skip")
    drawn_set = {tuple(d[:2]) for d in drawn[: last + 1]}
    for _, _, p, q in rows:
        if (p, q) not in drawn_set:
            errors.append(f"row gold {p} {q} not among drawn positions 0..{last}")
    for s in skips:
        if s[0] > last:
            errors.append(f"skip position {s[0]} beyond last position {last}")

if len(rows) < 150:
    errors.append(f"only {len(rows)} rows (< 150)")

print(f"rows={len(rows)} skips={len(skips)} last_position={last}")
for e in errors:
    print("ERROR:", e)
print("OK" if not errors else f"{len(errors)} error(s)")
sys.exit(1 if errors else 0)
