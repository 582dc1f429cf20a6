"""rag.bedrock's public surface: one front door over a package of one module per concern.

The modules behind it (client, thinking, fanout, summarize, embed, generate) may split or
move; what callers import from ``rag.bedrock`` may not silently disappear, and nothing
enters the package's namespace without being declared in ``__all__`` (as httpx guards its
own in tests/test_exported_members.py).
"""

from __future__ import annotations

import ast
import sys
import types
from pathlib import Path

import rag.bedrock

ROOT = Path(rag.__file__).resolve().parent.parent
CALLERS = ("rag", "bot", "handlers", "tests", "bench", "scripts")


def names_imported_from_the_package() -> dict[str, set[str]]:
    """``from rag.bedrock import X`` anywhere in the project, by file (the package aside)."""
    package = Path(rag.bedrock.__file__).resolve().parent
    found: dict[str, set[str]] = {}
    for folder in CALLERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if package in path.resolve().parents:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.level == 0:
                    if node.module == "rag.bedrock":
                        names = {a.name for a in node.names}
                        found.setdefault(path.relative_to(ROOT).as_posix(), set()).update(names)
    return found


def test_all_lists_exactly_the_public_names_of_the_package() -> None:
    public = {
        name
        for name, value in vars(rag.bedrock).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert len(rag.bedrock.__all__) == len(set(rag.bedrock.__all__))
    assert set(rag.bedrock.__all__) == public


def test_every_name_the_project_imports_from_rag_bedrock_is_exported() -> None:
    found = names_imported_from_the_package()
    # The scan really reads the callers: the settings and the backend factory import from it.
    assert {"bot/config.py", "bot/services.py"} <= set(found)
    missing = {path: sorted(names - set(rag.bedrock.__all__)) for path, names in found.items()}
    assert {path: names for path, names in missing.items() if names} == {}


def test_classes_and_functions_are_defined_in_the_concern_modules_not_copied() -> None:
    defined_in = {
        name: getattr(rag.bedrock, name).__module__
        for name in rag.bedrock.__all__
        if isinstance(getattr(rag.bedrock, name), type | types.FunctionType)
    }
    assert defined_in["BedrockGenerator"] == "rag.bedrock.generate"
    assert defined_in["explain"] == "rag.bedrock.client"
    for name, module in defined_in.items():
        assert module.startswith("rag.bedrock."), name
        assert getattr(sys.modules[module], name) is getattr(rag.bedrock, name)
