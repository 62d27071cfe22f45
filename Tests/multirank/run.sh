#!/usr/bin/env bash
# Multi-rank tests: the self-test (every collective, HDF5, GEMM) under 1, 2 and 4 ranks, and
# the failure paths (a rank that aborts, a rank that throws) under a timeout, so a hang fails.
# Usage: run.sh PATH/TO/minillm-dist
set -uo pipefail
binary=$1
source "$(dirname "$0")/../../launch/common.sh"
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

pass() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; sed 's/^/     | /' "$log" | tail -n 20; }

for ranks in 1 2 4; do
  label="selftest under mpirun -n $ranks"
  if timeout 300 "${MINILLM_MPIRUN[@]}" -n "$ranks" "$binary" selftest >"$log" 2>&1 \
    && grep -qE "^selftest: [0-9]+ passed, 0 failed" "$log" \
    && [ "$(grep -c '^ok ' "$log")" -ge 80 ]; then
    pass "$label ($(grep -c '^ok ' "$log") checks)"
  else
    fail "$label"
  fi
done

for shards in 2 4; do
  label="tensor-parallel teacher, groups of $shards ranks (of 4): ragged batch, KV cache, teacher-forced scoring of each member's batch"
  if timeout 300 "${MINILLM_MPIRUN[@]}" -n 4 "$binary" debug sharded-teacher --shards "$shards" >"$log" 2>&1 \
    && grep -qE "^sharded-teacher: 3 passed, 0 failed" "$log"; then
    pass "$label"
  else
    fail "$label"
  fi
done

for layout in "2 2" "4 2" "4 4"; do
  set -- $layout
  label="teacher-mixed sampling, $1 ranks in teacher groups of $2: log p, log q, log p̃ of every token"
  if timeout 300 "${MINILLM_MPIRUN[@]}" -n "$1" "$binary" debug teacher-mixing --shards "$2" >"$log" 2>&1 \
    && grep -qE "^teacher-mixing: 2 passed, 0 failed" "$log"; then
    pass "$label"
  else
    fail "$label"
  fi
done

# Expects a job to fail fast (non-zero, not the timeout's 124) with `pattern` in its output.
expect_failure() {
  local label=$1 pattern=$2
  shift 2
  local start=$SECONDS
  timeout 60 "$@" >"$log" 2>&1
  local code=$?
  if [ $code -ne 0 ] && [ $code -ne 124 ] && grep -q "$pattern" "$log"; then
    pass "$label (exit $code after $((SECONDS - start)) s)"
  else
    echo "     exit code $code"
    fail "$label"
  fi
}

# OpenBLAS's kernel set: the default pins Haswell on AVX2+FMA CPUs in every rank (the program
# re-executes itself before MPI starts), OPENBLAS_CORETYPE set by the user is kept, and a bad
# MINILLM_BLAS_CORE is one line and exit 1.
if [ -z "${OPENBLAS_CORETYPE:-}" ] && grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo; then
  label="default OpenBLAS kernel set is Haswell under mpirun -n 2 (a reproducible pin)"
  if timeout 300 env -u MINILLM_BLAS_CORE "${MINILLM_MPIRUN[@]}" -n 2 "$binary" selftest >"$log" 2>&1 \
      && grep -q "OpenBLAS: core Haswell" "$log" && grep -qE "^selftest: [0-9]+ passed, 0 failed" "$log"; then
    pass "$label"
  else
    fail "$label"
  fi
  label="OPENBLAS_CORETYPE set by the user is kept"
  if OPENBLAS_CORETYPE=Prescott timeout 120 "$binary" selftest >"$log" 2>&1 && grep -q "OpenBLAS: core Prescott" "$log"; then
    pass "$label"
  else
    fail "$label"
  fi
fi
label="an unknown MINILLM_BLAS_CORE is refused on one line with exit 1"
MINILLM_BLAS_CORE=Skylake timeout 60 "$binary" selftest >"$log" 2>&1
code=$?
if [ $code -eq 1 ] && [ "$(wc -l <"$log")" -eq 1 ] && grep -q "^minillm-dist: error: MINILLM_BLAS_CORE=Skylake: unknown OpenBLAS kernel set" "$log"; then
  pass "$label"
else
  echo "     exit code $code"
  fail "$label"
fi

expect_failure "abort on rank 1 of 2 ends the job" "rank 1 aborting the job (code 3)" \
  "${MINILLM_MPIRUN[@]}" -n 2 "$binary" debug abort --rank 1 --code 3
expect_failure "abort on rank 0 of 4 ends the job" "rank 0 aborting the job (code 5)" \
  "${MINILLM_MPIRUN[@]}" -n 4 "$binary" debug abort --rank 0 --code 5
expect_failure "a rank that throws ends the job, naming the rank and error" \
  "rank 2 of 4: error: injected failure" \
  "${MINILLM_MPIRUN[@]}" -n 4 "$binary" debug throw --rank 2
expect_failure "a single process that throws exits non-zero with the error" \
  "rank 0 of 1: error: injected failure" "$binary" debug throw --rank 0

echo "multirank: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
