"""Benchmark 7: the Python session (cdsw over cohort serve), each figure against a baseline from the same run.

    bin/cohort python bench/python/bench_workers.py [--rounds=N]      (or: bench/run.sh 7)

1. Launch to completion of 32 python3 hello-world workers (launch_workers(n=32) + await_workers),
   against 32 processes started by Python's multiprocessing with the spawn method (start all, join all).
2. Launch to the session printing the first output line of one python3 worker, against a bare
   `python3 -c "print(...)"` started with subprocess, to its first line read from a pipe.
3. Per-call cost of launch (one shell worker), list, await (an ended worker) and stop (an ended
   worker) from Python over HTTP, against the same calls on the Java API in-process
   (io.cohort.bench.ApiCallCost, when COHORT_BENCH_CLASSPATH gives its class path), and against a
   bare HTTP round trip to the session (GET /v1/session).

Rounds alternate subject and baseline in an order that rotates; ratios are taken per round and given
as median [min-max]. The workers' own lines are counted, not shown.
"""
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import threading
import time

N = 32
PYTHON = os.environ.get("COHORT_KERNEL_PYTHON3", "python3")


def hello(i):
    with open(os.devnull, "w") as out:  # the same print as a worker's, kept off the report
        print("hello", i, file=out, flush=True)


class Console:
    """Stands in for sys.stdout while workers run: counts and times worker lines, passes the rest on."""

    def __init__(self, real):
        self.real = real
        self.lines = 0
        self.hellos = 0
        self.seen = threading.Condition()
        self.first = {}

    def write(self, text):
        if text.startswith("[w"):
            with self.seen:
                self.lines += 1
                wid, _, rest = text.partition("] ")
                self.hellos += rest.rstrip("\n") == "hello"
                if rest.startswith("first"):
                    self.first[wid[1:]] = time.perf_counter()
                self.seen.notify_all()
            return len(text)
        return self.real.write(text)

    def flush(self):
        self.real.flush()

    def await_first(self, wid, seconds=60):
        with self.seen:
            self.seen.wait_for(lambda: wid in self.first, seconds)
            return self.first[wid]


def spread(values):
    return "%.3f [%.3f-%.3f]" % (statistics.median(values), min(values), max(values))


def ms(values):
    return "%.1f ms [%.1f-%.1f]" % (statistics.median(values) * 1e3, min(values) * 1e3, max(values) * 1e3)


def main():
    rounds = 3
    for a in sys.argv[1:]:
        if a.startswith("--rounds="):
            rounds = max(1, round(3 * float(a.split("=", 1)[1])))  # a scale, as for the other benchmarks
    import cdsw
    import cohort_workers
    out = sys.stdout
    console = Console(out)
    print("7. the Python session: cdsw over cohort serve (%s), %d cores, %s; python3 workers run %s" % (
        " ".join(sys.argv), os.cpu_count(), sys.version.split()[0], PYTHON))
    t0 = time.perf_counter()
    cdsw.list_workers()
    print("  session start (cohort serve, first call answered): %.0f ms" % ((time.perf_counter() - t0) * 1e3))
    sys.stdout = console
    warm = cdsw.launch_workers(n=2, cpu=0.05, memory=0.05, code="print('warm')")
    cdsw.await_workers(warm, timeout_seconds=0)
    spawn = multiprocessing.get_context("spawn")

    # 1. 32 hello workers vs 32 spawned processes
    cohort_t, spawn_t, ratios = [], [], []
    for r in range(rounds):
        times = {}
        for subject in (("cohort", "spawn") if r % 2 == 0 else ("spawn", "cohort")):
            t = time.perf_counter()
            if subject == "cohort":
                ws = cdsw.launch_workers(n=N, cpu=0.05, memory=0.05, code="print('hello')")
                result = cdsw.await_workers(ws, timeout_seconds=0)
                assert len(result["workers"]) == N, result["failures"][:1]
            else:
                procs = [spawn.Process(target=hello, args=(i,)) for i in range(N)]
                for p in procs:
                    p.start()
                for p in procs:
                    p.join()
                assert all(p.exitcode == 0 for p in procs)
            times[subject] = time.perf_counter() - t
        cohort_t.append(times["cohort"])
        spawn_t.append(times["spawn"])
        ratios.append(times["cohort"] / times["spawn"])
    hellos = console.hellos

    # 2. first output line of one worker vs a bare python3 -c print
    first_c, first_b, first_r, returned = [], [], [], []
    for r in range(rounds * 3):
        times = {}
        for subject in (("cohort", "bare") if r % 2 == 0 else ("bare", "cohort")):
            t = time.perf_counter()
            if subject == "cohort":
                w = cdsw.launch_workers(n=1, cpu=0.1, memory=0.1, code="print('first')")[0]
                returned.append(time.perf_counter() - t)
                times[subject] = console.await_first(w["id"]) - t
                cdsw.await_workers(w)
            else:
                p = subprocess.Popen([PYTHON, "-u", "-c", "print('first')"], stdout=subprocess.PIPE)
                p.stdout.readline()
                times[subject] = time.perf_counter() - t
                p.wait()
                p.stdout.close()
        first_c.append(times["cohort"])
        first_b.append(times["bare"])
        first_r.append(times["cohort"] / times["bare"])

    # 3. per-call cost over HTTP
    calls, launches = 200, 20
    ended = cdsw.launch_workers(n=1, cpu=0.1, memory=0.1, kernel="shell", code="true")
    cdsw.await_workers(ended, timeout_seconds=0)
    session = cohort_workers._current()
    http = {"session": [], "list": [], "await": [], "stop": [], "launch": []}
    for _ in range(2):  # the first pass warms up, the second is counted
        for k in http:
            http[k] = []
        for _ in range(calls):
            t = time.perf_counter()
            session.request("GET", "/v1/session")
            t1 = time.perf_counter()
            cdsw.list_workers()
            t2 = time.perf_counter()
            cdsw.await_workers(ended)
            t3 = time.perf_counter()
            cdsw.stop_workers(ended)
            t4 = time.perf_counter()
            http["session"].append(t1 - t)
            http["list"].append(t2 - t1)
            http["await"].append(t3 - t2)
            http["stop"].append(t4 - t3)
        for _ in range(launches):
            t = time.perf_counter()
            w = cdsw.launch_workers(n=1, cpu=0.1, memory=0.1, kernel="shell", code="true")
            http["launch"].append(time.perf_counter() - t)
            cdsw.await_workers(w, timeout_seconds=0)
    workers_listed = len(cdsw.list_workers())
    sys.stdout = out
    java = None
    classpath = os.environ.get("COHORT_BENCH_CLASSPATH")
    if classpath:
        run = subprocess.run(["java", "-cp", classpath, "io.cohort.bench.ApiCallCost", str(calls), str(launches)],
                             capture_output=True, text=True)
        if run.returncode == 0:
            java = json.loads(run.stdout.strip().splitlines()[-1])
        else:
            print("  (the Java API baseline failed: %s)" % run.stderr.strip()[-500:])

    print()
    print("  1. launch to completion of %d python3 hello workers vs %d multiprocessing spawn processes, %d rounds:" % (N, N, rounds))
    print("     cohort %s, spawn %s; ratio cohort/spawn x%s" % (ms(cohort_t), ms(spawn_t), spread(ratios)))
    print("  2. launch to the first output line of one python3 worker vs bare `%s -u -c print`, %d rounds:" % (PYTHON, len(first_r)))
    print("     cohort %s, bare %s; ratio x%s" % (ms(first_c), ms(first_b), spread(first_r)))
    print("     (launch_workers returned after %s: the session checks that the code parses with one more %s first)"
          % (ms(returned), PYTHON))
    print("  3. per call from Python over HTTP (median of %d; launch: of %d; %d workers in the session when listed):" % (calls, launches, workers_listed))
    floor = statistics.median(http["session"])
    for k in ("list", "await", "stop", "launch"):
        v = statistics.median(http[k])
        line = "     %-6s %7.2f ms  (x%.1f a bare HTTP round trip of %.2f ms" % (k, v * 1e3, v / floor, floor * 1e3)
        if java:
            line += "; x%.1f the Java API in-process, %.3f ms" % (v / (java[k] / 1e6), java[k] / 1e3)
        print(line + ")")
    if not java:
        print("     (HTTP only: set COHORT_BENCH_CLASSPATH to the bench class path for the Java API baseline)")
    print("  workers' hello lines the session printed in 1: %d of %d" % (hellos, N * rounds))


if __name__ == "__main__":
    main()
