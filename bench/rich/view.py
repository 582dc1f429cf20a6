#!/usr/bin/env python3
"""Show drawn candidates with their source: python view.py SEED START END"""

import sys

import sample

sample.view(*(int(a) for a in sys.argv[1:4]))
