"""Each batched, shortcut forward equals a plain per-member reference of the model as the papers define it."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from grok_core import RunSpec
from grok_core.models import build
from grok_core.tasks import make_split


def batched(spec, seeds):
    model = build(spec)
    per = [model.init(torch.Generator().manual_seed(s)) for s in seeds]
    P = {k: torch.stack([q[k] for q in per]) for k in per[0]}
    x = torch.stack([make_split(spec.replace(seed=s)).train_x for s in seeds])
    return model, P, x


@pytest.mark.parametrize("layernorm", [False, True])
def test_mlp_factorised_first_layer_equals_concatenated_input(layernorm):
    spec = RunSpec(p=17, frac=0.5, d_embed=16, hidden=32, layernorm=layernorm)
    model, P, x = batched(spec, [0, 1, 2])
    out = model.forward(P, x)
    for m in range(3):
        h = torch.cat([P["E"][m][x[m, :, 0]], P["E"][m][x[m, :, 1]]], 1) @ P["W1"][m] + P["b1"][m]
        h = F.gelu(h)
        h = F.layer_norm(h, h.shape[-1:]) if layernorm else h
        torch.testing.assert_close(out[m], h @ P["W2"][m] + P["b2"][m], rtol=1e-5, atol=1e-5)


def test_mlp_init_scales_follow_fan_in():
    spec = RunSpec(p=59)
    P = build(spec).init(torch.Generator().manual_seed(0))
    assert P["E"].shape == (59, 128) and P["W1"].shape == (256, 256) and P["W2"].shape == (256, 59)
    assert abs(P["E"].std().item() - 128 ** -0.5) < 0.01
    assert abs(P["W1"].std().item() - 256 ** -0.5) < 0.01
    assert P["b1"].abs().max() < 1e-5


@pytest.mark.parametrize("layernorm", [False, True])
def test_attention_last_position_shortcut_equals_full_forward(layernorm):
    spec = RunSpec(model="attn", p=13, frac=0.5, d_embed=16, hidden=32, heads=4, layernorm=layernorm)
    model, P, x = batched(spec, [0, 1])
    out = model.forward(P, x)
    ln = (lambda t: F.layer_norm(t, t.shape[-1:])) if layernorm else (lambda t: t)
    for m in range(2):
        N = x.shape[1]
        tok = torch.cat([x[m], torch.full((N, 1), 13)], 1)                   # [N, 3]
        X = P["W_E"][m][tok] + P["W_pos"][m]                                 # [N, 3, d]
        U = ln(X)
        heads = lambda T: T.reshape(N, 3, 4, 4).transpose(1, 2)              # [N, h, 3, dh]
        Q, K, V = heads(U @ P["W_Q"][m]), heads(U @ P["W_K"][m]), heads(U @ P["W_V"][m])
        mask = torch.triu(torch.ones(3, 3, dtype=torch.bool), 1)
        att = (Q @ K.transpose(-1, -2) / 2.0).masked_fill(mask, float("-inf")).softmax(-1)
        Z = (att @ V).transpose(1, 2).reshape(N, 3, 16)
        R = X + Z @ P["W_O"][m]
        R = R + F.gelu(ln(R) @ P["W_in"][m]) @ P["W_out"][m]
        torch.testing.assert_close(out[m], ln(R)[:, -1] @ P["W_U"][m], rtol=1e-4, atol=1e-5)


def test_transformer_equals_torch_encoder_layer():
    spec = RunSpec(model="transformer", p=13, frac=0.5, d_embed=16, hidden=32, heads=4, wd=1.0)
    model, P, x = batched(spec, [0, 1])
    # make LayerNorm affine parameters non-trivial so the test sees them
    for k in ("ln1_w", "ln2_w", "lnf_w", "ln1_b", "ln2_b", "lnf_b", "b_qkv", "b_o"):
        P[k] = P[k] + 0.1 * torch.randn(P[k].shape, generator=torch.Generator().manual_seed(7))
    out = model.forward(P, x)
    for m in range(2):
        layer = nn.TransformerEncoderLayer(16, 4, 32, dropout=0.0, activation="gelu", batch_first=True)
        lnf, head = nn.LayerNorm(16), nn.Linear(16, 13)
        with torch.no_grad():
            layer.self_attn.in_proj_weight.copy_(P["W_qkv"][m].T)
            layer.self_attn.in_proj_bias.copy_(P["b_qkv"][m])
            layer.self_attn.out_proj.weight.copy_(P["W_o"][m].T)
            layer.self_attn.out_proj.bias.copy_(P["b_o"][m])
            layer.linear1.weight.copy_(P["W_1"][m].T); layer.linear1.bias.copy_(P["b_1"][m])
            layer.linear2.weight.copy_(P["W_2"][m].T); layer.linear2.bias.copy_(P["b_2"][m])
            for ours, mod in (("ln1", layer.norm1), ("ln2", layer.norm2), ("lnf", lnf)):
                mod.weight.copy_(P[ours + "_w"][m]); mod.bias.copy_(P[ours + "_b"][m])
            head.weight.copy_(P["W_h"][m].T); head.bias.copy_(P["b_h"][m])
            X = P["W_E"][m][x[m]] + P["W_pos"][m]                            # [N, 2, d]
            ref = head(lnf(layer.train()(X))[:, -1])
        torch.testing.assert_close(out[m], ref, rtol=1e-4, atol=1e-5)


def test_norm_and_decay_groups():
    assert build(RunSpec()).norm_names == ("E", "W1", "W2")
    assert build(RunSpec(task="parity")).norm_names == ("W1", "W2")
    attn = build(RunSpec(model="attn"))
    assert set(attn.decay_names) == set(attn.norm_names) and "W_U" in attn.norm_names
    tf = build(RunSpec(model="transformer"))
    P = tf.init(torch.Generator().manual_seed(0))
    assert set(tf.decay_names) == set(P)      # paper 2: decay and V = Σθ² over every parameter



def test_attention_as_paper_1_code_has_small_positions_and_scores_the_eq_token():
    spec = RunSpec(model="attn", p=13, frac=0.5, d_embed=64, hidden=32, pos_init=0.1, readout_eq=True)
    model, P, x = batched(spec, [0])
    assert P["W_U"].shape == (1, 64, 14)
    assert abs(P["W_pos"].std().item() - 0.1 * 64 ** -0.5) < 0.005
    assert model.forward(P, x).shape == (1, x.shape[1], 14)


def test_group_clamp_holds_the_group_and_leaves_the_rest():
    from grok_core import norm
    from grok_core.models import clamp_names

    spec = RunSpec(model="attn", p=13, frac=0.5, d_embed=16, hidden=32)
    model, P, _ = batched(spec, [0, 1])
    names = clamp_names(model, "mlp")
    assert names == ("W_in", "W_out")
    before = P["W_U"].clone()
    norm.clamp_(P, names, torch.tensor([2.0, 3.0]), torch.tensor([True, True]))
    torch.testing.assert_close(norm.weight_norm(P, names), torch.tensor([2.0, 3.0]))
    assert torch.equal(P["W_U"], before)


def test_parity_mlp_of_depth_two_matches_a_plain_two_layer_network():
    spec = RunSpec(task="parity", n_bits=8, n_train=20, n_test=10, hidden=16, depth=2)
    model, P, x = batched(spec, [0, 1])
    out = model.forward(P, x)
    for m in range(2):
        h = F.gelu(F.gelu(x[m] @ P["W1"][m] + P["b1"][m]) @ P["Wh"][m] + P["bh"][m])
        torch.testing.assert_close(out[m], h @ P["W2"][m] + P["b2"][m], rtol=1e-5, atol=1e-5)
    assert model.norm_names == ("W1", "Wh", "W2")
