#!/usr/bin/env bash
# Builds what the benchmarks need and runs them all, printing a summary table (see BENCHMARKS.md).
#   bench/run.sh                 all benchmarks (about 3-4 minutes on 2 cores)
#   bench/run.sh 2 --rounds=0.5  only benchmark 2, with half the rounds
#   bench/run.sh slurm           only the Slurm benchmark (root: it starts its own one-node Slurm)
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

# Benchmark 4 (queues) measures against Redis Streams: Debian's redis-server, started by the bench.
# The Slurm benchmark runs against a one-node Slurm of its own, with 8 CPUs declared, on other ports.
run_queue=no; run_slurm=no; args=()
for a in "$@"; do
  if [ "$a" = 4 ]; then run_queue=yes; elif [ "$a" = slurm ]; then run_slurm=yes; else args+=("$a"); fi
done
[ $# -eq 0 ] && run_queue=yes && run_slurm=yes
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
  if [ $# -eq 0 ] || [ ${#args[@]} -gt 0 ]; then
    java -cp "$cp" io.cohort.bench.Bench "${args[@]}"
  fi
  if [ "$run_queue" = yes ]; then
    echo; echo "4. queues vs Redis Streams"
    java -cp "$cp" io.cohort.bench.QueueBench
  fi
  if [ "$run_slurm" = yes ]; then
    echo
    slurm_dir=/tmp/cohort-slurm-bench
    conf=$(COHORT_SLURM_NODE_CPUS=8 COHORT_SLURMCTLD_PORT=16827 COHORT_SLURMD_PORT=16828 scripts/slurm-for-tests start "$slurm_dir")
    trap 'scripts/slurm-for-tests stop "$slurm_dir"' EXIT
    java -cp "$cp" io.cohort.bench.SlurmBench "$conf"
  fi
} 2>&1 | tee bench/target/bench-report.txt
exit "${PIPESTATUS[0]}"
