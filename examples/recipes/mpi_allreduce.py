"""An Open MPI program across a group (Debian's openmpi-bin): every member serves commands inside
itself (python3 -m cohort_workers exec-server), and rank 0 runs mpirun over the group's hosts file
with cohort's rsh standing in for ssh, so each MPI rank runs inside its own worker (its cgroup, its
address). The ranks all-reduce the sum of (rank+1)^2.

    bin/cohort python examples/recipes/mpi_allreduce.py     (needs openmpi-bin, libopenmpi-dev, gcc)
"""
import os
import subprocess
import tempfile

import cohort_workers as cohort

HELLO = r'''
#include <mpi.h>
#include <stdio.h>
int main(int argc, char **argv) {
    int rank, size, mine, sum = 0;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    mine = (rank + 1) * (rank + 1);
    MPI_Allreduce(&mine, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    printf("mpi rank %d of %d: sum %d\n", rank, size, sum);
    MPI_Finalize();
    return 0;
}
'''

build = tempfile.mkdtemp(prefix="cohort-mpi-", dir=os.getcwd())
with open(os.path.join(build, "hello.c"), "w") as f:
    f.write(HELLO)
subprocess.run(["mpicc", "-o", os.path.join(build, "hello"), os.path.join(build, "hello.c")], check=True)

# Every member serves one command (the orted mpirun sends it); rank 0 also runs mpirun once all run.
# Loopback only (oob and btl on lo): the ranks talk over this machine's loopback, as the workers do.
MEMBER = """
python3 -m cohort_workers exec-server --once &
server=$!
status=0
if [ "$RANK" = 0 ]; then
  eval "$(python3 -m cohort_workers rendezvous --env)" || exit 1
  mpirun --allow-run-as-root --oversubscribe --leave-session-attached --hostfile "$COHORT_GROUP_DIR/hosts" -np "$WORLD_SIZE" \\
    --mca plm_rsh_agent "python3 -m cohort_workers rsh" --mca plm_rsh_no_tree_spawn 1 \\
    --mca btl self,tcp --mca oob_tcp_if_include lo --mca btl_tcp_if_include lo %s/hello || status=$?
fi
wait $server || status=${status:-$?}
exit $status
""" % build

workers = cohort.launch_workers(n=3, cpu=0.3, memory=0.3, kernel="shell", code=MEMBER, group="mpi")
result = cohort.await_workers(workers, timeout_seconds=180)
assert not result["failures"], [(w["id"], w["reason"]) for w in result["failures"]]
print("MPI DONE on", len(result["workers"]), "workers")
