"""The core never depends on the adapters' libraries (DESIGN.md: summaries/ is pure)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[1] / "summaries"
BANNED = ("discord", "apscheduler", "bot")


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
    return found


@pytest.mark.parametrize("path", sorted(CORE.rglob("*.py")), ids=lambda p: str(p.relative_to(CORE)))
def test_core_module_imports_no_adapter_library(path: Path) -> None:
    bad = [m for m in _imports(path) if m.split(".")[0] in BANNED]
    assert bad == [], f"{path} imports {bad}"
