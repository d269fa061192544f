"""The run record: what a run leaves behind, and the definitions that make it (the log grid, threshold
crossings). A record is a dict {"spec": RunSpec fields, "summary": SUMMARY fields, "curves": name -> array on
the log grid}; `check` says whether one can be trusted. Imports nothing above specs, so the store reads and
verifies records without importing the trainer."""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from .specs import RunSpec

CURVES = ("train_loss", "train_acc", "test_loss", "test_acc", "weight_norm", "logit_rms")
SUMMARY = ("status", "t_mem", "t_grok", "norm_at_mem", "norm_at_grok", "final_train_acc", "final_test_acc",
           "final_norm", "steps_run", "wall_s", "device", "members", "torch", "stop_reason", "failure",
           # provenance, in records written from 2026-12 on (older records lack them): when the run's batch
           # started (UTC), the code's git commit, and the sha256 of each prediction file that named the run
           "started_utc", "commit", "predictions",
           # from 2026-12-02 on: the training step, 'fused' (grok_core.fused) or 'eager' (autograd); older
           # records were all trained eagerly
           "engine")
STATUSES = ("grokked", "censored", "failed")
# a stored record may hold at most this many logged steps (a 10^9-step geometric grid has ~650; an 'every'
# grid of 200 over 10^6 steps 5001): a guard against a record that claims gigabytes of curves
MAX_POINTS = 1_000_000


@lru_cache(maxsize=64)
def log_grid(log: str, density: int, every: int, max_steps: int) -> tuple:
    """Logged steps up to max_steps. 'geom': round(10^(i/density)) (independent of the budget, so a longer
    run extends a shorter one); 'every': multiples of `every`. Step 0 is always logged."""
    if log == "every":
        return tuple(range(0, max_steps + 1, every))
    n = int(math.ceil(density * math.log10(max(max_steps, 1)))) + 1
    steps = {0} | {int(round(10 ** (i / density))) for i in range(n + 1)}
    return tuple(sorted(s for s in steps if s <= max_steps))


def first_crossing(steps, values, threshold):
    """First logged step whose value is >= threshold, else None."""
    hit = np.nonzero(np.asarray(values) >= threshold)[0]
    return int(steps[hit[0]]) if len(hit) else None


def _fail(why: str):
    raise ValueError(f"record is not valid: {why}")


def check(rec) -> RunSpec:
    """Raise ValueError (saying why) unless `rec` is a well-formed record whose summary agrees with its
    curves; return its spec. A record that fails is treated as missing and retrained, never trusted."""
    if not isinstance(rec, dict) or not {"spec", "summary", "curves"} <= set(rec):
        _fail("not a dict with spec, summary and curves")
    spec_d, s, c = rec["spec"], rec["summary"], rec["curves"]
    if not isinstance(spec_d, dict) or not isinstance(s, dict) or not isinstance(c, dict):
        _fail("spec, summary and curves must be mappings")
    try:
        spec = RunSpec.from_dict(spec_d)
    except (TypeError, ValueError) as e:
        _fail(f"its spec: {e}")
    if s.get("status") not in STATUSES:
        _fail(f"summary status {s.get('status')!r} is not one of {STATUSES}")
    for k in ("t_mem", "t_grok", "steps_run"):
        if k not in s or not (s[k] is None or isinstance(s[k], int)):
            _fail(f"summary {k}={s.get(k)!r} is not a step")
    if "step" not in c:
        _fail("no step curve")
    step = np.asarray(c["step"])
    if step.ndim != 1 or not len(step) or step.dtype.kind not in "iu" or step[0] != 0 or np.any(np.diff(step) <= 0):
        _fail("the step curve is not an increasing list of steps from 0")
    for k in ("train_acc", "test_acc", "weight_norm"):
        if k not in c:
            _fail(f"no {k} curve")
    for k, v in c.items():
        if np.asarray(v).shape != step.shape:
            _fail(f"curve {k} has {np.asarray(v).shape} points, the step curve {step.shape}")
    if s["steps_run"] != int(step[-1]):
        _fail(f"steps_run {s['steps_run']} is not the last logged step {int(step[-1])}")
    if "max_steps" not in spec_d:
        _fail("its spec names no max_steps (the budget is never taken from a default)")
    if s["steps_run"] > spec.max_steps:
        _fail(f"steps_run {s['steps_run']} is past the budget max_steps={spec.max_steps}")
    _check_derived(spec, s, c, step)
    return spec


STOP_REASONS = (None, "budget", "tail", "chance", "failed")


def _same(stored, derived) -> bool:
    """A stored summary number against the value its curves give (float32 curves; nan equals nan)."""
    if derived is None or stored is None:
        return stored is None and derived is None
    if isinstance(stored, bool) or not isinstance(stored, (int, float)):
        return False
    if math.isnan(derived) or math.isnan(stored):
        return math.isnan(derived) and math.isnan(stored)
    return math.isclose(stored, derived, rel_tol=1e-5, abs_tol=1e-7)


def _check_derived(spec: RunSpec, s: dict, c: dict, step) -> None:
    """Every summary field that the curves determine must be what they say: the status, both times, the norms
    at those times, the final values and the reason the run stopped."""
    finite = all(np.all(np.isfinite(np.asarray(v, float))) for v in c.values())
    if (s["status"] == "failed") == finite:
        _fail(f"status {s['status']!r} but its curves are {'all finite' if finite else 'not all finite'}")
    t_mem = first_crossing(step, c["train_acc"], spec.mem_threshold)
    t_grok = first_crossing(step, c["test_acc"], spec.grok_threshold)
    if s["t_mem"] != t_mem or s["t_grok"] != t_grok:
        _fail(f"summary says T_mem {s['t_mem']}, T_grok {s['t_grok']}; its curves say {t_mem}, {t_grok}")
    if s["status"] != "failed" and (s["status"] == "grokked") != (t_grok is not None):
        _fail(f"status {s['status']!r} but T_grok {t_grok}")
    norm = np.asarray(c["weight_norm"], float)
    at = lambda t: None if t is None else float(norm[np.searchsorted(step, t)])
    derived = dict(norm_at_mem=at(t_mem), norm_at_grok=at(t_grok),
                   final_train_acc=float(np.asarray(c["train_acc"], float)[-1]),
                   final_test_acc=float(np.asarray(c["test_acc"], float)[-1]), final_norm=float(norm[-1]))
    for k, v in derived.items():
        if not _same(s.get(k), v):
            _fail(f"{k} {_short(s.get(k))} is not the curves' {v}")
    reason = s.get("stop_reason")
    if reason not in STOP_REASONS:
        _fail(f"stop_reason {_short(reason)} is not one of {STOP_REASONS}")
    if reason is not None and ((reason == "failed") != (s["status"] == "failed")
                               or reason == "tail" and s["status"] != "grokked"
                               or reason == "chance" and s["status"] != "censored"):
        _fail(f"stop_reason {reason!r} does not fit status {s['status']!r}")
    if reason == "budget" and s["steps_run"] != log_grid(spec.log, spec.log_density, spec.log_every,
                                                         spec.max_steps)[-1]:
        _fail(f"stop_reason 'budget' but the run stopped at {s['steps_run']}, before its budget's last logged step")


from .specs import short_repr as _short  # noqa: E402  (one bounded quoting for every message)
