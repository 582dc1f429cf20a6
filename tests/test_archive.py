"""Repositories shared as archives: read in memory, hostile ones refused with one reason.

Every hostile archive here is made by the test itself.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import tarfile
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from rag import Engine, Scope, Source
from rag.archive import ArchiveError, ArchiveLimits, read_archive

UTIL = b"def slugify(text):\n    return text.lower().replace(' ', '-')\n"
MONEY = b"def parse_money(text):\n    return round(float(text.strip('$')), 2)\n"


def zipped(entries: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buf.getvalue()


def tarred(entries: dict[str, bytes], *, mode: str = "w:gz") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as t:  # type: ignore[call-overload]
        for name, data in entries.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_a_zip_with_one_top_folder_is_named_after_it() -> None:
    data = zipped(
        {
            "shop-main/shop/util.py": UTIL,
            "shop-main/shop/money.py": MONEY,
            "shop-main/README.md": b"# shop",
            "shop-main/.venv/pyvenv.cfg": b"home = /usr",
            "shop-main/.venv/lib/x.py": UTIL,
            "shop-main/node_modules/y.py": UTIL,
            "shop-main/build/lib/shop/util.py": UTIL,
            "shop-main/.gitignore": b"generated/\n",
            "shop-main/generated/api.py": UTIL,
            "shop-main/inner.zip": zipped({"z.py": UTIL}),
        }
    )
    archive = read_archive(data, "shop-main.zip")
    assert archive.repo == "shop-main"
    assert [f.path for f in archive.files] == ["shop/money.py", "shop/util.py"]


def test_a_tarball_without_one_top_folder_is_named_after_the_file() -> None:
    archive = read_archive(tarred({"util.py": UTIL, "pkg/money.py": MONEY}), "tools.tar.gz")
    assert archive.repo == "tools"
    assert [f.path for f in archive.files] == ["pkg/money.py", "util.py"]
    assert read_archive(tarred({"a.py": UTIL}, mode="w"), "plain.tar").repo == "plain"


def test_a_zip_bomb_is_refused_before_it_is_expanded() -> None:
    bomb = zipped({"big.py": b"\0" * 50_000_000})
    assert len(bomb) < 100_000
    with pytest.raises(ArchiveError, match="zip bomb"):
        read_archive(bomb, "bomb.zip")


def test_a_tar_bomb_is_stopped_while_it_expands() -> None:
    bomb = tarred({"data.bin": b"\0" * 30_000_000})
    with pytest.raises(ArchiveError, match="zip bomb"):
        read_archive(bomb, "bomb.tgz", limits=ArchiveLimits(max_total_bytes=10_000_000))


def test_a_hundred_thousand_tiny_entries_are_refused() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for i in range(100_000):
            z.writestr(f"f{i}.txt", b"")
    with pytest.raises(ArchiveError, match="more than 20,000 entries"):
        read_archive(buf.getvalue(), "many.zip")


@pytest.mark.parametrize(
    "name", ["../evil.py", "pkg/../../evil.py", "/etc/evil.py", "C:\\\\evil.py", "C:/evil.py"]
)
def test_entries_that_leave_the_archive_refuse_it(name: str) -> None:
    with pytest.raises(ArchiveError, match="attack"):
        read_archive(zipped({"ok.py": UTIL, name: UTIL}), "evil.zip")
    with pytest.raises(ArchiveError, match="attack"):
        read_archive(tarred({"ok.py": UTIL, name: UTIL}), "evil.tgz")


def test_links_and_devices_are_skipped_with_a_reason() -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        ok = tarfile.TarInfo("repo/ok.py")
        ok.size = len(UTIL)
        t.addfile(ok, io.BytesIO(UTIL))
        for name, kind in [
            ("repo/link.py", tarfile.SYMTYPE),
            ("repo/hard.py", tarfile.LNKTYPE),
            ("repo/zero.py", tarfile.CHRTYPE),
            ("repo/pipe.py", tarfile.FIFOTYPE),
        ]:
            info = tarfile.TarInfo(name)
            info.type = kind
            info.linkname = "/etc/passwd" if kind in (tarfile.SYMTYPE, tarfile.LNKTYPE) else ""
            t.addfile(info)
    archive = read_archive(buf.getvalue(), "repo.tgz")
    assert [f.path for f in archive.files] == ["ok.py"]
    reasons = {s.path: s.reason for s in archive.skipped}
    assert reasons == {
        "link.py": "a symlink, not followed",
        "hard.py": "a hard link, not followed",
        "zero.py": "a device or special file, not followed",
        "pipe.py": "a device or special file, not followed",
    }
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w") as z:
        z.writestr("ok.py", UTIL)
        link = zipfile.ZipInfo("link.py")
        link.external_attr = (0o120777) << 16
        z.writestr(link, "/etc/passwd")
    archive = read_archive(zbuf.getvalue(), "z.zip")
    assert [f.path for f in archive.files] == ["ok.py"]
    assert [(s.path, s.reason) for s in archive.skipped] == [("link.py", "a symlink, not followed")]


@pytest.mark.parametrize("cut", [0.3, 0.9])
def test_a_truncated_archive_is_refused(cut: float) -> None:
    noisy = {f"m{i}.py": UTIL + f"# {os.urandom(2000).hex()}\n".encode() for i in range(20)}
    for data, name in [(zipped(noisy), "t.zip"), (tarred(noisy), "t.tgz")]:
        with pytest.raises(ArchiveError, match="damaged or cut short"):
            read_archive(data[: int(len(data) * cut)], name)


def test_file_names_that_are_not_utf8_are_decoded_as_cp949_or_skipped() -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", encoding="utf-8", errors="surrogateescape") as t:
        for raw, data in [
            (b"repo/\xb9\xae\xbc\xad.py", UTIL),  # "문서" in CP949
            (b"repo/bad_\xff\xfe.py", MONEY),  # neither UTF-8 nor CP949
            (b"repo/ok.py", MONEY),
        ]:
            info = tarfile.TarInfo(raw.decode("utf-8", "surrogateescape"))
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    archive = read_archive(buf.getvalue(), "repo.tar")
    assert [f.path for f in archive.files] == ["ok.py", "문서.py"]
    assert [(s.path, s.reason) for s in archive.skipped] == [
        ("bad_\\xff\\xfe.py", "its name is neither UTF-8 nor CP949")
    ]


def test_garbage_is_not_an_archive() -> None:
    with pytest.raises(ArchiveError, match="not a zip or tar"):
        read_archive(b"hello world" * 100, "x.zip")


# -- a repository, indexed and re-indexed ---------------------------------------------------


def test_reindexing_a_repository_replaces_it_incrementally(engine: Engine) -> None:
    template = Source("", workspace="T1", scope="C1", channel="C1", repo="shop")
    files = [("shop/util.py", UTIL), ("shop/money.py", MONEY)]
    first = engine.index_repository(files, template)
    assert first.new == 2 and first.line().startswith("indexed 2 files of shop")
    summarizer = engine.summarizer
    seen_before = len(summarizer.seen)  # type: ignore[attr-defined]
    again = engine.index_repository([("shop/util.py", UTIL)], template)
    assert len(summarizer.seen) == seen_before  # type: ignore[attr-defined]
    assert (again.new, again.unchanged, again.removed) == (0, 1, 1)
    assert [f.path for f in again.files if f.deleted] == ["shop/money.py"]
    # another conversation's copy of the same repository is its own
    other = Source("", workspace="T1", scope="C2", channel="C2", repo="shop")
    engine.index_repository([("shop/util.py", UTIL)], other)
    assert {s.channel for s in engine.sources(Scope.of("T1", "C1", "C2"))} == {"C1", "C2"}


def test_a_repository_that_runs_out_of_time_removes_nothing(engine: Engine) -> None:
    template = Source("", workspace="T1", channel="C1", repo="shop")
    engine.index_repository([("util.py", UTIL), ("money.py", MONEY)], template)
    calls = iter([False, True])
    report = engine.index_repository(
        [("util.py", UTIL)] + [(f"new{i}.py", MONEY) for i in range(3)],
        template,
        out_of_time=lambda: next(calls, True),
    )
    assert report.unfinished == 3
    assert {s.path for s in engine.sources(Scope.of("T1"))} == {"util.py", "money.py"}


NOTEBOOK = {
    "cells": [
        {"cell_type": "markdown", "source": ["# Sales"]},
        {"cell_type": "code", "source": ["%matplotlib inline\n", "import pandas as pd\n"]},
        {
            "cell_type": "code",
            "source": [
                "def monthly_totals(df):\n",
                "    return df.groupby('month').sum()\n",
            ],
        },
        {"cell_type": "code", "source": "totals = monthly_totals(pd.read_csv('s.csv'))\n"},
        {"cell_type": "code", "source": "def broken(:\n"},
    ],
    "metadata": {},
    "nbformat": 4,
    "nbformat_minor": 5,
}


def test_notebook_code_cells_become_chunks_that_point_to_their_cell(
    engine: Engine, tmp_path: Path
) -> None:
    (tmp_path / "nb").mkdir()
    (tmp_path / "nb" / "sales.ipynb").write_text(json.dumps(NOTEBOOK))
    report = engine.index_paths([tmp_path / "nb"], workspace="T1")
    (file,) = report.files
    assert file.ok
    found = {(c.qualname, c.cell, c.start_line) for c in file.chunks}
    # the magic on line 1 of cell 2 became a comment: the import is its line 2
    assert found == {("cell 2", 2, 2), ("monthly_totals", 3, 1), ("cell 4", 4, 1)}
    hit = engine.retrieve("monthly totals group by month", Scope.of("T1"), k=1)[0]
    assert hit.chunk.lines == "cell 3, L1–2"
    assert hit.chunk.display_path == "nb/sales.ipynb"


def test_the_model_is_told_the_repository_and_the_cell(engine: Engine, tmp_path: Path) -> None:
    from rag.prompt import reference_block

    (tmp_path / "nb").mkdir()
    (tmp_path / "nb" / "sales.ipynb").write_text(json.dumps(NOTEBOOK))
    engine.index_paths([tmp_path / "nb"], workspace="T1")
    hit = engine.retrieve("monthly totals group by month", Scope.of("T1"), k=1)[0]
    block = reference_block(1, hit).splitlines()[0]
    assert 'repo="nb" path="sales.ipynb" qualname="monthly_totals" cell="3" lines="1-2"' in block


# A .gitignore is a program the archive's author writes: pathspec turns each line into a
# regular expression, and a line such as ``*a*a*a*a*b`` backtracks for minutes against
# one long name (measured: 80 s for four stars and a 400-character name, before the fix).
# These tests use inputs small enough that the old code answered quickly, but wrongly.
@pytest.mark.parametrize("line", ["*a*a*a*a*b", "**/a*/**/a*b", "x*y*z*/**/w*"])
def test_a_gitignore_line_with_too_many_wildcards_refuses_the_archive(line: str) -> None:
    data = zipped({"r/.gitignore": line.encode() + b"\n", "r/aaaa.py": UTIL})
    with pytest.raises(ArchiveError, match="wildcards"):
        read_archive(data, "r.zip")


def test_ordinary_gitignore_wildcards_are_still_obeyed() -> None:
    ignore = b"**/*.py[cod]\n**/gen/**\n*.egg-info/\n# a comment with * * * * *\n\\#*#\n"
    data = zipped({"r/.gitignore": ignore, "r/gen/x/api.py": UTIL, "r/util.py": UTIL})
    assert [f.path for f in read_archive(data, "r.zip").files] == ["util.py"]


def test_too_many_gitignore_patterns_in_all_refuse_the_archive() -> None:
    lines = b"".join(b"f%d\n" % i for i in range(6_000))
    data = zipped({"r/.gitignore": lines, "r/a/.gitignore": lines, "r/util.py": UTIL})
    with pytest.raises(ArchiveError, match="patterns"):
        read_archive(data, "r.zip")


@pytest.mark.parametrize(
    "name", ["r/" + "a" * 300 + ".py", "r/" + "a/" * 70 + "x.py", "r/" + ("b" * 200 + "/") * 25]
)
def test_a_name_longer_than_a_file_system_allows_refuses_the_archive(name: str) -> None:
    data = zipped({name: UTIL, "r/util.py": UTIL})
    with pytest.raises(ArchiveError, match="longer"):
        read_archive(data, "r.zip")


def _pax_tar(pax: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        info = tarfile.TarInfo("r/a.py")
        info.size = len(UTIL)
        info.pax_headers = pax
        t.addfile(info, io.BytesIO(UTIL))
        info = tarfile.TarInfo("r/b.py")
        info.size = len(MONEY)
        t.addfile(info, io.BytesIO(MONEY))
    return buf.getvalue()


# tarfile skips an entry it is not asked to read by reading its declared size from the
# stream, an empty read at a time once the data ends: a pax 'size' of 10**14 in a 3 KB
# tar spun a worker for hours (10**10 here: the old code spun a second, then said damaged).
@pytest.mark.parametrize(("size", "why"), [("10000000000", "expands"), ("-1", "damaged")])
def test_a_pax_size_no_archive_could_hold_refuses_it(size: str, why: str) -> None:
    with pytest.raises(ArchiveError, match=why):
        read_archive(_pax_tar({"size": size}), "r.tar")


def test_a_malformed_sparse_header_is_a_reason_not_a_crash() -> None:
    pax = {"GNU.sparse.major": "1", "GNU.sparse.minor": "0", "GNU.sparse.name": "r/s.py"}
    with pytest.raises(ArchiveError, match="damaged"):
        read_archive(_pax_tar(pax), "r.tar")


def _with_method(data: bytes, method: int) -> bytes:
    out = bytearray(data)
    out[8:10] = method.to_bytes(2, "little")  # the local header
    central = out.index(b"PK\x01\x02")
    out[central + 10 : central + 12] = method.to_bytes(2, "little")
    return bytes(out)


def _encrypted(data: bytes) -> bytes:
    out = bytearray(data)
    out[6] |= 1  # the local header's flags: encrypted
    out[out.index(b"PK\x01\x02") + 8] |= 1
    return bytes(out)


@pytest.mark.parametrize(
    "data",
    [
        _with_method(zipped({"r/a.py": UTIL}, compression=zipfile.ZIP_STORED), 9),  # Deflate64
        _with_method(zipped({"r/a.py": UTIL}, compression=zipfile.ZIP_STORED), 99),  # AES
        _encrypted(zipped({"r/a.py": UTIL}, compression=zipfile.ZIP_STORED)),
    ],
    ids=["deflate64", "aes", "password"],
)
def test_a_zip_python_cannot_decompress_is_refused_with_a_reason(data: bytes) -> None:
    with pytest.raises(ArchiveError, match="password|compression"):
        read_archive(data, "r.zip")


# A notebook is JSON the sharer wrote: nesting deeper than Python's recursion limit, or a
# cell whose source list holds numbers, raised out of the engine, so one bad notebook made
# a whole shared repository end in an apology instead of a line in its report.
@pytest.mark.parametrize(
    "notebook",
    [
        b"[" * 100_000 + b"]" * 100_000,
        json.dumps({"cells": [{"cell_type": "code", "source": [1, 2]}]}).encode(),
    ],
    ids=["deep", "numbers"],
)
def test_a_hostile_notebook_is_reported_not_raised(engine: Engine, notebook: bytes) -> None:
    template = Source("", workspace="T1", channel="C1", repo="shop")
    report = engine.index_repository([("bad.ipynb", notebook), ("util.py", UTIL)], template)
    bad = next(f for f in report.files if f.path.endswith("bad.ipynb"))
    assert bad.error and "notebook" in bad.error
    assert {s.path for s in engine.sources(Scope.of("T1"))} == {"util.py"}


def test_entries_with_control_characters_in_their_names_are_skipped() -> None:
    archive = read_archive(tarred({"repo/ok.py": UTIL, "repo/x\nfake.py": MONEY}), "r.tgz")
    assert [f.path for f in archive.files] == ["ok.py"]
    assert [(s.path, s.reason) for s in archive.skipped] == [
        ("x?fake.py", "its name has control characters")
    ]


def _lying_zip(method: int, payload: bytes, *, declared: int = 500) -> bytes:
    """One member compressed with ``method`` whose headers claim ``declared`` bytes."""
    data = zipped({"r/big.py": payload}, compression=method)
    out = bytearray(data)
    out[22:26] = declared.to_bytes(4, "little")  # the local header's uncompressed size
    central = out.index(b"PK\x01\x02")
    out[central + 24 : central + 28] = declared.to_bytes(4, "little")
    return bytes(out)


# zipfile hands bzip2 and LZMA chunks to a decompressor with no output bound: 1 KB of
# bzip2 claiming 500 bytes took a server from 184 MB to 3 GB, then was called "damaged".
@pytest.mark.parametrize(
    ("method", "name"), [(zipfile.ZIP_BZIP2, "bzip2"), (zipfile.ZIP_LZMA, "LZMA")]
)
def test_a_zip_member_whose_decompression_is_unbounded_is_refused_unread(
    method: int, name: str
) -> None:
    bomb = _lying_zip(method, b"\0" * 20_000_000)
    assert len(bomb) < 50_000
    tracemalloc.start()
    try:
        with pytest.raises(ArchiveError, match=f"{name}.*compression bomb"):
            read_archive(bomb, "r.zip")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000, f"{peak:,} bytes allocated while refusing it"


def test_stored_and_deflated_members_are_still_read() -> None:
    for method in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        archive = read_archive(zipped({"r/a.py": UTIL}, compression=method), "r.zip")
        assert [(f.path, f.data) for f in archive.files] == [("a.py", UTIL)]


def _raw_extended(kind: bytes, payload: bytes, then: dict[str, bytes]) -> bytes:
    """A tar whose first header is a ``kind`` extended header carrying ``payload`` as is."""
    info = tarfile.TarInfo("././@PaxHeader")
    info.type = kind
    info.size = len(payload)
    head = info.tobuf(format=tarfile.USTAR_FORMAT)
    padding = b"\0" * (-len(payload) % 512)
    return head + payload + padding + tarred(then, mode="w")


# CPython's tarfile backtracks quadratically on pax records (CVE-2024-6232) while it holds
# the GIL: a 152 KB tar with 150,000 digits in a pax header stalled /healthz and every ack
# for 28 s. Python 3.11.7 is affected; the headers are checked before tarfile parses them.
@pytest.mark.parametrize(
    ("kind", "payload", "reason"),
    [
        (tarfile.XHDTYPE, b"1" * 150_000, "tar header of 150,000 bytes"),
        (tarfile.XGLTYPE, b"1" * 150_000, "tar header of 150,000 bytes"),
        (tarfile.GNUTYPE_LONGNAME, b"a" * 200_000, "tar header of 200,000 bytes"),
        (tarfile.XHDTYPE, b"5" * 40_000, "malformed pax header"),
        (tarfile.XHDTYPE, b"2 " * 30_000 + b"=", "malformed pax header"),
    ],
    ids=["pax-digits", "global-pax", "gnu-long-name", "digits-within-size", "overrun"],
)
def test_a_tar_header_that_would_stall_the_unpacker_is_refused(
    kind: bytes, payload: bytes, reason: str
) -> None:
    data = _raw_extended(kind, payload, {"repo/ok.py": UTIL})
    with pytest.raises(ArchiveError, match=reason):
        read_archive(data, "r.tar")
    lenient = ArchiveLimits(max_ratio=10_000)  # so the zip-bomb rule does not answer first
    with pytest.raises(ArchiveError, match=reason):
        read_archive(gzip.compress(data), "r.tar.gz", limits=lenient)


def test_real_pax_headers_long_paths_and_tars_inside_tars_are_read() -> None:
    deep = "repo/" + "/".join(["d" * 200] * 15) + "/deep.py"
    inner = _pax_tar({"comment": "x" * 30_000, "mtime": "1700000000.123456789"})
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, data in ((deep, UTIL), ("repo/money.py", MONEY), ("repo/inner.tar", inner)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.pax_headers = {"mtime": "1700000000.123456789", "user.note": "é" * 2000}
            t.addfile(info, io.BytesIO(data))
    archive = read_archive(buf.getvalue(), "repo.tar")
    assert sorted(f.path for f in archive.files) == [deep.removeprefix("repo/"), "money.py"]


# An undecodable name is shown with its bytes escaped (\xff); that backslash was read as a
# path separator, so such a name at the top of a tar, or a CP949 one, refused the whole
# archive as holding "an absolute path" instead of skipping one entry or reading it.
@pytest.mark.parametrize("mode", ["w", "w:gz"])
def test_undecodable_and_cp949_names_at_the_top_of_a_tar_do_not_refuse_it(mode: str) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode, encoding="utf-8", errors="surrogateescape") as t:  # type: ignore[call-overload]
        for raw, data in [
            (b"\xb9\xae\xbc\xad.py", UTIL),
            (b"\xff\xfe.py", MONEY),
            (b"ok.py", MONEY),
        ]:
            info = tarfile.TarInfo(raw.decode("utf-8", "surrogateescape"))
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    archive = read_archive(buf.getvalue(), "tools.tgz")
    assert [f.path for f in archive.files] == ["ok.py", "문서.py"]
    assert [s.path for s in archive.skipped] == ["\\xff\\xfe.py"]


def test_an_undecodable_name_that_climbs_out_still_refuses_the_archive() -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", encoding="utf-8", errors="surrogateescape") as t:
        info = tarfile.TarInfo(b"../\xff.py".decode("utf-8", "surrogateescape"))
        t.addfile(info, io.BytesIO(b""))
    with pytest.raises(ArchiveError, match="climbs out"):
        read_archive(buf.getvalue(), "r.tar")
