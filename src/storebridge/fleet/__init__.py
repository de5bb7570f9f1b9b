"""Many stores at once: one API over a fleet of stores, per-store jobs, here or on Dask.

::

    import storebridge

    fleet = storebridge.fleet(["shop-a", "shop-b", "shop-c"])     # or tag="eu"
    for store, order in fleet.orders.list(updated_since=since):  # merged, concurrent
        print(store, order.number)

    report = fleet.run(ExportJob("orders", "exports/"))             # one task per store
    print(report.summary())

Every store is read by its own task within its own rate limit; records are tagged with
the store they came from; one failing store never stops the others, and every operation
reports each store's counts, elapsed time and error (:class:`FleetReport`, JSON for
scripts). Jobs run in-process or, with the ``storebridge[dask]`` extra, as one Dask task
per store (:mod:`storebridge.fleet.dask`).
"""

from storebridge.fleet.facade import DEFAULT_STORES_AT_ONCE, Fleet, fleet
from storebridge.fleet.jobs import ExportJob, Job, JobResult, MigrateJob, run_store_job
from storebridge.fleet.listing import FleetListing, FleetResource, Tagged
from storebridge.fleet.report import FleetError, FleetReport, StoreFailure, StoreResult
from storebridge.fleet.spec import StoreSpec

__all__ = [
    "DEFAULT_STORES_AT_ONCE",
    "ExportJob",
    "Fleet",
    "FleetError",
    "FleetListing",
    "FleetReport",
    "FleetResource",
    "Job",
    "JobResult",
    "MigrateJob",
    "StoreFailure",
    "StoreResult",
    "StoreSpec",
    "Tagged",
    "fleet",
    "run_store_job",
]
