"""Every built-in adapter package has one shape (docs/architecture.md, "Adapter packages").

The same private module roles, the same emulator layout, ``__all__`` in every public
module, no module over 600 lines, and storebridge imported only through the namespaces
meant for adapters (never ``storebridge._http`` or the HTTP library itself).
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.paths import REPO_ROOT

PACKAGES = ("storebridge_29next", "storebridge_shopline", "storebridge_24nettbutikk")
EXAMPLE = REPO_ROOT / "docs" / "examples" / "storebridge-example" / "src" / "storebridge_example"

SHARED_ROLES = {
    "_settings",  # connect settings, validated at connect time
    "_auth",  # how requests carry the credentials
    "_adapter",  # the Adapter subclass: declarations, each operation handed to its resource
    "_converter",  # wire <-> model, both directions
    "_errors",  # the platform's error answers as storebridge errors
    "_paging",  # how a listing's pages are read and walked
    "_orders",  # one module per resource...
    "_customers",
    "_products",
}
"""Roles every adapter has."""

OPTIONAL_ROLES = {
    "_refunds",
    "_transactions",
    "_webhooks",  # deliveries verified and read as changes; subscriptions
    "_writes",  # writes settled by reading back
    "_fast_orders",  # the fast path for well-formed order rows
}
"""Roles an adapter has when its platform has them; when present, under these names."""

EXTRAS = {
    "storebridge_29next": {
        "_expanding",
        "_fulfillment",
        "_listings",
        "_list_filters",
        "_refund_rules",
        "_requests",
    },
    "storebridge_shopline": {
        "_api",
        "_count_check",
        "_fields",
        "_money",
        "_oauth",
        "_shop",
        "_signing",
        "_versions",
        "_windows",
        "_wire",
    },
    "storebridge_24nettbutikk": {
        "_bodies",
        "_changes",
        "_joins",
        "_local_time",
        "_newest_first",
        "_records",
    },
}
"""Platform extras: what only one platform needs (named in docs/architecture.md)."""

EMULATOR_SHARED = {"app", "state", "seed", "options", "wire"}
EMULATOR_RESOURCES = {
    # 29 Next's customers are ``/users/`` on the wire, and its emulator follows the wire.
    "storebridge_29next": {
        "orders",
        "users",
        "products",
        "refunds",
        "transactions",
        "fulfillment",
        "locations",
        "webhooks",
    },
    "storebridge_shopline": {
        "orders",
        "customers",
        "products",
        "refunds",
        "shop",
        "oauth",
        "webhooks",
    },
    "storebridge_24nettbutikk": {"orders", "customers", "products"},
}
EMULATOR_EXTRAS = {
    "storebridge_29next": {"__main__"},  # python -m storebridge_29next.emulator
    "storebridge_shopline": {"tokens"},  # the token registry the OAuth endpoints share
    "storebridge_24nettbutikk": set(),
}

ADAPTER_NAMESPACES = (
    "storebridge.kit",
    "storebridge.model",
    "storebridge.errors",
    "storebridge.http",
    "storebridge.sandbox",
    "storebridge.validation",
)
"""What an adapter may import of storebridge (storebridge.kit's docstring)."""

HTTP_LIBRARIES = ("httpx", "httpx2")
MAX_LINES = 600


def _root(package: str) -> Path:
    return Path(importlib.import_module(package).__path__[0])


def _modules(path: Path) -> dict[str, bool]:
    """Module name -> whether it is a package, for the modules directly in ``path``."""
    return {info.name: info.ispkg for info in pkgutil.iter_modules([str(path)])}


def _adapter_files() -> Iterator[Path]:
    for package in PACKAGES:
        yield from sorted(_root(package).rglob("*.py"))
    yield from sorted(EXAMPLE.rglob("*.py"))


def _imported(source: str) -> Iterator[str]:
    """Every module an import statement names, at any depth (inside functions too).

    ``from storebridge import _http`` names ``storebridge._http``: a member imported from a
    package may be a module, and for storebridge's subpackages it is.
    """
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module
            if node.module == "storebridge":
                yield from (f"storebridge.{alias.name}" for alias in node.names)


def _has_all(source: str) -> bool:
    for node in ast.parse(source).body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, ast.AnnAssign):
            targets = [node.target]
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
            return True
    return False


@pytest.mark.parametrize("package", PACKAGES)
def test_private_modules_have_the_shared_roles(package: str) -> None:
    modules = _modules(_root(package))
    private = {name for name in modules if name.startswith("_")}
    public = set(modules) - private
    assert public == {"emulator"} and modules["emulator"], public
    assert private >= SHARED_ROLES, SHARED_ROLES - private
    unplaced = private - SHARED_ROLES - OPTIONAL_ROLES - EXTRAS[package]
    # A new module is a shared role (named as in the other adapters) or a platform extra:
    # add it to the sets above and to docs/architecture.md.
    assert not unplaced, unplaced
    assert not EXTRAS[package] - private, EXTRAS[package] - private


@pytest.mark.parametrize("package", PACKAGES)
def test_emulators_share_one_layout(package: str) -> None:
    emulator = _root(package) / "emulator"
    modules = _modules(emulator)
    assert not any(modules.values()), modules  # flat: one module per role or resource
    assert set(modules) >= EMULATOR_SHARED, EMULATOR_SHARED - set(modules)
    expected = EMULATOR_SHARED | EMULATOR_RESOURCES[package] | EMULATOR_EXTRAS[package]
    assert set(modules) == expected, set(modules) ^ expected
    assert {"orders", "products"} <= EMULATOR_RESOURCES[package]


@pytest.mark.parametrize("package", PACKAGES)
def test_every_public_module_declares_all(package: str) -> None:
    root = _root(package)
    public = [root / "__init__.py", *(root / "emulator").glob("*.py")]
    missing = [
        str(path.relative_to(root))
        for path in public
        if path.name != "__main__.py" and not _has_all(path.read_text(encoding="utf-8"))
    ]
    assert not missing


def test_no_module_outside_tests_is_over_600_lines() -> None:
    sizes = {
        str(path.relative_to(REPO_ROOT)): len(path.read_text(encoding="utf-8").splitlines())
        for top in ("src", "adapters", "benchmarks", "docs")
        for path in (REPO_ROOT / top).rglob("*.py")
        if "tests" not in path.relative_to(REPO_ROOT).parts
    }
    assert len(sizes) > 100  # the walk found the code it is meant to measure
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}


def test_adapters_import_storebridge_only_through_the_adapter_namespaces() -> None:
    wrong = {
        (str(path.relative_to(REPO_ROOT)), module)
        for path in _adapter_files()
        for module in _imported(path.read_text(encoding="utf-8"))
        if (module == "storebridge" or module.startswith("storebridge."))
        and module != "storebridge"
        and not any(module == ns or module.startswith(f"{ns}.") for ns in ADAPTER_NAMESPACES)
    }
    assert not wrong


def test_no_adapter_imports_the_http_library_or_the_private_http_module() -> None:
    wrong = {
        (str(path.relative_to(REPO_ROOT)), module)
        for path in _adapter_files()
        for module in _imported(path.read_text(encoding="utf-8"))
        if module == "storebridge._http" or module.split(".")[0] in HTTP_LIBRARIES
    }
    assert not wrong


def test_the_import_check_sees_what_it_must_refuse() -> None:
    source = (
        "import httpx2\n"
        "from storebridge import _http, kit\n"
        "def f():\n"
        "    from storebridge._engine import x\n"
    )
    assert set(_imported(source)) >= {
        "httpx2",
        "storebridge._http",
        "storebridge.kit",
        "storebridge._engine",
    }
    assert _has_all("__all__ = ['x']\n") and _has_all("__all__: list[str] = []\n")
    assert not _has_all("def f():\n    __all__ = []\n")
