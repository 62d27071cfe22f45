# Shared by the multi-rank test scripts (sourced): the binary from $1, launch/common.sh
# (MINILLM_MPIRUN, run-as-root settings), a scratch folder $work removed on exit, and
# pass/fail counters; a failure prints the tail of $work/log.
set -uo pipefail
binary=$1
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$root/launch/common.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; [ -f "$work/log" ] && tail -n 15 "$work/log" | sed 's/^/     | /'; }

# kill_once_written FILE RUN_DIR COMMAND…: runs COMMAND in the background, waits until FILE
# exists (a checkpoint), waits a random 0–0.4 s more, then SIGKILLs every process of the run
# (the job may be anywhere, even mid-write).
kill_once_written() {
  local file=$1 run_dir=$2
  shift 2
  "$@" >"$work/killed.log" 2>&1 &
  local job=$!
  for _ in $(seq 600); do
    [ -f "$file" ] && break
    sleep 0.05
  done
  sleep 0.$((RANDOM % 5))
  pkill -KILL -f "run-dir $run_dir" 2>/dev/null
  kill -KILL $job 2>/dev/null
  wait $job 2>/dev/null
}
