#!/usr/bin/env python3
"""Makes the Hugging Face parity fixtures with `transformers`.

Writes Tests/CheckpointingTests/Fixtures/tiny-gpt2/ (config.json, model.safetensors from
save_pretrained, and the tokenizer fixture's tokenizer.json) for a tiny random GPT-2 whose
vocabulary (1,030 rows) is padded beyond the tokenizer's 1,024 ids, plus expected_logits.safetensors:
token sequences `tokens_i` (as float32) and the logits transformers computes for them, `logits_i`.
Run from the repository root: pip install torch transformers && python3 Tests/python/make_hf_fixtures.py
"""
import os
import shutil

import torch
from safetensors.torch import save_file
from transformers import GPT2Config, GPT2LMHeadModel

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests", "CheckpointingTests", "Fixtures")
SEQUENCES = [[5, 77, 300, 1023, 2], [0, 1, 2, 3, 4, 5, 6, 7], [900, 12, 12, 12, 640, 33, 7, 1, 1000, 250, 8, 19]]


def main():
    torch.manual_seed(0)
    config = GPT2Config(vocab_size=1030, n_positions=32, n_embd=32, n_layer=2, n_head=4,
                        resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
    model = GPT2LMHeadModel(config).eval()
    # Non-trivial LayerNorm and bias values, so that the import must place every tensor right.
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if name.endswith("bias") or "ln_" in name:
                parameter.add_(0.1 * torch.randn_like(parameter))
    directory = os.path.join(OUT, "tiny-gpt2")
    model.save_pretrained(directory, safe_serialization=True)
    shutil.copy(os.path.join(ROOT, "Tests", "TokenizersTests", "Fixtures", "tokenizer.json"), directory)
    tensors = {}
    with torch.no_grad():
        for i, sequence in enumerate(SEQUENCES):
            ids = torch.tensor([sequence])
            tensors[f"tokens_{i}"] = ids.float()[0].contiguous()
            tensors[f"logits_{i}"] = model(ids).logits[0].contiguous()
    save_file(tensors, os.path.join(OUT, "expected_logits.safetensors"))
    print(f"wrote {directory} and expected logits for {len(SEQUENCES)} sequences")


if __name__ == "__main__":
    main()
