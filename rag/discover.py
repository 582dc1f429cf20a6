"""Find the Python files under the paths a user names, the way they would expect, and
read them without trusting what they are.

Skips version-control and tool folders, virtual environments (any folder holding a
``pyvenv.cfg``), and whatever the ``.gitignore`` files on the way exclude.

Every file belongs to a repository: the git work tree it sits in (named after its
``origin`` remote, else its folder), or else the directory that was named. Paths are
relative to that root, so ``util.py`` of two repositories are two different files.
"""

from __future__ import annotations

import configparser
import os
import re
import stat
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pathspec

from .chunking import refuse_oversize
from .errors import InputError
from .models import printable

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
        "build",
        "dist",
    }
)


INDEXED_SUFFIXES = (".py", ".ipynb")
"""The files Gencode indexes: Python source and Jupyter notebooks."""


def skipped_folder(name: str) -> bool:
    """Folders no one wants indexed: tools' caches, virtualenvs by name, build output."""
    return name in SKIP_DIRS or name.endswith(".egg-info")


def kept_paths(
    paths: Iterable[str], *, gitignores: Mapping[str, str], venvs: Iterable[str] = ()
) -> set[str]:
    """The ``paths`` (posix, relative) the CLI's walk would index, for files that are not on
    disk (an archive's members): skipped folders, virtualenvs (folders in ``venvs``, which
    hold a ``pyvenv.cfg``) and whatever the ``.gitignore`` texts (by folder, ``""`` for the
    root) exclude are left out."""
    specs = {
        folder: pathspec.GitIgnoreSpec.from_lines(text.splitlines())
        for folder, text in gitignores.items()
    }
    skipped_venvs = set(venvs)
    kept = set()
    for path in paths:
        parts = path.split("/")
        folders = ["/".join(parts[:i]) for i in range(len(parts))]  # "", "a", "a/b"…
        if any(skipped_folder(p) for p in parts[:-1]) or any(
            f in skipped_venvs for f in folders[1:]
        ):
            continue
        excluded = False
        for i, folder in enumerate(folders):
            spec = specs.get(folder)
            if spec is None:
                continue
            for depth in range(i + 1, len(parts) + 1):
                rel = "/".join(parts[i:depth]) + ("/" if depth < len(parts) else "")
                if spec.match_file(rel):
                    excluded = True
        if not excluded:
            kept.add(path)
    return kept


@dataclass(frozen=True)
class Found:
    path: Path
    """Where the file is on disk."""
    display: str
    """Relative to its repository's root (printable even for non-UTF-8 names)."""
    repo: str = ""
    """The repository it belongs to."""
    folder: str | None = None
    """For a file found by walking a named folder: that folder, relative to the repository's
    root (``""`` for the root itself, ``"src/"`` below it). Files that were indexed from it
    before and are not found again have left it. None for a file named on its own."""


@dataclass(frozen=True)
class Walked:
    """A named folder, announced before its files: what was indexed from it before and is
    not found again has left it (even when nothing at all is found)."""

    repo: str
    folder: str


@dataclass(frozen=True)
class Unreadable:
    """A folder the walk could not list (no permission, a flaky mount). Its files were not
    found, but they did not leave it: they keep what was indexed of them before."""

    repo: str
    folder: str
    """Relative to the repository's root, ``""`` for the root, else ending in ``/``."""
    reason: str

    @property
    def display(self) -> str:
        return f"{self.repo}/{self.folder}"


@dataclass(frozen=True)
class Missing:
    path: Path

    @property
    def display(self) -> str:
        return printable(str(self.path))


def find_python_files(
    paths: list[Path], *, repo: str | None = None
) -> Iterator[Found | Missing | Walked | Unreadable]:
    """Each file to index under ``paths``; ``repo`` overrides the repository's name."""
    for root in map(_without_dotdot, paths):
        if root.is_dir():
            top = repository_top(root) or root.absolute()
            name = repo or repo_name(top)
            folder = _relative(root, top) + "/" if root.absolute() != top else ""
            yield Walked(name, folder)
            failed: list[OSError] = []
            for path in _walk(root, failed, top):
                yield from _unreadable(failed, root, top, name)
                yield Found(path, _relative(path, top), name, folder)
            yield from _unreadable(failed, root, top, name)
        elif os.path.lexists(root):
            # A file, or something named like one (a FIFO, a device): the reader decides.
            top = repository_top(root.absolute().parent) or root.absolute().parent
            yield Found(root, _relative(root, top), repo or repo_name(top))
        else:
            yield Missing(root)


def _unreadable(failed: list[OSError], root: Path, top: Path, repo: str) -> Iterator[Unreadable]:
    """The folders ``os.walk`` could not list since last asked (it skips them silently)."""
    while failed:
        exc = failed.pop(0)
        where = Path(exc.filename) if isinstance(exc.filename, str) else root
        rel = _relative(where, top)
        folder = "" if rel == "." else rel + "/"
        yield Unreadable(repo, folder, exc.strerror or str(exc))


def _without_dotdot(path: Path) -> Path:
    """``path`` with its ``..`` parts resolved the way the OS resolves them.

    ``Path.absolute()`` keeps them: ``..`` would name a repository "..", so two projects
    indexed as ``gencode index ..`` would mirror each other away, and ``src/deep/../m.py``
    would be another file than ``src/m.py``. The last part keeps its name (a symlinked
    folder or file is still named as given).
    """
    if ".." not in path.parts:
        return path
    if path.name == "..":
        return Path(os.path.realpath(path))
    return Path(os.path.realpath(path.parent)) / path.name


def _relative(path: Path, top: Path) -> str:
    try:
        rel = path.absolute().relative_to(top).as_posix()
    except ValueError:
        rel = path.name
    return printable(rel)


def git_root(start: Path) -> Path | None:
    """The top of the git work tree holding ``start`` (a ``.git`` folder or file), if any."""
    here = start.absolute()
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return folder
    return None


def repository_top(folder: Path) -> Path | None:
    """The git work tree ``folder`` belongs to, if it is part of that repository.

    A folder the repository does not track (a virtualenv, ``node_modules``, anything its
    ``.gitignore`` files exclude) is not part of it: indexing it names its own repository.
    """
    here = folder.absolute()
    top = git_root(here)
    if top is None or top == here:
        return top
    rel = here.relative_to(top).parts
    for depth in range(1, len(rel) + 1):
        inner = top.joinpath(*rel[:depth])
        if skipped_folder(inner.name) or (inner / "pyvenv.cfg").exists():
            return None
        for d in range(depth):  # every .gitignore above it may exclude it
            spec = _ignore_spec(top.joinpath(*rel[:d]))
            if spec is not None and spec.match_file("/".join(rel[d:depth]) + "/"):
                return None
    return top


def repo_name(top: Path) -> str:
    """A repository's name: its ``origin`` remote's last path part, else its folder's name."""
    url = _origin_url(top)
    if url:
        name = re.split(r"[/:]", url.rstrip("/"))[-1].removesuffix(".git")
        if name:
            return printable(name)
    return printable(top.name or "root")


def _origin_url(top: Path) -> str:
    git = top / ".git"
    if git.is_file():  # a worktree or submodule: "gitdir: <path>"
        text = git.read_text(encoding="utf-8", errors="replace").strip()
        if not text.startswith("gitdir:"):
            return ""
        git = (top / text.removeprefix("gitdir:").strip()).resolve()
        common = git / "commondir"
        if common.is_file():
            git = (git / common.read_text(encoding="utf-8").strip()).resolve()
    config = configparser.ConfigParser(strict=False, interpolation=None)
    try:
        config.read(git / "config", encoding="utf-8")
    except (configparser.Error, OSError, UnicodeDecodeError):
        return ""
    section = 'remote "origin"'
    if config.has_section(section):
        return config.get(section, "url", fallback="")
    remotes = [s for s in config.sections() if s.startswith("remote ")]
    return config.get(remotes[0], "url", fallback="") if remotes else ""


def read_bounded(path: Path, *, max_bytes: int, shown: str) -> bytes:
    """A regular file's bytes, never more than ``max_bytes`` (refused past that).

    The type is checked on the opened descriptor, not the name: a symlink to
    ``/dev/zero`` would otherwise be read forever, and opening a FIFO would wait for a
    writer that never comes (``O_NONBLOCK`` makes that open return at once).
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise InputError(f"{shown}: {exc.strerror or exc}.") from exc
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InputError(f"{shown}: {_kind_of(info.st_mode)}, not a regular file; skipped.")
        refuse_oversize(shown, info.st_size, max_bytes=max_bytes)
        os.set_blocking(fd, True)
        parts: list[bytes] = []
        size = 0
        while size <= max_bytes:
            part = os.read(fd, min(1 << 20, max_bytes + 1 - size))
            if not part:
                break
            parts.append(part)
            size += len(part)
        refuse_oversize(shown, size, max_bytes=max_bytes)  # it may have grown meanwhile
        return b"".join(parts)
    except OSError as exc:
        raise InputError(f"{shown}: {exc.strerror or exc}.") from exc
    finally:
        os.close(fd)


def _kind_of(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a directory"
    return "a special file"


def _ignore_spec(directory: Path) -> pathspec.GitIgnoreSpec | None:
    gitignore = directory / ".gitignore"
    if not gitignore.is_file():
        return None
    lines = gitignore.read_text(encoding="utf-8", errors="replace").splitlines()
    return pathspec.GitIgnoreSpec.from_lines(lines)


def _walk(root: Path, failed: list[OSError], top: Path | None = None) -> Iterator[Path]:
    specs: dict[Path, pathspec.GitIgnoreSpec | None] = {}
    # A folder inside a work tree: the .gitignore files above it (up to ``top``) apply
    # too, so naming ``repo/src`` indexes what naming ``repo`` indexes under ``src/``.
    above: list[tuple[Path, pathspec.GitIgnoreSpec]] = []
    if top is not None and root.absolute() != top:
        for folder in root.absolute().parents:
            if not folder.is_relative_to(top):
                break
            spec = _ignore_spec(folder)
            if spec is not None:
                above.append((folder, spec))

    def ignored(path: Path, is_dir: bool) -> bool:
        for folder, outer in above:
            rel = path.absolute().relative_to(folder).as_posix() + ("/" if is_dir else "")
            if outer.match_file(rel):
                return True
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

    for current, dirs, files in os.walk(root, onerror=failed.append):
        here = Path(current)
        specs[here] = _ignore_spec(here)
        dirs[:] = sorted(
            d
            for d in dirs
            if not skipped_folder(d)
            and not (here / d / "pyvenv.cfg").exists()
            and not ignored(here / d, True)
        )
        for name in sorted(files):
            path = here / name
            if name.endswith(INDEXED_SUFFIXES) and not ignored(path, False):
                yield path
