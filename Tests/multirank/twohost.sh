#!/usr/bin/env bash
# Two hosts over TCP, made of two network namespaces joined by a veth pair (addresses only inside
# them; nothing leaves the machine). mpirun runs in the first; the second is reached through a
# remote-shell agent that enters its namespace. Checks: a 2-host run gives the checkpoint of a
# 1-host run with the same ranks bit for bit, and a link dropped mid-run ends the job within
# 15 s with a clear message. Needs root and `ip netns`; otherwise says why and skips.
# Usage: twohost.sh PATH/TO/minillm-dist
source "$(dirname "$0")/harness.sh" "$1"

if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null 2>&1 || ! ip netns add "minillm-probe-$$" 2>/dev/null; then
  echo "skip two-host tests: they need root and ip netns (iproute2)"
  echo "two-host: 0 passed, 0 failed"
  exit 0
fi
ip netns del "minillm-probe-$$"

hostA=minillm-a-$$
hostB=minillm-b-$$
addressA=10.231.7.1
addressB=10.231.7.2
cleanup_hosts() {
  for ns in "$hostA" "$hostB"; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup_hosts EXIT
ip netns add "$hostA"
ip netns add "$hostB"
ip link add "mla$$" type veth peer name "mlb$$"
ip link set "mla$$" netns "$hostA"
ip link set "mlb$$" netns "$hostB"
ip -n "$hostA" addr add "$addressA/24" dev "mla$$"
ip -n "$hostB" addr add "$addressB/24" dev "mlb$$"
for ns in "$hostA" "$hostB"; do ip -n "$ns" link set lo up; done
ip -n "$hostA" link set "mla$$" up
ip -n "$hostB" link set "mlb$$" up

# The remote shell: Open MPI calls it as `agent HOST COMMAND…` to start its daemon on HOST.
cat >"$work/netns-rsh" <<EOF
#!/usr/bin/env bash
case "\$1" in
  $addressA) ns=$hostA ;;
  $addressB) ns=$hostB ;;
  *) echo "netns-rsh: unknown host \$1" >&2; exit 1 ;;
esac
shift
exec ip netns exec "\$ns" /bin/sh -c "\$*"
EOF
chmod +x "$work/netns-rsh"
printf '%s slots=1\n%s slots=1\n' "$addressA" "$addressB" >"$work/hosts"
twoHosts=(ip netns exec "$hostA" "${MINILLM_MPIRUN[@]}" -n 2 --hostfile "$work/hosts" --map-by node
  --mca plm_rsh_agent "$work/netns-rsh" --mca btl tcp,self
  --mca btl_tcp_if_include 10.231.7.0/24 --mca oob_tcp_if_include 10.231.7.0/24 -x OPENBLAS_NUM_THREADS=1)
oneHost=("${MINILLM_MPIRUN[@]}" -n 2 --mca btl tcp,self -x OPENBLAS_NUM_THREADS=1)

tokenizer="$root/Tests/TokenizersTests/Fixtures/tokenizer.json"
"$binary" data synth --count 400 --seed 5 --output "$work/synth.jsonl" >/dev/null
"$binary" data prepare --tokenizer "$tokenizer" --instructions "$work/synth.jsonl" --output "$work/synth.h5" \
  --max-prompt-length 96 --max-length 128 >/dev/null
trainArguments() {  # run_dir steps
  echo train --method sft --data "$work/synth.h5" --tokenizer "$tokenizer" --run-dir "$1" --steps "$2" \
    --batch-size 4 --d-model 32 --n-layer 1 --n-head 2 --context-length 128 --checkpoint-every "$2" --seed 7
}

if timeout 120 "${oneHost[@]}" "$binary" $(trainArguments "$work/one" 12) >"$work/log" 2>&1 \
  && timeout 120 "${twoHosts[@]}" "$binary" $(trainArguments "$work/two" 12) >>"$work/log" 2>&1 \
  && python3 "$root/Tests/python/compare_checkpoints.py" "$work/one/checkpoints/step-00000012.h5" \
    "$work/two/checkpoints/step-00000012.h5" >>"$work/log" 2>&1; then
  pass "two hosts over TCP (network namespaces, veth): the final checkpoint equals one host's bit for bit"
else
  fail "two hosts over TCP: run or comparison failed"
fi

# Drop the second host's link once the run is training; the job must end within 15 s. Twice:
# with the default --collective-timeout (300 s), Open MPI's TCP keepalive on its control
# connections ends it; with --collective-timeout 8, the watchdog's roll call does.
drop_link() {  # label, link index, extra options…
  local label=$1 index=$2
  shift 2
  ip -n "$hostB" link set "mlb$$" up
  timeout 120 "${twoHosts[@]}" "$binary" "$@" $(trainArguments "$work/dropped-$index" 100000) \
    >"$work/drop.out" 2>"$work/drop.err" &
  local launcher=$! placed=0 rc=0
  for _ in $(seq 300); do grep -q "^step " "$work/drop.out" 2>/dev/null && break; sleep 0.1; done
  for pid in $(ip netns pids "$hostB"); do
    tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=1" && placed=1
  done
  local droppedAt
  droppedAt=$(date +%s.%N)
  ip -n "$hostB" link set "mlb$$" down
  wait "$launcher" || rc=$?
  local took message
  took=$(python3 -c "import sys, time; print(round(time.time() - float(sys.argv[1]), 1))" "$droppedAt")
  message=$(grep -m 1 -E "did not answer|lost communication" "$work/drop.err" | sed -E 's/^ +//' || true)
  for pid in $(ip netns pids "$hostB"); do kill -KILL "$pid" 2>/dev/null || true; done
  if [ "$placed" -eq 1 ] && [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && [ -n "$message" ] \
    && python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) <= 15 else 1)" "$took"; then
    pass "$label: a dropped link ends the job in ${took} s: ${message:0:100}"
  else
    cp "$work/drop.err" "$work/log"
    fail "$label: a dropped link: exit $rc after ${took} s (rank 1 on the second host: $placed)"
  fi
}
drop_link "keepalive" 1
drop_link "watchdog" 2 --collective-timeout 8

echo "two-host: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
