#!/usr/bin/env bash
# Training under mpirun. Exact resume, under 1 and 2 ranks: a run of N steps in one go; the same run stopped after
# N/2 steps and resumed; a longer run killed with SIGKILL at an arbitrary moment before its end and resumed.
# The final checkpoints must hold bitwise-identical parameters, AdamW state and loss logs
# (checked with h5py). A resume with another number of ranks must be refused. Data-parallel
# runs match single-rank runs with the same global batch; a drifting replica aborts the job.
# Usage: resume.sh PATH/TO/minillm-dist
source "$(dirname "$0")/harness.sh" "$1"

tokenizer="$root/Tests/TokenizersTests/Fixtures/tokenizer.json"
"$binary" data synth --count 600 --seed 3 --output "$work/synth.jsonl" >/dev/null
"$binary" data prepare --tokenizer "$tokenizer" --instructions "$work/synth.jsonl" --output "$work/synth.h5" \
  --max-prompt-length 96 --max-length 128 >/dev/null

steps=24
killSteps=160  # the SIGKILL runs: long enough after their first checkpoint that the kill lands before the end
train() {  # ranks run_dir extra-args…
  local ranks=$1 dir=$2
  shift 2
  timeout 300 "${MINILLM_MPIRUN[@]}" -n "$ranks" "$binary" train --method sft --data "$work/synth.h5" --tokenizer "$tokenizer" \
    --run-dir "$dir" --steps $steps --batch-size 4 --d-model 64 --n-layer 2 --n-head 4 --context-length 128 \
    --checkpoint-every 4 --warmup 3 --seed 11 "$@"
}
final() { echo "$1/checkpoints/$(printf 'step-%08d.h5' "${2:-$steps}")"; }  # run_dir [steps]
compare() { python3 "$root/Tests/python/compare_checkpoints.py" "$@" >"$work/compare.log" 2>&1 || { cat "$work/compare.log" >>"$work/log"; return 1; }; }

for ranks in 1 2; do
  train "$ranks" "$work/straight-$ranks" >"$work/log" 2>&1 || { fail "$ranks rank(s): straight run"; continue; }
  compare --inspect "$binary" "$(final "$work/straight-$ranks")" \
    && pass "$ranks rank(s): checkpoint opens in h5py: layout, and tensor norms equal to what inspect prints" \
    || fail "$ranks rank(s): checkpoint layout"

  # Stop after half the steps, then resume.
  if train "$ranks" "$work/stopped-$ranks" --stop-after $((steps / 2)) >"$work/log" 2>&1 \
    && train "$ranks" "$work/stopped-$ranks" --resume auto >"$work/log" 2>&1 \
    && compare "$(final "$work/straight-$ranks")" "$(final "$work/stopped-$ranks")"; then
    pass "$ranks rank(s): stop at step $((steps / 2)) + resume is bitwise identical to a straight run"
  else
    fail "$ranks rank(s): stop + resume"
  fi

  # SIGKILL once the first checkpoint exists (the job may be anywhere, even mid-write), then
  # resume. The kill must land before the run's end (a kill after it would test nothing), so
  # these runs are $killSteps steps long: a straight one, and the killed one with the same options.
  if ! train "$ranks" "$work/kill-straight-$ranks" --steps $killSteps >"$work/log" 2>&1; then
    fail "$ranks rank(s): straight run of $killSteps steps (for the SIGKILL test)"
  elif ! kill_once_written "$work/killed-$ranks/checkpoints/step-00000004.h5" "$work/killed-$ranks" \
    "$(final "$work/killed-$ranks" $killSteps)" train "$ranks" "$work/killed-$ranks" --steps $killSteps; then
    cp "$work/killed.log" "$work/log"
    fail "$ranks rank(s): SIGKILL mid-run: $kill_problem"
  elif train "$ranks" "$work/killed-$ranks" --steps $killSteps --resume auto >"$work/log" 2>&1 \
    && grep -q "resumed from " "$work/log" \
    && compare "$(final "$work/kill-straight-$ranks" $killSteps)" "$(final "$work/killed-$ranks" $killSteps)"; then
    pass "$ranks rank(s): SIGKILL mid-run + resume auto is bitwise identical ($(grep -o 'resumed from .*' "$work/log" | head -n 1 | sed 's|.*/||'))"
  else
    fail "$ranks rank(s): SIGKILL + resume"
  fi
done

# Data parallelism: 2 ranks × batch 4 follow the same path as 1 rank × batch 8 (the same
# examples each step; only the order of float sums differs). Tolerance: per-step losses within
# 1e-5; parameters within 2e-3 of each tensor's largest entry, since AdamW's update
# m/(√v + ε) has unit scale whatever the gradient's size, so for parameters whose gradient is
# near zero (rare tokens' embedding rows) ~1e-7 summation noise moves the weight by up to lr per
# step (measured: 4.5e-4 after 24 steps).
if train 1 "$work/dp-1x8" --batch-size 8 >"$work/log" 2>&1 && train 2 "$work/dp-2x4" --batch-size 4 >"$work/log" 2>&1 \
  && compare --tolerance 2e-3 "$(final "$work/dp-1x8")" "$(final "$work/dp-2x4")"; then
  pass "2 ranks × batch 4 match 1 rank × batch 8 after $steps steps ($(tail -n 1 "$work/compare.log"))"
else
  fail "data-parallel equivalence"
fi

if train 2 "$work/dp-2x4-overlap" --batch-size 4 --overlap-reduction >"$work/log" 2>&1 \
  && compare --tolerance 2e-3 "$(final "$work/dp-1x8")" "$(final "$work/dp-2x4-overlap")"; then
  pass "the same with the all-reduce overlapped with the backward ($(tail -n 1 "$work/compare.log"))"
else
  fail "data-parallel equivalence with overlapped reduction"
fi

# A replica that drifts is caught by the checksum comparison and the job ends non-zero.
if ! train 2 "$work/diverged" --debug-perturb-rank 1 --debug-perturb-step 2 --replica-check-every 2 >"$work/log" 2>&1 \
  && grep -q "replica divergence at step 2" "$work/log"; then
  pass "a perturbed replica is detected at the next check and aborts the job"
else
  fail "replica divergence detection"
fi

# Distillation methods against a teacher checkpoint: a student that starts as the teacher has
# zero loss under every method, and a fresh student distilled from the teacher gets closer to it.
teacher="$(final "$work/straight-1")"
for method in kd rkl jsd tvd sfkl srkl; do
  if train 1 "$work/self-$method" --method "$method" --teacher "$teacher" --init-from "$teacher" --kd-ratio 1 \
    --steps 1 >"$work/log" 2>&1 && grep -qE "step 1/1  loss -?0\.0000 " "$work/log"; then
    pass "--method $method: a student equal to its teacher has zero loss"
  else
    fail "--method $method: zero loss against itself"
  fi
done
if train 2 "$work/kd-learn" --method kd --teacher "$teacher" --kd-ratio 1 >"$work/log" 2>&1 \
  && python3 -c "
import h5py, sys
loss = h5py.File(sys.argv[1])['metrics/train_loss'][()]
print(f'KL to the teacher {loss[:4].mean():.3f} → {loss[-4:].mean():.3f}')
sys.exit(0 if loss[-4:].mean() < 0.8 * loss[:4].mean() else 1)" "$(final "$work/kd-learn")" >"$work/compare.log" 2>&1; then
  pass "2-rank KD from the teacher reduces the student's KL to it ($(tail -n 1 "$work/compare.log"))"
else
  cat "$work/compare.log" >>"$work/log"
  fail "KD learning"
fi

# GKD on-policy mixing: half the steps train on the student's own samples (JSD to the teacher);
# the sampling generator is in the checkpoint, so a stop + resume is still bitwise identical.
gkd() { train "$1" "$2" --method gkd --teacher "$teacher" --on-policy-max-new-tokens 8 "${@:3}"; }
if gkd 2 "$work/gkd-straight" >"$work/log" 2>&1 && gkd 2 "$work/gkd-stopped" --stop-after 9 >>"$work/log" 2>&1 \
  && gkd 2 "$work/gkd-stopped" --resume auto >>"$work/log" 2>&1 \
  && compare "$(final "$work/gkd-straight")" "$(final "$work/gkd-stopped")"; then
  pass "GKD (on-policy fraction ½, JSD, 2 ranks): stop + resume is bitwise identical"
else
  fail "GKD on-policy run and resume"
fi

# train --method seqkd: the teacher answers every prompt of the cache once (RUN_DIR/seqkd-data.h5),
# then training runs on those responses. Every prompt samples from its own stream, so 1 rank
# and 2 ranks write the same responses; prompts are the cache's.
if train 1 "$work/seqkd-1" --method seqkd --teacher "$teacher" --seqkd-variant ce --steps 3 --on-policy-max-new-tokens 8 \
    >"$work/log" 2>&1 \
  && train 2 "$work/seqkd-2" --method seqkd --teacher "$teacher" --steps 3 --on-policy-max-new-tokens 8 >>"$work/log" 2>&1 \
  && python3 -c "
import h5py, sys
a, b, source = (h5py.File(p) for p in sys.argv[1:4])
names = set()
a.visit(names.add)
for name in names:
    if isinstance(a[name], h5py.Dataset):
        assert a[name][()].tobytes() == b[name][()].tobytes(), name
for name in source:
    if name.startswith('prompt') and isinstance(source[name], h5py.Dataset):
        assert a[name][()].tobytes() == source[name][()].tobytes(), name
responses = [n for n in names if n.startswith('response') and isinstance(a[n], h5py.Dataset)]
assert responses and any(a[n][()].tobytes() != source[n][()].tobytes() for n in responses), 'responses are the references'
print('same teacher responses from 1 and 2 ranks')
" "$work/seqkd-1/seqkd-data.h5" "$work/seqkd-2/seqkd-data.h5" "$work/synth.h5" >"$work/compare.log" 2>&1; then
  pass "train --method seqkd (CE and KD variants): 1 and 2 ranks generate identical teacher responses for the cache's prompts"
else
  cat "$work/compare.log" >>"$work/log"
  fail "train --method seqkd"
fi

# MiniLLM policy-gradient sanity: 2 ranks sharing a sharded teacher (S = 2); 50 iterations (100 steps) of
# rollouts with teacher-mixed sampling and PPO updates lower the student's reverse KL to the
# teacher per response token (mean of the last 10 iterations below the first 10).
sharpTeacher="$work/teacher-sharp"
if train 1 "$sharpTeacher" --steps 60 --lr 3e-3 --checkpoint-every 60 >"$work/log" 2>&1 \
  && train 2 "$work/minillm" --method minillm --teacher "$(echo "$sharpTeacher"/checkpoints/step-00000060.h5)" \
    --teacher-shards 2 --steps 100 --rollouts 16 --minibatch 16 --ppo-epochs 2 \
    --on-policy-max-new-tokens 12 --d-model 32 --n-layer 1 --n-head 2 --lr 1e-3 --warmup 5 --schedule constant \
    >>"$work/log" 2>&1 \
  && python3 -c "
import h5py, sys, glob
path = sorted(glob.glob(sys.argv[1] + '/checkpoints/step-*.h5'))[-1]
kl = h5py.File(path)['metrics/reverse_kl_per_token'][()]
print(f'reverse KL per token {kl[:10].mean():.3f} → {kl[-10:].mean():.3f}')
sys.exit(0 if len(kl) == 50 and kl[-10:].mean() < kl[:10].mean() else 1)" "$work/minillm" >"$work/compare.log" 2>&1; then
  pass "MiniLLM (2 ranks, sharded teacher) lowers the reverse KL to the teacher ($(tail -n 1 "$work/compare.log"))"
else
  cat "$work/compare.log" >>"$work/log"
  fail "MiniLLM policy-gradient sanity"
fi

# MiniLLM with the L_PT term: pretraining blocks (Tiny Shakespeare) trained with pure CE
# (kd_ratio 0, λ_PT 5) next to the RL terms; the recorded L_PT falls.
head -c 40000 "$root/Tests/Fixtures/text/tinyshakespeare_excerpt.txt" >"$work/pt.txt"  # the whole excerpt
if "$binary" data prepare --tokenizer "$tokenizer" --pretrain "$work/pt.txt" --output "$work/pt.h5" --block-length 65 \
    >>"$work/log" 2>&1 \
  && train 2 "$work/minillm-pt" --method minillm --teacher "$(echo "$sharpTeacher"/checkpoints/step-00000060.h5)" \
    --teacher-shards 2 --steps 20 --rollouts 16 --minibatch 16 --ppo-epochs 1 \
    --on-policy-max-new-tokens 8 --d-model 32 --n-layer 1 --n-head 2 --lr 3e-3 --warmup 2 --schedule constant \
    --pretrain-data "$work/pt.h5" --lambda-pt 5 --kd-ratio 0 >>"$work/log" 2>&1 \
  && python3 -c "
import h5py, sys, glob
path = sorted(glob.glob(sys.argv[1] + '/checkpoints/step-*.h5'))[-1]
pt = h5py.File(path)['metrics/pt_loss'][()]
print(f'L_PT {pt[:5].mean():.3f} → {pt[-5:].mean():.3f} over {len(pt)} updates')
sys.exit(0 if len(pt) == 20 and pt[-5:].mean() < 0.9 * pt[:5].mean() else 1)" "$work/minillm-pt" >"$work/compare.log" 2>&1; then
  pass "MiniLLM with the L_PT term lowers the pretraining loss ($(tail -n 1 "$work/compare.log"))"
else
  cat "$work/compare.log" >>"$work/log"
  fail "MiniLLM L_PT term"
fi

# MiniLLM exact resume inside an iteration. An iteration here: 2 collection chunks of 4 prompts
# per rank, then 2 PPO epochs × 2 minibatches = 4 optimizer steps; 18 steps end inside the
# fifth iteration's PPO. The interrupted run stops inside the second collection (after 3
# chunks), resumes and stops again inside a PPO epoch (step 7), then resumes to the end; a
# third copy is killed with SIGKILL once its first checkpoint (step 3) exists, and the kill must
# land before the end (the 15 steps after step 3 leave it time). Final checkpoints (weights,
# AdamW, metric logs, rank generators and cursors, rollout store) must be bitwise identical.
minillm() {  # ranks run_dir extra-args…
  train "$1" "$2" --method minillm --teacher "$sharpTeacher/checkpoints/step-00000060.h5" --steps 18 \
    --rollouts 16 --minibatch 8 --ppo-epochs 2 --on-policy-max-new-tokens 10 --d-model 32 --n-layer 1 --n-head 2 \
    --lr 1e-3 --warmup 2 --checkpoint-every 3 --pretrain-data "$work/pt.h5" "${@:3}"
}
finalMiniLLM() { echo "$1/checkpoints/step-00000018.h5"; }
if minillm 2 "$work/mllm-straight" --teacher-shards 2 >"$work/log" 2>&1 \
  && minillm 2 "$work/mllm-stopped" --teacher-shards 2 --stop-after-chunks 3 >>"$work/log" 2>&1 \
  && python3 -c "
import h5py, sys, glob
f = h5py.File(sorted(glob.glob(sys.argv[1] + '/checkpoints/step-*.h5'))[-1])
r = f['rollouts']
assert int(f.attrs['step']) == 4 and int(r.attrs['iteration']) == 1 and int(r.attrs['count']) == 8 and 'advantages' not in r['0'], 'not mid-collection'
" "$work/mllm-stopped" >>"$work/log" 2>&1 \
  && minillm 2 "$work/mllm-stopped" --teacher-shards 2 --resume auto --stop-after 3 >>"$work/log" 2>&1 \
  && python3 -c "
import h5py, sys
r = h5py.File(sys.argv[1])['rollouts']
assert int(r.attrs['epoch']) == 1 and int(r.attrs['position']) == 4 and int(r.attrs['count']) == 16 and 'advantages' in r['1'], 'not mid-PPO'
" "$work/mllm-stopped/checkpoints/step-00000007.h5" >>"$work/log" 2>&1 \
  && minillm 2 "$work/mllm-stopped" --teacher-shards 2 --resume auto >>"$work/log" 2>&1 \
  && compare "$(finalMiniLLM "$work/mllm-straight")" "$(finalMiniLLM "$work/mllm-stopped")"; then
  pass "MiniLLM (2 ranks, sharded teacher, L_PT on): stop mid-collection, resume, stop mid-PPO epoch, resume: bitwise identical incl. the rollout store"
else
  fail "MiniLLM resume mid-collection / mid-PPO"
fi
if ! kill_once_written "$work/mllm-killed/checkpoints/step-00000003.h5" "$work/mllm-killed" \
  "$(finalMiniLLM "$work/mllm-killed")" minillm 2 "$work/mllm-killed" --teacher-shards 2; then
  cp "$work/killed.log" "$work/log"
  fail "MiniLLM SIGKILL mid-run: $kill_problem"
elif minillm 2 "$work/mllm-killed" --teacher-shards 2 --resume auto >"$work/log" 2>&1 \
  && grep -q "resumed from " "$work/log" \
  && compare "$(finalMiniLLM "$work/mllm-straight")" "$(finalMiniLLM "$work/mllm-killed")"; then
  pass "MiniLLM: SIGKILL at an arbitrary moment before the end + resume is bitwise identical ($(grep -o 'resumed from .*' "$work/log" | head -n 1 | sed 's|.*/||'))"
else
  fail "MiniLLM SIGKILL + resume"
fi

# MiniLLM, 2 ranks with the teacher sharded over both vs 1 rank with the whole teacher, same
# global settings: every prompt samples from its own random stream, so both runs draw the
# same responses; they differ only in float summation order (sharded matmuls, gradient
# all-reduce). Tolerance: response lengths equal, every logged metric within 1e-3 relative
# (+1e-5 absolute) over 3 iterations; observed differences are ~1e-6.
if minillm 1 "$work/mllm-one" --teacher-shards 1 --steps 6 --minibatch 16 --ppo-epochs 2 --batch-size 8 >"$work/log" 2>&1 \
  && minillm 2 "$work/mllm-two" --teacher-shards 2 --steps 6 --minibatch 16 --ppo-epochs 2 >>"$work/log" 2>&1 \
  && python3 -c "
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
b = [json.loads(l) for l in open(sys.argv[2])]
assert len(a) == len(b) == 3, (len(a), len(b))
worst = 0.0
for x, y in zip(a, b):
    assert x['response_length'] == y['response_length'], ('lengths', x['response_length'], y['response_length'])
    for key in ['reverse_kl_per_token', 'mean_reward', 'policy_loss', 'single_step_loss', 'pt_loss', 'entropy', 'mean_importance_weight', 'clip_fraction']:
        gap = abs(x[key] - y[key])
        worst = max(worst, gap / (abs(x[key]) + 1e-5))
        assert gap <= 1e-3 * abs(x[key]) + 1e-5, (key, x[key], y[key])
print(f'metrics agree to {worst:.1e} (relative)')
" "$work/mllm-one/metrics.jsonl" "$work/mllm-two/metrics.jsonl" >"$work/compare.log" 2>&1; then
  pass "MiniLLM: 2 ranks with a sharded teacher give the 1-rank metrics ($(tail -n 1 "$work/compare.log"))"
else
  cat "$work/compare.log" >>"$work/log"
  fail "MiniLLM 2-rank vs 1-rank metrics"
fi


# SeqKD: the teacher answers the training prompts, sharded over ranks and resumable. With one
# prompt per batch each record samples with its own seed, so 1 rank straight and 2 ranks
# stopped after two batches and resumed must write the same file.
head -n 24 "$work/synth.jsonl" >"$work/prompts.jsonl"
seqkd() {  # ranks output extra…
  local ranks=$1 out=$2
  shift 2
  timeout 300 "${MINILLM_MPIRUN[@]}" -n "$ranks" "$binary" data seqkd --teacher "$teacher" --tokenizer "$tokenizer" \
    --instructions "$work/prompts.jsonl" --output "$out" --max-prompt-length 100 --max-new-tokens 24 \
    --batch-size 1 "$@"
}
if seqkd 1 "$work/seqkd-1.jsonl" >"$work/log" 2>&1 \
  && seqkd 2 "$work/seqkd-2.jsonl" --stop-after-batches 2 >>"$work/log" 2>&1 \
  && [ ! -f "$work/seqkd-2.jsonl" ] && seqkd 2 "$work/seqkd-2.jsonl" >>"$work/log" 2>&1 \
  && cmp -s "$work/seqkd-1.jsonl" "$work/seqkd-2.jsonl" \
  && [ "$(wc -l <"$work/seqkd-1.jsonl")" -ge 12 ]; then
  pass "SeqKD: 2 ranks stopped and resumed write the same $(wc -l <"$work/seqkd-1.jsonl") teacher responses as 1 rank"
else
  fail "SeqKD generation"
fi

# Another world size is refused with a message naming both sizes.
if ! train 1 "$work/stopped-2" --resume auto >"$work/log" 2>&1 && grep -q "written by 2 rank(s) but this job has 1" "$work/log"; then
  pass "resuming a 2-rank checkpoint with 1 rank is refused with a clear message"
else
  fail "world-size mismatch"
fi

# Ranks given different options (here --steps) refuse to start, at once, instead of hanging at
# the first collective the shorter run leaves: every rank compares a hash of its resolved run.
mismatched() {  # steps of rank 0, steps of rank 1
  local common=(train --method sft --data "$work/synth.h5" --tokenizer "$tokenizer" --run-dir "$work/mismatch-$1-$2"
    --batch-size 4 --d-model 32 --n-layer 1 --n-head 2 --context-length 128 --checkpoint-every 4)
  timeout 60 "${MINILLM_MPIRUN[@]}" -n 1 "$binary" "${common[@]}" --steps "$1" : -n 1 "$binary" "${common[@]}" --steps "$2"
}
rc=0
mismatched 30 20 >"$work/log" 2>&1 || rc=$?
if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && grep -q "rank(s) 1 resolved a different training run than rank 0" "$work/log" \
  && [ -z "$(ls "$work/mismatch-30-20/checkpoints" 2>/dev/null)" ]; then
  pass "ranks started with different --steps refuse to start, naming the rank (no hang)"
else
  fail "rank agreement on the resolved run"
fi

# A checkpoint of another stage is refused for --resume, pointing at --init-from.
if ! minillm 1 "$work/mllm-wrong" --teacher-shards 1 --resume "$(final "$work/straight-1")" >"$work/log" 2>&1 \
  && grep -q "is a checkpoint of stage sft, not of this run's minillm stage; to start from its weights use --init-from" "$work/log"; then
  pass "resuming MiniLLM from an SFT checkpoint is refused, pointing at --init-from"
else
  fail "stage mismatch on resume"
fi

# Bad input on the command line: exit 1 and one line on stderr naming what is wrong, never a trap.
printf '' >"$work/empty.jsonl"
bad_input() {  # label, expected text, arguments…
  local label=$1 needle=$2 rc=0
  shift 2
  "$binary" "$@" >/dev/null 2>"$work/log" || rc=$?  # the error goes to stderr; stdout may hold the start-up banner
  if [ "$rc" -eq 1 ] && [ "$(wc -l <"$work/log")" -eq 1 ] && grep -q -- "$needle" "$work/log"; then
    pass "bad input gives exit 1 and one line: $label"
  else
    fail "bad input ($label): exit $rc, $(wc -l <"$work/log") line(s)"
  fi
}
bad_input "data prepare --block-length 1" "block-length must be ≥ 2" \
  data prepare --tokenizer "$tokenizer" --pretrain "$work/pt.txt" --output "$work/bad.h5" --block-length 1
bad_input "an empty instruction file" "empty.jsonl has no records" \
  data prepare --tokenizer "$tokenizer" --instructions "$work/empty.jsonl" --output "$work/bad.h5"
bad_input "a d_model too large for the machine" "GB of weights and gradients" \
  train --method sft --data "$work/synth.h5" --tokenizer "$tokenizer" --run-dir "$work/huge" --steps 2 --d-model 4000000 --n-head 2 --n-layer 1
bad_input "a context shorter than the data (a rank's error, reported once)" "more than the model's context of 16" \
  train --method sft --data "$work/synth.h5" --tokenizer "$tokenizer" --run-dir "$work/short" --steps 2 --d-model 32 --n-head 2 --n-layer 1 --context-length 16
bad_input "bad usage (an unknown option)" "minillm-dist: error:" train --no-such-option
bad_input "a negative --collective-timeout" "is not a number of seconds ≥ 0" --collective-timeout -1 selftest

# Liveness: a rank stopped with SIGSTOP mid-run (it neither fails nor exits) ends the job within
# the collective timeout plus the roll call, with one line naming it as the late rank.
stalled=("${MINILLM_MPIRUN[@]}" -n 2 "$binary" --collective-timeout 4 train --method sft --data "$work/synth.h5"
  --tokenizer "$tokenizer" --run-dir "$work/stalled" --steps 100000 --batch-size 4 --d-model 32 --n-layer 1 --n-head 2
  --context-length 128 --checkpoint-every 100000)
timeout 120 "${stalled[@]}" >"$work/stall.out" 2>"$work/stall.err" &
launcher=$!
for _ in $(seq 300); do grep -q "^step " "$work/stall.out" 2>/dev/null && break; sleep 0.1; done
victim=""
for pid in $(pgrep -f -- "$binary --collective-timeout 4 train" || true); do
  tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=1" && victim=$pid
done
if [ -z "$victim" ]; then
  fail "a stopped rank: rank 1's process not found"
  kill "$launcher" 2>/dev/null || true
else
  stoppedAt=$(date +%s.%N)
  kill -STOP "$victim"
  rc=0
  wait "$launcher" || rc=$?
  took=$(python3 -c "import sys, time; print(round(time.time() - float(sys.argv[1]), 1))" "$stoppedAt")
  kill -KILL "$victim" 2>/dev/null || true
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) <= 15 else 1)" "$took" \
    && [ "$(grep -c 'minillm-dist: error: rank 0 waited 4 s' "$work/stall.err")" -eq 1 ] \
    && grep -q "late: rank 1 did not answer" "$work/stall.err"; then
    pass "a stopped rank ends the job in ${took} s (timeout 4 s), one line naming rank 1 as late"
  else
    cat "$work/stall.err" >>"$work/log"
    fail "a stopped rank: exit $rc after ${took} s, $(grep -c 'waited' "$work/stall.err") watchdog line(s)"
  fi
fi

# Disk full while writing a checkpoint: one line naming the file and the OS's reason, exit 1,
# no partial file, and the checkpoints already written still read. Needs a small tmpfs (root).
full="$work/full"
mkdir -p "$full"
if [ "$(id -u)" -eq 0 ] && mount -t tmpfs -o size=4m tmpfs "$full" 2>/dev/null; then
  small=(train --method sft --data "$work/synth.h5" --tokenizer "$tokenizer" --run-dir "$full/run" --batch-size 2
    --d-model 32 --n-layer 1 --n-head 2 --context-length 128 --checkpoint-every 2 --keep-last 1 --threads 1)
  "$binary" "${small[@]}" --steps 4 >/dev/null 2>&1
  dd if=/dev/zero of="$full/filler" bs=4k >/dev/null 2>&1 || true  # takes the rest of the disk
  rc=0
  "$binary" "${small[@]}" --steps 8 --resume auto >/dev/null 2>"$work/log" || rc=$?
  if [ "$rc" -eq 1 ] && [ "$(wc -l <"$work/log")" -eq 1 ] && grep -q "No space left on device" "$work/log" \
    && [ -z "$(ls "$full/run/checkpoints/"*.tmp 2>/dev/null)" ] && "$binary" inspect "$full/run/checkpoints/step-00000004.h5" >/dev/null 2>&1; then
    pass "disk full while checkpointing: exit 1, one line with the OS's reason, no partial file, the earlier checkpoint intact"
  else
    fail "disk full: exit $rc, $(wc -l <"$work/log") line(s): $(cut -c1-200 "$work/log")"
  fi
  umount "$full"
else
  echo "skip disk-full test: needs root and a tmpfs mount"
fi

echo "resume: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
