#!/usr/bin/env python3
"""Check english_test.tsv / english_skips.tsv.
usage: python check_english.py [SEED START END]   (default 4242 0 180)"""

import collections
import os
import re
import sys

import sample

HERE = os.path.dirname(os.path.abspath(__file__))
seed, start, end = (int(a) for a in (sys.argv[1:4] or (4242, 0, 180)))
cands = {}
for line in open(os.path.join(HERE, "candidates.tsv"), encoding="utf-8"):
    p, q, *_ = line.rstrip("\n").split("\t")
    cands[(p, q)] = True


def rows(fn, n):
    out = []
    for i, line in enumerate(open(os.path.join(HERE, fn), encoding="utf-8"), 1):
        if line.startswith("#") or not line.strip():
            continue
        parts = line.rstrip("\n").split("\t")
        assert len(parts) == n, (fn, i, parts)
        out.append(parts)
    return out


test = rows("english_test.tsv", 3)
skips = rows("english_skips.tsv", 4)
errs = []


def norm(s):
    return " " + re.sub(r"[^a-z0-9]+", " ", s.lower()).strip() + " "


def split_words(ident):
    ident = ident.strip("_")
    ident = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", ident)
    return " ".join(w for w in re.split(r"[_\s]+", ident.lower()) if w)


WELL_KNOWN_CLASSES = {"URL", "Table", "Stats", "Bits"}
warns = []
for q, p, qn in test:
    if (p, qn) not in cands:
        errs.append(f"gold not in candidates: {p} {qn}")
    func = qn.split(".")[-1]
    nq = norm(q)
    for bad in {func.strip("_").lower(), split_words(func)}:
        if norm(bad) in nq:
            errs.append(f"query contains identifier {bad!r}: {q}")
    if "." in qn:
        cls = qn.split(".")[0]
        if cls not in WELL_KNOWN_CLASSES:
            for bad in {cls.strip("_").lower(), split_words(cls)}:
                if norm(bad) in nq:
                    warns.append(f"query names class {bad!r}: {q}")

for kind, key in (("query", lambda r: r[0].strip().lower()), ("gold", lambda r: (r[1], r[2]))):
    c = collections.Counter(key(r) for r in test)
    for k, v in c.items():
        if v > 1:
            errs.append(f"duplicate {kind}: {k}")

drawn = sample.draw(seed)[start:end]
row_golds = {(p, q) for _, p, q in test}
skip_pos = {}
for pos, p, q, reason in skips:
    skip_pos[int(pos)] = (p, q)
    if not reason.strip():
        errs.append(f"skip without reason at {pos}")
for i, (p, q, _, _) in enumerate(drawn, start):
    in_rows = (p, q) in row_golds
    in_skips = skip_pos.get(i) == (p, q)
    if in_rows == in_skips:
        errs.append(f"position {i} {p} {q}: rows={in_rows} skips={in_skips}")
drawn_set = {(p, q) for p, q, _, _ in drawn}
for g in row_golds - drawn_set:
    errs.append(f"row gold not in drawn positions: {g}")

print(f"rows={len(test)} skips={len(skips)} positions={len(drawn)}")
for w in warns:
    print("WARN", w)
for e in errs:
    print("ERROR", e)
print("OK" if not errs else f"{len(errs)} errors")
sys.exit(1 if errs else 0)
