"""``ExportJob`` writing where a symlink is: the file the link names is replaced (keeping
its permissions) and the link stays.

The job renamed its part file over the link itself: the link became a file of its own, and
the file it pointed at (the one a dashboard or a sync job reads) kept the old export.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import storebridge
from storebridge.fleet import ExportJob, StoreSpec
from storebridge.registry import adapter_class

OLD = "old export\n"


def _spec() -> StoreSpec:
    kit = adapter_class("shopline").sandbox(seed=3, orders=6, customers=9, rate_limit=False)
    return StoreSpec("shop", platform="shopline", settings=kit.settings("https://s.example"),
                     transport=kit.emulator.transport())  # fmt: skip


def test_export_job_replaces_the_file_a_symlink_names(tmp_path: Path) -> None:
    job = ExportJob("customers", tmp_path / "exports")
    job.directory.mkdir()
    target = tmp_path / "published" / "customers.jsonl"
    target.parent.mkdir()
    target.write_text(OLD)
    target.chmod(0o600)
    link = job.target("shop")
    link.symlink_to(os.path.relpath(target, link.parent))

    report = storebridge.fleet([_spec()]).run(job)

    assert report.ok, report.summary()
    assert link.is_symlink() and link.resolve() == target.resolve()
    rows = [json.loads(line) for line in target.read_text().splitlines()]
    assert len(rows) == 9 and report["shop"].counts == {"customers": 9}
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    # No part file left, beside the link or beside the file.
    assert os.listdir(job.directory) == [link.name]
    assert os.listdir(target.parent) == [target.name]


def test_export_job_through_a_loop_of_links_fails_for_that_store(tmp_path: Path) -> None:
    job = ExportJob("customers", tmp_path)
    link = job.target("shop")
    link.symlink_to(link.name)

    report = storebridge.fleet([_spec()]).run(job)

    assert not report.ok
    failure = report["shop"].error
    assert failure is not None and "symbolic links" in str(failure), failure
    assert link.is_symlink() and os.listdir(tmp_path) == [link.name]
