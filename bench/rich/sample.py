#!/usr/bin/env python3
"""Candidates and random draws for the rich 15.0.0 sets; the rules are bench/candidates.py.

Library: rich==15.0.0 (pip install rich==15.0.0), package dir site-packages/rich
Seeds: english 6161, korean_random 7272
Usage: python sample.py list            -> candidates.tsv (path\tqualname\tlineno\tnstmts)
       python sample.py draw SEED N     -> prints first N of shuffled list
"""

import os
import sys
from functools import partial

import rich

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from bench import candidates  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(rich.__file__))  # site-packages
walk = partial(candidates.walk, ROOT, "rich")
draw = partial(candidates.draw, ROOT, "rich")
view = partial(candidates.view, ROOT, "rich")

if __name__ == "__main__":
    candidates.main(ROOT, "rich", os.path.dirname(os.path.abspath(__file__)), sys.argv[1:])
