"""The files of a commit that Gencode indexes, read from the git objects, never checked out.

The rules are the archive's and the CLI's (:func:`rag.discover.kept_paths`): ``.py`` and
``.ipynb`` files, without virtualenvs, tool and build folders, and whatever the commit's
own ``.gitignore`` files exclude. Symbolic links and submodules are not followed. A file
is known by its blob id, so a sync compares two commits without reading a single
unchanged file.
"""

from __future__ import annotations

import re
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath

from dulwich.object_store import BaseObjectStore, MaxTreeDepthExceeded
from dulwich.objects import Blob, Commit, ObjectID
from dulwich.repo import Repo

from ..archive import ArchiveError, ArchiveLimits, _check_gitignores
from ..discover import INDEXED_SUFFIXES, kept_paths
from ..models import printable
from .errors import GitError

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_DEPTH = 64
MARKERS = (".gitignore", "pyvenv.cfg")


@dataclass(frozen=True)
class TreeFile:
    path: str
    blob: str
    """The blob id (hex): the same id means the same bytes."""


@dataclass(frozen=True)
class Snapshot:
    """What a commit holds for Gencode."""

    commit: str
    files: tuple[TreeFile, ...]
    """Files to index, by path."""
    skipped: tuple[tuple[str, str], ...]
    """``(path, reason)`` of files Gencode would index but does not (too big, a link…)."""
    read: Callable[[str], bytes]
    """The bytes of a blob, by id."""


def snapshot(repo: Repo, commit: str, limits: ArchiveLimits) -> Snapshot:
    """The indexable files of ``commit`` (in ``repo``), or :class:`GitError` ``too_big``
    when it has more entries than ``limits`` allow."""
    store = repo.object_store
    head = store[ObjectID(commit.encode())]
    if not isinstance(head, Commit):
        raise GitError("protocol", f"{commit[:12]} is not a commit")
    candidates: dict[str, TreeFile] = {}
    markers: dict[str, bytes] = {}
    skipped: list[tuple[str, str]] = []
    entries = 0
    try:
        contents = list(store.iter_tree_contents(head.tree, max_depth=MAX_DEPTH))
    except MaxTreeDepthExceeded:
        raise GitError("too_big", f"folders nested deeper than {MAX_DEPTH}") from None
    for entry in contents:
        entries += 1
        if entries > limits.max_entries:
            raise GitError(
                "too_big",
                f"more than {limits.max_entries:,} files (GENCODE_ARCHIVE_MAX_ENTRIES)",
            )
        assert entry.path is not None and entry.mode is not None and entry.sha is not None
        path = printable(entry.path.decode("utf-8", "surrogateescape"))
        name = PurePosixPath(path).name
        if not (name.endswith(INDEXED_SUFFIXES) or name in MARKERS):
            continue
        if _CONTROL.search(path):
            skipped.append((_CONTROL.sub("?", path), "its name has control characters"))
            continue
        if stat.S_ISLNK(entry.mode):
            if name.endswith(INDEXED_SUFFIXES):
                skipped.append((path, "a symlink, not followed"))
            continue
        if not stat.S_ISREG(entry.mode):
            continue  # a submodule (gitlink): another repository
        if name in MARKERS:
            markers[path] = _raw(store, entry.sha)
        else:  # read (and its size checked) only if it changed
            candidates[path] = TreeFile(path, entry.sha.decode("ascii"))
    gitignores = {
        p.removesuffix(".gitignore").rstrip("/"): c.decode("utf-8", "replace")
        for p, c in markers.items()
        if p.endswith(".gitignore")
    }
    try:
        _check_gitignores(gitignores, limits)
    except ArchiveError as exc:
        raise GitError("too_big", str(exc).rstrip(".")) from None
    venvs = {p.removesuffix("pyvenv.cfg").rstrip("/") for p in markers if p.endswith("pyvenv.cfg")}
    kept = kept_paths(candidates, gitignores=gitignores, venvs=venvs)
    files = tuple(candidates[p] for p in sorted(kept))

    return Snapshot(commit, files, tuple(skipped), lambda blob: _raw(store, blob.encode()))


def _raw(store: BaseObjectStore, sha: bytes) -> bytes:
    obj = store[ObjectID(sha)]
    if not isinstance(obj, Blob):
        raise GitError("protocol", f"{sha.decode()[:12]} is not a file")
    return obj.as_raw_string()
