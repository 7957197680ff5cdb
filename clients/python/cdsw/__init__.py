"""``cdsw``: the reference's older module name for the workers API (see ``cohort_workers``).

    import cdsw
    workers = cdsw.launch_workers(n=2, cpu=0.2, memory=0.5, code="print('Hello from a CDSW Worker')")
    cdsw.await_workers(workers)
"""
from cohort_workers import (CohortError, CohortInputError, StopResponse, await_workers, launch_workers,
                            list_workers, stop_workers)

__all__ = ["launch_workers", "list_workers", "await_workers", "stop_workers", "CohortError", "CohortInputError",
           "StopResponse"]
