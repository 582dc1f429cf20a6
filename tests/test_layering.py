"""The engine stays Slack-free: rag/ never imports Slack's libraries."""

from __future__ import annotations

import ast
from pathlib import Path

import rag


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_rag_never_imports_slack() -> None:
    root = Path(rag.__file__).parent
    offenders = {
        str(p.relative_to(root)): sorted(
            m
            for m in imported_modules(p)
            if m.split(".")[0] in {"slack_bolt", "slack_sdk", "handlers", "bot"}
        )
        for p in root.rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}
    assert len(offenders) >= 10  # the scan really looked at the package
