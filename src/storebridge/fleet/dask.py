"""Running per-store jobs on Dask distributed: one task per store (``storebridge[dask]``).

::

    from storebridge.fleet import ExportJob
    from storebridge.fleet.dask import run_on_dask

    report = run_on_dask(ExportJob("orders", "/shared/exports"), fleet.specs,
                         "tcp://scheduler:8786")

One task per store keeps each credential's rate limit, requests in flight and token
refresh inside one worker. A task carries the job and the store's spec (for a profile: its
name and the profile file's path, never a secret); the worker opens the store from its
own environment, so the profile file and the ``${VAR}`` secrets it names must be present
on every worker, as must any directory the job writes to. A task's failure is that store's
result; a worker lost mid-task is reported the same way. ``Fleet.run(job, cluster=...)``
calls this.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import Any

from storebridge.errors import ConfigurationError
from storebridge.fleet.jobs import Job, run_store_job
from storebridge.fleet.report import FleetReport, StoreFailure, StoreResult
from storebridge.fleet.spec import StoreSpec

__all__ = ["local_cluster", "run_on_dask"]


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise ConfigurationError(
            "running jobs on Dask needs the dask extra: pip install 'storebridge[dask]'",
            setting="cluster",
        ) from None
    return distributed


@contextmanager
def local_cluster(
    workers: int = 2, *, threads_per_worker: int = 4, processes: bool = True
) -> Iterator[Any]:
    """A ``distributed.Client`` on a new LocalCluster of ``workers`` processes, listening
    on loopback only, with no dashboard; both are stopped when the block ends.

    A store's task mostly waits on its rate limit, so each worker runs several at once
    (``threads_per_worker``). ``processes=False`` runs the workers as threads of this
    process (quick to start; for trying things out).
    """
    distributed = _distributed()
    where = {"host": "127.0.0.1"} if processes else {}
    # The scheduler's HTTP endpoint on a free loopback port: its default, 8787 on every
    # interface, may be taken (another cluster) and would face the network.
    with distributed.LocalCluster(
        n_workers=workers, threads_per_worker=threads_per_worker, processes=processes,
        dashboard_address="127.0.0.1:0", **where,
    ) as cluster, distributed.Client(cluster, set_as_default=False) as client:  # fmt: skip
        yield client


def run_on_dask(job: Job, specs: Sequence[StoreSpec], cluster: Any) -> FleetReport:
    """Run ``job`` once per store, as one Dask task each; wait for all of them.

    ``cluster``: a ``distributed.Client``; a scheduler address (``"tcp://host:8786"``);
    or ``"local"`` for a LocalCluster of 2 worker processes on this machine, stopped at the
    end. Returns the same report an in-process run gives.
    """
    distributed = _distributed()
    portable = [spec.portable() for spec in specs]
    started = time.monotonic()
    with ExitStack() as stack:
        if cluster == "local":
            client = stack.enter_context(local_cluster())
        elif isinstance(cluster, str):
            client = stack.enter_context(distributed.Client(cluster, set_as_default=False))
        else:
            client = cluster
        run = uuid.uuid4().hex[:8]
        futures = [
            client.submit(run_store_job, job, spec, key=f"storebridge-{run}-{index}", pure=False)
            for index, spec in enumerate(portable)
        ]
        results = [_gathered(future, spec) for future, spec in zip(futures, portable, strict=True)]
    return FleetReport(
        {result.store: result for result in results},
        elapsed=time.monotonic() - started,
        operation=job.name,
    )


def _gathered(future: Any, spec: StoreSpec) -> StoreResult:
    try:
        result: StoreResult = future.result()
    except Exception as exc:
        # The task itself never raises: this is the cluster failing it (a worker lost...).
        return StoreResult(
            store=spec.name, platform=spec.platform_label(), error=StoreFailure.of(exc)
        )
    return result
