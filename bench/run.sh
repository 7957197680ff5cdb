#!/usr/bin/env bash
# Builds what the benchmarks need and runs them all, printing a summary table (see BENCHMARKS.md).
#   bench/run.sh                 all benchmarks (about 3-4 minutes on 2 cores)
#   bench/run.sh 2 --rounds=0.5  only benchmark 2, with half the rounds
# Builds with the reactor only (mvn package -pl bench -am): nothing is installed into ~/.m2.
# Every figure is a ratio against a baseline measured in the same run; the report is also
# written to bench/target/bench-report.txt.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

mvn -B -q package -pl bench -am -DskipTests

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

# The session's class path, as a user would have it: the module jars from this build (the modules
# have no third-party runtime dependencies). Java workers compile and run against it too.
cp=""
for m in cohort-api cohort-worker cohort-core cohort-local bench; do
  jar=$(ls "$root/$m/target/$m"-*.jar 2>/dev/null | grep -v -e '-sources' -e '-tests' | head -1 || true)
  [ -n "$jar" ] || { echo "missing $m/target/$m-*.jar: did the build fail?" >&2; exit 1; }
  cp="$cp${cp:+:}$jar"
done

mkdir -p bench/target
java -cp "$cp" io.cohort.bench.Bench "$@" 2>&1 | tee bench/target/bench-report.txt
exit "${PIPESTATUS[0]}"
