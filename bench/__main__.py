"""``python -m bench``: retrieval quality (development and blind sets), speed and memory, and
the Bedrock fan-out, in turn.

Options are those of both: ``--rebuild`` and ``--max-scale N``.
"""

from __future__ import annotations

import argparse

from . import blind, retrieval, speed, summarize_fanout


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--rebuild", action="store_true", help="rebuild cached corpora and stores")
    parser.add_argument(
        "--max-scale", type=int, default=speed.SCALES[-1], help="largest scale point"
    )
    args = parser.parse_args()
    print(retrieval.run(rebuild=args.rebuild), flush=True)
    print()
    print(blind.run(), flush=True)
    print()
    print(speed.run(max_scale=args.max_scale, rebuild=args.rebuild), flush=True)
    print()
    print(summarize_fanout.report())


if __name__ == "__main__":
    main()
