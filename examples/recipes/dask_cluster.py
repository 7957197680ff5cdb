"""A Dask cluster as one group: the scheduler is a service worker (ready when its port answers), the
Dask workers find it at MASTER_ADDR (rank 0 is the scheduler), and the session computes on it.

    bin/cohort python examples/recipes/dask_cluster.py      (needs Debian's python3-distributed)
"""
import cohort_workers as cohort
from distributed import Client

g = cohort.launch_group("dask", [
    {"role": "scheduler", "n": 1, "cpu": 0.4, "memory": 1, "service": {"port": 8786},
     "code": "!python3 -m distributed.cli.dask_scheduler --host $CDSW_IP_ADDRESS --port 8786 --no-dashboard"},
    {"role": "worker", "n": 2, "cpu": 0.4, "memory": 1,
     "code": "!python3 -m distributed.cli.dask_worker tcp://$MASTER_ADDR:8786 --host $CDSW_IP_ADDRESS"
             " --nworkers 1 --nthreads 1 --no-dashboard"},
])
r = g.rendezvous(timeout_seconds=120)  # the scheduler answers on its port, every worker runs
client = Client("tcp://%s:8786" % r["master_addr"], timeout=60)
client.wait_for_workers(2, timeout=120)
total = client.submit(sum, client.map(lambda x: x * x, range(100))).result()
assert total == 328350, total
print("DASK RESULT", total, "on", len(client.scheduler_info()["workers"]), "workers")
client.close()
g.stop()
