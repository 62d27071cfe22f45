#!/usr/bin/env python3
"""h5py reference for `minillm-dist bench checkpoint`: writes and reads the same arrays (the
16 parameter tensors of a preset, and AdamW's m and v), one dataset each, float32, contiguous,
median of 3 runs. Last line: '<write> s write, <read> s read'.
Usage: h5py_reference.py [a|b|c]
"""
import os
import statistics
import sys
import tempfile
import time

import h5py
import numpy as np

PRESETS = {"a": (4096, 128, 128, 4), "b": (4096, 256, 256, 6), "c": (8192, 256, 384, 6)}


def shapes(preset):
    V, T, C, L = PRESETS[preset]
    return {"wte": (V, C), "wpe": (T, C), "ln1_w": (L, C), "ln1_b": (L, C), "qkv_w": (L, 3 * C, C),
            "qkv_b": (L, 3 * C), "attn_proj_w": (L, C, C), "attn_proj_b": (L, C), "ln2_w": (L, C),
            "ln2_b": (L, C), "fc_w": (L, 4 * C, C), "fc_b": (L, 4 * C), "fc_proj_w": (L, C, 4 * C),
            "fc_proj_b": (L, C), "lnf_w": (C,), "lnf_b": (C,)}


def main():
    preset = sys.argv[1] if len(sys.argv) > 1 else "c"
    rng = np.random.default_rng(0)
    arrays = {f"{group}/{name}": rng.standard_normal(shape, dtype=np.float32)
              for group in ("model", "optimizer/m", "optimizer/v") for name, shape in shapes(preset).items()}
    path = os.path.join(tempfile.gettempdir(), f"h5py-bench-{os.getpid()}.h5")
    writes, reads = [], []
    try:
        for _ in range(3):
            start = time.perf_counter()
            with h5py.File(path + ".tmp", "w") as f:
                for name, array in arrays.items():
                    f.create_dataset(name, data=array)
            os.replace(path + ".tmp", path)
            writes.append(time.perf_counter() - start)
            start = time.perf_counter()
            with h5py.File(path, "r") as f:
                loaded = {name: f[name][()] for name in arrays}
            reads.append(time.perf_counter() - start)
        print(f"preset {preset}: {sum(a.size for a in arrays.values())} floats, file {os.path.getsize(path) // 1_000_000} MB")
    finally:
        if os.path.exists(path):
            os.remove(path)
    print(f"{statistics.median(writes):.3f} s write, {statistics.median(reads):.3f} s read")


if __name__ == "__main__":
    main()
