#!/usr/bin/env bash
# Sweeps under mpirun -n 2. The embedded quickstart's configuration, reduced in steps, data and
# evaluation size (same model shapes, methods and stages): it runs end to end and writes the
# table, the fits and the plots; a copy stopped inside a training stage and rerun gives the
# identical final table; bad configurations are refused naming the key.
# Usage: sweep.sh PATH/TO/minillm-dist
source "$(dirname "$0")/harness.sh" "$1"
tokenizer="$root/Tests/TokenizersTests/Fixtures/tokenizer.json"
sweep() { timeout 600 "${MINILLM_MPIRUN[@]}" -n 2 "$binary" sweep "$@"; }

# The quickstart's configuration, printed by the program, round-trips through a file.
"$binary" sweep --print-config >"$work/quickstart.json" 2>"$work/log" \
  && "$binary" sweep --config "$work/quickstart.json" --print-config >"$work/again.json" 2>>"$work/log" \
  && cmp -s "$work/quickstart.json" "$work/again.json" \
  && pass "sweep --print-config: the embedded quickstart configuration round-trips through a file" \
  || fail "quickstart configuration round trip"

# Reduced: same shapes, methods and stages; fewer steps, records and evaluation prompts.
python3 - "$work/quickstart.json" "$work/reduced.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["data"].update(synthetic_count=600, validation_count=60, selection_count=40, synthetic_pretrain_count=200, vocab_size=300)
c["teacher"]["training"].update(steps=30, warmup=3, batch_size=8)
c["sft"].update(steps=12, warmup=2, batch_size=8)
c["distill"].update(steps=6, warmup=2, batch_size=8)
c["minillm"].update(steps=4, warmup=1, rollouts=8, minibatch=8, ppo_epochs=1, max_new_tokens=10, batch_size=4)
c["seqkd"].update(max_new_tokens=10)
c["evaluation"].update(prompts=12, seeds=[10, 20], max_new_tokens=10, selection_prompts=8)
c["method_options"]["rkl-on-policy"]["max_new_tokens"] = 10
json.dump(c, open(sys.argv[2], "w"), indent=2)
PY

if sweep --config "$work/reduced.json" --run-dir "$work/straight" >"$work/log" 2>&1 \
  && python3 - "$work/straight/results" >>"$work/log" 2>&1 <<'PY'
import csv, json, sys, xml.etree.ElementTree as ET, pathlib
results = pathlib.Path(sys.argv[1])
rows = list(csv.DictReader(open(results / "table.csv", newline="")))
methods = {(r["size"], r["method"]) for r in rows}
entries = json.load(open(results.parent / "sweep.json"))["methods"]
assert entries == ["sft", "kd", "kd-full", "seqkd", "seqkd-ce", "rkl-on-policy", "minillm"], entries
expected = {("teacher", "teacher")} | {(s, m) for s in ("s", "m", "l") for m in entries}
assert methods == expected, methods
for r in rows:
    for key in ("rouge_l", "valid_rate", "greedy_valid_rate", "distinct_valid", "ece", "loss", "reverse_kl",
                "teacher_nll", "dist_4", "response_length"):
        float(r[key])  # every model has every metric
# Every student stage picked its best checkpoint on the selection split, evaluated at each
# checkpoint with the teacher's scoring; distillation starts from the selected SFT student.
run = results.parent
for s in ("s", "m", "l"):
    for m in entries:
        done = json.load(open(run / f"students/{s}/{m}/done.json"))
        assert "final" in done and pathlib.Path(done["checkpoint"]).exists(), done
        evals = [json.loads(l) for l in open(run / f"students/{s}/{m}/metrics.jsonl") if '"eval_valid_rate"' in l]
        assert len(evals) >= 2 and all("eval_reverse_kl" in e for e in evals), (s, m, evals)
families = (results / "families.md").read_text()
assert "| teacher |" in families and "| l-minillm |" in families and "greedy" in families, families
lengths = (results / "lengths.md").read_text()
assert "| l-minillm |" in lengths and "length_" in lengths, lengths  # the buckets present depend on the 12 prompts
pt = [json.loads(l)["pt_loss"] for l in open(run / "students/m/minillm/metrics.jsonl") if '"pt_loss"' in l]
assert pt and all(v > 0 for v in pt), "L_PT on by default"
teacher = next(r for r in rows if r["method"] == "teacher")
assert all(int(r["parameters"]) < int(teacher["parameters"]) for r in rows if r is not teacher)
fits = json.load(open(results / "fits.json"))
assert set(fits["loss"]) == set(entries), fits.keys()
assert all(f.get("exponentInterval95") is not None for f in fits["loss"].values()), "3 sizes give an interval"
plots = sorted(p.name for p in results.glob("*.svg"))
for p in results.glob("*.svg"):
    root = ET.parse(p).getroot()
    marks = "rect" if p.name.startswith("bars_") else "polyline"  # bar charts draw bars, the rest lines
    assert root.tag.endswith("svg") and len(list(root.iter("{http://www.w3.org/2000/svg}" + marks))) >= 2, p
assert {"loss_vs_size.svg", "rouge_l_vs_size.svg", "curves_s.svg", "curves_m.svg", "curves_l.svg", "minillm_reverse_kl.svg",
        "valid_rate_vs_length_m.svg", "reverse_kl_vs_step_m.svg", "exposure_bias_m.svg", "bars_valid_rate_m.svg",
        "bars_reverse_kl_m.svg"} <= set(plots), plots
print(f"{len(rows)} rows, fits for {sorted(fits)}, {len(plots)} plots")
PY
then
  pass "reduced quickstart sweep (3 sizes × 7 methods + teacher, checkpoint selection, L_PT): table, breakdowns, fits and $(ls "$work/straight/results"/*.svg | wc -l) SVG plots ($(tail -n 1 "$work/log"))"
else
  fail "reduced quickstart sweep"
fi

# Stop inside the first student's SFT (30 teacher steps + 5 of 12), rerun: identical results.
if sweep --config "$work/reduced.json" --run-dir "$work/stopped" --stop-after-steps 35 >"$work/log" 2>&1 \
  && grep -q "sweep stopped" "$work/log" \
  && [ -f "$work/stopped/teacher/done.json" ] && [ ! -f "$work/stopped/students/s/sft/done.json" ] \
  && ls "$work/stopped/students/s/sft/checkpoints/"step-*.h5 >/dev/null 2>&1 \
  && sweep --config "$work/reduced.json" --run-dir "$work/stopped" >>"$work/log" 2>&1 \
  && grep -q "done before; skipped" "$work/log" \
  && cmp "$work/straight/results/table.csv" "$work/stopped/results/table.csv" >>"$work/log" 2>&1 \
  && cmp "$work/straight/results/fits.json" "$work/stopped/results/fits.json" >>"$work/log" 2>&1; then
  pass "a sweep stopped inside a training stage and rerun gives the identical table and fits"
else
  fail "sweep stop + resume"
fi

# One stage per invocation, as launch/slurm-sweep submits them (each job `--only STAGE`, in
# dependency order): the same table as one invocation; a stage whose needs are not done is
# refused, naming the missing stage.
only_ok=1
if sweep --config "$work/reduced.json" --run-dir "$work/staged" --only s/kd >"$work/log" 2>&1 \
  || ! grep -q "needs stage data done first" "$work/log"; then
  only_ok=0
fi
while read -r stage _; do
  [ $only_ok -eq 1 ] || break
  sweep --config "$work/reduced.json" --run-dir "$work/staged" --only "$stage" </dev/null >>"$work/log" 2>&1 || only_ok=0
done < <("$binary" sweep --config "$work/reduced.json" --list-stages)
if [ $only_ok -eq 1 ] && cmp "$work/straight/results/table.csv" "$work/staged/results/table.csv" >>"$work/log" 2>&1; then
  pass "sweep --only STAGE, one invocation per stage in dependency order, gives the same table; missing needs are refused"
else
  fail "sweep --only stage by stage"
fi

# Real data, as configs/dolly-gpt2.json does it at full size: Dolly (the committed excerpt of
# the validation split, 300 records, as a small training set) with a given tokenizer and a given
# teacher checkpoint, a pretraining corpus for MiniLLM's L_PT (Tiny Shakespeare), a divergence
# method (rkl), and Rouge-L evaluation (no checker). Tests/Fixtures/text/README.md: sources.
dolly="$root/Tests/Fixtures/text/dolly_valid_excerpt.jsonl"
head -c 30000 "$root/Tests/Fixtures/text/tinyshakespeare_excerpt.txt" >"$work/pt.txt"
"$binary" data prepare --tokenizer "$tokenizer" --instructions "$dolly" --output "$work/dolly.h5" \
  --max-prompt-length 96 --max-length 128 >/dev/null
if timeout 300 "${MINILLM_MPIRUN[@]}" -n 2 "$binary" train --method sft --data "$work/dolly.h5" --tokenizer "$tokenizer" \
    --run-dir "$work/dolly-teacher" --steps 20 --d-model 64 --n-layer 2 --n-head 4 --context-length 128 --batch-size 8 \
    --lr 3e-3 >"$work/log" 2>&1 \
  && python3 - "$root/configs/dolly-gpt2.json" "$work/dolly.json" "$dolly" "$tokenizer" "$work/pt.txt" \
    "$work/dolly-teacher/checkpoints/step-00000020.h5" <<'PY' \
  && sweep --config "$work/dolly.json" --run-dir "$work/dolly-sweep" >>"$work/log" 2>&1 \
  && python3 - "$work/dolly-sweep" >>"$work/log" 2>&1 <<'PY2'; then
import json, sys
recipe, out, dolly, tokenizer, pt, teacher = sys.argv[1:]
c = json.load(open(recipe))
c["data"].update(train=dolly, validation=None, validation_count=60, tokenizer=tokenizer, pretrain=[pt],
                 max_prompt_length=96, max_length=128)
c["teacher"] = {"checkpoint": teacher}
c["students"] = [{"name": "xs", "d_model": 16, "n_layer": 1, "n_head": 2}, {"name": "s", "d_model": 32, "n_layer": 1, "n_head": 2}]
c["methods"] = ["sft", "kd", "rkl", "minillm"]
c["context_length"] = 128
c["sft"] = {"steps": 6, "lr": 3e-3, "warmup": 1, "batch_size": 4}
c["distill"] = {"steps": 4, "lr": 1e-3, "warmup": 1, "batch_size": 4}
c["minillm"].update(steps=2, lr=1e-3, warmup=1, rollouts=4, minibatch=4, ppo_epochs=1, teacher_shards=2, max_new_tokens=8, batch_size=2)
c["evaluation"] = {"prompts": 8, "seeds": [10], "max_new_tokens": 8, "selection_prompts": 6}
c["data"]["selection_count"] = 20
json.dump(c, open(out, "w"), indent=2)
PY
import csv, json, sys, pathlib
run = pathlib.Path(sys.argv[1])
rows = list(csv.DictReader(open(run / "results/table.csv", newline="")))
assert {(r["size"], r["method"]) for r in rows} == {("teacher", "teacher")} | {(s, m) for s in ("xs", "s") for m in ("sft", "kd", "rkl", "minillm")}
assert "valid_rate" not in rows[0] and all(float(r["rouge_l"]) >= 0 for r in rows), rows[0].keys()
pt = [json.loads(l)["pt_loss"] for l in open(run / "students/s/minillm/metrics.jsonl") if '"pt_loss"' in l]
assert pt and all(v > 0 for v in pt), pt
print(f"{len(rows)} rows on Dolly; L_PT {pt}")
PY2
  pass "Dolly recipe, reduced: given tokenizer and teacher, L_PT on, rkl, Rouge-L evaluation ($(tail -n 1 "$work/log"))"
else
  fail "Dolly recipe, reduced"
fi

# Bad configurations name the key; a changed configuration is refused for an existing run.
echo '{"students": [{"name": "x", "d_model": 30, "n_layer": 1, "n_head": 4}]}' >"$work/bad1.json"
echo '{"sft": {"stepz": 3}}' >"$work/bad2.json"
if ! "$binary" sweep --config "$work/bad1.json" --run-dir "$work/bad" >"$work/log" 2>&1 && grep -q "students\[0\]" "$work/log" \
  && ! "$binary" sweep --config "$work/bad2.json" --print-config >"$work/log" 2>&1 && grep -q "unknown key sft.stepz" "$work/log" \
  && ! sweep --run-dir "$work/straight" >"$work/log" 2>&1 && grep -q "another configuration" "$work/log"; then
  pass "invalid sweep configs are refused naming the key; a run directory refuses a changed configuration"
else
  fail "sweep config errors"
fi

# train --config FILE: options from a JSON file, the command line overriding them.
"$binary" data synth --count 64 --seed 3 --output "$work/c.jsonl" >/dev/null
"$binary" data prepare --tokenizer "$tokenizer" --instructions "$work/c.jsonl" --output "$work/c.h5" --max-prompt-length 96 --max-length 128 >/dev/null
cat >"$work/train.json" <<'JSON'
{"comment": "test", "method": "sft", "steps": 9, "lr": 0.002, "d_model": 32, "n_layer": 1, "n_head": 2, "batch_size": 2,
 "context_length": 128, "checkpoint_every": 100, "schedule": "constant", "warmup": 1, "overlap_reduction": true,
 "replica_check_every": 0}
JSON
echo '{"kd_ratioo": 0.5}' >"$work/train-bad.json"
if "$binary" train --config "$work/train.json" --data "$work/c.h5" --tokenizer "$tokenizer" --run-dir "$work/cfg" --steps 4 \
    >"$work/log" 2>&1 \
  && python3 - "$work/cfg/checkpoints/step-00000004.h5" >>"$work/log" 2>&1 <<'PY' \
  && ! "$binary" train --config "$work/train-bad.json" --data x --tokenizer y --run-dir z >"$work/log" 2>&1 \
  && grep -q "train-bad.json: Unknown option '--kd-ratioo'" "$work/log"; then
import h5py, json, sys
f = h5py.File(sys.argv[1])
run = json.loads(f["config/run"][()])
model = json.loads(f["config/model"][()])
assert int(f.attrs["step"]) == 4 and run["steps"] == 4, (f.attrs["step"], run["steps"])
assert model["d_model"] == 32 and model["n_layer"] == 1 and run["batch_size"] == 2, (model, run)
assert run["overlap_gradient_reduction"] is True and run["replica_check_every"] == 0, run  # a JSON true sets a flag
print("ok")
PY
  pass "train --config FILE: the file's options apply, the command line overrides them (--steps 4 over 9), a bad key names the file"
else
  fail "train --config"
fi

# Slurm: one job per stage, each after the stages it needs.
if MINILLM_BINARY="$binary" bash "$root/launch/slurm-sweep" --dry-run "$work/reduced.json" "$work/slurm" >"$work/log" 2>&1 \
  && python3 - "$work/log" <<'PY' >>"$work/log" 2>&1; then
import re, sys
lines = [l for l in open(sys.argv[1]) if re.match(r"^\d+: sbatch", l)]
ids = {}
for l in lines:
    job, stage = re.match(r"^(\d+):.*--only (\S+)", l).groups()
    deps = re.search(r"--dependency=afterok:([\d:]+)", l)
    for d in (deps.group(1).split(":") if deps else []):
        assert d in ids.values(), f"{stage} depends on a job not submitted before it"
    ids[stage] = job
assert list(ids)[0] == "data" and list(ids)[-1] == "report" and "m/minillm" in ids and len(ids) == 26, list(ids)
PY
  pass "launch/slurm-sweep --dry-run: 26 jobs (data, teacher, SeqKD data, 3 sizes × 7 methods, eval, report), each after its dependencies"
else
  fail "slurm-sweep dry run"
fi

echo "sweep: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
