"""What starting up loads: `import storebridge` and the command line load only what is used.

Each check runs a fresh interpreter and reads its ``sys.modules``, so that a module-level
import added anywhere on the way (which would cost every command line its load time again)
fails here rather than going unnoticed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.support import cli_env

# The HTTP client, asyncio, the model, fleets, migrations, sandboxes, serialization, Rich:
# what `import storebridge` and a command's --help have no use for.
NOT_AT_START = (
    "storebridge._engine",
    "storebridge._http",
    "storebridge.adapter",
    "storebridge.fleet",
    "storebridge.migrate",
    "storebridge.model",
    "storebridge.registry",
    "storebridge.sandbox",
    "storebridge.serialization",
    "storebridge.store",
    "storebridge.dlt",
    "storebridge.webhooks",
    "storebridge.cli.export_fleet",
    "storebridge.cli.progress_bars",
    "storebridge.cli.records",
    "asyncio",
    "cattrs",
    "httpx2",
    "rich",
    "sqlite3",
)

# Runs one command line as the console script does and writes down what it loaded.
_PROBE = """
import json, sys
from storebridge.cli import run
code = run(sys.argv[2:])
with open(sys.argv[1], "w", encoding="utf-8") as file:
    json.dump({"code": code, "modules": sorted(sys.modules)}, file)
"""

PROFILES = """\
[stores.shop]
platform = "29next"
store = "acme"
access_token = "${SHOP_ACCESS_TOKEN}"
"""


def _python(code: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - this interpreter, with code from the test
        [sys.executable, "-c", code, *args], cwd=cwd, env=cli_env(), capture_output=True,
        text=True, timeout=120, check=False,
    )  # fmt: skip


def _loaded_by_command(tmp_path: Path, *args: str) -> set[str]:
    (tmp_path / "storebridge.toml").write_text(PROFILES, encoding="utf-8")
    record = tmp_path / "loaded.json"
    proc = _python(_PROBE, str(record), *args, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    loaded = json.loads(record.read_text(encoding="utf-8"))
    assert loaded["code"] == 0, proc.stderr
    return set(loaded["modules"])


def _loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(name for name in names if name in modules)


def test_import_storebridge_loads_only_its_errors(tmp_path: Path) -> None:
    code = "import json, sys, storebridge; print(json.dumps(sorted(sys.modules)))"
    proc = _python(code, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    modules = set(json.loads(proc.stdout))
    ours = sorted(name for name in modules if name.split(".")[0] == "storebridge")
    assert ours == ["storebridge", "storebridge.errors"]
    assert _loaded(modules, (*NOT_AT_START, "attrs", "typer")) == []


@pytest.mark.parametrize(
    "args",
    [("--help",), ("export", "--help"), ("migrate", "--help"), ("sandbox", "serve", "--help")],
    ids=lambda args: " ".join(args),
)
def test_help_loads_nothing_it_does_not_show(tmp_path: Path, args: tuple[str, ...]) -> None:
    modules = _loaded_by_command(tmp_path, *args)
    assert "storebridge.cli.app" in modules  # the probe did run the command line
    assert _loaded(modules, NOT_AT_START) == []


def test_listing_stores_loads_no_fleet_migration_or_progress_bars(tmp_path: Path) -> None:
    modules = _loaded_by_command(tmp_path, "stores")
    assert "storebridge.registry" in modules  # it looked the profiles' platforms up
    unused = (
        "storebridge.fleet",
        "storebridge.migrate",
        "storebridge.dlt",
        "storebridge.cli.export_fleet",
        "storebridge.cli.progress_bars",
        "storebridge.cli.records",
        "rich",
    )
    assert _loaded(modules, unused) == []


def test_a_command_with_options_loads_no_validation_library(tmp_path: Path) -> None:
    # typer 0.29 builds a pydantic validator per parameter of the command that runs: about
    # 0.1 s of CPU per command line, which is why pyproject.toml keeps typer below it.
    modules = _loaded_by_command(tmp_path, "stores", "--json")
    assert "storebridge.registry" in modules  # the command did run
    assert _loaded(modules, ("pydantic", "pydantic_core")) == []


# Every public name resolves, to what its module defines and never to a subpackage, also
# when the subpackages storebridge.fleet and storebridge.migrate were imported first.
_NAMES = """
import sys, types
import storebridge.fleet.spec, storebridge.migrate.engine
import storebridge
facade, engine = sys.modules["storebridge.fleet.facade"], sys.modules["storebridge.migrate.engine"]
assert storebridge.fleet is facade.fleet, storebridge.fleet
assert storebridge.migrate is engine.migrate, storebridge.migrate
listed = set(dir(storebridge))
for name in storebridge.__all__:
    value = getattr(storebridge, name)
    assert not isinstance(value, types.ModuleType), name
    assert name in listed, name
    if name != "__version__":
        assert value.__module__.split(".")[0] == "storebridge", (name, value)
        assert getattr(sys.modules[value.__module__], value.__name__) is value, name
namespace = {}
exec("from storebridge import *", namespace)
assert set(storebridge.__all__) <= set(namespace), set(storebridge.__all__) - set(namespace)
# Submodules stay reachable as attributes after a bare import, as they always were.
assert storebridge.model.Order is storebridge.Order
try:
    storebridge.no_such_name
except AttributeError as exc:
    assert "no_such_name" in str(exc), exc
else:
    raise AssertionError("storebridge.no_such_name resolved")
print("ok")
"""


def test_every_public_name_resolves_in_a_fresh_interpreter(tmp_path: Path) -> None:
    proc = _python(_NAMES, cwd=tmp_path)
    assert (proc.returncode, proc.stdout.strip()) == (0, "ok"), proc.stderr
