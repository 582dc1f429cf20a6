#!/usr/bin/env python3
"""Checks korean_wellknown_test.tsv (+ _skips, _picks): golds in candidates, no duplicates,
no identifier / split-word phrase in queries, every pick is a row or a skip, disjoint from 5353[:100]."""

import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def load(name):
    with open(os.path.join(HERE, name), encoding="utf-8") as f:
        return [ln.rstrip("\n").split("\t") for ln in f if ln.strip() and not ln.startswith("#")]


cands = {tuple(r[:2]) for r in load("candidates.tsv")}
rows, skips, picks = (
    load("korean_wellknown_test.tsv"),
    load("korean_wellknown_skips.tsv"),
    load("korean_wellknown_picks.tsv"),
)
errs = []
ALLOWED_CLASS = {"URL"}  # well-known concept a user may name
MANUAL = {
    "bytes2human": ["bytes to human", "bytes 2 human"],
    "html2text": ["html to text"],
    "args2sh": ["args to sh"],
    "a10n": [],
    "daterange": ["date range"],
    "isoparse": ["iso parse"],
    "xfrange": ["xf range"],
    "augpath": ["aug path"],
    "shrinkuser": ["shrink user"],
    "namedlist": ["named list"],
    "issubclass": ["is subclass"],
    "mkdir_p": ["mkdir -p"],
}


def words(name):
    parts = []
    for tok in name.split("_"):
        parts += re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+", tok)
    return [p.lower() for p in parts if p]


for r in rows:
    if len(r) != 3:
        errs.append(f"bad row {r}")
        continue
    q, p, qn = r
    if (p, qn) not in cands:
        errs.append(f"gold not in candidates: {p} {qn}")
    ql = q.lower()
    names = qn.split(".")
    for k, n in enumerate(names):
        if k == 0 and len(names) > 1 and n in ALLOWED_CLASS:
            continue
        if re.search(r"(?<![a-z0-9_])" + re.escape(n.lower()) + r"(?![a-z0-9_])", ql):
            errs.append(f"identifier {n!r} in query: {q}")
        w = words(n)
        if len(w) > 1:
            for sep in (" ", "-", "", "_"):
                if sep.join(w) in ql and not (sep == "_"):
                    errs.append(f"split phrase {sep.join(w)!r} in query: {q}")
        for m in MANUAL.get(n, []):
            if m in ql:
                errs.append(f"manual phrase {m!r} in query: {q}")
qs = [r[0] for r in rows]
golds = [tuple(r[1:3]) for r in rows]
if len(set(qs)) != len(qs):
    errs.append("duplicate queries")
if len(set(golds)) != len(golds):
    errs.append("duplicate golds")
pickset = {(p[0], p[1], p[2]) for p in picks}
covered = {(tuple(r[1:3])) for r in rows} | {(s[1], s[2]) for s in skips}
if {(p[1], p[2]) for p in picks} != covered:
    errs.append("picks != rows + skips")
if covered & {tuple(s[1:3]) for s in skips} & {tuple(r[1:3]) for r in rows}:
    errs.append("row also skipped")
out = subprocess.run(
    [sys.executable, os.path.join(HERE, "sample.py"), "draw", "5353", "100"],
    capture_output=True,
    text=True,
    cwd=HERE,
).stdout
excl = {tuple(ln.split("\t")[1:3]) for ln in out.splitlines() if ln}
if len(excl) != 100:
    errs.append(f"expected 100 excluded, got {len(excl)}")
bad = excl & {(p[1], p[2]) for p in picks}
if bad:
    errs.append(f"overlap with 5353 draw: {bad}")
priv = [g for g in golds if any(x.startswith("_") for x in g[1].split("."))]
if priv:
    errs.append(f"private golds: {priv}")
mods = sorted({g[0] for g in golds})
print(f"{len(rows)} rows, {len(skips)} skips, {len(picks)} picks, {len(mods)} modules")
print("\n".join(errs) if errs else "OK")
sys.exit(1 if errs else 0)
