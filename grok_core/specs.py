"""A run is a frozen dataclass: print it, hash it, store it with the record.

Every field that changes what a run computes is in the hash, except `max_steps`: a run with a larger budget
extends the same trajectory (the log grid does not depend on the budget), so the store can tell whether a
stored record already answers a request.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import itertools
import json
import math
import reprlib
from dataclasses import dataclass

TASKS = ("add", "mul", "parity")
MODELS = ("mlp", "attn", "transformer")
OPTIMIZERS = ("adamw", "sgd")
CLAMP_MODES = ("none", "hold", "once")
LOG_GRIDS = ("geom", "every")
PRECISIONS = ("fp32", "bf16")
MAX_P = 3000                  # p² = 9·10^6 pairs
MAX_EXAMPLES = 10_000_000
MAX_WIDTH = 65_536            # d_embed, hidden, heads
MAX_STEPS = 10 ** 9
MAX_LOGGED = 1_000_000        # logged steps per record (record.MAX_POINTS)
MAX_RUNS = 100_000            # runs in one grid, refused before any spec is built

# Fields that identify a run's trajectory. `max_steps` is the budget and is left out on purpose.
_NOT_HASHED = ("max_steps",)
# Fields added after runs were stored: hashed only when set away from their default, so every stored run
# keeps its id.
_HASHED_IF_SET = {"stop_chance_steps": 0, "depth": 1, "pos_init": 1.0, "readout_eq": False, "clamp_factor": 0.0,
                  "matmul_precision": "fp32"}


def short_repr(value, n: int = 60) -> str:
    """A value as an error message quotes it: bounded in depth and length before it is built (a YAML alias bomb
    or a list of 10^8 items costs nothing to quote), and cut to `n` characters."""
    rp = reprlib.Repr()                   # Python 3.11: limits are attributes
    rp.maxlevel, rp.maxlist, rp.maxtuple, rp.maxdict, rp.maxstring, rp.maxother = 3, 8, 8, 8, n, n
    r = rp.repr(value)
    return r if len(r) <= n else r[:n] + "…"


def _fail(name, value, allowed):
    raise ValueError(f"{name}={short_repr(value)} is not allowed: {allowed}")


@dataclass(frozen=True)
class RunSpec:
    """One training run. Defaults are paper 1's main MLP protocol (arXiv 2606.13753 §3).

    `rho` is hashed with the rest: it names the cell a held run belongs to (clamp_target / its Wc reference, set
    when the plan is made) and stored ids depend on it, so it stays part of the identity."""

    # task
    task: str = "add"
    p: int = 59                   # modulus (add/mul)
    frac: float = 0.40            # training fraction of the p^2 pairs (add/mul)
    n_bits: int = 30              # sparse parity: n
    k_bits: int = 3               # sparse parity: k relevant bits
    n_train: int = 1000           # sparse parity: m training examples
    n_test: int = 2000            # sparse parity: fresh test examples
    # model
    model: str = "mlp"
    d_embed: int = 128            # MLP: embedding width; attention/transformer: d_model
    hidden: int = 256             # MLP: width of W1; attention/transformer: MLP width
    heads: int = 4
    layernorm: bool = False       # MLP: final parameter-free LN before readout; attn: LN before attn/MLP/unembed
    depth: int = 1                # MLP on parity: hidden layers (paper 2's parity model has 2)
    pos_init: float = 1.0         # attn: std of the positional embeddings in units of d^-1/2 (paper 1's code: 0.1)
    readout_eq: bool = False      # attn: the unembedding also scores the '=' token, p + 1 outputs (paper 1's code)
    # optimiser
    optimizer: str = "adamw"
    lr: float = 1e-3
    wd: float = 1.0
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    batch_size: int = 0           # 0 = full batch; else minibatch sampled with replacement (paper 2)
    matmul_precision: str = "fp32"  # bf16: the training step's fp32 matmuls in bf16 on CPU (oneDNN), opt-in;
                                    # evaluation stays fp32. No chapter uses it before its drift is measured
    # norm clamp (paper 1 §5)
    clamp_mode: str = "none"      # none | hold (every step from t_int on) | once (a single rescale at t_int;
                                  # at t_int = 0 the initialisation itself, before the first step)
    clamp_target: float = 0.0     # absolute ‖W‖ the clamp sets
    clamp_factor: float = 0.0     # once only, instead of a target: multiply the clamp group by this factor
    clamp_group: str = "norm"     # "norm": the model's norm group; else one tensor or one named group of the model
    t_int: int = 500
    # schedule and detection
    seed: int = 0
    max_steps: int = 20_000
    log: str = "geom"             # geom: ~`log_density` points per decade; every: every `log_every` steps
    log_density: int = 72
    log_every: int = 200
    mem_threshold: float = 0.99
    grok_threshold: float = 0.90
    tail_steps: int = 0           # keep training this many steps after T_grok before the member stops
    stop_chance_steps: int = 0    # >0: stop a member whose train accuracy has stayed below 2x chance at every
                                  # evaluation for this many steps (a collapsed network; paper 2's λ = 5 runs)
    rho: float = 0.0              # label only: clamp_target / Wc, for analysis (0 when free)

    def __post_init__(self):
        # one type per field whatever the caller passed (3 for 3.0, '1e-3' from YAML), so that a run has one
        # id: the hash sees the values as stored
        for f in dataclasses.fields(self):
            object.__setattr__(self, f.name, _coerce(f.name, getattr(self, f.name)))
        self.validate()

    # ---- validation: one clear ValueError before any training starts
    def validate(self):
        if self.task not in TASKS:
            _fail("task", self.task, f"one of {TASKS}")
        if self.model not in MODELS:
            _fail("model", self.model, f"one of {MODELS}")
        if self.optimizer not in OPTIMIZERS:
            _fail("optimizer", self.optimizer, f"one of {OPTIMIZERS}")
        if self.clamp_mode not in CLAMP_MODES:
            _fail("clamp_mode", self.clamp_mode, f"one of {CLAMP_MODES}")
        if self.matmul_precision not in PRECISIONS:
            _fail("matmul_precision", self.matmul_precision, f"one of {PRECISIONS}")
        if self.log not in LOG_GRIDS:
            _fail("log", self.log, f"one of {LOG_GRIDS}")
        if self.task in ("add", "mul"):
            if not (isinstance(self.p, int) and self.p >= 2):
                _fail("p", self.p, "an integer >= 2")
            if not (0.0 < self.frac < 1.0):
                _fail("frac", self.frac, "a training fraction in (0, 1)")
            if self.p > MAX_P:
                _fail("p", self.p, f"an integer in [2, {MAX_P}] (p² pairs are held in memory)")
            if round(self.frac * self.p * self.p) < 1 or round(self.frac * self.p * self.p) >= self.p * self.p:
                _fail("frac", self.frac, f"a fraction leaving >= 1 train and test pair at p={self.p}")
        else:
            if self.n_bits < 1:
                _fail("n_bits", self.n_bits, "an integer >= 1")
            if not (1 <= self.k_bits <= self.n_bits):
                _fail("k_bits", self.k_bits, f"an integer in [1, n_bits={self.n_bits}]")
            if self.n_train < 1 or self.n_test < 1 or self.n_train + self.n_test > MAX_EXAMPLES:
                _fail("n_train/n_test", (self.n_train, self.n_test), f"positive integers, together at most {MAX_EXAMPLES:,}")
            if self.model != "mlp":
                _fail("model", self.model, "'mlp' for the parity task")
        if self.task == "parity" and self.layernorm:
            _fail("layernorm", self.layernorm, "False for parity")
        for name in ("d_embed", "hidden", "heads"):
            if not 1 <= getattr(self, name) <= MAX_WIDTH:
                _fail(name, getattr(self, name), f"a positive integer at most {MAX_WIDTH:,} (a width past it cannot "
                      "fit in memory)")
        if self.model in ("attn", "transformer") and self.d_embed % self.heads:
            _fail("heads", self.heads, f"a divisor of d_embed={self.d_embed}")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            _fail("lr", self.lr, "a finite number > 0")
        if not (self.wd >= 0 and math.isfinite(self.wd)):
            _fail("wd", self.wd, "a finite number >= 0")
        if not (0 <= self.beta1 < 1 and 0 <= self.beta2 < 1 and self.eps > 0):
            _fail("beta1/beta2/eps", (self.beta1, self.beta2, self.eps), "betas in [0, 1), eps > 0")
        if self.batch_size < 0:
            _fail("batch_size", self.batch_size, "0 (full batch) or a positive integer")
        if not (self.clamp_factor >= 0 and math.isfinite(self.clamp_factor)):
            _fail("clamp_factor", self.clamp_factor, "a finite factor > 0, or 0 (off)")
        if self.clamp_factor and (self.clamp_mode != "once" or self.clamp_target != 0):
            _fail("clamp_factor", self.clamp_factor, f"0 unless clamp_mode is 'once' and clamp_target is 0 (a factor "
                  f"replaces the target; here clamp_mode={self.clamp_mode!r}, clamp_target={self.clamp_target!r})")
        if self.clamp_mode != "none":
            if not self.clamp_factor and not (self.clamp_target > 0 and math.isfinite(self.clamp_target)):
                _fail("clamp_target", self.clamp_target, "a finite norm > 0 when clamp_mode is not 'none' (or "
                      "clamp_factor > 0 with clamp_mode 'once')")
            if not (0 <= self.t_int < self.max_steps):
                _fail("t_int", self.t_int, f"a step in [0, max_steps={self.max_steps}) for a clamped run")
        elif self.clamp_target != 0 or self.clamp_group != "norm":
            _fail("clamp_target/clamp_group", (self.clamp_target, self.clamp_group),
                  "their defaults (0.0, 'norm') when clamp_mode is 'none'")
        if self.depth not in (1, 2) or (self.depth != 1 and not (self.model == "mlp" and self.task == "parity")):
            _fail("depth", self.depth, "1, or 2 for the MLP on parity")
        if self.model != "attn" and (self.pos_init != 1.0 or self.readout_eq):
            _fail("pos_init/readout_eq", (self.pos_init, self.readout_eq), "their defaults unless model='attn'")
        if not (self.pos_init > 0 and math.isfinite(self.pos_init)):
            _fail("pos_init", self.pos_init, "a finite number > 0")
        # clamp_group is checked against the model's own tensors and groups by models.check (the sweep calls it
        # before any training), so that this module stays below the models
        if self.rho < 0 or (self.clamp_mode != "none" and not self.rho > 0):
            _fail("rho", self.rho, "a ratio > 0 when clamped (0 for a free run)")
        if self.max_steps < 1:
            _fail("max_steps", self.max_steps, "a positive number of steps")
        if self.log_density < 1 or self.log_every < 1:
            _fail("log_density/log_every", (self.log_density, self.log_every), "positive integers")
        if self.log == "every" and self.log_every > self.max_steps:
            _fail("log_every", self.log_every, f"at most max_steps={self.max_steps}, or the run logs nothing after step 0")
        if self.max_steps > MAX_STEPS:
            _fail("max_steps", self.max_steps, f"at most {MAX_STEPS:,} steps")
        if self.log == "every" and self.max_steps // self.log_every > MAX_LOGGED:
            _fail("log_every", self.log_every, f"at least max_steps / {MAX_LOGGED:,} = "
                  f"{-(-self.max_steps // MAX_LOGGED):,} (a record keeps at most {MAX_LOGGED:,} logged steps)")
        for name in ("mem_threshold", "grok_threshold"):
            if not (0 < getattr(self, name) <= 1):
                _fail(name, getattr(self, name), "an accuracy in (0, 1]")
        if self.stop_chance_steps < 0:
            _fail("stop_chance_steps", self.stop_chance_steps, "0 (off) or a number of steps")
        if self.tail_steps < 0:
            _fail("tail_steps", self.tail_steps, "a number of steps >= 0")

    # ---- identity
    def to_dict(self) -> dict:
        # every field is a scalar (str, int, float, bool), so a plain read equals dataclasses.asdict's deep copy
        return {name: getattr(self, name) for name in _FIELD_TYPES}

    @classmethod
    def from_dict(cls, d: dict) -> "RunSpec":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown RunSpec field(s) {sorted(unknown)}; allowed: {sorted(known)}")
        return cls(**{k: _coerce(k, v) for k, v in d.items()})

    def hashed_dict(self) -> dict:
        return {k: v for k, v in self.to_dict().items()
                if k not in _NOT_HASHED and not (k in _HASHED_IF_SET and v == _HASHED_IF_SET[k])}

    @functools.cached_property      # a frozen spec has one id; planning asks for it thousands of times
    def run_id(self) -> str:
        blob = json.dumps(self.hashed_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def replace(self, **changes) -> "RunSpec":
        return dataclasses.replace(self, **changes)

    # ---- derived seeds
    def init_seed(self) -> int:
        """Init and split depend on seed, task, sizes and λ only (paper 1: control and clamp arms of one p
        share init and split), never on lr or the clamp."""
        keys = ("seed", "task", "p", "frac", "n_bits", "k_bits", "n_train", "n_test", "model", "d_embed",
                "hidden", "heads", "layernorm", "wd")
        blob = json.dumps({k: getattr(self, k) for k in keys}, sort_keys=True)
        return int(hashlib.sha256(blob.encode()).hexdigest()[:8], 16)

    # ---- grouping: members of one batch share every field that fixes shapes, data layout and code path
    def shape_key(self) -> tuple:
        keys = ("task", "p", "frac", "n_bits", "k_bits", "n_train", "n_test", "model", "d_embed", "hidden",
                "heads", "layernorm", "depth", "readout_eq", "optimizer", "batch_size", "clamp_group", "log", "log_density",
                "log_every", "matmul_precision")
        return tuple(getattr(self, k) for k in keys)


_FIELD_TYPES = {f.name: f.type for f in dataclasses.fields(RunSpec)}


def _coerce(name, value):
    """YAML and papermill hand over '1e-3' or 3 where a float is meant; convert, or name the field."""
    kind = _FIELD_TYPES[name]
    t = type(value)                            # the common case first: already the field's type (same result)
    if t is float and kind == "float":
        return value + 0.0
    if t is int and kind == "int" and -2 ** 53 <= value <= 2 ** 53:     # exact as a float: int(float(v)) == v
        return value
    if (t is str and kind == "str") or (t is bool and kind == "bool"):
        return value
    try:
        if kind == "float" and not isinstance(value, bool):
            return float(value) + 0.0          # -0.0 is 0.0: one value, one run id
        if kind == "int" and not isinstance(value, bool) and float(value) == int(float(value)):
            return int(float(value))
        if kind == "bool" and isinstance(value, bool):
            return value
        if kind == "str" and isinstance(value, str):
            return value
    except (TypeError, ValueError, OverflowError):
        pass
    raise ValueError(f"{name}={short_repr(value)} is not allowed: a value of type {kind}")


def grid(base: dict | RunSpec | None = None, **axes) -> list[RunSpec]:
    """Cartesian product of `axes` (lists) over a base spec: `grid(base, seed=range(8), lr=[1e-3, 3e-3])`."""
    if isinstance(base, RunSpec):
        base = base.to_dict()
    base = dict(base or {})
    names = list(axes)
    values = [list(v) if isinstance(v, (list, tuple, range)) else [v] for v in axes.values()]
    n = math.prod(len(v) for v in values)
    if n > MAX_RUNS:
        raise ValueError(f"grid of {n:,} runs is not allowed: at most {MAX_RUNS:,} in one grid "
                         f"(axes: {', '.join(f'{k} x{len(v)}' for k, v in zip(names, values))})")
    empty = [n for n, v in zip(names, values) if not v]
    if empty:
        raise ValueError(f"grid axis {empty} is empty: give at least one value (or leave the axis out)")
    return [RunSpec.from_dict({**base, **dict(zip(names, combo))}) for combo in itertools.product(*values)]
