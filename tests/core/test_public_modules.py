"""Every name a public module lists in ``__all__`` can be imported from it.

Names load lazily in places (``storebridge`` itself), so a name listed but never bound, or
bound to the wrong module, would otherwise show only when a user first imported it.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from pathlib import Path
from types import ModuleType

import pytest

from tests.fleet.extras import DLT

PACKAGES = ("storebridge", "storebridge_29next", "storebridge_shopline", "storebridge_24nettbutikk")


def _modules_under(name: str, path: list[str]) -> list[str]:
    """``name`` and its public submodules, found on disk: importing a package to walk it
    would load storebridge.dlt (and dlt) on every worker at collection."""
    found = [name]
    for info in pkgutil.iter_modules(path):
        # _private modules, and __main__ (importing it runs the command line)
        if info.name.startswith("_"):
            continue
        child = f"{name}.{info.name}"
        if info.ispkg:
            found += _modules_under(child, [str(Path(where) / info.name) for where in path])
        else:
            found.append(child)
    return found


def _public_modules() -> list[str]:
    names: list[str] = []
    for package in PACKAGES:
        spec = importlib.util.find_spec(package)
        assert spec is not None and spec.submodule_search_locations is not None, package
        names += _modules_under(package, list(spec.submodule_search_locations))
    return names


MODULES = _public_modules()


def test_the_walk_finds_the_public_modules() -> None:
    for name in ("storebridge", "storebridge.fleet", "storebridge.migrate", "storebridge.cli"):
        assert name in MODULES, name
    assert "storebridge.cli.__main__" not in MODULES
    assert "storebridge._engine" not in MODULES


# storebridge.dlt imports dlt: on the worker that already has it loaded.
@DLT
@pytest.mark.parametrize("module_name", MODULES)
def test_every_listed_name_imports(module_name: str) -> None:
    module = importlib.import_module(module_name)
    listed: list[str] = list(getattr(module, "__all__", ()))
    namespace: dict[str, object] = {}
    exec(f"from {module_name} import *", namespace)  # noqa: S102 - a fixed module name
    missing = [name for name in listed if name not in namespace]
    assert not missing, missing
    for name in listed:
        value = getattr(module, name)
        if isinstance(value, ModuleType):
            # A listed submodule is meant as one; a listed function or class never is.
            assert value.__name__ == f"{module_name}.{name}", (name, value)
