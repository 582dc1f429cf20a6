"""One bad file never stops `gencode index`: each becomes a line of the report.

These run the real command in a child process with a memory cap and a time limit, so a
regression (a read of /dev/zero that never ends, an open of a FIFO that waits forever)
fails the test instead of taking the machine down with it.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

GOOD = b"def add_tax(amount, rate):\n    return amount * (1 + rate)\n"
HANG_LIMIT = 120  # seconds: far above a normal run; only a hang gets near it
MEMORY_LIMIT = 4 << 30


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def gencode(home: Path, *args: str | bytes) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GENCODE_", "SLACK_"))}
    env["GENCODE_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-c", "from bot.cli import main; main()", *args],
        env=env,
        cwd=Path(__file__).parent.parent,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=HANG_LIMIT,
        preexec_fn=_limit_memory,
        check=False,
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "hostile"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_bytes(b"")
    (root / "zz_good.py").write_bytes(GOOD)
    (root / "deep_attr.py").write_text("x = a" + ".b" * 5000 + "\n")
    (root / "deep_sum.py").write_text("x = " + " + ".join(["1"] * 5000) + "\n")
    (root / "aa.py").symlink_to("/dev/zero")
    os.mkfifo(root / "aa_fifo.py")
    with open(os.fsencode(root) + b"/bad_\xe9.py", "wb") as f:
        f.write(b"def latin_name():\n    pass\n")
    return root


def test_hostile_files_each_get_a_line_and_the_rest_is_indexed(tree: Path, tmp_path: Path) -> None:
    done = gencode(tmp_path / "home", "index", str(tree))
    assert done.returncode == 0, done.stderr
    err = done.stderr
    assert "Traceback" not in err
    assert "error: hostile/aa.py: a device, not a regular file; skipped." in err
    assert "error: hostile/aa_fifo.py: a named pipe (FIFO), not a regular file; skipped." in err
    assert "error: hostile/deep_attr.py: an expression is nested too deeply" in err
    assert "error: hostile/deep_sum.py: an expression is nested too deeply" in err
    assert "skipped: hostile/pkg/__init__.py: empty file" in err
    # the non-UTF-8 name is indexed, shown with its byte escaped; the last file is reached
    assert done.stdout.strip() == (
        "indexed 2 files of hostile: 2 new, 0 unchanged, 0 removed functions; 1 skipped, 4 errors"
    )
    found = gencode(tmp_path / "home", "search", "latin name add tax", "--json")
    paths = {h["path"] for h in json.loads(found.stdout)}
    assert paths == {"bad_\\xe9.py", "zz_good.py"}


def test_a_fifo_named_on_the_command_line_is_refused_for_what_it_is(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.py")
    done = gencode(tmp_path / "home", "index", str(tmp_path / "pipe.py"))
    assert "a named pipe (FIFO), not a regular file" in done.stderr
    assert "no such file" not in done.stderr
    assert done.returncode == 1  # nothing at all could be indexed
