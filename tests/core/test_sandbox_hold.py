"""A process that only serves sandboxes takes its seeded stores out of the collector's
passes (``hold_for_serving``; ``storebridge sandbox serve`` does so: tests/cli)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

# Run in a child: holding changes the whole process, which must not be a test worker.
HELD = textwrap.dedent(
    """
    import gc, weakref
    from storebridge.registry import adapter_class
    from storebridge.sandbox import hold_for_serving

    sandbox = adapter_class("29next").sandbox(orders=30)
    records = list(sandbox.emulator.state.orders.values())

    class Box:
        pass

    box = Box()
    hold_for_serving()
    walked = {id(o) for o in gc.get_objects()}
    print(gc.get_freeze_count() > 0)
    print(any(id(r) in walked for r in records), all(gc.is_tracked(r) for r in records))
    gone = weakref.ref(box)
    del box
    print(gone() is None)
    """
)


def test_held_stores_are_out_of_the_collectors_passes_and_still_freed_by_refcount() -> None:
    done = subprocess.run(  # noqa: S603 - this interpreter, our own snippet
        [sys.executable, "-c", HELD], capture_output=True, text=True, check=True, timeout=120
    )
    frozen, held = done.stdout.splitlines()[0], done.stdout.splitlines()[1]
    assert frozen == "True"
    # The seeded records are still tracked objects, but no collection walks them.
    assert held == "False True"
    assert done.stdout.splitlines()[2] == "True"
