import numpy as np
import pytest
import torch

from grok_core import RunSpec, train
from grok_core.models import build
from grok_core.norm import weight_norm
from grok_core.optim import BatchedAdamW, BatchedSGD
from grok_core.tasks import make_split
from grok_core.train import log_grid


def _one_member_setup(spec):
    model = build(spec)
    P0 = model.init(torch.Generator().manual_seed(spec.init_seed()))
    sp = make_split(spec)
    return model, P0, sp


@pytest.mark.parametrize("opt", ["adamw", "sgd"])
def test_our_optimiser_equals_torch_optim(opt):
    spec = RunSpec(p=17, frac=0.5, d_embed=16, hidden=32, lr=3e-3, wd=0.5, optimizer=opt)
    model, P0, sp = _one_member_setup(spec)
    # ours, one member
    P = {k: v[None].clone().requires_grad_() for k, v in P0.items()}
    cls = BatchedAdamW if opt == "adamw" else BatchedSGD
    ours = cls(P, torch.tensor([spec.lr]), torch.tensor([spec.wd]), model.decay_names)
    # torch's, decay on the same tensors only
    Q = {k: v[None].clone().requires_grad_() for k, v in P0.items()}
    groups = [{"params": [Q[k] for k in Q if k in model.decay_names], "weight_decay": spec.wd},
              {"params": [Q[k] for k in Q if k not in model.decay_names], "weight_decay": 0.0}]
    ref = torch.optim.AdamW(groups, lr=spec.lr) if opt == "adamw" else torch.optim.SGD(groups, lr=spec.lr)
    x, y = sp.train_x[None], sp.train_y
    for _ in range(25):
        loss = torch.nn.functional.cross_entropy(model.forward(P, x)[0], y)
        ours.step(P, dict(zip(P, torch.autograd.grad(loss, list(P.values())))))
        ref.zero_grad()
        torch.nn.functional.cross_entropy(model.forward(Q, x)[0], y).backward()
        ref.step()
    for k in P:
        torch.testing.assert_close(P[k], Q[k], rtol=1e-5, atol=1e-6)


def test_member_matches_solo_run(tiny):
    """Member i of a batch (with other seeds, lrs, a clamp, and a member that leaves early) equals the same
    spec trained alone: whole curves, not only the end."""
    specs = [tiny.replace(seed=0, max_steps=400),
             tiny.replace(seed=1, lr=1e-3, max_steps=400),
             tiny.replace(seed=2, max_steps=60),                              # leaves the batch early
             tiny.replace(seed=3, clamp_mode="hold", clamp_target=20.0, rho=1.0, t_int=50, max_steps=400)]
    batch = train(specs)
    for spec, rec in zip(specs, batch):
        solo = train(spec)[0]
        assert rec["summary"]["t_mem"] == solo["summary"]["t_mem"]
        assert np.array_equal(rec["curves"]["step"], solo["curves"]["step"])
        for k in ("train_loss", "test_acc", "weight_norm"):
            np.testing.assert_allclose(rec["curves"][k], solo["curves"][k], rtol=2e-4, atol=2e-4)
    assert batch[2]["summary"]["steps_run"] <= 60 < batch[0]["summary"]["steps_run"]


def test_an_eager_member_matches_its_solo_run_after_another_leaves():
    """The same for the eager step's one-buffer layout (optim.Flat): a transformer batch in which one member
    leaves early; the others' moments and parameters must be re-sliced with the buffer, or their curves part from
    their solo runs at once."""
    base = RunSpec(model="transformer", p=13, d_embed=16, hidden=32, batch_size=32, lr=3e-3, max_steps=300,
                   log="every", log_every=10)
    specs = [base.replace(seed=0), base.replace(seed=1, max_steps=60),
             base.replace(seed=2, lr=1e-3, clamp_mode="hold", clamp_target=25.0, rho=1.0, t_int=20)]
    for spec, rec in zip(specs, train(specs)):
        solo = train(spec)[0]
        for k in ("train_loss", "test_acc", "weight_norm"):
            np.testing.assert_allclose(rec["curves"][k], solo["curves"][k], rtol=1e-4, atol=1e-4)


def test_clamp_holds_norm_after_t_int(tiny):
    target, t_int = 25.0, 40
    rec = train(tiny.replace(clamp_mode="hold", clamp_target=target, rho=1.0, t_int=t_int, max_steps=300))[0]
    c = rec["curves"]
    after = c["step"] >= t_int
    assert after.sum() > 20
    np.testing.assert_allclose(c["weight_norm"][after], target, rtol=1e-5)
    assert abs(c["weight_norm"][c["step"] == 10][0] - target) > 1.0        # free before t_int


def test_one_shot_rescale_is_released(tiny):
    target, t_int = 18.0, 30
    rec = train(tiny.replace(clamp_mode="once", clamp_target=target, rho=1.0, t_int=t_int, max_steps=200))[0]
    c = rec["curves"]
    assert abs(c["weight_norm"][c["step"] == t_int][0] - target) < 1e-3
    assert abs(c["weight_norm"][-1] - target) > 0.1


def test_clamp_one_group_leaves_the_others_free():
    spec = RunSpec(model="attn", p=11, frac=0.5, d_embed=16, hidden=32, lr=1e-3, max_steps=60, t_int=10,
                   clamp_mode="hold", clamp_target=3.0, rho=1.0, clamp_group="W_U")
    c = train(spec)[0]["curves"]
    after = c["step"] >= 10
    np.testing.assert_allclose(c["norm_W_U"][after], 3.0, rtol=1e-5)
    assert np.ptp(c["norm_W_in"][after]) > 1e-3


def test_small_config_memorises_then_groks():
    """Measured for the issue: p = 59, d = 64, H = 128, fraction 0.5, lr 3e-3, λ = 1 groks in ~1.2k steps."""
    spec = RunSpec(p=59, d_embed=64, hidden=128, frac=0.5, lr=3e-3, wd=1.0, max_steps=4000)
    s = train(spec)[0]["summary"]
    assert s["status"] == "grokked"
    assert s["t_mem"] < s["t_grok"] / 3                                       # memorised long before
    assert s["norm_at_grok"] < s["norm_at_mem"]                              # grokked on the norm's descent


def test_divergent_member_fails_alone(tiny):
    specs = [tiny.replace(seed=0, max_steps=100), tiny.replace(seed=1, lr=1e6, optimizer="sgd", max_steps=100)]
    # an lr this large makes SGD overflow; AdamW would not
    good_sgd = tiny.replace(seed=0, optimizer="sgd", max_steps=100)
    recs = train([good_sgd, specs[1]])
    assert recs[1]["summary"]["status"] == "failed"
    assert recs[0]["summary"]["status"] != "failed"
    solo = train(good_sgd)[0]
    np.testing.assert_allclose(recs[0]["curves"]["train_loss"], solo["curves"]["train_loss"], rtol=1e-4)


def test_minibatch_with_replacement_is_seeded_per_member(tiny):
    spec = tiny.replace(batch_size=64, max_steps=80)
    a, b = train([spec, spec.replace(seed=1)]), train(spec)
    np.testing.assert_allclose(a[0]["curves"]["train_loss"], b[0]["curves"]["train_loss"], rtol=1e-4)


def test_log_grid_does_not_depend_on_budget():
    short, long = log_grid("geom", 72, 200, 1000), log_grid("geom", 72, 200, 100000)
    assert long[: len(short)] == short and short[0] == 0 and 250 < len(long) < 400
    assert log_grid("every", 72, 200, 1000) == (0, 200, 400, 600, 800, 1000)


def test_tail_steps_extend_after_grok():
    spec = RunSpec(p=59, d_embed=64, hidden=128, frac=0.5, lr=3e-3, wd=1.0, max_steps=4000, tail_steps=300,
                   log="every", log_every=50)
    s = train(spec)[0]["summary"]
    assert s["status"] == "grokked" and s["steps_run"] == s["t_grok"] + 300


def test_collapsed_member_stops_by_the_chance_rule_and_others_go_on():
    """Paper 2's λ = 5 runs collapse: weight decay wins, train accuracy stays at chance. With the rule on, such a
    member stops after `stop_chance_steps`; a healthy member of the same batch is untouched."""
    base = RunSpec(p=23, frac=0.6, d_embed=32, hidden=64, lr=1e-2, max_steps=1500, log="every", log_every=50)
    collapse = base.replace(wd=60.0, stop_chance_steps=400)
    healthy = base.replace(wd=2.0, stop_chance_steps=400)
    r_c, r_h = train([collapse, healthy])
    assert r_c["summary"]["stop_reason"] == "chance" and r_c["summary"]["status"] == "censored"
    assert 400 <= r_c["summary"]["steps_run"] <= 450
    assert max(r_c["curves"]["train_acc"]) < 2 / 23
    assert r_h["summary"]["t_mem"] is not None and r_h["summary"]["stop_reason"] in ("tail", "budget")
    assert train(collapse.replace(stop_chance_steps=0))[0]["summary"]["steps_run"] == 1500


def test_adding_the_stop_rule_kept_every_stored_id():
    assert RunSpec().run_id == "734f2bdffea9d3c6"          # the default spec's id before the field existed
    assert RunSpec(stop_chance_steps=400).run_id != RunSpec().run_id


def test_one_shot_at_step_0_rescales_the_initialisation_and_a_factor_scales_one_group():
    """A 'once' clamp at t_int = 0 sets the initial weights' norm (before any step; it used to do nothing), and
    clamp_factor multiplies only its group, once, at t_int (paper 1 §5's init-rescale and single-group arms)."""
    b = RunSpec(p=23, frac=0.6, lr=6e-3, wd=2.0, d_embed=32, hidden=64, max_steps=120, log="every", log_every=10)
    free, = train(b)
    init, = train(b.replace(clamp_mode="once", clamp_target=5.0, t_int=0, rho=0.5))
    group, = train(b.replace(clamp_mode="once", clamp_factor=0.8, clamp_group="E", t_int=50, rho=0.8))
    c0, ci, cg = free["curves"], init["curves"], group["curves"]
    assert ci["weight_norm"][0] == pytest.approx(5.0, rel=1e-5) and c0["weight_norm"][0] > 8
    i = list(c0["step"]).index(50)
    assert cg["norm_E"][i] == pytest.approx(0.8 * c0["norm_E"][i], rel=1e-5)
    assert cg["norm_W1"][i] == pytest.approx(c0["norm_W1"][i], rel=1e-6)         # the other groups untouched
    assert np.array_equal(cg["norm_E"][:i], c0["norm_E"][:i])                       # nothing before t_int
    assert cg["norm_E"][i + 1] != pytest.approx(0.8 * cg["norm_E"][i], rel=1e-3)  # once, not held


def test_clamp_factor_is_checked_and_leaves_every_other_id_alone():
    b = RunSpec()
    assert "clamp_factor" not in b.hashed_dict()
    with pytest.raises(ValueError, match="clamp_factor"):
        b.replace(clamp_mode="hold", clamp_factor=0.8, rho=0.8)
    with pytest.raises(ValueError, match="clamp_factor"):
        b.replace(clamp_mode="once", clamp_target=50.0, clamp_factor=0.8, rho=0.8)
    with pytest.raises(ValueError, match="clamp_factor"):
        b.replace(clamp_mode="once", clamp_factor=float("nan"), rho=0.8)
    assert b.replace(clamp_mode="once", clamp_factor=0.8, rho=0.8).run_id != b.replace(
        clamp_mode="once", clamp_factor=0.9, rho=0.8).run_id


@pytest.mark.parametrize("case", [
    dict(model="transformer", p=13, d_embed=16, hidden=32, batch_size=32, clamp_mode="hold", clamp_target=30.0, rho=1.0,
         t_int=5),
    dict(model="attn", p=13, d_embed=16, hidden=32, layernorm=True, readout_eq=True),
    dict(model="mlp", p=13, d_embed=16, hidden=32, layernorm=True, clamp_mode="hold", clamp_target=9.0, rho=1.0, t_int=5),
    dict(task="parity", n_bits=10, k_bits=3, n_train=200, n_test=100, hidden=32, depth=2, optimizer="sgd", lr=0.05),
], ids=["transformer-held", "attn-ln", "mlp-ln-held", "parity-sgd"])
def test_the_flat_update_is_bitwise_the_per_tensor_update(case):
    """The eager step updates every tensor as a view of one buffer (optim.Flat): after 40 steps every parameter
    of every member (lrs and λs differ per member) is bitwise what the per-tensor update gives, moments
    included. An update that skipped a tensor's decay, used a wrong offset or mixed members differs at once."""
    from grok_core.train import BatchTrainer
    specs = [RunSpec(**{"lr": 3e-3, **case}, seed=s, wd=wd, max_steps=100).replace(lr=lr)
             for s, (lr, wd) in enumerate([(case.get("lr", 3e-3), 1.0), (2 * case.get("lr", 3e-3), 0.3)])]
    flat = BatchTrainer(specs)
    flat._setup()
    assert flat.layout is not None and flat.engine == "eager"
    ref = BatchTrainer(specs)
    ref._setup()
    P = {k: v.detach().clone().requires_grad_() for k, v in ref.P.items()}
    cls = BatchedAdamW if specs[0].optimizer == "adamw" else BatchedSGD
    opt = cls(P, ref.lr, ref.wd, ref.model.decay_names)
    names = ref.clamp_names
    for step in range(1, 41):
        x, y = flat._batch()
        flat._train_step_on(x, y, step)
        ref.P = P
        grads = torch.autograd.grad(ref._loss(x, y).sum(), list(P.values()))
        opt.step(P, dict(zip(P, grads)))
        if specs[0].clamp_mode == "hold" and step >= specs[0].t_int:
            from grok_core.norm import clamp_
            clamp_(P, names, ref.target, torch.ones(len(specs), dtype=torch.bool))
    for k in P:
        assert torch.equal(flat.P[k].detach(), P[k].detach()), k
    if cls is BatchedAdamW:
        m = flat.layout.views(torch.cat([flat.opt.m[part] for part in flat.layout.parts(flat.flat)], 1))
        for k in P:
            assert torch.equal(m[k], opt.m[k]), k
