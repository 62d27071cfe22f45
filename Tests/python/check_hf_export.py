#!/usr/bin/env python3
"""Our Hugging Face export loads in `transformers` and gives our logits.

import-hf the committed tiny GPT-2 fixture into a checkpoint, export-hf it to a new directory,
load that with transformers' GPT2LMHeadModel and compare its logits with the fixture's
expected logits (which the Swift test checks our model reproduces within 1e-4).
Needs torch and transformers; without them the check is reported as skipped.
Usage: check_hf_export.py PATH/TO/minillm-dist
"""
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "Tests", "CheckpointingTests", "Fixtures")


def main():
    try:
        import torch
        from safetensors.torch import load_file
        from transformers import GPT2LMHeadModel
    except ImportError as error:
        print(f"skipped: {error} (pip install torch transformers to run it)")
        print("hf export: 0 passed, 0 failed, 1 skipped")
        return 0
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        checkpoint = os.path.join(tmp, "imported.h5")
        exported = os.path.join(tmp, "exported")
        subprocess.run([binary, "import-hf", os.path.join(FIXTURES, "tiny-gpt2"), "--output", checkpoint],
                       check=True, stdout=subprocess.DEVNULL)
        subprocess.run([binary, "export-hf", checkpoint, exported], check=True, stdout=subprocess.DEVNULL)
        model = GPT2LMHeadModel.from_pretrained(exported).eval()
        expected = load_file(os.path.join(FIXTURES, "expected_logits.safetensors"))
        worst = 0.0
        with torch.no_grad():
            for i in range(3):
                ids = expected[f"tokens_{i}"].long()[None]
                logits = model(ids).logits[0]
                worst = max(worst, (logits[:, :1024] - expected[f"logits_{i}"][:, :1024]).abs().max().item())
    ok = worst <= 1e-4
    print(f"{'ok  ' if ok else 'FAIL'} transformers loads our export; logits match (max abs diff {worst:.2e})")
    print(f"hf export: {int(ok)} passed, {int(not ok)} failed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
