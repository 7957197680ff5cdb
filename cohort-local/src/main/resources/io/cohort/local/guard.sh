#!/bin/bash
# cohort's orphan guard: one per session. It outlives the session's JVM on purpose: the JVM holds
# the only writer of this script's stdin, so when the JVM ends -- normally, by an exception, by a
# signal, even by SIGKILL -- the pipe closes, `read` returns, and the guard kills every process of
# the session's workers: their process groups, their cgroups, and any process whose environment
# carries this run's mark COHORT_GUARD=ID (which catches children that started sessions of their own).
#
# Usage: guard.sh ID GRACE_SECONDS [CGROUP_DIR...]   (ID: the session's id and this run's)
# env: COHORT_GUARD_NET=TAG when workers have network namespaces: cohort-TAG-* and the bridge cbTAG are deleted.
# stdin: lines "track PGID" / "untrack PGID" as workers start and end.
trap '' INT TERM HUP QUIT PIPE
session="$1"; grace="$2"; shift 2
cgroup_dirs=("$@")
declare -A groups=()

while read -r cmd arg; do
  case "$cmd" in
    track) groups[$arg]=1 ;;
    untrack) unset "groups[$arg]" ;;
  esac
done

# Every process still belonging to the session, one pid a line.
members() {
  local f
  if ((${#cgroup_dirs[@]})); then
    for f in $(find "${cgroup_dirs[@]}" -name cgroup.procs 2>/dev/null); do cat "$f" 2>/dev/null; done
  fi
  grep -lzx "COHORT_GUARD=$session" /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3
}

signal_all() {
  local sig="$1" g p
  for g in "${!groups[@]}"; do kill -"$sig" -- "-$g" 2>/dev/null; done
  for p in $(members); do [ "$p" != "$$" ] && kill -"$sig" "$p" 2>/dev/null; done
}

alive() {
  local g p
  for g in "${!groups[@]}"; do kill -0 -- "-$g" 2>/dev/null && return 0; done
  for p in $(members); do
    [ "$p" != "$$" ] && [ -e "/proc/$p" ] && ! grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null && return 0
  done
  return 1
}

if alive; then
  echo "$(date +%T) session $session ended with workers running: stopping them" >&2
  signal_all TERM
  steps=$(awk -v g="$grace" 'BEGIN { printf "%d", g * 10 }')
  for ((i = 0; i < steps; i++)); do alive || break; sleep 0.1; done
  for ((i = 0; i < 50; i++)); do alive || break; signal_all KILL; sleep 0.1; done
fi
# The session's network namespaces and bridge (local.network=namespace), named by COHORT_GUARD_NET.
if [ -n "${COHORT_GUARD_NET:-}" ]; then
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^cohort-$COHORT_GUARD_NET-"); do
    ip netns del "$ns" 2>/dev/null
  done
  ip link del "cb$COHORT_GUARD_NET" 2>/dev/null
fi
# Worker cgroups first, then the session's own.
for d in "${cgroup_dirs[@]}"; do
  [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
done
exit 0
