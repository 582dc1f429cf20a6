#!/usr/bin/env python3
"""Candidates and random draws for the networkx 3.4.2 sets; the rules are bench/candidates.py.

Library: networkx==3.4.2 (pip install networkx==3.4.2), package dir site-packages/networkx
Seeds: english 9091, korean_random 7373
Usage: python sample.py list            -> candidates.tsv (path\tqualname\tlineno\tnstmts)
       python sample.py draw SEED N     -> prints first N of shuffled list
"""

import os
import sys
from functools import partial

import networkx

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from bench import candidates  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(networkx.__file__))  # site-packages
walk = partial(candidates.walk, ROOT, "networkx")
draw = partial(candidates.draw, ROOT, "networkx")
view = partial(candidates.view, ROOT, "networkx")

if __name__ == "__main__":
    candidates.main(ROOT, "networkx", os.path.dirname(os.path.abspath(__file__)), sys.argv[1:])
