"""``python -m bench``: retrieval quality (development and blind sets), speed and memory, the
Bedrock fan-out, answer verification, the HTTP server's load, a repository shared as an
archive, a repository kept in sync from git, and shares built to grow the index without
bound, in turn.

Options are those of both: ``--rebuild`` and ``--max-scale N``.
"""

from __future__ import annotations

import argparse

from . import (
    archive,
    blind,
    gitsync,
    limits,
    retrieval,
    server_load,
    speed,
    summarize_fanout,
    verify,
)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--rebuild", action="store_true", help="rebuild cached corpora and stores")
    parser.add_argument(
        "--max-scale", type=int, default=speed.SCALES[-1], help="largest scale point"
    )
    args = parser.parse_args()
    print(retrieval.run(rebuild=args.rebuild), flush=True)
    print()
    for library in blind.LIBRARIES.values():
        print(blind.run(library), flush=True)
        print()
    for embedder in dict.fromkeys((retrieval.default_embedder(), "local")):
        print(speed.run(max_scale=args.max_scale, rebuild=args.rebuild, embedder=embedder))
        print(flush=True)
    print(summarize_fanout.report(), flush=True)
    print()
    print(verify.run())
    print()
    print(server_load.report())
    print()
    print(archive.run())
    print()
    print(gitsync.run())
    print(limits.run())


if __name__ == "__main__":
    main()
