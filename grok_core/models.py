"""Models batched over a leading member axis: every parameter is [M, ...], one slice per run.

A model is a small class: `init` draws one member's tensors, `forward` maps a batch of inputs to logits
for all members at once, `norm_names` lists the tensors in ‖W‖ (and the clamp), `decay_names` those that
decay. Forwards use exact algebraic shortcuts; tests/test_models.py checks each against a plain reference.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .specs import RunSpec

Params = dict  # name -> Tensor [M, ...]


def _normal(g, shape, std):
    return torch.randn(shape, generator=g) * std


def _ln(x):
    """Parameter-free LayerNorm over the last axis."""
    return F.layer_norm(x, x.shape[-1:])


def _flat_index(idx, V):
    """idx [M, N] (rows of a [M, V, D] table) -> [M·N] rows of its flat [M·V, D] view."""
    M = idx.shape[0]
    return (idx + (torch.arange(M, device=idx.device) * V)[:, None]).reshape(-1)


def _gather(table, flat):
    """table [M, V, D], flat [M·N] from `_flat_index` -> the rows as [M, N, D]; index_select on a flat view (its
    backward is one index_add)."""
    M, V, D = table.shape
    return table.reshape(M * V, D).index_select(0, flat).reshape(M, -1, D)


def _rows(table, idx):
    """table [M, V, D], idx [M, N] -> table[m, idx[m, n]] as [M, N, D]."""
    return _gather(table, _flat_index(idx, table.shape[1]))


class MLP:
    """Paper 1's MLP (arXiv 2606.13753 §3): x = [E_a; E_b], h = GELU(x·W1 + b1), logits = h·W2 + b2.

    Shortcut (exact): [E_a; E_b]·W1 = (E·W1_top)[a] + (E·W1_bottom)[b], so the first layer costs p rows,
    not one per example. `layernorm` puts a parameter-free LayerNorm on h before the readout (§7).
    Sparse parity (§8) uses the same class with a ±1 input vector instead of two embeddings; `depth = 2` adds
    a second hidden layer of the same width (our stand-in for paper 2's unreleased two-layer parity model).
    """

    def __init__(self, spec: RunSpec):
        self.spec = spec
        self.parity = spec.task == "parity"
        self.norm_names = (("W1", "Wh", "W2") if spec.depth == 2 else ("W1", "W2")) if self.parity else ("E", "W1", "W2")
        self.decay_names = self.norm_names

    def init(self, g: torch.Generator) -> Params:
        s = self.spec
        if self.parity:
            n, H = s.n_bits, s.hidden
            P = {"W1": _normal(g, (n, H), n ** -0.5), "b1": _normal(g, (H,), 1e-6)}
            if s.depth == 2:
                P.update(Wh=_normal(g, (H, H), H ** -0.5), bh=_normal(g, (H,), 1e-6))
            return dict(P, W2=_normal(g, (H, 2), H ** -0.5), b2=_normal(g, (2,), 1e-6))
        p, d, H = s.p, s.d_embed, s.hidden
        return {"E": _normal(g, (p, d), d ** -0.5),
                "W1": _normal(g, (2 * d, H), (2 * d) ** -0.5), "b1": _normal(g, (H,), 1e-6),
                "W2": _normal(g, (H, p), H ** -0.5), "b2": _normal(g, (p,), 1e-6)}

    def hidden(self, P: Params, x: torch.Tensor) -> torch.Tensor:
        if self.parity:
            pre = torch.baddbmm(P["b1"][:, None], x, P["W1"])                # [M, N, H]
        else:
            d = self.spec.d_embed
            A = torch.bmm(P["E"], P["W1"][:, :d])                             # [M, p, H]
            B = torch.bmm(P["E"], P["W1"][:, d:])                             # [M, p, H]
            pre = _rows(A, x[..., 0]) + _rows(B, x[..., 1]) + P["b1"][:, None]  # [M, N, H]
        h = F.gelu(pre)
        if "Wh" in P:
            h = F.gelu(torch.baddbmm(P["bh"][:, None], h, P["Wh"]))          # [M, N, H]
        return _ln(h) if self.spec.layernorm else h

    def forward(self, P: Params, x: torch.Tensor) -> torch.Tensor:
        return torch.baddbmm(P["b2"][:, None], self.hidden(P, x), P["W2"])     # [M, N, C]


class Attention:
    """Paper 1's one-layer attention model (§7): tokens [a, b, =] (vocab p+1), learned positions, 4 heads,
    GELU MLP, no biases, read out at the last position; `layernorm` adds parameter-free LN before attention,
    MLP and unembedding. Decay and ‖W‖ cover every tensor.

    Shortcut (exact): only the last position is read out and there is one layer, so only its query, its
    residual and its MLP are needed; keys and values of position 0 (1) depend on a (b) alone, so they are
    computed once per vocabulary row, not per example.

    Paper 1's released code (`src/run_tfnormint.py`) starts the positional embeddings at 0.1·d^-1/2 and scores
    p + 1 outputs ('=' included): `pos_init = 0.1`, `readout_eq = True`. The defaults (1.0, False) are the
    model our first attention runs used, kept so that their records stay what they were.
    The clamp can hold one of the paper's tensor groups (`clamp_group` "embed", "attn", "mlp", "unembed").
    """

    groups = {"W_E": "embed", "W_pos": "embed", "W_Q": "attn", "W_K": "attn", "W_V": "attn", "W_O": "attn",
              "W_in": "mlp", "W_out": "mlp", "W_U": "unembed"}

    def __init__(self, spec: RunSpec):
        self.spec = spec
        self.norm_names = tuple(self.groups)
        self.decay_names = self.norm_names

    def init(self, g):
        s = self.spec
        d, H, p = s.d_embed, s.hidden, s.p
        P = {"W_E": _normal(g, (p + 1, d), d ** -0.5), "W_pos": _normal(g, (3, d), s.pos_init * d ** -0.5)}
        for n in ("W_Q", "W_K", "W_V", "W_O"):
            P[n] = _normal(g, (d, d), d ** -0.5)
        P["W_in"] = _normal(g, (d, H), d ** -0.5)
        P["W_out"] = _normal(g, (H, d), H ** -0.5)
        P["W_U"] = _normal(g, (d, p + 1 if s.readout_eq else p), d ** -0.5)
        return P

    def forward(self, P, x):
        s = self.spec
        M, p, d, nh = P["W_E"].shape[0], s.p, s.d_embed, s.heads
        dh = d // nh
        ln = _ln if s.layernorm else (lambda t: t)
        x0 = P["W_E"][:, :p] + P["W_pos"][:, 0:1]                             # [M, p, d]  token a at pos 0
        x1 = P["W_E"][:, :p] + P["W_pos"][:, 1:2]                             # [M, p, d]  token b at pos 1
        x2 = P["W_E"][:, p] + P["W_pos"][:, 2]                                # [M, d]     '=' at pos 2
        u0, u1, u2 = ln(x0), ln(x1), ln(x2)
        q = (u2[:, None] @ P["W_Q"]).reshape(M, nh, dh)                        # [M, h, dh]
        k0, v0 = (u0 @ P["W_K"]).reshape(M, p, nh, dh), (u0 @ P["W_V"]).reshape(M, p, nh, dh)
        k1, v1 = (u1 @ P["W_K"]).reshape(M, p, nh, dh), (u1 @ P["W_V"]).reshape(M, p, nh, dh)
        k2, v2 = (u2[:, None] @ P["W_K"]).reshape(M, nh, dh), (u2[:, None] @ P["W_V"]).reshape(M, nh, dh)
        scale = dh ** -0.5
        s0 = torch.einsum("mahd,mhd->mah", k0, q) * scale                     # [M, p, h]
        s1 = torch.einsum("mbhd,mhd->mbh", k1, q) * scale                     # [M, p, h]
        s2 = torch.einsum("mhd,mhd->mh", k2, q) * scale                       # [M, h]
        # one gather per position: row a of [s0 | v0], row b of [s1 | v1]
        a, b = _flat_index(x[..., 0], p), _flat_index(x[..., 1], p)           # [M·N] rows of the flat tables
        N = x.shape[1]
        sa, va = _gather(torch.cat([s0, v0.reshape(M, p, d)], -1), a).split((nh, d), -1)
        sb, vb = _gather(torch.cat([s1, v1.reshape(M, p, d)], -1), b).split((nh, d), -1)
        w = torch.stack([sa, sb, s2[:, None].expand(M, N, nh)], -1).softmax(-1)  # [M, N, h, 3]
        va, vb = va.reshape(M, N, nh, dh), vb.reshape(M, N, nh, dh)
        z = w[..., 0:1] * va + w[..., 1:2] * vb + w[..., 2:3] * v2[:, None]    # [M, N, h, dh]
        r = x2[:, None] + z.reshape(M, N, d) @ P["W_O"]                       # [M, N, d]
        r = r + F.gelu(ln(r) @ P["W_in"]) @ P["W_out"]
        return ln(r) @ P["W_U"]                                               # [M, N, p or p + 1]


READOUT = ("lnf_w", "lnf_b", "W_h", "b_h")     # the transformer's tensors after its final LayerNorm's normalisation


class Transformer:
    """Paper 2's model (arXiv 2603.13331): one post-LN transformer encoder layer (d = 128, 4 heads,
    feed-forward 512, GELU, no dropout) over [a, b] with learned positions, a final LayerNorm and a linear
    head, as torch.nn.TransformerEncoderLayer(norm_first=False) computes it, with its default init. Decay
    and V = Σθ² cover every parameter. The readout is at the last position (b): the paper's text names no
    pooling; this is our choice, the same as paper 1's attention model.

    Shortcut (exact): one layer read at one position needs one query; per-token projections are computed
    once per vocabulary row.
    """

    def __init__(self, spec: RunSpec):
        self.spec = spec
        self.names = ("W_E", "W_pos", "W_qkv", "b_qkv", "W_o", "b_o", "ln1_w", "ln1_b", "W_1", "b_1",
                      "W_2", "b_2", "ln2_w", "ln2_b", "lnf_w", "lnf_b", "W_h", "b_h")
        self.norm_names = self.names
        self.decay_names = self.names
        # two parts the clamp can hold alone: the "readout" (the final LayerNorm's affine weights and the head,
        # which scale the logits) and the "body" (everything before, all of which feeds the final LayerNorm)
        self.groups = {k: "readout" if k in READOUT else "body" for k in self.names}

    def init(self, g):
        s = self.spec
        d, H, p = s.d_embed, s.hidden, s.p

        def uniform(shape, bound):
            return (torch.rand(shape, generator=g) * 2 - 1) * bound

        xavier = math.sqrt(6.0 / (d + 3 * d))
        return {"W_E": _normal(g, (p, d), 1.0), "W_pos": _normal(g, (2, d), 1.0),
                "W_qkv": uniform((d, 3 * d), xavier), "b_qkv": torch.zeros(3 * d),
                "W_o": uniform((d, d), d ** -0.5), "b_o": torch.zeros(d),
                "ln1_w": torch.ones(d), "ln1_b": torch.zeros(d),
                "W_1": uniform((d, H), d ** -0.5), "b_1": uniform((H,), d ** -0.5),
                "W_2": uniform((H, d), H ** -0.5), "b_2": uniform((d,), H ** -0.5),
                "ln2_w": torch.ones(d), "ln2_b": torch.zeros(d),
                "lnf_w": torch.ones(d), "lnf_b": torch.zeros(d),
                "W_h": uniform((d, p), d ** -0.5), "b_h": uniform((p,), d ** -0.5)}

    def forward(self, P, x):
        s = self.spec
        M, p, d, nh = P["W_E"].shape[0], s.p, s.d_embed, s.heads
        dh = d // nh

        def ln(t, name):
            w, b = P[name + "_w"], P[name + "_b"]
            shape = (M,) + (1,) * (t.dim() - 2) + (d,)
            return F.layer_norm(t, (d,)) * w.reshape(shape) + b.reshape(shape)

        x0 = P["W_E"] + P["W_pos"][:, 0:1]                                     # [M, p, d]  a at pos 0
        x1 = P["W_E"] + P["W_pos"][:, 1:2]                                     # [M, p, d]  b at pos 1
        qkv0 = torch.baddbmm(P["b_qkv"][:, None], x0, P["W_qkv"])              # [M, p, 3d]
        qkv1 = torch.baddbmm(P["b_qkv"][:, None], x1, P["W_qkv"])
        # one gather per position: row a of [qkv0], row b of [qkv1 | x1] (q, k, v and the residual are views)
        a, b = _flat_index(x[..., 0], p), _flat_index(x[..., 1], p)           # [M·N] rows of the flat tables
        N = x.shape[1]
        # (split, not slices: its backward is one concatenation, where each slice's would fill a zero tensor)
        _, ka, va = _gather(qkv0, a).split(d, -1)
        q, kb, vb, xb = _gather(torch.cat([qkv1, x1], -1), b).split(d, -1)
        q, ka, kb, va, vb = (t.reshape(M, N, nh, dh) for t in (q, ka, kb, va, vb))
        w = torch.stack([(q * ka).sum(-1), (q * kb).sum(-1)], -1).mul(dh ** -0.5).softmax(-1)  # [M, N, h, 2]
        z = (w[..., 0:1] * va + w[..., 1:2] * vb).reshape(M, N, d)
        r = ln(xb + torch.baddbmm(P["b_o"][:, None], z, P["W_o"]), "ln1")
        f = torch.baddbmm(P["b_2"][:, None], F.gelu(torch.baddbmm(P["b_1"][:, None], r, P["W_1"])), P["W_2"])
        r = ln(ln(r + f, "ln2"), "lnf")
        return torch.baddbmm(P["b_h"][:, None], r, P["W_h"])                   # [M, N, p]


def clamp_names(model, group: str) -> tuple:
    """The tensors the clamp rescales together: the model's norm group ("norm"), one tensor, or one of the
    model's named groups (the attention model's "embed", "attn", "mlp", "unembed"; the transformer's "body",
    "readout")."""
    if group == "norm":
        return model.norm_names
    if group in model.norm_names:
        return (group,)
    named = getattr(model, "groups", {})
    members = tuple(k for k, g in named.items() if g == group)
    if not members:
        allowed = ["norm", *model.norm_names, *sorted(set(named.values()))]
        raise ValueError(f"clamp_group={group!r} is not allowed: one of {allowed}")
    return members


def build(spec: "RunSpec"):
    return {"mlp": MLP, "attn": Attention, "transformer": Transformer}[spec.model](spec)


def check(spec: "RunSpec"):
    """What RunSpec cannot check without the model: the clamp group names this model's tensors or groups."""
    if spec.clamp_group != "norm":
        clamp_names(build(spec), spec.clamp_group)
