#!/usr/bin/env python3
"""Fuzzing harness for the four input readers: instruction JSONL, tokenizer.json, safetensors
and checkpoints (HDF5).

Each reader gets mutants of a few valid seed files: byte-level mutations (bit flips,
interesting bytes and integers, inserted, deleted and duplicated chunks, truncation, splices)
and, for the JSON formats, structural ones (a value replaced by another type or an extreme, a
key deleted, deep nesting, odd Unicode). The mutants are read in batches by
`minillm-dist debug read-inputs`, one process per batch. A reader may accept or refuse a file;
it fails the harness when it crashes (a trap or signal), hangs, refuses with a message of more
than one line, or, for checkpoints, accepts a changed file and returns different contents
(silent corruption). Every failing input is kept under --keep (by default the committed
regression folder, Tests/fuzz/regressions/READER/), and every kept input (committed and under
--keep) is replayed first, so a crash found once stays a test.

Usage: fuzz.py BINARY [--inputs N] [--seed S] [--readers jsonl,tokenizer,...] [--keep DIR]
The last line is "fuzz: P passed, F failed" (one check per reader and per replay).
"""

import argparse
import hashlib
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
READERS = ["jsonl", "tokenizer", "safetensors", "checkpoint"]
COMMITTED = os.path.join(ROOT, "Tests/fuzz/regressions")
BATCH = 40
BATCH_SECONDS = 60

INTERESTING_BYTES = [0x00, 0x01, 0x7F, 0x80, 0xFF, ord('"'), ord("\\"), ord("{"), ord("\n")]
INTERESTING_INTS = [0, 1, -1, 2**31 - 1, -(2**31), 2**32 - 1, 2**63 - 1, -(2**63), 2**40, 255, 256]


# ---------------------------------------------------------------------------------------------
# Seeds


def make_seeds(binary, work):
    """Valid files for each reader, made by the binary itself and by this script."""
    tokenizer = os.path.join(ROOT, "Tests/TokenizersTests/Fixtures/tokenizer.json")
    seeds = {reader: [] for reader in READERS}

    synth = os.path.join(work, "synth.jsonl")
    run([binary, "data", "synth", "--count", "6", "--seed", "3", "--output", synth])
    seeds["jsonl"].append(synth)
    dolly = os.path.join(ROOT, "Tests/Fixtures/text/dolly_valid_excerpt.jsonl")
    with open(dolly, "rb") as source:
        lines = source.read().split(b"\n")[:5]
    seeds["jsonl"].append(write(work, "dolly.jsonl", b"\n".join(lines) + b"\n"))

    seeds["tokenizer"].append(tokenizer)

    seeds["safetensors"].append(write(work, "f32.safetensors", safetensors({
        "wte.weight": ("F32", [4, 3], struct.pack("<12f", *[i / 7 for i in range(12)])),
        "ln_f.bias": ("F32", [3], struct.pack("<3f", 0.5, -1.0, 2.0)),
    }, {"format": "pt"})))
    seeds["safetensors"].append(write(work, "half.safetensors", safetensors({
        "h.0.attn.c_attn.weight": ("F16", [2, 2], struct.pack("<4e", 1.0, -2.0, 0.25, 65504.0)),
        "h.0.mlp.c_fc.bias": ("BF16", [3], struct.pack("<3H", 0x3F80, 0xC000, 0x7F80)),
    }, None)))

    data = os.path.join(work, "synth.h5")
    run([binary, "data", "prepare", "--tokenizer", tokenizer, "--instructions", synth, "--output", data,
         "--max-prompt-length", "96", "--max-length", "128"])
    run_dir = os.path.join(work, "seed-run")
    run([binary, "train", "--method", "sft", "--data", data, "--tokenizer", tokenizer, "--run-dir", run_dir,
         "--steps", "2", "--batch-size", "2", "--d-model", "16", "--n-layer", "1", "--n-head", "2",
         "--context-length", "128", "--checkpoint-every", "2", "--threads", "1"])
    seeds["checkpoint"].append(os.path.join(run_dir, "checkpoints", "step-00000002.h5"))
    return seeds


def safetensors(tensors, metadata):
    header, offset, blobs = {}, 0, []
    for name, (dtype, shape, blob) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    if metadata is not None:
        header["__metadata__"] = metadata
    encoded = json.dumps(header).encode()
    return struct.pack("<Q", len(encoded)) + encoded + b"".join(blobs)


def write(folder, name, data):
    path = os.path.join(folder, name)
    with open(path, "wb") as out:
        out.write(data)
    return path


def run(command):
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                   env=dict(os.environ, OPENBLAS_NUM_THREADS="1"))


# ---------------------------------------------------------------------------------------------
# Mutations


def mutate_bytes(data, rng, others):
    data = bytearray(data)
    for _ in range(rng.choice([1, 1, 1, 2, 3, 8])):
        kind = rng.randrange(9)
        n = len(data)
        if n == 0:
            data += bytes([rng.randrange(256)])
            continue
        i = rng.randrange(n)
        if kind == 0:
            data[i] ^= 1 << rng.randrange(8)
        elif kind == 1:
            data[i] = rng.choice(INTERESTING_BYTES)
        elif kind == 2:  # an interesting integer, 4 or 8 bytes, either byte order
            width = rng.choice([4, 8])
            value = rng.choice(INTERESTING_INTS) & ((1 << (8 * width)) - 1)
            blob = value.to_bytes(width, rng.choice(["little", "big"]))
            data[i:i + width] = blob
        elif kind == 3:
            data[i:i] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 16)))
        elif kind == 4:
            del data[i:i + rng.randrange(1, 64)]
        elif kind == 5:
            j = rng.randrange(n)
            data[i:i] = data[j:j + rng.randrange(1, 256)]
        elif kind == 6:
            del data[rng.randrange(n):]
        elif kind == 7 and others:
            other = rng.choice(others)
            j = rng.randrange(len(other))
            data[i:] = other[j:]
        else:
            data[i:i + rng.randrange(1, 32)] = bytes(rng.randrange(1, 32))
    return bytes(data)


def odd_value(rng):
    return rng.choice([
        None, True, False, 0, -1, 2**31, -(2**63), 2**64, 1e308, -1e-308, 3.5, "", " ", "\u0000",
        "\ud7ff\uffff", "e\u0301" * 20, "😀" * 5, "<|endoftext|>", "x" * 10000, [], {}, [1, 2, 3],
        {"a": 1}, [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],
    ])


def mutate_json(value, rng):
    """Returns a copy of the JSON value with one node changed."""
    if isinstance(value, dict) and value and rng.random() < 0.8:
        key = rng.choice(list(value))
        copy = dict(value)
        action = rng.randrange(4)
        if action == 0:
            del copy[key]
        elif action == 1:
            copy[key] = odd_value(rng)
        elif action == 2:
            copy[key + rng.choice(["", "_", "x"])] = odd_value(rng)
        else:
            copy[key] = mutate_json(value[key], rng)
        return copy
    if isinstance(value, list) and value and rng.random() < 0.8:
        i = rng.randrange(len(value))
        copy = list(value)
        action = rng.randrange(4)
        if action == 0:
            del copy[i]
        elif action == 1:
            copy[i] = odd_value(rng)
        elif action == 2:
            copy.insert(i, copy[i])
        else:
            copy[i] = mutate_json(value[i], rng)
        return copy
    return odd_value(rng)


def mutate(reader, data, rng, others):
    if reader != "checkpoint" and rng.random() < 0.03:  # nesting far deeper than any parser's stack
        i = rng.randrange(len(data) + 1)
        depth = rng.choice([1000, 100000])
        return data[:i] + b"[" * depth + b"]" * rng.choice([0, depth]) + data[i:]
    if rng.random() < 0.5 and reader in ("jsonl", "tokenizer", "safetensors"):
        try:
            if reader == "jsonl":
                lines = data.split(b"\n")
                i = rng.randrange(len(lines))
                if lines[i].strip():
                    lines[i] = json.dumps(mutate_json(json.loads(lines[i]), rng), ensure_ascii=rng.random() < 0.5).encode()
                return b"\n".join(lines)
            if reader == "tokenizer":
                return json.dumps(mutate_json(json.loads(data), rng)).encode()
            (length,) = struct.unpack("<Q", data[:8])
            header = json.loads(data[8:8 + length])
            encoded = json.dumps(mutate_json(header, rng)).encode()
            return struct.pack("<Q", len(encoded)) + encoded + data[8 + length:]
        except (ValueError, struct.error, RecursionError):
            pass
    return mutate_bytes(data, rng, others)


# ---------------------------------------------------------------------------------------------
# Running


def read_batch(binary, reader, paths):
    """Outcome per path: ('ok', digest) / ('error', message) / ('multiline',) / ('crash', detail) / ('hang',)."""
    outcomes = {}
    start = 0
    while start < len(paths):
        batch = paths[start:]
        try:
            done = subprocess.run([binary, "debug", "read-inputs", "--reader", reader, *batch],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=BATCH_SECONDS,
                                  env=dict(os.environ, OPENBLAS_NUM_THREADS="1"))
            output, code, hung = done.stdout, done.returncode, False
        except subprocess.TimeoutExpired as expired:
            output, code, hung = expired.stdout or b"", None, True
        last_begun = None
        for line in output.decode(errors="replace").splitlines():
            parts = line.split(" ", 2)
            if len(parts) < 2 or not parts[1].isdigit():
                continue
            index = start + int(parts[1])
            if parts[0] == "begin":
                last_begun = index
            elif parts[0] == "ok":
                outcomes[paths[index]] = ("ok", parts[2] if len(parts) > 2 else "")
            elif parts[0] == "error":
                outcomes[paths[index]] = ("error", parts[2] if len(parts) > 2 else "")
            elif parts[0] == "multiline":
                outcomes[paths[index]] = ("multiline",)
        if code == 0 and not hung:
            break
        if last_begun is None or paths[last_begun] in outcomes:
            # The process died outside any file (should not happen): blame the next file.
            last_begun = start + len([p for p in batch if p in outcomes])
            if last_begun >= len(paths):
                break
        outcomes[paths[last_begun]] = ("hang",) if hung else ("crash", f"exit {code}")
        start = last_begun + 1
    return outcomes


def keep(path, reader, kind, folder):
    os.makedirs(folder, exist_ok=True)
    with open(path, "rb") as source:
        data = source.read()
    name = f"{kind}-{hashlib.sha1(data).hexdigest()[:12]}"
    shutil.copyfile(path, os.path.join(folder, name))
    return name


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("binary")
    parser.add_argument("--inputs", type=int, default=200, help="mutants per reader")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--readers", default=",".join(READERS))
    parser.add_argument("--keep", default=COMMITTED,
                        help="folder for failing inputs (one subfolder per reader); the committed "
                             "regressions are replayed in any case")
    args = parser.parse_args()
    readers = [r for r in args.readers.split(",") if r]
    for reader in readers:
        if reader not in READERS:
            sys.exit(f"fuzz.py: unknown reader {reader!r} (known: {', '.join(READERS)})")
    passed = failed = 0
    work = tempfile.mkdtemp(prefix="minillm-fuzz-")
    try:
        seeds = make_seeds(args.binary, work)
        for reader in readers:
            # Replay every kept input first.
            kept = []
            for base in sorted({COMMITTED, os.path.abspath(args.keep)}):
                folder = os.path.join(base, reader)
                if os.path.isdir(folder):
                    kept += sorted(os.path.join(folder, f) for f in os.listdir(folder))
            if kept:
                outcomes = read_batch(args.binary, reader, kept)
                bad = [os.path.basename(p) for p in kept if outcomes.get(p, ("crash",))[0] in ("crash", "hang", "multiline")]
                if bad:
                    failed += 1
                    print(f"FAIL {reader}: kept inputs still fail: {', '.join(bad)}")
                else:
                    passed += 1
                    print(f"ok   {reader}: {len(kept)} kept regression input(s) are refused or read cleanly")

            seed_data = []
            for path in seeds[reader]:
                with open(path, "rb") as source:
                    seed_data.append(source.read())
            seed_outcomes = read_batch(args.binary, reader, seeds[reader])
            digests = {seed_outcomes.get(p, ("?", ""))[1] for p in seeds[reader] if seed_outcomes.get(p, ("?",))[0] == "ok"}
            if len(digests) < 1 or any(seed_outcomes.get(p, ("?",))[0] != "ok" for p in seeds[reader]):
                failed += 1
                print(f"FAIL {reader}: a seed file does not read: {seed_outcomes}")
                continue

            rng = random.Random(f"{args.seed}-{reader}")
            folder = os.path.join(work, reader)
            os.makedirs(folder)
            mutants = []
            for i in range(args.inputs):
                source = rng.randrange(len(seed_data))
                data = mutate(reader, seed_data[source], rng, seed_data)
                mutants.append((write(folder, f"{i:05d}", data), data != seed_data[source]))
            counts = {"ok": 0, "error": 0, "multiline": 0, "crash": 0, "hang": 0, "silent": 0}
            found = []
            for b in range(0, len(mutants), BATCH):
                batch = mutants[b:b + BATCH]
                outcomes = read_batch(args.binary, reader, [p for p, _ in batch])
                for path, changed in batch:
                    outcome = outcomes.get(path, ("crash", "no outcome"))
                    kind = outcome[0]
                    if reader == "checkpoint" and kind == "ok" and changed and outcome[1] not in digests:
                        kind = "silent"
                    counts[kind] += 1
                    if kind in ("multiline", "crash", "hang", "silent"):
                        found.append(f"{keep(path, reader, kind, os.path.join(args.keep, reader))} ({' '.join(outcome[1:]) or kind})")
            summary = ", ".join(f"{counts[k]} {k}" for k in ("ok", "error", "multiline", "crash", "hang", "silent") if counts[k] or k in ("ok", "error"))
            if found:
                failed += 1
                print(f"FAIL {reader}: {args.inputs} mutants: {summary}; kept: {'; '.join(found)}")
            else:
                passed += 1
                print(f"ok   {reader}: {args.inputs} mutants (seed {args.seed}): {summary} (ok = accepted, error = refused with one line)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"fuzz: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
