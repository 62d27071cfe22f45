#!/usr/bin/env python3
"""Opens minillm checkpoints with h5py: checks the layout (format, shapes from the stored model
config) and, given two files, that parameters, AdamW moments and step, and the per-step loss
log are bitwise identical. With --inspect BINARY, also checks that the tensor norms h5py
computes match the ones `minillm-dist inspect` prints for the first file.
With --tolerance T, two files need only agree to T (data-parallel runs with different world
sizes sum in another order).
Usage: compare_checkpoints.py [--inspect BINARY] [--tolerance T] A.h5 [B.h5]
"""
import json
import sys

import h5py
import numpy as np

TENSORS = ["wte", "wpe", "ln1_w", "ln1_b", "qkv_w", "qkv_b", "attn_proj_w", "attn_proj_b",
           "ln2_w", "ln2_b", "fc_w", "fc_b", "fc_proj_w", "fc_proj_b", "lnf_w", "lnf_b"]


def expected_shapes(config):
    V, T, C, L = config["padded_vocab_size"], config["context_length"], config["d_model"], config["n_layer"]
    return {"wte": (V, C), "wpe": (T, C), "ln1_w": (L, C), "ln1_b": (L, C), "qkv_w": (L, 3 * C, C),
            "qkv_b": (L, 3 * C), "attn_proj_w": (L, C, C), "attn_proj_b": (L, C), "ln2_w": (L, C),
            "ln2_b": (L, C), "fc_w": (L, 4 * C, C), "fc_b": (L, 4 * C), "fc_proj_w": (L, C, 4 * C),
            "fc_proj_b": (L, C), "lnf_w": (C,), "lnf_b": (C,)}


def check_layout(path):
    with h5py.File(path, "r") as f:
        fmt = f.attrs["format"]
        fmt = fmt.decode() if isinstance(fmt, bytes) else fmt
        assert fmt == "minillm-checkpoint", f"{path}: format {fmt}"
        config = json.loads(f["config/model"][()])
        for name, shape in expected_shapes(config).items():
            for group in ("model", "optimizer/m", "optimizer/v"):
                dataset = f[f"{group}/{name}"]
                assert dataset.shape == shape and dataset.dtype == np.float32, f"{path}: {group}/{name} {dataset.shape}"
        assert np.all(np.isfinite(f["model/wte"][()])), f"{path}: non-finite weights"
        assert f["metrics/train_loss"].shape[0] == int(f.attrs["step"]), f"{path}: loss log length"
        return int(f.attrs["step"])


def close(a, b, tolerance):
    """Parameters within `tolerance` (max abs difference relative to the tensor's max abs) and
    per-step losses within 1e-5."""
    worst = 0.0
    with h5py.File(a, "r") as x, h5py.File(b, "r") as y:
        for name in TENSORS:
            u, v = x[f"model/{name}"][()], y[f"model/{name}"][()]
            scale = max(float(np.abs(v).max()), 1e-12)
            worst = max(worst, float(np.abs(u - v).max()) / scale)
        lx, ly = x["metrics/train_loss"][()], y["metrics/train_loss"][()]
        loss_gap = float(np.abs(lx - ly).max())
    if worst > tolerance or loss_gap > 1e-5:
        return f"parameters differ by {worst:.2e} (relative), losses by {loss_gap:.2e}; tolerance {tolerance}"
    print(f"parameters agree to {worst:.2e} (relative), losses to {loss_gap:.2e}")
    return None


def same(a, b):
    with h5py.File(a, "r") as x, h5py.File(b, "r") as y:
        for group in ("model", "optimizer/m", "optimizer/v"):
            for name in TENSORS:
                if x[f"{group}/{name}"][()].tobytes() != y[f"{group}/{name}"][()].tobytes():
                    return f"{group}/{name} differs"
        if int(x["optimizer"].attrs["step"]) != int(y["optimizer"].attrs["step"]):
            return "optimizer step differs"
        for name in x["metrics"]:
            if x[f"metrics/{name}"][()].tobytes() != y[f"metrics/{name}"][()].tobytes():
                return f"metrics/{name} differs"
        # Per-rank generators and loader cursors, and the MiniLLM rollout store.
        for rank in x["ranks"]:
            if x[f"ranks/{rank}/generator"][()].tobytes() != y[f"ranks/{rank}/generator"][()].tobytes():
                return f"ranks/{rank}/generator differs"
            if dict(x[f"ranks/{rank}"].attrs) != dict(y[f"ranks/{rank}"].attrs):
                return f"ranks/{rank} cursors differ"
        if dict(x["rollouts"].attrs) != dict(y["rollouts"].attrs):
            return f"rollouts attributes differ: {dict(x['rollouts'].attrs)} vs {dict(y['rollouts'].attrs)}"
        def datasets(group):
            found = {}
            group.visititems(lambda name, item: found.__setitem__(name, item[()].tobytes()) if isinstance(item, h5py.Dataset) else None)
            return found
        rx, ry = datasets(x["rollouts"]), datasets(y["rollouts"])
        if rx != ry:
            differing = sorted(k for k in set(rx) | set(ry) if rx.get(k) != ry.get(k))
            return f"rollout store differs: {differing[:5]}"
    return None


def check_inspect(binary, path):
    import subprocess
    output = subprocess.run([binary, "inspect", path], check=True, capture_output=True, text=True).stdout
    printed = {}
    for line in output.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[0] in TENSORS and "norm" in parts:
            printed[parts[0]] = float(parts[parts.index("norm") + 1])
    with h5py.File(path, "r") as f:
        for name in TENSORS:
            norm = float(np.sqrt(np.sum(f[f"model/{name}"][()].astype(np.float64) ** 2)))
            assert name in printed, f"inspect does not list {name}"
            assert abs(norm - printed[name]) <= 1e-5 * max(1.0, norm), f"{name}: h5py norm {norm}, inspect {printed[name]}"


def main():
    args = sys.argv[1:]
    binary = None
    tolerance = None
    if args and args[0] == "--inspect":
        binary, args = args[1], args[2:]
    if args and args[0] == "--tolerance":
        tolerance, args = float(args[1]), args[2:]
    steps = [check_layout(path) for path in args]
    if binary:
        check_inspect(binary, args[0])
    if len(args) == 2:
        problem = close(args[0], args[1], tolerance) if tolerance is not None else same(args[0], args[1])
        if problem:
            print(f"DIFFERENT: {problem}")
            return 1
        if tolerance is None:
            print(f"identical at step {steps[0]}: parameters, AdamW state, metric logs, rank states and rollout store")
    else:
        print(f"layout ok at step {steps[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
