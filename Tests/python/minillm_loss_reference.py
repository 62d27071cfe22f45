#!/usr/bin/env python3
"""Reference values for Tests/DistillTests/MiniLLMLossTests.swift: the whole MiniLLM loss on a
hand-built rollout (2 sequences, vocabulary 3), written straight from the formulas in
docs/method.md with plain Python floats, for every flag combination that changes
the math. Prints Swift literals; rerun and paste if the rollout in the test changes.
"""
import itertools
import math

# The rollout (identical to the Swift test). Sequence lengths 3 and 2; vocabulary 3.
tokens = [[0, 2, 1], [1, 1]]
log_q_old = [[-1.0, -0.7, -1.3], [-0.9, -1.1]]
log_p_tilde = [[-0.95, -0.8, -1.1], [-0.85, -1.0]]
teacher_probs = [[[0.5, 0.2, 0.3], [0.1, 0.3, 0.6], [0.25, 0.5, 0.25]],
                 [[0.2, 0.7, 0.1], [0.3, 0.3, 0.4]]]
logits = [[[0.2, -0.1, 0.4], [0.0, 0.3, -0.2], [-0.5, 0.6, 0.1]],
          [[0.3, 0.1, -0.3], [0.2, -0.4, 0.5]]]
log_p = [[math.log(teacher_probs[s][t][y]) for t, y in enumerate(seq)] for s, seq in enumerate(tokens)]
reward_scaling, reward_clip, eps = 0.5, 100.0, 0.2


def softmax(z):
    m = max(z)
    e = [math.exp(v - m) for v in z]
    s = sum(e)
    return [v / s for v in e]


def loss(include_current, length_norm, gamma, whiten, single_step, weight_single):
    advantages = []
    for s in range(2):
        r = [max(-reward_clip, min(reward_clip, (p - q) / reward_scaling)) for p, q in zip(log_p[s], log_q_old[s])]
        T = len(r)
        a = []
        for t in range(T):
            if include_current:
                value = sum(gamma ** (k - t) * r[k] for k in range(t, T))
                count = T - t
            else:
                value = sum(gamma ** (k - t - 1) * r[k] for k in range(t + 1, T))
                count = T - t - 1
            a.append((value / count if count > 0 else 0.0) if length_norm else value)
        advantages.append(a)
    if whiten:
        flat = [v for a in advantages for v in a]
        mean = sum(flat) / len(flat)
        var = sum(v * v for v in flat) / len(flat) - mean * mean
        advantages = [[(v - mean) / (math.sqrt(max(var, 0)) + 1e-8) for v in a] for a in advantages]
    policy = single = 0.0
    for s in range(2):
        for t, y in enumerate(tokens[s]):
            q = softmax(logits[s][t])
            w = math.exp(log_q_old[s][t] - log_p_tilde[s][t])
            ratio = math.exp(math.log(q[y]) - log_q_old[s][t]) * w
            A = advantages[s][t]
            policy += max(-A * ratio, -A * min(max(ratio, 1 - eps), 1 + eps))
            if single_step:
                kl = sum(qi * (math.log(qi) - math.log(pi)) for qi, pi in zip(q, teacher_probs[s][t]))
                single += kl * (w if weight_single else 1.0)
    return policy, single


print("  // (includeCurrentReward, lengthNormalization, gamma, whiten, singleStep, weightSingleStep) → (policy sum, single-step sum)")
for inc, ln, g, wh, ss, wss in itertools.product([True, False], [True, False], [0.95, 1.0], [True, False], [True, False], [False, True]):
    if not ss and wss:
        continue
    p, s = loss(inc, ln, g, wh, ss, wss)
    print(f"  Case({str(inc).lower()}, {str(ln).lower()}, {g}, {str(wh).lower()}, {str(ss).lower()}, {str(wss).lower()}, {p!r}, {s!r}),")
