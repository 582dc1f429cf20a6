"""Read a repository shared as an archive (``.zip``, ``.tar.gz``, ``.tgz``, ``.tar``), in memory.

Archives come from strangers in a chat, so nothing here trusts them:

* nothing is written to disk: members are read into memory, each with a bounded read;
* an entry whose path leaves the archive (``../``, an absolute path, a drive letter)
  refuses the whole archive: it was made to attack an extractor;
* symlinks, hard links, devices and FIFOs are skipped, never followed;
* limits on the number of entries, the total uncompressed size, each file's size and the
  compression ratio refuse a zip bomb before it is expanded (the declared sizes are
  checked first, and the bytes actually read are counted, since headers can lie);
* archives inside the archive are not opened.

Only files Gencode indexes (``.py`` and ``.ipynb``) and ``.gitignore`` files are read; the
CLI's rules then apply (virtualenvs, ``node_modules``, build folders and whatever the
``.gitignore`` files exclude are left out). File names that are neither UTF-8 nor CP949
(what Korean Windows writes into zips) are skipped with a reason; characters that would
disguise a name (a right-to-left override, zero-width characters) are shown escaped
(:func:`~rag.models.printable`). A name that several entries share is read from its last
entry, as unpacking would leave it, and :attr:`Archive.duplicates` says so.
"""

from __future__ import annotations

import gzip
import io
import logging
import re
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath

from .discover import INDEXED_SUFFIXES, kept_paths
from .errors import InputError
from .models import printable

logger = logging.getLogger(__name__)

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".zip")


class ArchiveError(InputError):
    """An archive refused as a whole; the message is the one reason shown to the user."""


@dataclass(frozen=True)
class ArchiveLimits:
    """What an archive may hold; every number is configurable (``GENCODE_ARCHIVE_*``)."""

    max_entries: int = 20_000
    max_total_bytes: int = 200_000_000
    """Uncompressed size of everything in it."""
    max_file_bytes: int = 1_000_000
    """One file Gencode would read; bigger ones are skipped with a reason."""
    max_ratio: float = 100.0
    """Uncompressed / compressed size, for the whole archive and for any big entry."""
    max_gitignore_patterns: int = 10_000
    """Patterns in all its ``.gitignore`` files: each is matched against every file below it."""


MAX_NAME_PART = 255
MAX_PATH = 4096
MAX_DEPTH = 64
"""What file systems allow (NAME_MAX, PATH_MAX) and a depth no checkout reaches: longer names
only serve to make ``.gitignore`` matching slow, since its regular expressions backtrack."""
MAX_WILDCARDS = 3
"""``*`` or ``**`` in one ``.gitignore`` line; ``*a*a*a*a*b`` backtracks for minutes."""


@dataclass(frozen=True)
class ArchiveFile:
    path: str
    """Relative to the repository's root (the single top folder is dropped)."""
    data: bytes


@dataclass(frozen=True)
class SkippedEntry:
    path: str
    reason: str


@dataclass(frozen=True)
class Duplicate:
    """A name that more than one entry of the archive has (``zip`` and ``tar -r`` allow it).

    The last copy is the one read, as unpacking the archive would leave it; the report says
    so, since which copy wins is otherwise invisible."""

    path: str
    copies: int


@dataclass(frozen=True)
class Archive:
    repo: str
    files: tuple[ArchiveFile, ...]
    skipped: tuple[SkippedEntry, ...] = ()
    duplicates: tuple[Duplicate, ...] = ()


def is_archive(name: str) -> bool:
    return name.lower().endswith(ARCHIVE_SUFFIXES)


def archive_stem(name: str) -> str:
    lower = name.lower()
    for suffix in ARCHIVE_SUFFIXES:
        if lower.endswith(suffix):
            return name[: -len(suffix)] or "archive"
    return name


@dataclass
class _Entry:
    name: str
    kind: str
    """``file``, ``dir`` or why it is skipped (``a symlink``, ``a device``…)."""
    size: int
    checked: str = ""
    """The name its path is checked and split by, when ``name`` (what is shown) differs."""


def _unnamed(raw: bytes) -> _Entry:
    """An entry whose name is neither UTF-8 nor CP949: shown with its bytes escaped
    (``bad_\\xff.py``), but checked with them replaced, since an escape's backslash
    would read as a separator (``\\xff.py`` as the absolute ``/xff.py``)."""
    checked = raw.decode("utf-8", "replace")
    _safe_parts(checked)
    return _Entry(printable(raw.decode("utf-8", "surrogateescape")), "unnamed", 0, checked)


# A BOM-less UTF-8 name is the norm; CP949 is what Korean Windows tools write into zips.
def _decoded(raw: bytes) -> str | None:
    for encoding in ("utf-8", "cp949"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


_DRIVE = re.compile(r"^[A-Za-z]:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _safe_parts(name: str) -> tuple[str, ...]:
    """The path's parts, or an :class:`ArchiveError` if it points outside the archive."""
    path = name.replace("\\", "/")
    if path.startswith("/") or _DRIVE.match(path):
        raise ArchiveError(
            f"it contains an entry with an absolute path ({printable(name)}), which is how "
            "archives attack the folder they are unpacked in; nothing was indexed."
        )
    parts = tuple(p for p in path.split("/") if p not in ("", "."))
    if ".." in parts:
        raise ArchiveError(
            f"it contains an entry that climbs out of the archive ({printable(name)}), "
            "which is how archives attack the folder they are unpacked in; nothing was indexed."
        )
    if len(path) > MAX_PATH or len(parts) > MAX_DEPTH or any(len(p) > MAX_NAME_PART for p in parts):
        raise ArchiveError(
            f"it contains an entry whose name is longer or deeper than a file system allows "
            f"({printable(name[:80])}…), so it was not made from a checkout; nothing was indexed."
        )
    return parts


_WILDCARD = re.compile(r"\\.|\*\*|\*")


def _check_gitignores(gitignores: dict[str, str], limits: ArchiveLimits) -> None:
    """Refuse ``.gitignore`` files that would take too long to match (see MAX_WILDCARDS)."""
    total = 0
    for folder, text in gitignores.items():
        for line in text.splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            total += 1
            stars = sum(1 for m in _WILDCARD.findall(line) if m.startswith("*"))
            if stars > MAX_WILDCARDS:
                where = f"{folder}/.gitignore" if folder else ".gitignore"
                raise ArchiveError(
                    f"its {printable(where)} has a pattern with more than {MAX_WILDCARDS} "
                    f"wildcards ({printable(line[:80])}), which would take too long to match. "
                    "Simplify the pattern and share the archive again."
                )
    if total > limits.max_gitignore_patterns:
        raise ArchiveError(
            f"its .gitignore files hold more than {limits.max_gitignore_patterns:,} patterns "
            "in all, which would take too long to match. Share the archive without them."
        )


class _Budget:
    """Counts the bytes actually decompressed, whatever the headers claimed."""

    def __init__(self, limits: ArchiveLimits, compressed: int) -> None:
        self.limit = min(limits.max_total_bytes, int(limits.max_ratio * max(compressed, 1)))
        self.limits = limits
        self.used = 0

    def take(self, n: int) -> None:
        self.used += n
        if self.used > self.limit:
            raise ArchiveError(_too_much(self.limits))


def _too_much(limits: ArchiveLimits) -> str:
    return (
        "it expands to more than it should: over "
        f"{limits.max_total_bytes:,} bytes in all or {limits.max_ratio:g} times its own size "
        "(a zip bomb looks like this). Share a smaller archive, or ask whoever runs Gencode "
        "to raise GENCODE_ARCHIVE_MAX_BYTES."
    )


def _too_many(limits: ArchiveLimits) -> str:
    return (
        f"it has more than {limits.max_entries:,} entries. Share the part of the repository "
        "you need, or ask whoever runs Gencode to raise GENCODE_ARCHIVE_MAX_ENTRIES."
    )


def read_archive(data: bytes, name: str, *, limits: ArchiveLimits | None = None) -> Archive:
    """The indexable files of an archive, or :class:`ArchiveError` with the one reason."""
    limits = limits or ArchiveLimits()
    try:
        if data[:4] == b"PK\x03\x04" or data[:4] == b"PK\x05\x06":
            entries = list(_zip_entries(data, limits))
        elif data[:2] == b"\x1f\x8b" or _looks_like_tar(data):
            entries = list(_tar_entries(data, limits))
        else:
            raise ArchiveError("it is not a zip or tar archive that I can read.")
    except ArchiveError:
        raise
    except (NotImplementedError, RuntimeError) as exc:  # Deflate64, AES, a password
        logger.info("archive %s refused as unreadable: %s", printable(name), exc)
        raise ArchiveError(
            "it is protected by a password or uses a compression method I cannot read "
            "(Deflate64, AES…). Make it again without a password, with ordinary zip "
            "compression, or as a .tar.gz."
        ) from exc
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, zlib.error, OSError, ValueError) as exc:
        logger.info("archive %s refused as damaged: %s", printable(name), exc)
        raise ArchiveError(
            "it is damaged or cut short, so I could not read it. Share it again."
        ) from exc
    return _collect(entries, name, limits)


def _looks_like_tar(data: bytes) -> bool:
    return len(data) >= 512 and data[257:262] == b"ustar"


def _zip_entries(data: bytes, limits: ArchiveLimits) -> Iterator[tuple[_Entry, bytes | None]]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    infos = archive.infolist()
    if len(infos) > limits.max_entries:
        raise ArchiveError(_too_many(limits))
    declared = sum(i.file_size for i in infos)
    if declared > limits.max_total_bytes or declared > limits.max_ratio * max(len(data), 1):
        raise ArchiveError(_too_much(limits))
    budget = _Budget(limits, len(data))
    for info in infos:
        raw = info.orig_filename.encode("utf-8" if info.flag_bits & 0x800 else "cp437")
        decoded = _decoded(raw)
        mode = info.external_attr >> 16
        kind = "dir" if info.is_dir() else "file"
        if stat.S_ISLNK(mode):
            kind = "a symlink"
        elif mode and stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):
            kind = "a device or special file"
        if decoded is None:
            yield _unnamed(raw), None
            continue
        _safe_parts(decoded)
        entry = _Entry(decoded, kind, info.file_size)
        unread = _unread(entry, limits)
        if unread is not None:
            yield unread, None
            continue
        _check_zip_method(info, decoded)
        with archive.open(info) as member:  # reads no more than the declared size
            content = member.read(limits.max_file_bytes + 1)
        budget.take(len(content))
        yield entry, content


_ZIP_READABLE = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
_ZIP_METHODS = {9: "Deflate64", 12: "bzip2", 14: "LZMA", 93: "Zstandard", 95: "xz", 98: "PPMd"}


def _check_zip_method(info: zipfile.ZipInfo, name: str) -> None:
    """Refuse a member whose decompression ``zipfile`` does not bound.

    Only stored and deflated members are read: ``zipfile`` inflates at most the bytes asked
    for, and stops at the declared size. It hands a bzip2 or LZMA member's compressed
    chunks to a decompressor with no output limit, so 1 KB of bzip2 claiming 500 bytes
    became 1.5 GB in memory before any check could see it. Every ordinary zip tool writes
    deflate; AES (method 99) is a password, said as such by the caller.
    """
    method = info.compress_type
    if method in _ZIP_READABLE or method == 99 or info.flag_bits & 0x1:
        return
    shown = _ZIP_METHODS.get(method, f"compression method {method}")
    raise ArchiveError(
        f"its entry {printable(name)} is compressed with {shown}, which I do not unpack: it "
        "can expand without limit, which is how a compression bomb is made. Make the "
        "archive again with ordinary zip (deflate) compression, or as a .tar.gz; nothing "
        "was indexed."
    )


class _CountingReader(io.RawIOBase):
    """A decompressed stream that stops the moment it has given more than the budget."""

    def __init__(self, inner: io.BufferedIOBase | gzip.GzipFile, budget: _Budget) -> None:
        self.inner = inner
        self.budget = budget

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        chunk = self.inner.read(len(buffer))
        self.budget.take(len(chunk))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def _uncompressed(data: bytes, budget: _Budget) -> io.BufferedReader:
    """The tar stream inside ``data`` (gunzipped if need be), counted against ``budget``."""
    raw: io.BufferedIOBase | gzip.GzipFile = io.BytesIO(data)
    if data[:2] == b"\x1f\x8b":
        raw = gzip.GzipFile(fileobj=io.BytesIO(data))
    return io.BufferedReader(_CountingReader(raw, budget))


MAX_EXTENDED_HEADER = 64 * 1024
"""Bytes in one pax or GNU long-name header. Real ones carry a path (4 KB at most) and a
few attributes, a few hundred bytes; CPython's tarfile parses them with regular
expressions that backtrack quadratically (CVE-2024-6232), holding the GIL: 150,000 digits
froze every thread of the server for 28 s. See :func:`_check_tar_headers`."""
MAX_DIGIT_RUN = 32
"""Digits in a row anywhere in a pax header. tarfile's ``\\d+ hdrcharset=`` search costs
the square of the longest run; a timestamp has 20 digits at most."""
_EXTENDED_TYPE = re.compile(rb"[xgLK]")
_LONG_DIGITS = re.compile(rb"\d{%d}" % (MAX_DIGIT_RUN + 1))
_PAX_LENGTH = re.compile(rb"(\d+) ")


def _check_tar_headers(stream: io.BufferedReader) -> None:
    """Refuse pax and GNU long-name headers that would stall ``tarfile``, before it runs.

    tarfile reads a header at every 512-byte boundary it reaches and believes any block
    whose checksum is right. Rather than follow the archive's member chain (pax records
    can change the sizes that chain depends on), every aligned block whose type is an
    extended header (``x``, ``g``, ``L``, ``K``) and whose checksum tarfile would accept is
    checked: one pass, linear, whatever the Python patch level. Data that merely looks
    like such a header (a tar inside the tar) is checked too, which refuses nothing real.
    """
    pending = b""
    while True:
        chunk = stream.read(1 << 20)
        pending += chunk
        # Keep enough behind each candidate header to see all of its data.
        usable = len(pending) - (0 if not chunk else MAX_EXTENDED_HEADER + 512)
        usable = max(usable, 0) // 512 * 512
        for found in _EXTENDED_TYPE.finditer(pending[156:usable:512]):  # each type byte
            _check_extended_header(pending, found.start() * 512)
        pending = pending[usable:]
        if not chunk:
            return


def _check_extended_header(buf: bytes, at: int) -> None:
    block = buf[at : at + 512]
    if len(block) < 512 or not _tar_checksum_ok(block):
        return  # tarfile takes it for no header (or stops there)
    size = _tar_number(block[124:136])
    if size is None:
        return  # tarfile refuses the header
    if size > MAX_EXTENDED_HEADER:
        raise ArchiveError(
            f"it has a tar header of {size:,} bytes, where real ones (a pax or GNU long-name "
            "header: a path and a few attributes) hold a few hundred; headers like this are "
            "made to stall the unpacker, so nothing was indexed."
        )
    if block[156:157] in (b"x", b"g"):
        _check_pax(buf[at + 512 : at + 512 + -(-size // 512) * 512])


def _check_pax(data: bytes) -> None:
    """Refuse pax records tarfile would parse in quadratic time (or sparse-file maps).

    tarfile reads a record with ``(\\d+) ([^=]+)=`` and steps by the length it claims: a
    record whose ``=`` lies beyond that length makes every later step scan far ahead.
    Records are checked in the same steps here, each scan bounded by its own length.
    """
    malformed = ArchiveError(
        "it has a malformed pax header (records that overrun their own lengths, or "
        f"numbers longer than {MAX_DIGIT_RUN} digits), which is how archives are made to "
        "stall the unpacker; nothing was indexed."
    )
    if _LONG_DIGITS.search(data):
        raise malformed
    if b"GNU.sparse." in data:  # tarfile reads sparse maps a block at a time, rescanning
        raise ArchiveError(
            "it is damaged or holds GNU sparse-file headers, which I do not read; nothing "
            "was indexed. Make it again without --sparse (plain `tar czf`)."
        )
    last_equals = data.rfind(b"=")
    pos = 0
    while (record := _PAX_LENGTH.match(data, pos)) is not None:
        length = int(record.group(1))
        if length == 0 or last_equals <= record.end():
            return  # tarfile refuses the header, or its loop ends after one scan
        if data.find(b"=", record.end(), pos + length) == -1:
            raise malformed
        pos += length


def _tar_checksum_ok(block: bytes) -> bool:
    """tarfile's test: the stored checksum is the unsigned or signed sum of the header."""
    stored = _tar_number(block[148:156])
    spaces = 8 * 0x20
    unsigned = sum(block[:148]) + sum(block[156:]) + spaces
    signed = unsigned - 256 * sum(1 for b in block[:148] + block[156:] if b > 127)
    return stored is not None and stored in (unsigned, signed)


def _tar_number(field: bytes) -> int | None:
    """A numeric header field as tarfile reads it (octal, or base-256), None if invalid."""
    if field[0] in (0o200, 0o377):
        n = int.from_bytes(field[1:], "big")
        return n - 256 ** (len(field) - 1) if field[0] == 0o377 else n
    try:
        text = field.split(b"\0", 1)[0].decode("ascii").strip()
        return int(text or "0", 8)
    except ValueError:  # UnicodeDecodeError included
        return None


def _tar_entries(data: bytes, limits: ArchiveLimits) -> Iterator[tuple[_Entry, bytes | None]]:
    _check_tar_headers(_uncompressed(data, _Budget(limits, len(data))))
    budget = _Budget(limits, len(data))
    stream = _uncompressed(data, budget)
    count = 0
    with tarfile.open(fileobj=stream, mode="r|", encoding="utf-8", errors="surrogateescape") as tar:
        for member in tar:
            count += 1
            if count > limits.max_entries:
                raise ArchiveError(_too_many(limits))
            # Skipping an entry reads its declared size, an empty read at a time past the end.
            if member.size < 0:
                raise tarfile.TarError(f"negative size {member.size}")
            if member.size > budget.limit:
                raise ArchiveError(_too_much(limits))
            raw = member.name.encode("utf-8", "surrogateescape")
            decoded = _decoded(raw)
            if decoded is None:
                yield _unnamed(raw), None
                continue
            _safe_parts(decoded)
            if member.issym():
                kind = "a symlink"
            elif member.islnk():
                kind = "a hard link"
            elif member.isdev() or member.isfifo():
                kind = "a device or special file"
            elif member.isdir():
                kind = "dir"
            elif member.isfile():
                kind = "file"
            else:
                kind = "a special file"
            entry = _Entry(decoded, kind, member.size)
            unread = _unread(entry, limits)
            if unread is not None:
                yield unread, None
                continue
            extracted = tar.extractfile(member)
            content = extracted.read(limits.max_file_bytes + 1) if extracted else b""
            yield entry, content


def _unread(entry: _Entry, limits: ArchiveLimits) -> _Entry | None:
    """How to report an entry that is not read (not a file, not wanted, too big), or None."""
    if entry.kind != "file" or not _wanted(entry.name):
        return entry
    if entry.size > limits.max_file_bytes:
        return _Entry(entry.name, "too big", entry.size)
    return None


def _wanted(name: str) -> bool:
    base = PurePosixPath(name.replace("\\", "/")).name
    return base.endswith(INDEXED_SUFFIXES) or base in (".gitignore", "pyvenv.cfg")


def _collect(
    entries: list[tuple[_Entry, bytes | None]], name: str, limits: ArchiveLimits
) -> Archive:
    files: dict[str, bytes] = {}
    skipped: list[SkippedEntry] = []
    markers: dict[str, bytes] = {}
    copies: dict[str, int] = {}  # entries per name read: more than one is a duplicate
    tops: set[str] = set()
    for entry, content in entries:
        parts = _safe_parts(entry.checked or entry.name) if entry.name else ()
        if parts:
            tops.add(parts[0] if len(parts) > 1 or entry.kind == "dir" else "")
        path = "/".join(parts)
        if entry.kind == "unnamed":
            skipped.append(SkippedEntry(entry.name, "its name is neither UTF-8 nor CP949"))
        elif _CONTROL.search(path):
            if path.endswith(INDEXED_SUFFIXES):
                shown = _CONTROL.sub("?", path)
                skipped.append(SkippedEntry(shown, "its name has control characters"))
        elif entry.kind == "too big":
            if path.endswith(INDEXED_SUFFIXES):
                skipped.append(SkippedEntry(path, f"{entry.size:,} bytes, over the size limit"))
        elif entry.kind not in ("file", "dir"):
            if path.endswith(INDEXED_SUFFIXES):
                skipped.append(SkippedEntry(path, f"{entry.kind}, not followed"))
        elif content is not None:
            # Keyed by the name as shown, so two names that would look alike once their
            # hidden characters are escaped count as the duplicate they will be listed as.
            path = printable(path)
            copies[path] = copies.get(path, 0) + 1
            if PurePosixPath(path).name in (".gitignore", "pyvenv.cfg"):
                markers[path] = content
            else:
                files[path] = content
    stem = printable(archive_stem(PurePosixPath(name).name))
    strip = ""
    if len(tops) == 1 and "" not in tops:
        strip = printable(next(iter(tops))) + "/"
    repo = strip.rstrip("/") or stem
    gitignores = {
        p.removesuffix(".gitignore").rstrip("/"): c.decode("utf-8", "replace")
        for p, c in markers.items()
        if p.endswith(".gitignore")
    }
    _check_gitignores(gitignores, limits)
    venvs = {p.removesuffix("pyvenv.cfg").rstrip("/") for p in markers if p.endswith("pyvenv.cfg")}
    kept = kept_paths(files, gitignores=gitignores, venvs=venvs)
    out = tuple(
        ArchiveFile(printable(p.removeprefix(strip)), files[p]) for p in sorted(files) if p in kept
    )
    return Archive(
        repo=printable(repo),
        files=out,
        skipped=tuple(
            SkippedEntry(printable(s.path.removeprefix(strip)), s.reason) for s in skipped
        ),
        duplicates=tuple(
            Duplicate(p.removeprefix(strip), n)
            for p, n in sorted(copies.items())
            if n > 1 and (p in kept or p in markers)
        ),
    )
