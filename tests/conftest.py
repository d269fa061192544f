import os

import pytest
import torch

# GROK_THREADS=1 keeps local test runs from oversubscribing the cores while a sweep runs beside them
torch.set_num_threads(int(os.environ.get("GROK_THREADS", min(2, os.cpu_count() or 1))))


@pytest.fixture
def tiny():
    """A small modular-addition MLP spec that trains in well under a second per hundred steps."""
    from grok_core import RunSpec
    return RunSpec(p=23, frac=0.5, d_embed=32, hidden=64, lr=3e-3, wd=1.0, max_steps=300)
