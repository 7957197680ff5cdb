"""``cml.workers_v1``: the reference's newer module name for the workers API (see ``cohort_workers``).

    import cml.workers_v1 as workers
    ws = workers.launch_workers(n=2, cpu=0.2, memory=0.5, code="print('Hello from a CML Worker')")
    workers.await_workers(ws)
"""
from cohort_workers import (CohortError, CohortInputError, StopResponse, await_workers, launch_workers,
                            list_workers, stop_workers)

__all__ = ["launch_workers", "list_workers", "await_workers", "stop_workers", "CohortError", "CohortInputError",
           "StopResponse"]
