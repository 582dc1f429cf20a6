"""The blind question sets are data, and ``python -m bench.sets`` checks and builds any of them.

A tiny corpus in ``tmp_path`` (a ten-candidate library and one set of each kind) passes the
checks, and each deliberately broken copy fails with the reason; drafts build the same files
every time; and every committed corpus passes, read by ``bench.blind`` exactly as before.
No model, no embedding, no network: the checks read TSV files and a manifest.
"""

from __future__ import annotations

import random
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench import blind, context, corpus
from bench.sets import BuildError, ManifestError, all_corpora, build, check, draw, load, walk, write
from bench.sets.__main__ import main
from bench.sets.manifest import Rules
from bench.sets.tables import read

BENCH = Path(__file__).resolve().parent.parent / "bench"

TEXT_PY = '''import typing


def chunked_iter(items, size):
    """Lists of ``size`` items, lazily."""
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def bytes2human(n):
    units = "BKMG"
    i = 0
    while n >= 1024 and i < 3:
        n /= 1024
        i += 1
    return f"{n:.1f}{units[i]}"


def strip_ansi(text):
    import re

    pattern = re.compile(r"\\x1b\\[[0-9;]*m")
    return pattern.sub("", text)


def _split_words(name):
    parts = name.split("_")
    words = [p for p in parts if p]
    return words


def short():
    return 1


def __getattr__(name):
    if name == "x":
        return 1
    raise AttributeError(name)


@typing.overload
def parse(text: str) -> int:
    value = int(text)
    value += 0
    return value


if True:

    def hidden():
        a = 1
        b = 2
        return a + b


class Table:
    def __init__(self):
        self.rows = []
        self.title = ""
        self.width = 0

    def add_row(self, *cells):
        row = list(cells)
        self.rows.append(row)
        return row

    def render(self):
        lines = []
        for row in self.rows:
            lines.append(" | ".join(map(str, row)))
        return "\\n".join(lines)

    @property
    def size(self):
        count = len(self.rows)
        count += 0
        return count

    @size.setter
    def size(self, value):
        del self.rows[value:]
        self.title = self.title
        return None
'''

IO_PY = """def read_lines(path):
    with open(path) as f:
        text = f.read()
    return text.splitlines()


def write_lines(path, lines):
    text = "\\n".join(lines)
    with open(path, "w") as f:
        f.write(text)


def copy_file(src, dst):
    with open(src, "rb") as f:
        data = f.read()
    with open(dst, "wb") as f:
        f.write(data)


async def fetch(session, url):
    response = await session.get(url)
    body = await response.read()
    return body
"""

LEFT_OUT = """def left_out():
    items = [1, 2, 3]
    size = 2
    return items[:size]
"""

MANIFEST = """[library]
name = "tinylib"
version = "1.0"
sha256 = "0000000000000000000000000000000000000000000000000000000000000000"

[candidates]
file = "candidates.tsv"
columns = ["path", "qualname", "lineno", "statements"]
package = "tinylib"
min_statements = 3
skip_dirs = ["tests", "test", "vendor", "_vendor"]
skip_files = ["conftest.py"]
skip_names_containing = ["_compat"]

[leaks.phrases]
bytes2human = ["bytes to human"]

[[sets]]
name = "english"
label = "EN random"
file = "english_test.tsv"
columns = ["query", "path", "qualname"]
language = "en"
draw = { seed = 9, positions = 6 }
skips = { file = "english_skips.tsv", columns = ["position", "path", "qualname", "reason"] }

[[sets]]
name = "korean_wellknown"
label = "KO well-known"
file = "korean_wellknown_test.tsv"
columns = ["query", "path", "qualname"]
language = "ko"
public = true
picks = { file = "korean_wellknown_picks.tsv", columns = ["position", "path", "qualname"] }
skips = { file = "korean_wellknown_skips.tsv", columns = ["position", "path", "qualname", "reason"] }
exclude = [{ seed = 9, positions = 6 }]
min_rows = 3

[[sets]]
name = "functions"
file = "functions.tsv"
columns = ["path", "qualname", "query", "callees"]
header = ["path", "qualname", "query", "callees"]
quoted = true
language = "en"
leaks = false
min_callees = 2

[[sets]]
name = "korean_functions"
file = "korean_functions.tsv"
columns = ["path", "qualname", "korean"]
header = ["path", "qualname", "korean"]
language = "ko"
query = "korean"
pool = "functions"
draw = { seed = 9, start = 1 }
"""

# Seed 9 draws strip_ansi, chunked_iter, write_lines, read_lines, copy_file, _split_words,
# then fetch, Table.add_row, Table.render, bytes2human (test_a_draw_is_the_seeded_shuffle).
FILES = {
    "english_test.tsv": (
        "# tinylib 1.0: English questions, seed 9, positions 0..5\n"
        "# format: query<TAB>path<TAB>qualname\n"
        "remove terminal colour escape codes from a string\ttinylib/text.py\tstrip_ansi\n"
        "split a sequence into lists of n items, lazily\ttinylib/text.py\tchunked_iter\n"
        "save a list of strings to a file, one per line\ttinylib/io.py\twrite_lines\n"
        "load a text file as a list of its lines\ttinylib/io.py\tread_lines\n"
        "duplicate a file's bytes at a new location\ttinylib/io.py\tcopy_file\n"
    ),
    "english_skips.tsv": (
        "# format: position<TAB>path<TAB>qualname<TAB>reason\n"
        "5\ttinylib/text.py\t_split_words\tprivate plumbing nobody asks for\n"
    ),
    "korean_wellknown_test.tsv": (
        "# tinylib 1.0: Korean questions on hand-picked functions\n"
        "바이트 수를 1.5K 같은 읽기 쉬운 크기 문자열로 바꾸기\ttinylib/text.py\tbytes2human\n"
        "표에 셀 여러 개로 된 행 하나 추가하는 메서드\ttinylib/text.py\tTable.add_row\n"
        "세션으로 URL 내용을 비동기로 받아오기\ttinylib/io.py\tfetch\n"
    ),
    "korean_wellknown_skips.tsv": (
        "# skips for korean_wellknown_test.tsv: position(pick#)<TAB>path<TAB>qualname<TAB>reason\n"
        "pick002\ttinylib/text.py\tTable.render\tnobody asks for it by itself\n"
    ),
    "korean_wellknown_picks.tsv": (
        "# hand-picked functions considered for korean_wellknown_test.tsv: "
        "pick#<TAB>path<TAB>qualname\n"
        "pick000\ttinylib/text.py\tbytes2human\n"
        "pick001\ttinylib/text.py\tTable.add_row\n"
        "pick002\ttinylib/text.py\tTable.render\n"
        "pick003\ttinylib/io.py\tfetch\n"
    ),
    "functions.tsv": (
        "path\tqualname\tquery\tcallees\n"
        'tinylib/io.py\tcopy_file\tCopy a file.\t"[[""tinylib/io.py"", ""read_lines"", '
        '""function""], [""tinylib/text.py"", ""Table"", ""class""]]"\n'
        'tinylib/text.py\tchunked_iter\tLists of size items, lazily.\t"[[""tinylib/io.py"", '
        '""fetch"", ""function""], [""tinylib/text.py"", ""strip_ansi"", ""function""]]"\n'
        'tinylib/text.py\tstrip_ansi\tStrip ANSI codes.\t"[[""tinylib/io.py"", ""fetch"", '
        '""function""], [""tinylib/io.py"", ""copy_file"", ""function""]]"\n'
    ),
    "korean_functions.tsv": (
        "path\tqualname\tkorean\n"
        "tinylib/text.py\tchunked_iter\t항목을 n개씩 묶어서 게으르게 내주기\n"
    ),
}


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """site-packages holding ``tinylib``: ten candidates, and one of each thing the rules leave out."""
    package = tmp_path / "site" / "tinylib"
    (package / "tests").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "text.py").write_text(TEXT_PY)
    (package / "io.py").write_text(IO_PY)
    for left_out in ("tests/test_text.py", "_compat.py", "conftest.py"):
        (package / left_out).write_text(LEFT_OUT)
    return tmp_path / "site"


@pytest.fixture
def tiny(tmp_path: Path, site: Path) -> Path:
    """A corpus folder: manifest, candidate list (made by the tool) and four sets."""
    folder = tmp_path / "tiny"
    folder.mkdir()
    (folder / "corpus.toml").write_text(MANIFEST)
    assert main(["candidates", str(folder), "--site", str(site), "--write"]) == 0
    for name, text in FILES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def edit(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def errors(folder: Path) -> list[str]:
    return [str(p) for p in check(load(folder)).errors]


# -- candidates and draws -----------------------------------------------------------------------


RULES = Rules("tinylib", 3, ("tests", "test", "vendor", "_vendor"), ("conftest.py",), ("_compat",))


def test_candidates_are_top_level_functions_and_methods_with_three_statements(site: Path) -> None:
    found = walk(site, RULES)
    assert [(c.path, c.qualname) for c in found] == [
        ("tinylib/io.py", "copy_file"),
        ("tinylib/io.py", "fetch"),  # async functions count
        ("tinylib/io.py", "read_lines"),
        ("tinylib/io.py", "write_lines"),
        ("tinylib/text.py", "Table.add_row"),  # not __init__, not the twice-defined size
        ("tinylib/text.py", "Table.render"),
        ("tinylib/text.py", "_split_words"),  # private names are kept
        ("tinylib/text.py", "bytes2human"),
        ("tinylib/text.py", "chunked_iter"),  # not short(), parse (@overload), hidden (in an if)
        ("tinylib/text.py", "strip_ansi"),
    ]
    chunked = next(c for c in found if c.qualname == "chunked_iter")
    assert (chunked.lineno, chunked.statements) == (4, 8)  # the docstring does not count


def test_a_draw_is_the_seeded_shuffle_of_the_sorted_candidates(
    tiny: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pool = [c.gold for c in walk(tiny.parent / "site", RULES)]
    expected = list(pool)
    random.Random(9).shuffle(expected)
    assert draw(pool, 9) == expected == draw(pool, 9)
    assert draw(pool, 10) != expected
    capsys.readouterr()
    assert main(["draw", str(tiny), "9", "3"]) == 0
    assert capsys.readouterr().out == (
        "0\ttinylib/text.py\tstrip_ansi\t25\t3\n"
        "1\ttinylib/text.py\tchunked_iter\t4\t8\n"
        "2\ttinylib/io.py\twrite_lines\t7\t3\n"
    )


def test_view_prints_the_drawn_functions_source(
    tiny: Path, site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["view", str(tiny), "9", "1", "2", "--site", str(site)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("===== position 1: tinylib/text.py  chunked_iter  (line 4, 8 stmts)\n")
    assert "def chunked_iter(items, size):" in out and "yield batch" in out
    assert "strip_ansi" not in out


def test_candidates_command_says_when_the_list_no_longer_matches_the_library(
    tiny: Path, site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["candidates", str(tiny), "--site", str(site)]) == 0
    (site / "tinylib" / "io.py").write_text(IO_PY.replace("async def fetch", "async def get"))
    capsys.readouterr()
    assert main(["candidates", str(tiny), "--site", str(site)]) == 1
    assert capsys.readouterr().out == (
        f"10 candidates in {site}: candidates.tsv differs (--write rewrites it)\n"
    )
    assert main(["candidates", str(tiny), "--site", str(site), "--write"]) == 0
    assert errors(tiny) == [
        "ERROR korean_wellknown_test.tsv:4: gold tinylib/io.py fetch is not among the candidates",
        "ERROR korean_wellknown_picks.tsv:5: picked tinylib/io.py fetch is not a candidate",
    ]


# -- checks -----------------------------------------------------------------------------------


def test_the_tiny_corpus_passes_every_check(tiny: Path) -> None:
    report = check(load(tiny))
    assert report.ok, report.errors
    assert report.lines == [
        "candidates.tsv: 10 candidates",
        "english_test.tsv (english, en): 5 rows, 1 skips, 2 modules; seed 9, positions 0..5",
        "korean_wellknown_test.tsv (korean_wellknown, ko): 3 rows, 1 skips, 2 modules; 4 picks",
        "functions.tsv (functions, en): 3 rows, 0 skips, 2 modules",
        "korean_functions.tsv (korean_functions, ko): 1 rows, 0 skips, 1 modules; "
        "seed 9, positions 1..end",
    ]


@dataclass(frozen=True)
class Broken:
    """One deliberate fault: edits of ``(file, old text, new text)``, and the error it causes."""

    edits: tuple[tuple[str, str, str], ...]
    error: str


BROKEN = {
    "a missing column": Broken(
        (("english_test.tsv", "lazily\ttinylib/text.py\tchunked_iter", "lazily\ttinylib/text.py"),),
        "english_test.tsv:4: expected 3 columns (query, path, qualname), got 2",
    ),
    "a gold that is no candidate": Broken(
        (("korean_wellknown_test.tsv", "tinylib/io.py\tfetch", "tinylib/text.py\tshort"),),
        "gold tinylib/text.py short is not among the candidates",
    ),
    "a duplicate question": Broken(
        (
            (
                "english_test.tsv",
                "load a text file as a list of its lines",
                "Remove terminal colour escape codes from a string",
            ),
        ),
        "duplicate question (line 3)",
    ),
    "a duplicate gold": Broken(
        (("korean_wellknown_test.tsv", "tinylib/io.py\tfetch", "tinylib/text.py\tbytes2human"),),
        "duplicate gold (line 2): tinylib/text.py bytes2human",
    ),
    "the identifier in the question": Broken(
        (
            (
                "english_test.tsv",
                "split a sequence into lists",
                "chunked_iter: split a sequence into lists",
            ),
        ),
        "spells out the identifier 'chunked_iter' as 'chunked_iter'",
    ),
    "the identifier's words in the question": Broken(
        (("english_test.tsv", "duplicate a file's bytes", "copy-file: duplicate a file's bytes"),),
        "spells out the identifier 'copy_file' as 'copy-file'",
    ),
    "the identifier next to Korean": Broken(
        (("korean_wellknown_test.tsv", "세션으로 URL", "fetch로 세션 URL"),),
        "spells out the identifier 'fetch' as 'fetch'",
    ),
    "a phrase the manifest lists": Broken(
        (("korean_wellknown_test.tsv", "바이트 수를", "bytes to human 바이트 수를"),),
        "question uses 'bytes to human', listed for bytes2human",
    ),
    "Korean in an English set": Broken(
        (("english_test.tsv", "load a text file", "텍스트 파일 load a text file"),),
        "an English set's question has Korean",
    ),
    "no Korean in a Korean set": Broken(
        (
            (
                "korean_wellknown_test.tsv",
                "세션으로 URL 내용을 비동기로 받아오기",
                "download a URL asynchronously with a session",
            ),
        ),
        "a Korean set's question has no Korean",
    ),
    "spaces around a question": Broken(
        (
            (
                "english_test.tsv",
                "load a text file as a list of its lines\t",
                "load a text file as a list of its lines \t",
            ),
        ),
        "empty question, or spaces around it",
    ),
    "a drawn position neither a row nor a skip": Broken(
        (
            (
                "english_skips.tsv",
                "5\ttinylib/text.py\t_split_words\tprivate plumbing nobody asks for\n",
                "",
            ),
        ),
        "position 5 (tinylib/text.py _split_words) is neither a row nor a skip",
    ),
    "a row that was not drawn": Broken(
        (("english_test.tsv", "tinylib/io.py\tread_lines", "tinylib/io.py\tfetch"),),
        "gold tinylib/io.py fetch was not drawn (seed 9, positions 0..5)",
    ),
    "a skip at the wrong position": Broken(
        (("english_skips.tsv", "5\ttinylib/text.py", "4\ttinylib/text.py"),),
        "position 4 drew tinylib/io.py copy_file, not tinylib/text.py _split_words",
    ),
    "a skip past the drawn positions": Broken(
        (("english_skips.tsv", "5\ttinylib/text.py", "7\ttinylib/text.py"),),
        "position 7 is outside seed 9, positions 0..5",
    ),
    "a row that is also a skip": Broken(
        (
            (
                "english_skips.tsv",
                "5\ttinylib/text.py\t_split_words\tprivate plumbing nobody asks for\n",
                "5\ttinylib/text.py\t_split_words\tprivate plumbing nobody asks for\n4\ttinylib/io.py\tcopy_file\ttwin\n",
            ),
        ),
        "tinylib/io.py copy_file is both a row and a skip",
    ),
    "a skip without a reason": Broken(
        (("english_skips.tsv", "private plumbing nobody asks for", " "),),
        "a skip needs a reason",
    ),
    "a pick neither a row nor a skip": Broken(
        (
            (
                "korean_wellknown_test.tsv",
                "세션으로 URL 내용을 비동기로 받아오기\ttinylib/io.py\tfetch\n",
                "",
            ),
        ),
        "pick pick003 (tinylib/io.py fetch) is neither a row nor a skip",
    ),
    "a row that is no pick": Broken(
        (("korean_wellknown_picks.tsv", "pick003\ttinylib/io.py\tfetch\n", ""),),
        "tinylib/io.py fetch is not in korean_wellknown_picks.tsv",
    ),
    "a pick listed twice": Broken(
        (("korean_wellknown_picks.tsv", "pick003\ttinylib/io.py", "pick002\ttinylib/io.py"),),
        "pick number pick002 is given 2 times",
    ),
    "a skip under another pick's number": Broken(
        (("korean_wellknown_skips.tsv", "pick002", "pick001"),),
        "position pick001 should be its pick number pick002",
    ),
    "a pick from the draw it must avoid": Broken(
        (("korean_wellknown_test.tsv", "tinylib/io.py\tfetch", "tinylib/io.py\tread_lines"),),
        "tinylib/io.py read_lines is in the draw it must avoid (seed 9, positions 0..5)",
    ),
    "a private gold in a public set": Broken(
        (
            (
                "korean_wellknown_picks.tsv",
                "pick003\ttinylib/io.py\tfetch",
                "pick003\ttinylib/text.py\t_split_words",
            ),
            ("korean_wellknown_test.tsv", "tinylib/io.py\tfetch", "tinylib/text.py\t_split_words"),
        ),
        "gold _split_words is not public",
    ),
    "fewer rows than the manifest asks": Broken(
        (("corpus.toml", "min_rows = 3", "min_rows = 4"),),
        "3 rows, fewer than 4",
    ),
    "candidates out of order": Broken(
        (
            ("candidates.tsv", "tinylib/io.py\tcopy_file\t13\t4\n", ""),
            (
                "candidates.tsv",
                "tinylib/text.py\tstrip_ansi\t25\t3\n",
                "tinylib/text.py\tstrip_ansi\t25\t3\ntinylib/io.py\tcopy_file\t13\t4\n",
            ),
        ),
        "not sorted by (path, qualname): draws would differ",
    ),
    "a candidate with too few statements": Broken(
        (("candidates.tsv", "strip_ansi\t25\t3", "strip_ansi\t25\t2"),),
        "2 statements, fewer than the rules' 3",
    ),
    "a header row that changed": Broken(
        (
            (
                "functions.tsv",
                "path\tqualname\tquery\tcallees\n",
                "path\tqualname\tquestion\tcallees\n",
            ),
        ),
        "header row ['path', 'qualname', 'question', 'callees'] is not",
    ),
    "callees that are not JSON": Broken(
        (
            (
                "functions.tsv",
                '"[[""tinylib/io.py"", ""read_lines""',
                '"[[""tinylib/io.py"" ""read_lines""',
            ),
        ),
        "callees are not JSON",
    ),
    "too few callees": Broken(
        (("functions.tsv", ', [""tinylib/text.py"", ""Table"", ""class""]]"', ']"'),),
        "1 callees, fewer than 2",
    ),
    "a callee of an unknown kind": Broken(
        (("functions.tsv", '""Table"", ""class""', '""Table"", ""module""'),),
        "callees must be [path, qualname, function|class] lists",
    ),
    "a row outside the set it is drawn from": Broken(
        (("korean_functions.tsv", "tinylib/text.py\tchunked_iter", "tinylib/io.py\tfetch"),),
        "gold tinylib/io.py fetch is not among the functions set's golds",
    ),
    "a row from the development positions": Broken(
        (("korean_functions.tsv", "tinylib/text.py\tchunked_iter", "tinylib/io.py\tcopy_file"),),
        "gold tinylib/io.py copy_file was not drawn (seed 9, positions 1..end)",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_each_check_rejects_a_broken_copy(tiny: Path, case: str) -> None:
    assert errors(tiny) == []
    for name, old, new in BROKEN[case].edits:
        edit(tiny, name, old, new)
    found = errors(tiny)
    assert any(BROKEN[case].error in e for e in found), found


def test_a_stray_set_file_is_an_error(tiny: Path) -> None:
    (tiny / "english_test_v2.tsv").write_text(FILES["english_test.tsv"], encoding="utf-8")
    assert errors(tiny) == [
        "ERROR english_test_v2.tsv: not named in corpus.toml, so nothing checks it"
    ]


def test_a_set_file_must_be_utf8_with_one_newline_a_line(tiny: Path) -> None:
    path = tiny / "english_test.tsv"
    path.write_bytes(FILES["english_test.tsv"].replace("\n", "\r\n").encode())
    assert "ERROR english_test.tsv:3: a line must end with a single \\n" in errors(tiny)
    path.write_bytes("café\ttinylib/io.py\tcopy_file\n".encode("latin-1"))
    assert any(e.startswith("ERROR english_test.tsv: not UTF-8") for e in errors(tiny))


def test_class_names_are_only_warnings(tiny: Path) -> None:
    edit(tiny, "korean_wellknown_test.tsv", "표에", "Table 표에")
    report = check(load(tiny))
    assert report.ok
    assert [str(w) for w in report.warnings] == [
        "WARN  korean_wellknown_test.tsv:3: question names the class 'Table' as 'table': "
        "Table 표에 셀 여러 개로 된 행 하나 추가하는 메서드"
    ]


def test_a_misspelt_manifest_key_is_refused_by_name(tiny: Path) -> None:
    edit(
        tiny,
        "corpus.toml",
        "draw = { seed = 9, positions = 6 }",
        "draw = { seed = 9, postions = 6 }",
    )
    with pytest.raises(ManifestError, match=r"\[sets english draw\] unknown keys \['postions'\]"):
        load(tiny)


def test_check_exits_1_on_errors_and_2_on_a_bad_manifest(
    tiny: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(tiny)]) == 0
    assert capsys.readouterr().out.endswith("  OK, 0 warnings\n")
    edit(tiny, "english_skips.tsv", "private plumbing nobody asks for", " ")
    assert main(["check", str(tiny)]) == 1
    assert "ERROR english_skips.tsv:2: a skip needs a reason" in capsys.readouterr().out
    assert main(["check", str(tiny / "nowhere")]) == 2
    assert "no corpus.toml in" in capsys.readouterr().err


# -- building from a writer's draft ------------------------------------------------------------


def test_a_random_set_builds_from_its_draft(tiny: Path, tmp_path: Path) -> None:
    draft = tmp_path / "english_draft.tsv"
    draft.write_text(
        "# tinylib 1.0: English questions, seed 9, positions 0..5\n"
        "# format: query<TAB>path<TAB>qualname\n"
        "0\tremove terminal colour escape codes from a string\n"
        "1\tsplit a sequence into lists of n items, lazily\n"
        "2\tsave a list of strings to a file, one per line\n"
        "3\tload a text file as a list of its lines\n"
        "4\tduplicate a file's bytes at a new location\n"
        "5\tSKIP\tprivate plumbing nobody asks for\n",
        encoding="utf-8",
    )
    for name in ("english_test.tsv", "english_skips.tsv"):
        (tiny / name).unlink()
    (tiny / "english_skips.tsv").write_text(FILES["english_skips.tsv"].splitlines(True)[0])
    first = build(load(tiny), "english", draft)
    assert first == build(load(tiny), "english", draft)
    write(first)
    assert (tiny / "english_test.tsv").read_text(encoding="utf-8") == FILES["english_test.tsv"]
    assert (tiny / "english_skips.tsv").read_text(encoding="utf-8") == FILES["english_skips.tsv"]
    assert errors(tiny) == []


def test_a_hand_picked_set_builds_its_rows_skips_and_picks(tiny: Path, tmp_path: Path) -> None:
    draft = tmp_path / "wellknown_draft.tsv"
    draft.write_text(
        "# tinylib 1.0: Korean questions on hand-picked functions\n"
        "tinylib/text.py\tbytes2human\t바이트 수를 1.5K 같은 읽기 쉬운 크기 문자열로 바꾸기\n"
        "tinylib/text.py\tTable.add_row\t표에 셀 여러 개로 된 행 하나 추가하는 메서드\n"
        "tinylib/text.py\tTable.render\tSKIP\tnobody asks for it by itself\n"
        "tinylib/io.py\tfetch\t세션으로 URL 내용을 비동기로 받아오기\n",
        encoding="utf-8",
    )
    files = (
        "korean_wellknown_test.tsv",
        "korean_wellknown_skips.tsv",
        "korean_wellknown_picks.tsv",
    )
    for name in files:
        (tiny / name).unlink()  # new files: the skips and picks files get a one-line header
    write(build(load(tiny), "korean_wellknown", draft))
    for name in files:
        assert (tiny / name).read_text(encoding="utf-8") == FILES[name], name


def test_a_draft_that_does_not_fit_is_refused_by_line(tiny: Path, tmp_path: Path) -> None:
    draft = tmp_path / "draft.tsv"
    draft.write_text("10\tsome question\n", encoding="utf-8")
    with pytest.raises(BuildError, match="draft.tsv:1: '10' is not a position of the draw"):
        build(load(tiny), "english", draft)
    draft.write_text("3\tSKIP\n", encoding="utf-8")
    with pytest.raises(BuildError, match="draft.tsv:1: expected 1 key columns, then a question"):
        build(load(tiny), "english", draft)
    with pytest.raises(BuildError, match="cannot read the draft"):
        build(load(tiny), "english", tmp_path / "missing.tsv")


def test_a_rebuild_keeps_no_malformed_line_it_would_silently_drop(
    tiny: Path, tmp_path: Path
) -> None:
    draft = tmp_path / "draft.tsv"
    draft.write_text(draft_of(tiny, "english"), encoding="utf-8")
    skips = tiny / "english_skips.tsv"
    before = skips.read_text(encoding="utf-8") + "not a skip line\n"
    skips.write_text(before, encoding="utf-8")
    with pytest.raises(BuildError, match="english_skips.tsv"):
        build(load(tiny), "english", draft)
    assert skips.read_text(encoding="utf-8") == before


def draft_of(folder: Path, set_name: str) -> str:
    """A draft that says what the committed files say: one line per function considered."""
    spec = load(folder).spec(set_name)
    got = read(folder, spec.table)
    skips = read(folder, spec.skips).rows if spec.skips else ()
    if spec.picks is None:
        assert spec.draw is not None
        table, _ = load(folder).candidate_rules()
        drawn = draw(sorted(r.gold for r in read(folder, table).rows), spec.draw.seed)
        position = {gold: i for i, gold in enumerate(drawn)}
        entries = [(int(s["position"]), f"SKIP\t{s['reason']}") for s in skips]
        entries += [(position[r.gold], r["query"]) for r in got.rows]
        return "".join(got.comments) + "".join(f"{i}\t{e}\n" for i, e in sorted(entries))
    questions = {r.gold: r["query"] for r in got.rows}
    reasons = {s.gold: f"SKIP\t{s['reason']}" for s in skips}
    picks = read(folder, spec.picks).rows
    return "".join(got.comments) + "".join(
        f"{p['path']}\t{p['qualname']}\t{questions.get(p.gold) or reasons[p.gold]}\n" for p in picks
    )


ROUND_TRIPS = [
    ("boltons", "english"),
    ("boltons", "korean_random"),
    ("boltons", "korean_wellknown"),  # what bench/boltons/build_korean_wellknown.py made
    ("rich", "english"),
    ("rich", "korean_random"),
]


@pytest.mark.parametrize(("name", "set_name"), ROUND_TRIPS)
def test_committed_sets_rebuild_byte_for_byte_from_their_drafts(
    tmp_path: Path, name: str, set_name: str
) -> None:
    folder = tmp_path / name
    folder.mkdir()
    spec = load(BENCH / name).spec(set_name)
    shutil.copy(BENCH / name / "corpus.toml", folder)
    shutil.copy(BENCH / name / "candidates.tsv", folder)
    if spec.picks is None and spec.skips is not None:
        shutil.copy(BENCH / name / spec.skips.file, folder)  # keeps its writer's header
    draft = tmp_path / "draft.tsv"
    draft.write_text(draft_of(BENCH / name, set_name), encoding="utf-8")
    texts = build(load(folder), set_name, draft)
    assert texts, "nothing built"
    for path, text in texts.items():
        assert text.encode() == (BENCH / name / path.name).read_bytes(), path.name


# -- the committed corpora ----------------------------------------------------------------------


@pytest.mark.parametrize("name", all_corpora())
def test_every_committed_corpus_passes_check(name: str) -> None:
    report = check(load(name))
    assert report.ok, "\n".join(map(str, report.errors))
    assert len(report.lines) >= 2  # it looked at the sets


def test_the_corpora_are_the_five_benches() -> None:
    assert all_corpora() == ["astroid", "boltons", "docutils", "networkx", "rich"]


@pytest.mark.parametrize("name", sorted(blind.LIBRARIES))
def test_bench_blind_reads_the_sets_as_before(name: str) -> None:
    lib = blind.LIBRARIES[name]
    files = ("english_test.tsv", "korean_random_test.tsv", "korean_wellknown_test.tsv")
    labels = ("EN random", "KO random", "KO well-known")
    before = [
        (label, corpus.load_korean(BENCH / name / f))
        for label, f in zip(labels, files, strict=True)
    ]
    assert blind.load_sets(lib) == before
    assert load(name).library.version == lib.version


@pytest.mark.parametrize("name", sorted(context.LIBRARIES))
def test_the_code_map_bench_holds_out_its_korean_questions(name: str) -> None:
    """The manifest's draw (seed, and astroid's first 40 for development; docutils has
    none) is bench.context's split, and its pin is the one bench.context installs."""
    lib = context.LIBRARIES[name]
    questions = context.load_set(lib)
    dev, heldout = context.split(lib, questions)
    korean = [q for q in questions if q.korean]
    assert len(dev) == lib.dev_size and len(korean) == context.KOREAN_SIZE
    assert {(q.path, q.qualname) for q in korean} <= {(q.path, q.qualname) for q in heldout}
    spec = load(name).spec("korean")
    assert spec.draw is not None
    assert (spec.draw.seed, spec.draw.start) == (context.SEED, lib.dev_size)
    assert lib.pin == load(name).library


def test_a_corpus_without_candidates_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["draw", "astroid", "1", "3"]) == 2
    assert "astroid has no candidate list" in capsys.readouterr().err
