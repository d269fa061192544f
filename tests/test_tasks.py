import torch

from grok_core import RunSpec
from grok_core.tasks import make_split


def test_split_is_deterministic_disjoint_and_complete():
    s = RunSpec(p=31, frac=0.4, seed=5)
    a, b = make_split(s), make_split(s)
    assert torch.equal(a.train_x, b.train_x) and torch.equal(a.test_x, b.test_x)
    keys = lambda x: set((x[:, 0] * 31 + x[:, 1]).tolist())
    tr, te = keys(a.train_x), keys(a.test_x)
    assert not tr & te and len(tr | te) == 31 * 31
    assert len(tr) == round(0.4 * 31 * 31)


def test_seeds_give_different_splits():
    a, b = make_split(RunSpec(p=31, seed=0)), make_split(RunSpec(p=31, seed=1))
    assert not torch.equal(a.train_x, b.train_x)


def test_labels():
    add, mul = make_split(RunSpec(p=13, task="add")), make_split(RunSpec(p=13, task="mul"))
    assert torch.equal(add.train_y, (add.train_x[:, 0] + add.train_x[:, 1]) % 13)
    assert torch.equal(mul.test_y, (mul.test_x[:, 0] * mul.test_x[:, 1]) % 13)


def test_sparse_parity_labels_use_the_first_k_bits():
    sp = make_split(RunSpec(task="parity", n_bits=10, k_bits=3, n_train=200, n_test=100))
    bits = (sp.train_x[:, :3] > 0).long()
    assert torch.equal(sp.train_y, bits.sum(1) % 2)
    assert sp.train_x.shape == (200, 10) and sp.test_x.shape == (100, 10)
