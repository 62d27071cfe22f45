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

# kill_once_written FILE RUN_DIR FINAL COMMAND…: runs COMMAND in the background, waits until
# FILE exists (an early checkpoint), waits a random 0–0.4 s more, then SIGKILLs every process of
# the run (the job may be anywhere, even mid-write). Succeeds only if the kill landed inside the
# run: some process of the run was still alive to receive the SIGKILL, and FINAL (the run's last
# checkpoint, written through a rename, so it exists only once complete) does not exist after
# it. Otherwise it returns 1 and says why in $kill_problem (FILE never appeared, or the run had
# already ended on its own), with the run's output in $work/killed.log.
kill_once_written() {
  local file=$1 run_dir=$2 final=$3
  shift 3
  kill_problem=""
  "$@" >"$work/killed.log" 2>&1 &
  local job=$! polls=0 seen=0
  while [ $polls -lt 600 ] && kill -0 $job 2>/dev/null; do
    [ -f "$file" ] && { seen=1; break; }
    sleep 0.05
    polls=$((polls + 1))
  done
  [ -f "$file" ] && seen=1  # also when the run ended right after writing it
  [ $seen -eq 1 ] && sleep 0.$((RANDOM % 5))
  local hit=0
  pkill -KILL -f "run-dir $run_dir" 2>/dev/null && hit=1  # pkill succeeds when it signalled a process
  kill -KILL $job 2>/dev/null
  wait $job 2>/dev/null
  local status=$?
  if [ $hit -eq 0 ]; then
    kill_problem="the run had already exited on its own (exit status $status) when the SIGKILL was sent"
    [ $seen -eq 0 ] && kill_problem+=", before $(basename "$file") was seen"
    [ -f "$final" ] && kill_problem+=": the kill landed after the run's end"
  elif [ $seen -eq 0 ]; then
    kill_problem="$(basename "$file") was not written within 30 s (the run was killed anyway)"
  elif [ -f "$final" ]; then
    kill_problem="the final checkpoint $(basename "$final") existed right after the SIGKILL: the kill landed after the run's end"
  fi
  if [ -n "$kill_problem" ]; then
    echo "kill_once_written: $kill_problem" >>"$work/killed.log"
    return 1
  fi
  return 0
}
