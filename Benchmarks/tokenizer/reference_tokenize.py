#!/usr/bin/env python3
"""Encoding throughput of the `tokenizers` package (the reference for `bench tokenize`).

Same work as the Swift command: load tokenizer.json, encode the text file line by line on one
thread (RAYON_NUM_THREADS=1, one `encode` call per line), median of 3 runs, fresh tokenizer per
run. Last line: "<number> MB/s".
Usage: reference_tokenize.py TOKENIZER_JSON TEXT_FILE
"""
import os
import statistics
import sys
import time

os.environ.setdefault("RAYON_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
from tokenizers import Tokenizer  # noqa: E402


def main():
    tokenizer_path, text_path = sys.argv[1], sys.argv[2]
    with open(text_path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    size = sum(len(line.encode("utf-8")) + 1 for line in lines)
    times = []
    for _ in range(3):
        tokenizer = Tokenizer.from_file(tokenizer_path)
        start = time.perf_counter()
        count = sum(len(tokenizer.encode(line).ids) for line in lines)
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    print(f"{len(lines)} lines, {size} bytes, {count} tokens, median {median:.3f} s")
    print(f"{size / median / 1e6:.2f} MB/s")


if __name__ == "__main__":
    main()
