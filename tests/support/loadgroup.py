"""``--dist loadgroup`` that honours ``xdist_group`` marks on pytest >= 9.2 as well.

pytest-xdist's workers tell the scheduler a test's group by appending ``@group`` to its node
id, through an attribute pytest 9.2 no longer reads (its node ids are structured). Every
group is then silently ignored: tests that must share a worker (one pip install of the
example package, one build of a module's fixture) run on several workers at once. This
plugin sets the suffix as xdist means to where it did not take; where it did (older pytest,
or an xdist that handles structured ids), it changes nothing.
"""

from __future__ import annotations

import pytest

__all__ = ["group_suffix", "pytest_collection_modifyitems"]


def group_suffix(item: pytest.Item) -> str:
    """``@name`` (several names joined by ``_``, as xdist does), or "" for no group."""
    names = {
        str(mark.args[0]) if mark.args else str(mark.kwargs.get("name", "default"))
        for mark in item.iter_markers("xdist_group")
    }
    return "@" + "_".join(sorted(names)) if names else ""


# Last: after every conftest has given its groups and after xdist's own attempt.
@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("loadgroup", default=False):  # xdist workers, --dist loadgroup
        return
    for item in items:
        suffix = group_suffix(item)
        if suffix and not item.nodeid.endswith(suffix):
            from _pytest.nodeid import NodeId  # pytest >= 9.2, the only case that gets here

            item._id = NodeId.parse(item.nodeid + suffix)
