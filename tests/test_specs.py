import pytest

from grok_core import RunSpec, grid

BAD = [
    (dict(p=1), "p"),
    (dict(frac=0.0), "frac"),
    (dict(frac=1.0), "frac"),
    (dict(task="parity", k_bits=31, n_bits=30), "k_bits"),
    (dict(task="sub"), "task"),
    (dict(model="cnn"), "model"),
    (dict(optimizer="lion"), "optimizer"),
    (dict(lr=-1e-3), "lr"),
    (dict(lr=float("nan")), "lr"),
    (dict(wd=-1.0), "wd"),
    (dict(clamp_mode="hold", clamp_target=50.0, rho=0.0), "rho"),
    (dict(clamp_mode="hold", clamp_target=50.0, rho=-1.0), "rho"),
    (dict(clamp_mode="hold", clamp_target=0.0, rho=1.0), "clamp_target"),
    (dict(clamp_mode="sometimes"), "clamp_mode"),
    (dict(max_steps=0), "max_steps"),
    (dict(grok_threshold=1.5), "grok_threshold"),
    (dict(model="attn", d_embed=130, heads=4), "heads"),
    (dict(batch_size=-5), "batch_size"),
]


@pytest.mark.parametrize("kw,name", BAD)
def test_bad_parameter_raises_naming_it(kw, name):
    with pytest.raises(ValueError, match=rf"^{name}"):
        RunSpec(**kw)


def test_unknown_field_and_wrong_type_raise():
    with pytest.raises(ValueError, match="unknown RunSpec field"):
        RunSpec.from_dict({"learning_rate": 1e-3})
    with pytest.raises(ValueError, match="^p="):
        RunSpec.from_dict({"p": "fifty"})


def test_yaml_style_strings_are_coerced():
    assert RunSpec.from_dict({"lr": "1e-3", "p": 59.0}).lr == 1e-3


def test_run_id_ignores_budget_only():
    s = RunSpec()
    assert s.run_id == s.replace(max_steps=99_999).run_id
    assert s.run_id != s.replace(lr=2e-3).run_id
    assert s.run_id != s.replace(seed=1).run_id


def test_control_and_clamp_arms_share_init_and_split():
    free = RunSpec(seed=3)
    held = free.replace(clamp_mode="hold", clamp_target=60.0, rho=1.1, lr=8e-3)
    assert free.init_seed() == held.init_seed()
    assert free.init_seed() != free.replace(seed=4).init_seed()


def test_grid_is_a_cartesian_product():
    specs = grid({"p": 31}, seed=range(3), lr=[1e-3, 2e-3])
    assert len(specs) == 6 and len({s.run_id for s in specs}) == 6


@pytest.mark.parametrize("kw", [dict(), dict(task="parity"), dict(model="attn"), dict(model="transformer")])
def test_clampable_tensor_names_match_the_models(kw):
    import torch

    from grok_core import models

    spec = RunSpec(**kw, d_embed=16, hidden=16, p=7, frac=0.5, n_bits=6)
    params = models.build(spec).init(torch.Generator().manual_seed(0))
    names = models.build(spec).norm_names
    assert names and set(names) <= set(params)
    for n in names:
        models.check(RunSpec(**kw, clamp_mode="hold", clamp_target=1.0, rho=1.0, clamp_group=n))


@pytest.mark.parametrize("kw", [dict(clamp_group="W_U"), dict(model="attn", clamp_group="W1"),
                                dict(model="attn", clamp_group="everything")])
def test_a_clamp_group_the_model_lacks_is_refused_before_training(kw, tmp_path):
    from grok_core import models, sweep

    spec = RunSpec(**kw, p=7, frac=0.6, d_embed=8, hidden=8, clamp_mode="hold", clamp_target=1.0, rho=1.0, t_int=1,
                   max_steps=10)
    with pytest.raises(ValueError, match="clamp_group"):
        models.check(spec)
    with pytest.raises(ValueError, match="clamp_group"):
        sweep.run([spec], store=tmp_path, workers=1, progress=False)
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("a, b", [(dict(wd=1), dict(wd=1.0)), (dict(p=31.0), dict(p=31)),
                                  (dict(lr="1e-3"), dict(lr=0.001)), (dict(max_steps=2e4), dict(max_steps=20000))])
def test_one_run_id_whatever_the_number_type(a, b):
    sa, sb = RunSpec(**a), RunSpec(**b)
    assert sa.run_id == sb.run_id and sa == sb
    assert type(sa.wd) is float and type(sa.p) is int


@pytest.mark.parametrize("kw, name", [(dict(frac="half"), "frac"), (dict(p=31.5), "p"), (dict(seed=float("inf")), "seed"),
                                      (dict(depth=2), "depth"), (dict(pos_init=0.1), "pos_init")])
def test_bad_values_name_their_field(kw, name):
    with pytest.raises(ValueError, match=name):
        RunSpec(**kw)


def test_fields_added_later_leave_old_ids_alone():
    base = RunSpec(model="attn", p=13, frac=0.5)
    assert base.run_id == RunSpec(model="attn", p=13, frac=0.5, pos_init=1, readout_eq=False).run_id
    assert base.run_id != base.replace(pos_init=0.1).run_id != base.replace(readout_eq=True).run_id
