"""A fused CPU training step for paper 1's MLP on modular arithmetic (full batch, AdamW, no LayerNorm).

The eager step (autograd over `models.MLP.forward`, then `optim.BatchedAdamW`) spends more than half its time
in element-wise passes between the matmuls. This step keeps torch's matmuls and replaces everything between
them with four passes of `kernels/mlp_step.c` (see that file), called through ctypes: a hand-derived backward
of the same function, so a run trains the same trajectory up to the last bits of fp32 rounding
(tests/test_fused.py bounds the difference and checks T_grok and ‖W‖ at grokking on a real cell).

The C file is compiled on first use with the system's C compiler (no torch headers, so it builds in about a
second and needs neither ninja nor a torch build toolchain) into a cache keyed by its source, its flags and the
compiler. Where it cannot be built or loaded (no compiler, a CPU without AVX2/FMA, GROK_ENGINE=eager), the
trainer uses the eager step and says so once; every record names the step that trained it (`summary.engine`).
"""
from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import torch

SOURCE = Path(__file__).with_name("kernels") / "mlp_step.c"
FLAGS = ["-O3", "-march=x86-64-v3", "-fopenmp-simd", "-fno-math-errno", "-fPIC", "-shared"]
ENGINES = ("fused", "eager")

_lib = None
_reason = None          # why the fused step is unavailable (None: not yet tried, or available)
_told = False


def eligible(spec, device) -> bool:
    """The runs this step covers: the MLP on modular addition or multiplication, full batch, AdamW, no
    LayerNorm, on the CPU. Others (parity, LayerNorm, minibatches, SGD, attention, transformer) train eagerly."""
    return (torch.device(device).type == "cpu" and spec.model == "mlp" and spec.task in ("add", "mul")
            and not spec.layernorm and spec.depth == 1 and spec.optimizer == "adamw" and spec.batch_size == 0)


def _cache_dir() -> Path:
    root = os.environ.get("GROK_KERNEL_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "grok_core")
    return Path(root)


def _compiler() -> str | None:
    cc = os.environ.get("CC")
    if cc:
        return shutil.which(cc)
    return next((p for p in map(shutil.which, ("cc", "gcc", "clang")) if p), None)


def build() -> Path:
    """Compile the kernels (once per source, flags and compiler) and return the shared library's path."""
    cc = _compiler()
    if cc is None:
        raise RuntimeError("no C compiler found (cc, gcc or clang on PATH, or $CC)")
    src = SOURCE.read_bytes()
    key = hashlib.sha256(src + " ".join(FLAGS).encode() + cc.encode() + sys.platform.encode()).hexdigest()[:16]
    out = _cache_dir() / f"mlp_step_{key}.so"
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".so", dir=out.parent)
    os.close(fd)
    try:
        r = subprocess.run([cc, *FLAGS, str(SOURCE), "-o", tmp, "-lm"], capture_output=True, text=True, timeout=120)
        if r.returncode:
            raise RuntimeError(f"{Path(cc).name} failed: {r.stderr.strip().splitlines()[-1] if r.stderr.strip() else r.returncode}")
        os.replace(tmp, out)                      # atomic: a concurrent builder finds a whole library or none
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return out


def load():
    """The kernels' library, or None (the reason in `unavailable()`)."""
    global _lib, _reason
    if _lib is not None or _reason is not None:
        return _lib
    try:
        if os.environ.get("GROK_ENGINE", "fused") == "eager":
            raise RuntimeError("GROK_ENGINE=eager")
        if torch.backends.cpu.get_cpu_capability() not in ("AVX2", "AVX512"):
            raise RuntimeError(f"this CPU lacks AVX2/FMA (torch reports {torch.backends.cpu.get_cpu_capability()})")
        lib = ctypes.CDLL(str(build()))
        P, I, F = ctypes.c_void_p, ctypes.c_int64, ctypes.c_float
        lib.gelu_gather.argtypes = [P, P, P, P, P, P, P, I, I, I, I]
        lib.xent_backward.argtypes = [P, P, P, I, I, I]
        lib.xent_backward_t.argtypes = [P, P, P, I, I, I]
        lib.xent_backward_t.restype = ctypes.c_int
        lib.gelu_scatter.argtypes = [P, P, P, P, P, P, P, I, I, I, I]
        lib.adamw.argtypes = [P, P, P, P, P, P, ctypes.c_int, F, F, F, F, F, F, F, I, I]
        for f in (lib.gelu_gather, lib.xent_backward, lib.gelu_scatter, lib.adamw):
            f.restype = None
        _lib = lib
    except Exception as e:                        # any failure means: train eagerly
        _reason = str(e) or type(e).__name__
    return _lib


def unavailable() -> str | None:
    """Why the fused step cannot run here, or None where it can."""
    load()
    return _reason


def tell_once(out=sys.stderr):
    """One line, once per process, where an eligible batch falls back to the eager step."""
    global _told
    if not _told:
        _told = True
        print(f"grok_core: the fused MLP step is unavailable ({_reason}); training with the eager step", file=out,
              flush=True)


def reset():
    """Forget the loaded library and the reason (tests change the environment between calls)."""
    global _lib, _reason, _told
    _lib, _reason, _told = None, None, False


def _ptr(t: torch.Tensor) -> int:
    if not t.is_contiguous() or t.device.type != "cpu":
        raise ValueError("the fused step needs contiguous CPU tensors")
    return t.data_ptr()


@torch.no_grad()
def grads(P: dict, x: torch.Tensor, y: torch.Tensor, d: int) -> dict:
    """∂/∂θ of Σ_members mean_n cross-entropy, the eager step's loss, by the hand-derived backward: P (E [M,p,d],
    W1 [M,2d,H], b1, W2 [M,H,p], b2), x [M,N,2] and y [M,N] the training set."""
    lib = _lib
    E, W1, b1, W2, b2 = (P[k].detach() for k in ("E", "W1", "b1", "W2", "b2"))
    M, p, _ = E.shape
    N, H = x.shape[1], W1.shape[2]
    a, b, y = x[..., 0].contiguous(), x[..., 1].contiguous(), y.contiguous()
    W1a, W1b = W1[:, :d], W1[:, d:]
    A, B = torch.bmm(E, W1a), torch.bmm(E, W1b)                          # [M, p, H]
    h, g = torch.empty(M, N, H), torch.empty(M, N, H)
    lib.gelu_gather(_ptr(A), _ptr(B), _ptr(b1), _ptr(a), _ptr(b), _ptr(h), _ptr(g), M, N, p, H)
    # class-major logits [M, p, N]: MKL runs these shapes ~1.5x faster than [M, N, p] with p = 59
    W2t = W2.transpose(1, 2)
    dlog_t = torch.baddbmm(b2[:, :, None], W2t, h.transpose(1, 2))      # logits until the pass below
    db2 = torch.empty(M, p)
    if lib.xent_backward_t(_ptr(dlog_t), _ptr(y), _ptr(db2), M, N, p):
        raise MemoryError("the fused step's softmax pass could not allocate its scratch rows")
    dW2 = torch.bmm(dlog_t, h).transpose(1, 2).contiguous()
    dh = torch.bmm(dlog_t.transpose(1, 2), W2t)                          # [M, N, H]
    dA, dB, db1 = torch.empty(M, p, H), torch.empty(M, p, H), torch.empty(M, H)
    lib.gelu_scatter(_ptr(dh), _ptr(g), _ptr(a), _ptr(b), _ptr(dA), _ptr(dB), _ptr(db1), M, N, p, H)
    dE = torch.bmm(dA, W1a.transpose(1, 2)).add_(torch.bmm(dB, W1b.transpose(1, 2)))
    Et = E.transpose(1, 2)
    dW1 = torch.cat([torch.bmm(Et, dA), torch.bmm(Et, dB)], 1)
    return {"E": dE, "W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


@torch.no_grad()
def adamw(P: dict, opt, grads: dict):
    """`opt.step(P, grads)` of a BatchedAdamW in one pass per tensor: its moments and step count advance."""
    opt.t += 1
    bc1, bc2 = 1 - opt.b1 ** opt.t, 1 - opt.b2 ** opt.t
    lr, wd = opt.lr.contiguous(), opt.wd.contiguous()
    for k, t in P.items():
        _lib.adamw(_ptr(t), _ptr(grads[k]), _ptr(opt.m[k]), _ptr(opt.v[k]), _ptr(lr), _ptr(wd),
                   int(k in opt.decay_names), opt.b1, 1 - opt.b1, opt.b2, 1 - opt.b2, opt.eps, bc1, bc2 ** 0.5,
                   t.shape[0], t[0].numel())


def step(P: dict, opt, x: torch.Tensor, y: torch.Tensor, d: int):
    """One full-batch AdamW step of the MLP on every member (the eager step's loss and update)."""
    adamw(P, opt, grads(P, x, y, d))
