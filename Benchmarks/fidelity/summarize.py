#!/usr/bin/env python3
"""Summarize a sweep run directory of the fidelity experiment (docs/fidelity-protocol.md) as
Markdown: per model the headline metrics with spreads over seeds, the long many-answer
families, the diagnostics, and each stage's wall-clock (from the done.json times).

Usage: summarize.py RUN_DIR [--sizes s,m,l]"""
import json, os, sys, pathlib

LONG = ["letterRange", "listMany", "numberSequence"]
SINGLE = ["arithmetic", "reverse", "sort", "lookup"]


def load(run):
    models = []
    for path in sorted((run / "eval").glob("*.json")):
        d = json.load(open(path))
        models.append(d)
    return models


def fmt(m, key, std=True, digits=1):
    v = m["mean"].get(key)
    if v is None:
        return "—"
    if std and m["std"].get(key):
        return f"{v:.{digits}f} ± {m['std'][key]:.{digits}f}"
    return f"{v:.{digits}f}"


def mean_of(m, keys):
    vals = [m["mean"][k] for k in keys if k in m["mean"]]
    return sum(vals) / len(vals) if vals else float("nan")


def stage_times(run):
    """Seconds per stage: done.json modification time minus the previous stage's."""
    stamps = []
    for done in run.rglob("done.json"):
        rel = done.parent.relative_to(run).as_posix()
        stamps.append((done.stat().st_mtime, rel))
    start = (run / "sweep.json").stat().st_mtime
    stamps.sort()
    out, previous = [], start
    for t, rel in stamps:
        out.append((rel, t - previous))
        previous = t
    return out


def main():
    run = pathlib.Path(sys.argv[1])
    models = load(run)
    order = {"teacher": -1}
    models.sort(key=lambda m: (order.get(m["size"], 0), m["size"], m["name"]))
    print("| model | valid % (T=1) | long families valid % | single-answer valid % | greedy valid % | distinct valid | Rouge-L | reverse KL | ExAccErr(16) % | ECE | loss | Dist-4 |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for m in models:
        longv = mean_of(m, [f"valid_rate/{f}" for f in LONG])
        single = mean_of(m, [f"valid_rate/{f}" for f in SINGLE])
        print(f"| {m['name']} | {fmt(m, 'valid_rate')} | {longv:.1f} | {single:.1f} | {fmt(m, 'greedy_valid_rate', False)} | "
              f"{fmt(m, 'distinct_valid', False, 2)} | {fmt(m, 'rouge_l')} | {fmt(m, 'reverse_kl', True, 2)} | "
              f"{fmt(m, 'exaccerr_16')} | {fmt(m, 'ece', False)} | {fmt(m, 'loss', False, 3)} | {fmt(m, 'dist_4', False, 3)} |")
    print()
    print("| stage | seconds |")
    print("|---|---:|")
    for rel, seconds in stage_times(run):
        print(f"| {rel} | {seconds:.0f} |")


if __name__ == "__main__":
    main()
