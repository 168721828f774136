"""The package's layout: entry points at the root, everything else in its wing, no
import cycle between the state and the exporter."""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "gazette"
ROOT_MODULES = {
    "__init__",
    "__main__",
    "cli",
    "demo",
    "extract",
    "items",
    "loaders",
    "settings",
    "settings_robust",
    "settings_server",
}


def test_the_package_root_holds_only_entry_points():
    assert {p.stem for p in PKG.glob("*.py")} == ROOT_MODULES


def _imports(path: Path) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return out


def test_the_state_does_not_import_the_exporter():
    for path in (PKG / "state").glob("*.py"):
        assert not any(m.startswith("gazette.crawl") for m in _imports(path)), path
