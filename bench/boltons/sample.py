#!/usr/bin/env python3
"""Candidates and random draws for the boltons 26.2.0 sets; the rules are bench/candidates.py.

Library: boltons==26.2.0 (pip install boltons==26.2.0), package dir site-packages/boltons
Seeds: english 4242, korean_random 5353
Usage: python sample.py list            -> candidates.tsv (path\tqualname\tlineno\tnstmts)
       python sample.py draw SEED N     -> prints first N of shuffled list
"""

import os
import sys
from functools import partial

import boltons

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from bench import candidates  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(boltons.__file__))  # site-packages
walk = partial(candidates.walk, ROOT, "boltons")
draw = partial(candidates.draw, ROOT, "boltons")
view = partial(candidates.view, ROOT, "boltons")

if __name__ == "__main__":
    candidates.main(ROOT, "boltons", os.path.dirname(os.path.abspath(__file__)), sys.argv[1:])
