#!/usr/bin/env python3
"""Projects data-parallel step time for 8 … 1024 ranks from measured single-rank compute.

Model (docs/scaling.md): per step, each rank computes for T_c seconds (forward + backward +
AdamW on its own batch; the backward is ~2/3 of it), then the gradients (4·P bytes) are summed
with a ring all-reduce, T_ar(N) = 2(N−1)/N · 4P / bandwidth + 2(N−1) · latency. With the
all-reduce overlapped with the backward (bucketed, started as each layer's gradients are ready),
only max(0, T_ar − ⅔·T_c) is exposed. Efficiency = T_c / (T_c + exposed).
Usage: project.py            (prints the Markdown tables)
"""

# Students of the sweep: name, parameters, measured (or scaled) compute seconds per step for a
# batch of 8 × 256 tokens per rank on one thread of this machine.
MEASURED_MFU = 0.55  # measured on presets b and c, one thread (docs/benchmarks.md)
PEAK = 92e9  # FLOP/s per thread
TOKENS = 8 * 256


def compute_seconds(parameters, measured=None):
    return measured if measured is not None else 6 * parameters * TOKENS / (MEASURED_MFU * PEAK)


STUDENTS = [
    ("preset a (1.3 M)", 1.33e6, None),
    ("preset b (5.9 M)", 5.85e6, 1.56),  # bench scaling, 1 rank, measured
    ("preset c (13.9 M)", 13.9e6, None),
    ("GPT-2 small (124 M)", 124e6, None),
    ("GPT-2 medium (355 M)", 355e6, None),
]
LINKS = [("10 Gb/s", 1.25e9, 10e-6), ("100 Gb/s", 12.5e9, 3e-6)]
RANKS = [8, 32, 128, 512, 1024]


def allreduce_seconds(parameters, ranks, bandwidth, latency):
    return 2 * (ranks - 1) / ranks * 4 * parameters / bandwidth + 2 * (ranks - 1) * latency


CORES = [(1, 1.0), (32, 0.8)]  # cores per rank, parallel efficiency of compute within a rank


def main():
    for cores, within in CORES:
        for link, bandwidth, latency in LINKS:
            print(f"\n### {cores} core(s) per rank, {link} (latency {latency * 1e6:.0f} µs per hop)\n")
            print("| student | compute s/step | " + " | ".join(f"{n} ranks" for n in RANKS) + " |")
            print("| --- | ---: | " + " | ".join("---:" for _ in RANKS) + " |")
            for name, parameters, measured in STUDENTS:
                tc = compute_seconds(parameters, measured) / (cores * within)
                cells = []
                for n in RANKS:
                    tar = allreduce_seconds(parameters, n, bandwidth, latency)
                    exposed = max(0.0, tar - 2 / 3 * tc)
                    cells.append(f"{tar * 1000:.0f} ms: {tc / (tc + exposed) * 100:.0f}% / {tc / (tc + tar) * 100:.0f}%")
                print(f"| {name} | {tc:.3f} | " + " | ".join(cells) + " |")
    print("\nCells: ring all-reduce time; weak-scaling efficiency with the all-reduce overlapped with the"
          " backward / without overlap.")


if __name__ == "__main__":
    main()
