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
           "final_norm", "steps_run", "wall_s", "device", "members", "torch", "stop_reason", "failure")
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
    if s["status"] == "failed":
        return spec
    if not all(np.all(np.isfinite(np.asarray(v, float))) for v in c.values()):
        _fail("a curve holds a non-finite value but the run is not marked failed")
    t_mem = first_crossing(step, c["train_acc"], spec.mem_threshold)
    t_grok = first_crossing(step, c["test_acc"], spec.grok_threshold)
    if s["t_mem"] != t_mem or s["t_grok"] != t_grok:
        _fail(f"summary says T_mem {s['t_mem']}, T_grok {s['t_grok']}; its curves say {t_mem}, {t_grok}")
    if (s["status"] == "grokked") != (t_grok is not None):
        _fail(f"status {s['status']!r} but T_grok {t_grok}")
    if t_grok is not None:
        at = float(np.asarray(c["weight_norm"])[np.searchsorted(step, t_grok)])
        if s.get("norm_at_grok") is None or not math.isclose(s["norm_at_grok"], at, rel_tol=1e-5):
            _fail(f"norm_at_grok {s.get('norm_at_grok')} is not the norm curve's {at} at T_grok")
    return spec
