"""A torch-style rendezvous: 4 workers find rank 0 through MASTER_ADDR/MASTER_PORT and all-reduce a
sum over plain sockets (what torch.distributed's TCP store does, without torch).

    bin/cohort python examples/recipes/allreduce.py
"""
import cohort_workers as cohort

WORKER = r'''
import json, os, socket, time
import cohort_workers as cohort

cohort.rendezvous(timeout_seconds=60)  # every member runs: MASTER_ADDR, RANK, WORLD_SIZE are final
rank, size = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
master = (os.environ["MASTER_ADDR"], int(os.environ["MASTER_PORT"]))
mine = (rank + 1) ** 2
if rank == 0:
    server = socket.create_server(master)
    peers = [server.accept()[0] for _ in range(size - 1)]
    total = mine + sum(int(p.makefile().readline()) for p in peers)
    for p in peers:
        p.sendall(b"%d\n" % total)
else:
    for attempt in range(200):  # rank 0 may not listen yet
        try:
            peer = socket.create_connection(master)
            break
        except ConnectionRefusedError:
            time.sleep(0.05)
    peer.sendall(b"%d\n" % mine)
    total = int(peer.makefile().readline())
print("rank %d of %d: sum %d" % (rank, size, total))
'''

workers = cohort.launch_workers(n=4, cpu=0.2, memory=0.2, code=WORKER, group="allreduce")
result = cohort.await_workers(workers, timeout_seconds=120)
assert not result["failures"], result["failures"]
print("ALLREDUCE DONE on", len(result["workers"]), "workers")
