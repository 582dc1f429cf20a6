"""Find the Python files under the paths a user names, the way they would expect.

Skips version-control and tool folders, virtual environments (any folder holding a
``pyvenv.cfg``), and whatever the ``.gitignore`` files on the way exclude.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pathspec

SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "__pycache__",
        "node_modules",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".eggs",
        "site-packages",
    }
)


@dataclass(frozen=True)
class Found:
    path: Path
    """Where the file is on disk."""
    display: str
    """Relative to the directory that was named, or the file name for a single file."""


@dataclass(frozen=True)
class Missing:
    path: Path


def find_python_files(paths: list[Path]) -> Iterator[Found | Missing]:
    for root in paths:
        if root.is_file():
            yield Found(root, root.name)
        elif root.is_dir():
            yield from _walk(root)
        else:
            yield Missing(root)


def _ignore_spec(directory: Path) -> pathspec.GitIgnoreSpec | None:
    gitignore = directory / ".gitignore"
    if not gitignore.is_file():
        return None
    lines = gitignore.read_text(encoding="utf-8", errors="replace").splitlines()
    return pathspec.GitIgnoreSpec.from_lines(lines)


def _walk(root: Path) -> Iterator[Found]:
    specs: dict[Path, pathspec.GitIgnoreSpec | None] = {}

    def ignored(path: Path, is_dir: bool) -> bool:
        # Every .gitignore from the root down to the file's folder may exclude it.
        for directory in [root, *reversed(path.relative_to(root).parents[:-1])]:
            base = directory if directory == root else root / directory
            spec = specs.get(base)
            if spec is None:
                continue
            rel = path.relative_to(base).as_posix() + ("/" if is_dir else "")
            if spec.match_file(rel):
                return True
        return False

    for current, dirs, files in os.walk(root):
        here = Path(current)
        specs[here] = _ignore_spec(here)
        dirs[:] = sorted(
            d
            for d in dirs
            if d not in SKIP_DIRS
            and not (here / d / "pyvenv.cfg").exists()
            and not ignored(here / d, True)
        )
        for name in sorted(files):
            path = here / name
            if name.endswith(".py") and not ignored(path, False):
                yield Found(path, path.relative_to(root).as_posix())
