#!/usr/bin/env bash
# Builds what the benchmarks need and runs them all, printing a summary table (see BENCHMARKS.md).
#   bench/run.sh                 all benchmarks (about 7-8 minutes on 2 cores)
#   bench/run.sh 2 --rounds=0.5  only benchmark 2, with half the rounds
#   bench/run.sh 5               only the hyperparameter search (1 vs 2 workers vs sequential; ~3-4 minutes)
#   bench/run.sh 5 --samples=N   the same on a data set of N samples (default 60000: items of 1-2 s)
#   bench/run.sh 6               only Slurm: launch of 8, 32, 128 workers, Python and Java agents, vs bare sbatch
#                                (root: it starts its own Slurm; --workers=8,32 --agents=python --rounds=N narrow it)
#   bench/run.sh 7               only the Python session (cdsw over cohort serve; bench/python/bench_workers.py)
#   bench/run.sh 8               only the dashboard in headless Chromium (--lines=N per busy worker, --seconds=S a round)
#   bench/run.sh 9               only worker groups: launch to group ready (4, 16, 64), elastic vs fixed pool
#   bench/run.sh 10              only Kubernetes on the kubelet stand-in: launch to all running (8, 64) vs bare pods, API calls
#   bench/run.sh 11              only output lines forwarded: seq 1 3000000 through a worker vs seq | sed (--lines=N)
#   bench/run.sh 12              only scale: 1, 8, 32, 128, 256 local workers, launch to all running, session CPU and memory
#   bench/run.sh 13              only Session.open() in a fresh JVM on the jar: with and without bin/cohort's class-data archive
# Builds with the reactor only (mvn package -pl bench -am): nothing is installed into ~/.m2.
# Every figure is a ratio against a baseline measured in the same run; the report is also
# written to bench/target/bench-report.txt.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

# The bench's class path (modules from this build, their libraries from ~/.m2), written per module.
mvn -B -q package dependency:build-classpath -pl bench -am -DskipTests -Dmdep.outputFile=target/classpath.txt

# Benchmark 2's baseline is GNU parallel; install it when we may, else the bench falls back to
# starting the 32 JVMs from a JVM with ProcessBuilder (and says so).
if ! command -v parallel >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "GNU parallel not found: apt-get install -y parallel" >&2
    apt-get install -y -q parallel >/dev/null 2>&1 \
      || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q parallel >/dev/null 2>&1; } \
      || echo "could not install GNU parallel: benchmark 2 falls back to a ProcessBuilder baseline" >&2
  else
    echo "GNU parallel not found (and not root): benchmark 2 falls back to a ProcessBuilder baseline" >&2
  fi
fi

# The session's class path, as a user would have it; Java workers compile and run against it too.
cp="$root/bench/target/classes:$(cat "$root/bench/target/classpath.txt")"

# Which benchmarks: numbers pick (none: all); --rounds=F goes to 1-3 and 5, --samples=N and
# --variants (adds 2 workers without cgroups) to 5 only.
picked=(); opts=(); hpo_opts=(); dash_opts=(); out_opts=(); slurm_opts=()
for a in "$@"; do
  case "$a" in
    --workers=*|--agents=*) slurm_opts+=("$a") ;;
    --samples=*|--variants) hpo_opts+=("$a") ;;
    --lines=*|--seconds=*) dash_opts+=("$a"); out_opts+=("$a") ;;
    --rounds=*) opts+=("$a"); hpo_opts+=("$a") ;;
    slurm) picked+=(6) ;;
    python) picked+=(7) ;;
    *) picked+=("$a") ;;
  esac
done
wants() { [ ${#picked[@]} -eq 0 ] || printf '%s\n' "${picked[@]}" | grep -qx "$1"; }
bench_args=()
for b in 1 2 3; do
  if [ ${#picked[@]} -gt 0 ] && wants "$b"; then bench_args+=("$b"); fi
done
run_bench=no; if [ ${#picked[@]} -eq 0 ] || [ ${#bench_args[@]} -gt 0 ]; then run_bench=yes; fi
run_queue=no; if wants 4; then run_queue=yes; fi
run_hpo=no; if wants 5; then run_hpo=yes; fi
run_slurm=no; if wants 6; then run_slurm=yes; fi
run_python=no; if wants 7; then run_python=yes; fi
run_dashboard=no; if wants 8; then run_dashboard=yes; fi
run_groups=no; if wants 9; then run_groups=yes; fi
run_k8s=no; if wants 10; then run_k8s=yes; fi
run_output=no; if wants 11; then run_output=yes; fi
run_scale=no; if wants 12; then run_scale=yes; fi
run_open=no; if wants 13; then run_open=yes; fi

# Benchmark 7 runs a Python session, which starts `cohort serve` from the jar (bin/cohort python).
if [ "$run_python" = yes ] && [ ! -f cohort-cli/target/cohort.jar ]; then
  mvn -B -q package -pl cohort-cli -am -DskipTests
fi

# Benchmark 13 opens sessions on the jar, with and without the class-data archive bin/cohort makes.
if [ "$run_open" = yes ]; then
  mvn -B -q package -pl cohort-cli -am -DskipTests
  bin/cohort help >/dev/null 2>&1 || true
fi

# Benchmark 4 (queues) measures against Redis Streams: Debian's redis-server, started by the bench.
if [ "$run_queue" = yes ] && ! command -v redis-server >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "redis-server not found: apt-get install -y redis-server" >&2
    apt-get install -y -q redis-server >/dev/null 2>&1 \
      || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q redis-server >/dev/null 2>&1; }
  fi
  command -v redis-server >/dev/null 2>&1 || { echo "benchmark 4 needs redis-server (apt-get install redis-server)" >&2; exit 1; }
fi

mkdir -p bench/target
{
  rc=0
  if [ "$run_bench" = yes ]; then
    java -cp "$cp" io.cohort.bench.Bench "${bench_args[@]}" "${opts[@]}" || rc=$?
  fi
  if [ "$run_queue" = yes ]; then
    echo; echo "4. queues vs Redis Streams"
    java -cp "$cp" io.cohort.bench.QueueBench || rc=$?
  fi
  if [ "$run_hpo" = yes ]; then
    echo; echo "5. hyperparameter search: 1 vs 2 workers vs sequential"
    java -cp "$cp" io.cohort.bench.HpoBench "${hpo_opts[@]}" || rc=$?
  fi
  if [ "$run_slurm" = yes ]; then
    # A one-node Slurm of its own, with 128 CPUs declared (the largest launch, one CPU a worker), on
    # other ports than the tests' one. A cluster left running in its folder is stopped first, so that
    # the declared CPUs are these.
    echo
    slurm_dir=/tmp/cohort-slurm-bench
    scripts/slurm-for-tests stop "$slurm_dir"
    if conf=$(COHORT_SLURM_NODE_CPUS=128 COHORT_SLURMCTLD_PORT=16827 COHORT_SLURMD_PORT=16828 scripts/slurm-for-tests start "$slurm_dir"); then
      java -cp "$cp" io.cohort.bench.SlurmBench "$conf" "${slurm_opts[@]}" "${opts[@]}" || rc=$?
      scripts/slurm-for-tests stop "$slurm_dir"
    else
      rc=1
    fi
  fi
  if [ "$run_groups" = yes ]; then
    echo; echo "9. worker groups and elastic pools"
    java -cp "$cp" io.cohort.bench.GroupsBench || rc=$?
  fi
  if [ "$run_k8s" = yes ]; then
    java -cp "$cp" io.cohort.bench.KubernetesBench || rc=$?
  fi
  if [ "$run_output" = yes ]; then
    echo
    java -cp "$cp" io.cohort.bench.OutputBench "${out_opts[@]}" "${opts[@]}" || rc=$?
  fi
  if [ "$run_scale" = yes ]; then
    echo
    java -cp "$cp" io.cohort.bench.ScaleBench || rc=$?
  fi
  if [ "$run_open" = yes ]; then
    echo
    java -Dcohort.bench.root="$root" -cp "$cp" io.cohort.bench.OpenBench "${opts[@]}" || rc=$?
  fi
  if [ "$run_python" = yes ]; then
    echo
    COHORT_BENCH_CLASSPATH="$cp" COHORT_HOME="$root/bench/target/sessions" bin/cohort python bench/python/bench_workers.py "${opts[@]}" || rc=$?
  fi
  if [ "$run_dashboard" = yes ]; then
    echo
    java -cp "$cp" io.cohort.bench.DashboardBench "${dash_opts[@]}" || rc=$?
  fi
  exit "$rc"
} 2>&1 | tee bench/target/bench-report.txt
exit "${PIPESTATUS[0]}"
