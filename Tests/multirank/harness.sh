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
