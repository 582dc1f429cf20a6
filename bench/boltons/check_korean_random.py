#!/usr/bin/env python3
"""Check a blind query TSV + skips TSV.
Usage: python check_korean_random.py TEST.tsv SKIPS.tsv SEED NPOS
Verifies: golds in candidates.tsv; no duplicate queries/golds; no query contains the
identifier or its split-word phrase (case-insensitive, '_' / space / no-sep variants, also
class name); every position 0..NPOS-1 of the draw is a row (by gold) or a skip."""

import re
import subprocess
import sys

test, skips, seed, npos = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
cands = set()
for line in open("candidates.tsv", encoding="utf-8"):
    p = line.rstrip("\n").split("\t")
    if len(p) >= 2:
        cands.add((p[0], p[1]))


def split_words(name):
    name = name.strip("_")
    parts = []
    for chunk in name.split("_"):
        parts += re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+", chunk) or [chunk]
    return [w.lower() for w in parts if w]


WELL_KNOWN_CLASSES = {"URL"}
errs = []
rows, qs, golds = [], set(), set()
for i, line in enumerate(open(test, encoding="utf-8"), 1):
    if line.startswith("#") or not line.strip():
        continue
    p = line.rstrip("\n").split("\t")
    if len(p) != 3:
        errs.append(f"{test}:{i}: expected 3 columns, got {len(p)}")
        continue
    q, path, qn = p
    if (path, qn) not in cands:
        errs.append(f"{test}:{i}: gold not in candidates: {path} {qn}")
    if q in qs:
        errs.append(f"{test}:{i}: duplicate query")
    if (path, qn) in golds:
        errs.append(f"{test}:{i}: duplicate gold {qn}")
    qs.add(q)
    golds.add((path, qn))
    ql = q.lower()
    names = qn.split(".")
    func = names[-1]
    checks = {func.lower(), func.strip("_").lower()}
    w = split_words(func)
    if len(w) > 1:
        checks |= {" ".join(w), "_".join(w), "-".join(w), "".join(w)}
    if len(names) == 2:
        cls = names[0]
        if cls not in WELL_KNOWN_CLASSES:  # brief allows naming well-known concepts
            checks.add(cls.strip("_").lower())
        cw = split_words(cls)
        if len(cw) > 1:
            checks |= {" ".join(cw), "".join(cw)}
    for c in checks:
        if len(c) < 3:
            continue
        if re.search(r"(?<![a-z])" + re.escape(c) + r"(?![a-z])", ql):
            errs.append(f"{test}:{i}: query contains identifier/split phrase {c!r}: {q}")
    rows.append((path, qn))

skipped = {}
for i, line in enumerate(open(skips, encoding="utf-8"), 1):
    if line.startswith("#") or not line.strip():
        continue
    p = line.rstrip("\n").split("\t")
    if len(p) != 4 or not p[3].strip():
        errs.append(f"{skips}:{i}: expected 4 columns with reason")
        continue
    if (p[1], p[2]) not in cands:
        errs.append(f"{skips}:{i}: skip not in candidates")
    skipped[int(p[0])] = (p[1], p[2])

out = subprocess.run(
    [sys.executable, "sample.py", "draw", seed, str(npos)],
    capture_output=True,
    text=True,
    check=True,
).stdout
drawn = {}
for line in out.splitlines():
    p = line.split("\t")
    drawn[int(p[0])] = (p[1], p[2])
for pos in range(npos):
    g = drawn[pos]
    in_rows = g in golds
    in_skip = skipped.get(pos) == g
    if in_rows and in_skip:
        errs.append(f"position {pos} is both row and skip")
    elif not in_rows and not in_skip:
        errs.append(f"position {pos} ({g[1]}) neither row nor skip")
drawn_set = set(drawn.values())
for g in golds:
    if g not in drawn_set:
        errs.append(f"row gold {g} not among drawn positions")
for pos, g in skipped.items():
    if drawn.get(pos) != g:
        errs.append(f"skip position {pos} mismatch {g}")
print(f"rows={len(rows)} skips={len(skipped)} positions=0..{npos - 1}")
print("\n".join(errs) if errs else "OK")
sys.exit(1 if errs else 0)
