"""The SHOPLINE package keeps the adapters' shared shape and imports storebridge only
through the namespaces meant for adapters."""

from __future__ import annotations

import ast
import pkgutil
from pathlib import Path

import storebridge_shopline

ROOT = Path(storebridge_shopline.__path__[0])
SHAPE = {
    "_settings", "_auth", "_adapter", "_errors", "_paging", "_converter",
    "_orders", "_customers", "_products", "_refunds", "_transactions", "emulator",
}  # fmt: skip
ALLOWED = {"storebridge.kit", "storebridge.model", "storebridge.errors", "storebridge.http",
           "storebridge.sandbox", "storebridge.validation"}  # fmt: skip


def test_modules_follow_the_shared_shape() -> None:
    names = {info.name for info in pkgutil.iter_modules([str(ROOT)])}
    assert names >= SHAPE
    assert all(name.startswith("_") for name in names - {"emulator"}), names
    sizes = {p.name: len(p.read_text("utf-8").splitlines()) for p in ROOT.rglob("*.py")}
    assert max(sizes.values()) <= 600, sizes


def _storebridge_modules(source: str) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module == "storebridge":
            found.update(f"storebridge.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("storebridge."):
            found.add(str(node.module))
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("storebridge"))
    return found


def test_storebridge_is_imported_only_through_the_adapter_namespaces() -> None:
    bad = {
        (path.name, module)
        for path in ROOT.rglob("*.py")
        for module in _storebridge_modules(path.read_text("utf-8"))
        if not any(module == a or module.startswith(f"{a}.") for a in ALLOWED)
    }
    assert not bad
