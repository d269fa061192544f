"""The fused MLP step (grok_core/fused.py) against the eager one, and the fallback where it cannot build."""
import subprocess
import sys

import numpy as np
import pytest
import torch

from grok_core import RunSpec, fused
from grok_core.train import BatchTrainer, train

needs_fused = pytest.mark.skipif(fused.unavailable() is not None, reason=f"fused step unavailable: {fused.unavailable()}")


def _trainer(specs):
    t = BatchTrainer(specs)
    t._setup()
    return t


def _eager_step(t):
    x, y = t._batch()
    loss = t._loss(x, y)
    grads = torch.autograd.grad(loss.sum(), list(t.P.values()))
    t.opt.step(t.P, dict(zip(t.P, grads)))


def _specs(task="add"):
    return [RunSpec(task=task, p=29, frac=0.5, d_embed=32, hidden=72, lr=lr, wd=wd, seed=s)
            for s, (lr, wd) in enumerate([(1e-3, 1.0), (3e-3, 0.3), (1e-3, 3.0)])]


def _rel(a, b):
    return float((a - b).norm() / a.norm())


@needs_fused
@pytest.mark.parametrize("task", ["add", "mul"])
def test_hand_backward_equals_autograd(task):
    """Every gradient of the hand-derived backward within 1e-5 (relative L2, per member) of autograd's, at the
    initialisation and after 50 steps; a wrong term gives O(1). p = 29 is not a multiple of the 8 lanes."""
    t = _trainer(_specs(task))
    for _ in range(2):
        x, y = t._batch()
        auto = dict(zip(t.P, torch.autograd.grad(t._loss(x, y).sum(), list(t.P.values()))))
        hand = fused.grads(t.P, x, y, t.specs[0].d_embed)
        for k in t.P:
            for m in range(len(t.specs)):
                assert _rel(auto[k][m], hand[k][m]) < 1e-5, (k, m)
        for _ in range(50):
            _eager_step(t)


@needs_fused
def test_fused_adamw_equals_batched_adamw():
    """The one-pass update against optim.BatchedAdamW on the same gradients, decayed and undecayed tensors, for
    ten steps (bias corrections change each step): within 1e-6 relative, moments included."""
    te, tf = _trainer(_specs()), _trainer(_specs())
    g = torch.Generator().manual_seed(1)
    for _ in range(10):
        grads = {k: torch.randn(v.shape, generator=g) * 1e-2 for k, v in te.P.items()}
        te.opt.step(te.P, grads)
        fused.adamw(tf.P, tf.opt, grads)
    for k in te.P:
        assert _rel(te.P[k].detach(), tf.P[k].detach()) < 1e-6
        assert _rel(te.opt.m[k], tf.opt.m[k]) < 1e-6 and _rel(te.opt.v[k], tf.opt.v[k]) < 1e-6


@needs_fused
def test_fused_step_follows_the_eager_step_for_300_steps():
    """The whole step over 300 steps: every tensor of every member within 1e-4 relative L2 of the eager
    trajectory (Adam amplifies rounding; measured here ~1e-6 at lr 1e-3, ~2e-5 at lr 3e-3)."""
    te, tf = _trainer(_specs()), _trainer(_specs())
    for _ in range(300):
        _eager_step(te)
        fused.step(tf.P, tf.opt, tf.train_x, tf.train_y, 32)
    assert te.opt.t == tf.opt.t == 300
    for k in te.P:
        for m in range(3):
            assert _rel(te.P[k][m].detach(), tf.P[k][m].detach()) < 1e-4, (k, m)


@needs_fused
@pytest.mark.slow
def test_fused_and_eager_runs_grok_alike_on_a_real_cell(monkeypatch):
    """A short real cell (free and held seeds): T_grok per seed within one logged step of the eager run's and ‖W‖
    at T_grok within 0.5 %, far inside the seed-to-seed spread; the records name their engine."""
    free = [RunSpec(p=23, frac=0.6, lr=6e-3, wd=2.0, d_embed=32, hidden=64, max_steps=2500, seed=s) for s in range(4)]
    rf = train(free)
    wc = float(np.median([r["summary"]["norm_at_grok"] for r in rf]))
    held = [s.replace(clamp_mode="hold", clamp_target=round(1.1 * wc, 4), rho=1.1, t_int=100, max_steps=5000)
            for s in (free[0], free[3])]
    rf += train(held)
    monkeypatch.setenv("GROK_ENGINE", "eager")
    fused.reset()
    try:
        re = train(free) + train(held)
    finally:
        fused.reset()
    assert {r["summary"]["engine"] for r in rf} == {"fused"} and {r["summary"]["engine"] for r in re} == {"eager"}
    t_f = np.array([r["summary"]["t_grok"] for r in rf], float)
    t_e = np.array([r["summary"]["t_grok"] for r in re], float)
    assert np.isfinite(t_e).all()
    grid = np.asarray(rf[0]["curves"]["step"])
    pos = lambda t: np.searchsorted(grid, t)
    assert np.all(np.abs(pos(t_f) - pos(t_e)) <= 1), (t_f, t_e)
    w_f = np.array([r["summary"]["norm_at_grok"] for r in rf])
    w_e = np.array([r["summary"]["norm_at_grok"] for r in re])
    assert np.all(np.abs(w_f - w_e) / w_e < 5e-3)
    assert np.ptp(t_e[:4]) > 0                                   # the seeds differ: there is a spread to be inside


def test_without_a_compiler_the_eager_step_trains_and_says_so(tmp_path):
    """No compiler and an empty kernel cache: one line says the fused step is unavailable, the run trains eagerly
    and its record says 'eager'."""
    code = ("import torch; torch.set_num_threads(1)\n"
            "from grok_core import RunSpec, train\n"
            "r, = train(RunSpec(p=11, frac=0.6, d_embed=8, hidden=16, max_steps=30))\n"
            "print('ENGINE', r['summary']['engine'])\n")
    env = {"PATH": str(tmp_path), "CC": "no-such-compiler", "GROK_KERNEL_CACHE": str(tmp_path / "cache"),
           "HOME": str(tmp_path), "PYTHONPATH": str(__import__("pathlib").Path(__file__).resolve().parents[1])}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "ENGINE eager" in out.stdout
    lines = [l for l in out.stderr.splitlines() if "fused MLP step is unavailable" in l]
    assert len(lines) == 1 and "compiler" in lines[0]


@pytest.mark.parametrize("change", [dict(layernorm=True), dict(batch_size=64), dict(optimizer="sgd"),
                                    dict(task="parity", p=59, n_bits=8, k_bits=2, n_train=64, n_test=64)])
def test_variants_the_fused_step_does_not_cover_train_eagerly(change):
    spec = RunSpec(p=11, frac=0.6, d_embed=8, hidden=16, max_steps=20).replace(**change)
    assert not fused.eligible(spec, "cpu")
    r, = train(spec)
    assert r["summary"]["engine"] == "eager"


def test_the_eligible_mlp_trains_fused_where_the_kernels_build():
    r, = train(RunSpec(p=11, frac=0.6, d_embed=8, hidden=16, max_steps=20))
    assert r["summary"]["engine"] == ("fused" if fused.unavailable() is None else "eager")


def test_bf16_matmuls_are_opt_in_hashed_only_when_set_and_scoped_to_the_training_step():
    """matmul_precision='bf16' changes the run's id (so a bf16 run never answers an fp32 request) but leaves every
    fp32 id alone, batches apart from fp32 runs, and sets oneDNN's matmul precision during the step only."""
    b = RunSpec(p=11, frac=0.6, d_embed=8, hidden=16, max_steps=20)
    assert "matmul_precision" not in b.hashed_dict()
    h = b.replace(matmul_precision="bf16")
    assert h.run_id != b.run_id and h.shape_key() != b.shape_key()
    with pytest.raises(ValueError, match="matmul_precision"):
        b.replace(matmul_precision="fp16")
    before = torch.backends.mkldnn.matmul.fp32_precision
    seen = []
    t = BatchTrainer([h])
    real = t._train_step
    t._train_step = lambda step: (seen.append(torch.backends.mkldnn.matmul.fp32_precision), real(step))[1]
    t.run()
    assert set(seen) == {"bf16"} and torch.backends.mkldnn.matmul.fp32_precision == before
