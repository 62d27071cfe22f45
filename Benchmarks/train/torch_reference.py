#!/usr/bin/env python3
"""PyTorch reference for the minillm-dist Swift benchmarks.

Builds the same GPT-2-style float32 model as the Swift trainer and measures
CPU throughput for two workloads:

  train   forward + mean cross-entropy + backward + AdamW step + zero_grad
  sample  autoregressive decoding with a hand-written KV cache
          (or --no-cache: recompute the full forward every step)

The last line printed is always exactly "<number> tokens/s" so that scripts
can compare it with the Swift numbers.

Model: tied token embedding wte (V,C) / LM head (logits = h @ wte^T, no bias),
learned position embedding wpe (T,C), n_layer pre-LayerNorm blocks (eps 1e-5)
  x = x + attn_proj(causal_self_attention(ln1(x)))
  x = x + fc_proj(gelu_tanh(fc(ln2(x))))
then a final LayerNorm and the tied head. Attention is computed with
torch.nn.functional.scaled_dot_product_attention (is_causal=True).
Init: weights N(0, 0.02), residual projections N(0, 0.02/sqrt(2*n_layer)),
biases 0, LayerNorm weight 1.

How to install PyTorch (only PyPI is reachable; download.pytorch.org is not):
  pip install torch          # torch 2.15.0+cu132, took 2m08s here
The lean route `pip install --no-deps torch` does NOT work: the PyPI Linux
wheel is a CUDA build and `import torch` fails without the nvidia-* libs
("libcublasLt.so.*[0-9] not found"). The full install pulls ~4 GB
(nvidia-*, triton, cuda-toolkit) and upgrades setuptools; CPU use is fine.

Examples:
  python3 torch_reference.py train --preset a --threads 1 --steps 5
  python3 torch_reference.py sample --preset b --threads 1 [--no-cache]
"""
import argparse
import math
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

# name: (vocab V, context T, width C, layers, heads, batch B)
PRESETS = {
    "a": (4096, 128, 128, 4, 4, 16),
    "b": (4096, 256, 256, 6, 8, 8),
    "c": (8192, 256, 384, 6, 6, 8),
}
PEAK_FLOPS_PER_THREAD = 92e9


class KVCache:
    """Preallocated K/V buffers of shape (B, H, max_len, D) for one layer."""

    def __init__(self, batch, heads, max_len, head_dim):
        self.k = torch.zeros(batch, heads, max_len, head_dim)
        self.v = torch.zeros(batch, heads, max_len, head_dim)
        self.length = 0

    def append(self, k, v):
        """Store new keys/values; return all cached keys/values so far."""
        end = self.length + k.size(2)
        self.k[:, :, self.length:end] = k
        self.v[:, :, self.length:end] = v
        self.length = end
        return self.k[:, :, :end], self.v[:, :, :end]


class CausalSelfAttention(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)

    def forward(self, x, cache=None):
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)
        q, k, v = (t.view(B, T, self.heads, C // self.heads).transpose(1, 2) for t in (q, k, v))
        if cache is not None:
            assert cache.length == 0 or T == 1, "decode step must be one token"
            k, v = cache.append(k, v)
        # Full sequence / prefill: causal mask. Single decode token: it may
        # attend to every cached position, so no mask is needed.
        y = F.scaled_dot_product_attention(q, k, v, is_causal=(T > 1))
        return self.proj(y.transpose(1, 2).reshape(B, T, C))


class Block(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.ln1 = nn.LayerNorm(width, eps=1e-5)
        self.attn = CausalSelfAttention(width, heads)
        self.ln2 = nn.LayerNorm(width, eps=1e-5)
        self.fc = nn.Linear(width, 4 * width)
        self.fc_proj = nn.Linear(4 * width, width)

    def forward(self, x, cache=None):
        x = x + self.attn(self.ln1(x), cache)
        return x + self.fc_proj(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(self, vocab, ctx, width, layers, heads):
        super().__init__()
        self.ctx, self.heads = ctx, heads
        self.wte = nn.Embedding(vocab, width)
        self.wpe = nn.Embedding(ctx, width)
        self.blocks = nn.ModuleList(Block(width, heads) for _ in range(layers))
        self.ln_f = nn.LayerNorm(width, eps=1e-5)
        self.init_weights(layers)

    def init_weights(self, layers):
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, mean=0.0, std=0.02)
            if isinstance(m, nn.Linear):
                nn.init.zeros_(m.bias)
        residual_std = 0.02 / math.sqrt(2 * layers)
        for block in self.blocks:
            nn.init.normal_(block.attn.proj.weight, mean=0.0, std=residual_std)
            nn.init.normal_(block.fc_proj.weight, mean=0.0, std=residual_std)

    def forward(self, idx, caches=None, start=0):
        """idx (B,T) token ids at positions start..start+T-1 -> logits (B,T,V)."""
        positions = torch.arange(start, start + idx.size(1))
        x = self.wte(idx) + self.wpe(positions)
        for i, block in enumerate(self.blocks):
            x = block(x, None if caches is None else caches[i])
        return F.linear(self.ln_f(x), self.wte.weight)  # tied head, no bias

    def new_caches(self, batch, max_len):
        head_dim = self.wte.embedding_dim // self.heads
        return [KVCache(batch, self.heads, max_len, head_dim) for _ in self.blocks]


def make_optimizer(model):
    """AdamW; fused kernel if this build supports it on CPU, else foreach."""
    kwargs = dict(lr=3e-4, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1)
    try:
        return torch.optim.AdamW(model.parameters(), fused=True, **kwargs), "fused"
    except (RuntimeError, ValueError):
        return torch.optim.AdamW(model.parameters(), foreach=True, **kwargs), "foreach"


def random_batch(vocab, batch, ctx, gen):
    """Random tokens; targets are the inputs shifted left by one."""
    tokens = torch.randint(0, vocab, (batch, ctx + 1), generator=gen)
    return tokens[:, :-1], tokens[:, 1:]


def train_step(model, opt, inputs, targets):
    logits = model(inputs)
    loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1))
    loss.backward()
    opt.step()
    opt.zero_grad(set_to_none=True)
    return loss.item()


def run_train(model, n_params, args):
    vocab, ctx, _, _, _, batch = PRESETS[args.preset]
    opt, kind = make_optimizer(model)
    print(f"optimizer: AdamW ({kind})")
    gen = torch.Generator().manual_seed(0)
    times = []
    for step in range(args.warmup + args.steps):
        inputs, targets = random_batch(vocab, batch, ctx, gen)
        t0 = time.perf_counter()
        loss = train_step(model, opt, inputs, targets)
        dt = time.perf_counter() - t0
        phase = "warmup" if step < args.warmup else "timed"
        print(f"step {step:3d} ({phase}) loss {loss:.4f} {dt * 1e3:9.1f} ms")
        if step >= args.warmup:
            times.append(dt)
    median = statistics.median(times)
    tokens_per_s = batch * ctx / median
    mfu = 6 * n_params * tokens_per_s / (PEAK_FLOPS_PER_THREAD * args.threads)
    print(f"median step {median * 1e3:.1f} ms over {len(times)} steps, B*T = {batch * ctx}")
    print(f"MFU {mfu * 100:.2f}% (6*N*tokens/s over {PEAK_FLOPS_PER_THREAD / 1e9:.0f} GFLOP/s x {args.threads} threads)")
    return tokens_per_s


def sample_next(logits, gen, temperature=1.0):
    probs = torch.softmax(logits / temperature, dim=-1)
    return torch.multinomial(probs, 1, generator=gen)


def decode(model, prompt, new_tokens, gen, use_cache):
    """Generate new_tokens tokens after prompt (B,P); returns (B,P+new)."""
    seq = prompt
    if use_cache:
        caches = model.new_caches(prompt.size(0), prompt.size(1) + new_tokens)
        logits = model(prompt, caches, start=0)  # prefill once
        for _ in range(new_tokens):
            nxt = sample_next(logits[:, -1], gen)
            seq = torch.cat([seq, nxt], dim=1)
            if seq.size(1) < prompt.size(1) + new_tokens:
                logits = model(nxt, caches, start=seq.size(1) - 1)
        return seq
    for _ in range(new_tokens):
        nxt = sample_next(model(seq)[:, -1], gen)
        seq = torch.cat([seq, nxt], dim=1)
    return seq


def run_sample(model, args):
    vocab, ctx = PRESETS[args.preset][:2]
    assert args.prompt + args.new <= ctx, "prompt + new exceeds the context"
    gen = torch.Generator().manual_seed(1234)
    prompt = torch.randint(0, vocab, (args.batch, args.prompt), generator=gen)
    model.eval()
    times = []
    with torch.no_grad():
        # One untimed warm-up run, then the median of `repeats` timed runs (as the Swift
        # `bench sample` does).
        for run in range(args.repeats + 1):
            t0 = time.perf_counter()
            decode(model, prompt, args.new, gen, use_cache=not args.no_cache)
            if run > 0:
                times.append(time.perf_counter() - t0)
    elapsed = statistics.median(times)
    mode = "full recompute (no cache)" if args.no_cache else "KV cache"
    print(f"decode: {mode}, batch {args.batch}, prompt {args.prompt}, new {args.new}")
    print(f"median {elapsed:.3f} s per batch over {args.repeats} runs (prefill included)")
    return args.batch * args.new / elapsed


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("mode", choices=["train", "sample"])
    p.add_argument("--preset", choices=sorted(PRESETS), default="a")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--steps", type=int, default=10, help="timed train steps")
    p.add_argument("--warmup", type=int, default=3, help="untimed train steps")
    p.add_argument("--batch", type=int, default=8, help="sample batch")
    p.add_argument("--prompt", type=int, default=16, help="sample prompt length")
    p.add_argument("--new", type=int, default=128, help="tokens to generate")
    p.add_argument("--no-cache", action="store_true", help="sample without KV cache")
    p.add_argument("--repeats", type=int, default=3, help="timed sample runs (median reported)")
    return p.parse_args()


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    vocab, ctx, width, layers, heads, batch = PRESETS[args.preset]
    model = GPT(vocab, ctx, width, layers, heads)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}")
    print(f"preset {args.preset}: V={vocab} T={ctx} C={width} L={layers} H={heads} B={batch}")
    print(f"parameters: {n_params:,} (wte tied with head, counted once)")
    print("attention: F.scaled_dot_product_attention(is_causal=True)")
    if args.mode == "train":
        tokens_per_s = run_train(model, n_params, args)
    else:
        tokens_per_s = run_sample(model, args)
    print(f"{tokens_per_s:.1f} tokens/s")


if __name__ == "__main__":
    main()
