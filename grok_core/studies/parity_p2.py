"""Paper 2's sparse-parity setting (arXiv 2603.13331; `data/summary10_parity.json` in the authors'
repository): n ∈ {20, 30, 40}, k = 3, 25 000 training examples (training fraction 0.5 of 50 000), minibatch 256,
AdamW η = 1e-3, λ = 1, a "2-layer, d = 128" model, 100k budget, evaluation every 200 steps, 99 % thresholds.
The authors' parity script is not released; our model is an MLP with two hidden layers of width 128 (GELU,
Gaussian init with std 1/sqrt(fan-in)), which matches their stored weight norms in size (V ≈ 140 at T_mem)."""
from __future__ import annotations

from dataclasses import dataclass

from ..specs import RunSpec


@dataclass(frozen=True)
class Parity2:
    n_bits: tuple = (20, 30, 40)              # input bits n
    k_bits: int = 3                           # parity bits k
    n_train: int = 25_000                     # training-set size
    n_test: int = 25_000                      # test-set size
    hidden: int = 128
    depth: int = 2                            # hidden layers
    batch_size: int = 256
    lr: float = 1e-3
    wd: float = 1.0
    max_steps: int = 100_000
    log_every: int = 200
    tail_steps: int = 2000
    seeds: int = 5


PRESETS = {
    "quick": Parity2(n_bits=(12,), n_train=2000, n_test=1000, hidden=32, batch_size=64, max_steps=2000, log_every=50,
                     tail_steps=200, seeds=2),
    "book": Parity2(),
    "paper": Parity2(),
}


def plan(cfg: Parity2, store=None) -> dict:
    return {"paper 2 parity": [
        RunSpec(task="parity", model="mlp", n_bits=n, k_bits=cfg.k_bits, n_train=cfg.n_train, n_test=cfg.n_test,
                hidden=cfg.hidden, depth=cfg.depth, batch_size=cfg.batch_size, lr=cfg.lr, wd=cfg.wd,
                max_steps=cfg.max_steps, log="every", log_every=cfg.log_every, mem_threshold=0.99,
                grok_threshold=0.99, tail_steps=cfg.tail_steps, seed=s)
        for n in cfg.n_bits for s in range(cfg.seeds)]}
