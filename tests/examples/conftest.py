"""The example adapter package, installed into the running environment once per session.

``pip install --no-deps --no-build-isolation --no-index -e docs/examples/storebridge-example``
runs in a subprocess (hatchling, from the ``test`` extra, builds it; nothing is downloaded),
then this process picks up the new ``.pth`` path and entry point without restarting. A
package this session installed is uninstalled at its end; one that was already installed
before is left installed (from this checkout).

Test modules import ``storebridge_example`` inside their tests (through the
``example`` fixture), never at collection time, when it may not be installed yet.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from urllib.parse import unquote, urlsplit

import pytest

from tests.support.paths import REPO_ROOT

EXAMPLE = REPO_ROOT / "docs" / "examples" / "storebridge-example"
DISTRIBUTION = "storebridge-example"


def _installed() -> tuple[bool, Path | None]:
    """(whether the distribution is installed, the folder it is an editable install of)."""
    try:
        dist = importlib.metadata.distribution(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return False, None
    found = json.loads(dist.read_text("direct_url.json") or "{}")
    editable = found.get("dir_info", {}).get("editable", False)
    url = str(found.get("url", ""))
    if not editable or not url.startswith("file:"):
        return True, None
    return True, Path(unquote(urlsplit(url).path))


def _pip(*args: str) -> None:
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    done = subprocess.run(  # noqa: S603 - pip of this interpreter, on the example package
        [sys.executable, "-m", "pip", *args],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        pytest.fail(f"pip {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}", pytrace=False)


def _add_installed_paths() -> None:
    """What the interpreter does with the distribution's ``.pth`` file at startup."""
    dist = importlib.metadata.distribution(DISTRIBUTION)
    for file in dist.files or ():
        if file.name.endswith(".pth"):
            for line in file.read_text().splitlines():
                if line and not line.startswith(("#", "import")) and line not in sys.path:
                    sys.path.append(line)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Keep every test here on one xdist worker: one pip install, never two at once."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.xdist_group("example-package"))


@pytest.fixture(scope="session")
def example_installed() -> Iterator[Path]:
    """The example package, installed (editable) from this checkout; yields its folder."""
    importlib.invalidate_caches()
    was_installed, source = _installed()
    if source is None or source.resolve() != EXAMPLE.resolve():
        _pip("install", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
             "--editable", str(EXAMPLE))  # fmt: skip
        importlib.invalidate_caches()
    _add_installed_paths()
    yield EXAMPLE
    if not was_installed:
        _pip("uninstall", "--quiet", "--yes", DISTRIBUTION)
        importlib.invalidate_caches()


@pytest.fixture
def example(example_installed: Path) -> ModuleType:
    """The ``storebridge_example`` module, as installed."""
    return importlib.import_module("storebridge_example")
