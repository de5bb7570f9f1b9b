"""The example adapter package, installed for this test process once per session.

``pip install --no-deps --no-build-isolation --no-index --target DIR
docs/examples/storebridge-example`` runs in a subprocess (hatchling, from the ``test``
extra, builds it from this checkout; nothing is downloaded) into a folder of this session;
this process then puts DIR on ``sys.path`` (and on ``PYTHONPATH`` for the processes its
tests start), so the new package and its entry point are found without restarting.

Installing into the running environment instead would be seen, half-way, by the other
xdist workers: its entry point is listed there, but its module cannot be imported by an
interpreter started before the install (a ``.pth`` file is read at startup), so any test
that loads every adapter fails. Nothing is left behind: the folder is the session's.

Test modules import ``storebridge_example`` inside their tests (through the
``example`` fixture), never at collection time, when it is not installed yet.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from tests.support.paths import REPO_ROOT

EXAMPLE = REPO_ROOT / "docs" / "examples" / "storebridge-example"


def _pip(*args: str) -> None:
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    done = subprocess.run(  # noqa: S603 - pip of this interpreter, on the example package
        [sys.executable, "-m", "pip", *args],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        pytest.fail(f"pip {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}", pytrace=False)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Keep every test here on one xdist worker: one pip install, never two at once."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.xdist_group("example-package"))


@pytest.fixture(scope="session")
def example_installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The example package, built from this checkout and installed for this process (and
    the processes it starts) only; yields its source folder."""
    target = tmp_path_factory.mktemp("example-package")
    _pip("install", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
         "--target", str(target), str(EXAMPLE))  # fmt: skip
    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join([str(target), *filter(None, [saved])])
    sys.path.insert(0, str(target))
    importlib.invalidate_caches()
    yield EXAMPLE
    sys.path.remove(str(target))
    if saved is None:
        os.environ.pop("PYTHONPATH", None)
    else:
        os.environ["PYTHONPATH"] = saved
    importlib.invalidate_caches()


@pytest.fixture
def example(example_installed: Path) -> ModuleType:
    """The ``storebridge_example`` module, as installed."""
    return importlib.import_module("storebridge_example")
