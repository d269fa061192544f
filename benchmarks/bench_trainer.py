"""Trainer benchmark on paper 1's main MLP (p = 59, fraction 0.4, d = 128, W1 256x256, AdamW lr 1e-3, λ = 1).

Prints model-steps per second and seconds-to-result for a 16-seed cell, side by side in one run, for
  (a) a plain loop, one model at a time: nn.Embedding/nn.Linear + torch.optim.AdamW (paper 2's style);
  (b) a seed-batched einsum program on the concatenated input, stepping every seed to a fixed budget
      (paper 1's style);
  (c) grok_core: factorised first layer, members leave the batch when grokked, evaluation on the log grid
      only, two 1-thread worker processes.
  (c′) grok_core's fused CPU step (grok_core/fused.py), fp32;  (c″) the same with bf16 matmuls (oneDNN).
The one-thread block compares (a), (c), (c′) and (c″) per model-step, each on one thread, (c) with 4 members,
side by side in one run; then paper 2's transformer and paper 1's attention model: a plain one-model loop
beside the engine's eager step (1 and 4 members) and the ceiling of any exact fp32 step: the same matmuls
timed alone. (c)'s seconds-to-result is measured end to end. (a)'s and (b)'s are their measured per-step times multiplied
by the steps they would need for the same cell: (a) each seed to its own T_grok, evaluated every 200 steps;
(b) all seeds to the cell's largest T_grok (a fixed budget chosen with hindsight, its best case).

usage: python benchmarks/bench_trainer.py [--seeds 16] [--device cpu|cuda] [--only-step]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from grok_core import RunSpec, fused, sweep  # noqa: E402
from grok_core.tasks import make_split  # noqa: E402
from grok_core.train import BatchTrainer  # noqa: E402

P, FRAC, D, H = 59, 0.4, 128, 256


def matmul_peak(threads: int, n: int = 1024, reps: int = 20) -> float:
    torch.set_num_threads(threads)
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    t = time.perf_counter()
    for _ in range(reps):
        a @ b
    return 2 * n ** 3 * reps / (time.perf_counter() - t) / 1e9


# ---------------------------------------------------------------- (a) plain loop, one model at a time
class PlainMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.E = nn.Embedding(P, D)
        self.fc1, self.fc2 = nn.Linear(2 * D, H), nn.Linear(H, P)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(self.E(x).flatten(1))))


def plain_step_time(spec, steps, device):
    torch.manual_seed(spec.seed)
    model = PlainMLP().to(device)
    decay = [model.E.weight, model.fc1.weight, model.fc2.weight]
    rest = [model.fc1.bias, model.fc2.bias]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 1.0}, {"params": rest, "weight_decay": 0.0}],
                            lr=1e-3)
    sp = make_split(spec)
    x, y = sp.train_x.to(device), sp.train_y.to(device)

    def step():
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        opt.step()
    return seconds_per_call(step, steps, warm=5), model, sp


def seconds_per_call(step, steps, warm):
    """Seconds per call of `step()` over `steps` calls, after `warm` untimed ones."""
    for _ in range(warm):
        step()
    t = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - t) / steps


def plain_eval_time(model, sp, device):
    x = torch.cat([sp.train_x, sp.test_x]).to(device)
    t = time.perf_counter()
    with torch.no_grad():
        for _ in range(5):
            model(x).argmax(-1)
    return (time.perf_counter() - t) / 5


# ---------------------------------------------------------------- (b) seed-batched einsum, fixed budget
def batched_step_time(specs, steps, device):
    M = len(specs)
    g = torch.Generator().manual_seed(0)
    W = {"E": torch.randn(M, P, D, generator=g) * D ** -0.5, "W1": torch.randn(M, 2 * D, H, generator=g) * (2 * D) ** -0.5,
         "b1": torch.zeros(M, H), "W2": torch.randn(M, H, P, generator=g) * H ** -0.5, "b2": torch.zeros(M, P)}
    W = {k: v.to(device).requires_grad_() for k, v in W.items()}
    splits = [make_split(s) for s in specs]
    x = torch.stack([s.train_x for s in splits]).to(device)                  # [M, N, 2]
    y = torch.stack([s.train_y for s in splits]).to(device)
    m = {k: torch.zeros_like(v) for k, v in W.items()}
    v2 = {k: torch.zeros_like(v) for k, v in W.items()}
    ar = torch.arange(M, device=device)[:, None]

    def step(t):
        e = torch.cat([W["E"][ar, x[..., 0]], W["E"][ar, x[..., 1]]], -1)     # [M, N, 2D]
        h = F.gelu(torch.einsum("mni,mih->mnh", e, W["W1"]) + W["b1"][:, None])
        logits = torch.einsum("mnh,mhp->mnp", h, W["W2"]) + W["b2"][:, None]
        loss = F.cross_entropy(logits.reshape(-1, P), y.reshape(-1)) * M
        grads = torch.autograd.grad(loss, list(W.values()))
        with torch.no_grad():
            for (k, w), gr in zip(W.items(), grads):
                if k in ("E", "W1", "W2"):
                    w.mul_(1 - 1e-3)
                m[k].mul_(0.9).add_(gr, alpha=0.1)
                v2[k].mul_(0.999).addcmul_(gr, gr, value=0.001)
                w.sub_(1e-3 / (1 - 0.9 ** t) * m[k] / ((v2[k] / (1 - 0.999 ** t)).sqrt() + 1e-8))
    for t in range(1, 4):
        step(t)
    t0 = time.perf_counter()
    for t in range(4, 4 + steps):
        step(t)
    return (time.perf_counter() - t0) / steps


def engine_step_time(specs, steps, step_fn, bf16=False):
    """Seconds per model-step of one BatchTrainer batch stepped by `step_fn(trainer, step)` on one thread."""
    torch.set_num_threads(1)
    tr = BatchTrainer(specs, engine="eager" if step_fn is _eager else None)
    tr._setup()
    prec = torch.backends.mkldnn.matmul.fp32_precision
    torch.backends.mkldnn.matmul.fp32_precision = "bf16" if bf16 else prec
    try:
        for s in range(1, 4):
            step_fn(tr, s)
        t = time.perf_counter()
        for s in range(4, 4 + steps):
            step_fn(tr, s)
        return (time.perf_counter() - t) / steps / len(specs)
    finally:
        torch.backends.mkldnn.matmul.fp32_precision = prec


def _eager(tr, s):
    tr._train_step(s)


def _fused(tr, s):
    fused.step(tr.P, tr.opt, tr.train_x, tr.train_y, D)


def one_thread_block(specs, steps, dev):
    """(a), (c), (c′), (c″) per model-step on one thread, each timed three times interleaved (median)."""
    torch.set_num_threads(1)
    rows = {"(a) plain loop, 1 model": [], "(c) engine, eager step, 4 members": [],
            "(c′) engine, fused step, fp32": [], "(c″) engine, fused step, bf16 matmuls": []}
    have_fused = fused.unavailable() is None
    for _ in range(3):
        rows["(a) plain loop, 1 model"].append(plain_step_time(specs[0], steps, dev)[0])
        rows["(c) engine, eager step, 4 members"].append(engine_step_time(specs[:4], steps, _eager))
        if have_fused:
            rows["(c′) engine, fused step, fp32"].append(engine_step_time(specs[:4], steps, _fused))
            rows["(c″) engine, fused step, bf16 matmuls"].append(engine_step_time(specs[:4], steps, _fused, bf16=True))
    peak1 = matmul_peak(1)
    a = float(np.median(rows["(a) plain loop, 1 model"]))
    n_train = int(round(FRAC * P * P))
    print(f"one thread, per model-step (median of 3 interleaved timings; fp32 matmul peak {peak1:.0f} GFLOP/s):")
    for name, ts in rows.items():
        if not ts:
            print(f"  {name:40s} not measured: {fused.unavailable()}")
            continue
        t = float(np.median(ts))
        print(f"  {name:40s} {1 / t:6.0f} model-steps/s  {a / t:4.2f}x (a)  "
              f"{100 * flops_per_member_step(n_train) / t / 1e9 / peak1:3.0f} % of the matmul peak")


# ---------------------------------------------------------------- paper 2's transformer, paper 1's attention model
class PlainTransformer(nn.Module):
    """Paper 2's model as a reader would write it: nn.TransformerEncoderLayer (post-LN, GELU) over both positions
    of [a, b], a final LayerNorm and a linear head read at the last position."""

    def __init__(self, s):
        super().__init__()
        self.E, self.pos = nn.Embedding(s.p, s.d_embed), nn.Parameter(torch.randn(2, s.d_embed))
        self.layer = nn.TransformerEncoderLayer(s.d_embed, s.heads, s.hidden, dropout=0.0, activation="gelu",
                                                batch_first=True)
        self.ln, self.head = nn.LayerNorm(s.d_embed), nn.Linear(s.d_embed, s.p)

    def forward(self, x):
        return self.head(self.ln(self.layer(self.E(x) + self.pos))[:, -1])


class PlainAttention(nn.Module):
    """Paper 1's one-layer attention model (no LayerNorm, no biases) as a reader would write it: every one of the
    three positions [a, b, =] through attention and the MLP, read out at the last."""

    def __init__(self, s):
        super().__init__()
        d, V = s.d_embed, s.p + 1
        self.E, self.pos = nn.Embedding(V, d), nn.Parameter(torch.randn(3, d) * s.pos_init * d ** -0.5)
        self.attn = nn.MultiheadAttention(d, s.heads, bias=False, batch_first=True)
        self.mlp = nn.Sequential(nn.Linear(d, s.hidden, bias=False), nn.GELU(), nn.Linear(s.hidden, d, bias=False))
        self.U = nn.Linear(d, V if s.readout_eq else s.p, bias=False)
        self.eq = s.p

    def forward(self, x):
        t = torch.cat([x, torch.full_like(x[:, :1], self.eq)], 1)              # [N, 3]
        r = self.E(t) + self.pos
        r = r + self.attn(r, r, r, need_weights=False)[0]
        r = r + self.mlp(r)
        return self.U(r[:, -1])


def plain_long_step_time(spec, steps):
    """Seconds per step of one model of `spec` in a plain loop (torch.optim.AdamW, decay on every tensor)."""
    torch.manual_seed(spec.seed)
    model = (PlainTransformer if spec.model == "transformer" else PlainAttention)(spec)
    opt = torch.optim.AdamW(model.parameters(), lr=spec.lr, weight_decay=spec.wd)
    sp = make_split(spec)
    g = torch.Generator().manual_seed(0)

    def step():
        ix = torch.randint(len(sp.train_y), (spec.batch_size,), generator=g) if spec.batch_size else slice(None)
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(sp.train_x[ix]), sp.train_y[ix]).backward()
        opt.step()
    return seconds_per_call(step, steps, warm=3)


def long_matmuls(spec) -> list[tuple]:
    """(rows, inner, cols) of each matmul in the engine's forward for the transformer or the attention model;
    the backward does two more products of the same size per matmul."""
    p, d, H = spec.p, spec.d_embed, spec.hidden
    n = spec.batch_size or int(round(spec.frac * p * p))
    if spec.model == "transformer":      # q/k/v tables on p rows at two positions, W_o, the feed-forward, the head
        return [(p, d, 3 * d)] * 2 + [(n, d, d), (n, d, H), (n, H, d), (n, d, p)]
    # k and v tables on p rows at two positions, q/k/v of '=', W_O, the MLP, the unembedding
    return [(p, d, d)] * 4 + [(1, d, d)] * 3 + [(n, d, d), (n, d, H), (n, H, d), (n, d, p + spec.readout_eq)]


def long_flops(spec) -> float:
    """Matmul FLOPs per model-step of the engine's step: the work no exact fp32 step can avoid."""
    return sum(3 * 2 * n * k * m for n, k, m in long_matmuls(spec))


def matmuls_alone_time(spec, members=4, reps=10) -> float:
    """Seconds per model-step of the engine's matmuls alone (forward, dX and dW of each, batched over `members`),
    on this thread: the step's time if everything between the matmuls cost nothing."""
    ops = []
    for n, k, m in long_matmuls(spec):
        X, W, dY = torch.randn(members, n, k), torch.randn(members, k, m), torch.randn(members, n, m)
        ops += [lambda X=X, W=W: torch.bmm(X, W), lambda dY=dY, W=W: torch.bmm(dY, W.transpose(1, 2)),
                lambda X=X, dY=dY: torch.bmm(X.transpose(1, 2), dY)]

    def step():
        for op in ops:
            op()
    return seconds_per_call(step, reps, warm=1) / members


def long_models_block(steps, peak1):
    """Paper 2's transformer (p = 97) and paper 1's attention model (p = 59), per model-step on one thread: a
    plain one-model loop beside the engine's eager step with 1 and 4 members, and the step's matmuls alone (the
    ceiling of any exact fp32 step), each timed three times interleaved (median)."""
    from grok_core.studies import ln_ablation, log_law
    models = {"paper 2's transformer, p 97, batch 512": log_law.transformer(log_law.PRESETS["book"], 97, 1e-3, 60_000),
              "paper 1's attention model, p 59, full batch": ln_ablation.PRESETS["book"].attn_auth()}
    torch.set_num_threads(1)
    print("one thread, per model-step (median of 3 interleaved timings):")
    for name, spec in models.items():
        specs = [spec.replace(seed=s) for s in range(4)]
        n = max(6, steps // 4)
        rows = {"plain loop, 1 model": [], "engine, eager step, 1 member": [], "engine, eager step, 4 members": [],
                "its matmuls alone, 4 members": []}
        for _ in range(3):
            rows["plain loop, 1 model"].append(plain_long_step_time(spec, n))
            rows["engine, eager step, 1 member"].append(engine_step_time(specs[:1], n, _eager))
            rows["engine, eager step, 4 members"].append(engine_step_time(specs, n, _eager))
            rows["its matmuls alone, 4 members"].append(matmuls_alone_time(spec))
        a = float(np.median(rows["plain loop, 1 model"]))
        t4 = float(np.median(rows["engine, eager step, 4 members"]))
        print(f"  {name}: {long_flops(spec) / 1e6:.0f} MFLOP of matmuls per model-step")
        for row, ts in rows.items():
            t = float(np.median(ts))
            print(f"    {row:32s} {1 / t:6.0f} model-steps/s  {a / t:4.2f}x plain  {t4 / t:4.2f}x the engine  "
                  f"{100 * long_flops(spec) / t / 1e9 / peak1:3.0f} % of the matmul peak")


def flops_per_member_step(n_train):
    """Matmul FLOPs of (c)'s factorised step: E·W1 halves (fwd 2, bwd 4 products of p x d x H), readout (fwd 1,
    bwd 2 products of N x H x p)."""
    return 2 * (6 * P * D * H + 3 * n_train * H * P)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=16)
    ap.add_argument("--steps", type=int, default=60, help="steps timed per program for the step rates")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--only-step", action="store_true", help="the one-thread per-step block only")
    args = ap.parse_args()
    dev = args.device
    cores = os.cpu_count()
    specs = [RunSpec(p=P, frac=FRAC, seed=s, max_steps=60_000) for s in range(args.seeds)]
    n_train = int(round(FRAC * P * P))
    print(f"machine: {cores} cores, torch {torch.__version__}, device {dev}")
    peak1, peakc = matmul_peak(1), matmul_peak(cores)
    print(f"fp32 matmul peak (1024^3): {peak1:.0f} GFLOP/s on 1 thread, {peakc:.0f} on {cores}")
    if dev == "cpu":
        one_thread_block(specs, args.steps, dev)
        long_models_block(args.steps, peak1)
        if args.only_step:
            return

    # step rates, each program at its natural thread count
    torch.set_num_threads(cores)
    a_step, model, sp = plain_step_time(specs[0], args.steps, dev)
    a_eval = plain_eval_time(model, sp, dev)
    b_step = batched_step_time(specs, max(10, args.steps // 4), dev)
    torch.set_num_threads(1)
    tr = BatchTrainer(specs[: max(1, args.seeds // max(1, cores))], device=dev)
    tr._setup()
    for s in range(1, 4):
        tr._step(s)
    t = time.perf_counter()
    for s in range(4, 4 + args.steps // 2):
        tr._step(s)
    c_step_1thread = (time.perf_counter() - t) / (args.steps // 2) / len(tr.idx)
    frac_peak = flops_per_member_step(n_train) / c_step_1thread / 1e9 / peak1
    print(f"(a) plain loop:           {1 / a_step:7.0f} model-steps/s  ({a_step * 1e3:.2f} ms/step, {cores} threads)")
    print(f"(b) seed-batched einsum:  {args.seeds / b_step:7.0f} model-steps/s  ({b_step * 1e3:.1f} ms per step of "
          f"{args.seeds} seeds, {cores} threads)")
    print(f"(c) grok_core, one 1-thread worker: {1 / c_step_1thread:.0f} model-steps/s; "
          f"{flops_per_member_step(n_train) / 1e6:.0f} MFLOP per model-step -> "
          f"{flops_per_member_step(n_train) / c_step_1thread / 1e9:.1f} GFLOP/s = {100 * frac_peak:.0f} % of the "
          f"1-thread matmul peak")

    # (c) end to end: the cell, as the book's sweeps run it
    torch.set_num_threads(cores)
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        recs = sweep.run(specs, store=tmp, device=dev, progress=True)
        c_wall = time.perf_counter() - t
    t_grok = np.array([r["summary"]["t_grok"] or r["summary"]["steps_run"] for r in recs], float)
    member_steps = sum(r["summary"]["steps_run"] for r in recs)
    c_rate = member_steps / c_wall
    workers = min(cores, len(sweep.groups(specs, dev)))
    print(f"(c) grok_core end to end: {c_rate:7.0f} model-steps/s over the real run ({workers} workers x 1 thread, "
          f"batches of {sweep.members_per_batch(specs[0], dev)}, evaluation and set-up included)")
    print(f"cell: {args.seeds} seeds, T_grok median {np.median(t_grok):.0f}, range {t_grok.min():.0f}-{t_grok.max():.0f}")

    a_result = sum(ti * a_step + np.ceil(ti / 200) * a_eval for ti in t_grok)
    b_result = t_grok.max() * b_step
    print(f"seconds-to-result: (a) {a_result:.0f} s (extrapolated), (b) {b_result:.0f} s (extrapolated), "
          f"(c) {c_wall:.0f} s (measured)")
    print(f"per model-step: (c)/(a) = {c_rate * a_step:.1f}x")
    print(f"per model-step: (c)/(b) = {c_rate * b_step / args.seeds:.1f}x")
    print(f"seconds-to-result: (c)/(a) = {a_result / c_wall:.1f}x")
    print(f"seconds-to-result: (c)/(b) = {b_result / c_wall:.1f}x")
    b_fixed = specs[0].max_steps * b_step
    print(f"(b) with a budget fixed in advance ({specs[0].max_steps} steps, the critical-norm chapter's): "
          f"{b_fixed:.0f} s, (c)/(b) = {b_fixed / c_wall:.1f}x")


if __name__ == "__main__":
    main()
