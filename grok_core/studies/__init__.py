"""Studies as data: each module holds one chapter's typed presets (`PRESETS`: quick, book, paper) and
`plan(cfg, store=None) -> {study: [RunSpec]}`, so that a notebook, the command line and a remote sweep ask for
the same runs. A plan in stages (a later study needs an earlier one's W_c) lists what the store lets it list;
running it again after the first stage has trained lists the rest."""
import dataclasses
import importlib
import inspect
import math
import re
import typing

import yaml

from .. import sweep

# chapter name on the command line -> module
MODULES = {"critical_norm": "critical_norm", "ln_groups": "ln_groups", "parity_p2": "parity_p2", "log_law": "log_law",
           "sparse_parity": "sparse_parity",
           "pinned_norm": "pinned_norm", "ln_ablation": "ln_ablation",
           "one_law": "one_law", "quickstart": "quickstart"}


def load(name: str):
    if name not in MODULES:
        raise ValueError(f"chapter={name!r} is not allowed: one of {sorted(MODULES)}")
    return importlib.import_module(f"{__name__}.{MODULES[name]}")


def configure(module, preset: str, sets: dict | None = None):
    """The preset with `sets` (field -> value) replaced, each value checked and coerced to its field's type by
    `coerce` (the one check behind `--set`, papermill `-p` and Python). One line for an unknown field or a bad
    value."""
    cfg = pick(module.PRESETS, preset)
    fields = {f.name for f in dataclasses.fields(cfg)}
    bad = sorted(set(sets or {}) - fields)
    if bad:
        raise ValueError(f"--set {bad} is not allowed: fields of this chapter's preset are {sorted(fields)}")
    return dataclasses.replace(cfg, **{k: coerce(module, k, v) for k, v in (sets or {}).items()})


MAX_SEEDS = 10_000           # seeds per cell: far past any paper's 16-20, short of a grid that cannot be built
MAX_LIST = 1_000             # values in one list field (a grid axis)


from ..specs import short_repr as _short  # noqa: E402


def _not(name, value, allowed):
    raise ValueError(f"{name}={_short(value)} is not allowed: {allowed}")


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def preset_class(module) -> type:
    """The dataclass of a chapter's presets (its fields are the chapter's parameters)."""
    return type(next(iter(module.PRESETS.values())))


def coerce(module, name: str, value):
    """`value` for preset field `name` of a chapter, as the field's type: a string (from papermill `-p` or the
    command line) is read as YAML first, so '[41, 59, 79]' is a list; a list becomes a tuple; integers, floats,
    lists and mappings are checked against the field's type and the types of its preset values (moduli are
    integers, ρ numbers); counts are bounded (seeds 1..10 000, lists of at most 1 000). Raises ValueError in
    one line naming the field, the value and what is allowed."""
    hint = str(typing.get_type_hints(preset_class(module))[name])
    examples = [getattr(p, name) for p in module.PRESETS.values()]
    if isinstance(value, str) and "str" not in hint:
        try:
            value = yaml.safe_load(value) if value.strip() else None
        except yaml.YAMLError:
            _not(name, value, "a value written as YAML, e.g. 4, 0.5 or [41, 59]")
    counts = "seeds" in name or name in ("budget", "cap", "max_steps")
    if "str" in hint:
        choices = getattr(module, "CHOICES", {}).get(name)
        if not isinstance(value, str) or not value or (choices and value not in choices):
            _not(name, value, f"one of {list(choices)}" if choices else f"a text, e.g. {examples[0]!r}")
        return value
    if "int" in hint and _is_int(value):
        lo = 1 if counts else 0
        if not lo <= value <= (MAX_SEEDS if "seeds" in name else 10 ** 10):
            _not(name, value, f"an integer from {lo} to {MAX_SEEDS if 'seeds' in name else 10 ** 10:,}")
        return value
    if "dict" in hint and isinstance(value, dict):
        return _checked_dict(name, value, [e for e in examples if isinstance(e, dict)])
    if "tuple" in hint:
        if not isinstance(value, (list, tuple)):
            _not(name, value, f"a list, e.g. {list(examples[0])}" + (f" (or [{value}] for one value)" if _is_num(value) else ""))
        return _checked_list(name, value, [e for e in examples if isinstance(e, tuple)])
    if "float" in hint and _is_num(value):
        if value < 0:
            _not(name, value, "a number >= 0")
        return float(value)
    want = " or ".join(w for w in ("an integer" if "int" in hint else "", "a number" if "float" in hint else "",
                                   "a mapping, e.g. {1.15: 120000}" if "dict" in hint else "") if w)
    _not(name, value, want or hint)


def _checked_list(name, value, examples) -> tuple:
    if not value or len(value) > MAX_LIST:
        _not(name, value, f"a list of 1 to {MAX_LIST} values")
    items = [x for e in examples for x in e]
    if items and all(_is_int(x) for x in items):
        if not all(_is_int(x) and x >= 0 for x in value):
            _not(name, value, f"a list of integers >= 0, e.g. {list(examples[0])}")
    elif items and all(_is_num(x) for x in items):
        if not all(_is_num(x) and x >= 0 for x in value):
            _not(name, value, f"a list of numbers >= 0, e.g. {list(examples[0])}")
        return tuple(float(x) if not _is_int(x) else x for x in value)
    return tuple(tuple(x) if isinstance(x, list) else x for x in value)


def _checked_dict(name, value, examples) -> dict:
    keys = [k for e in examples for k in e]
    vals = [v for e in examples for v in e.values()]
    if keys and all(_is_num(k) for k in keys) and not all(_is_num(k) for k in value):
        _not(name, value, f"a mapping with numbers as keys, e.g. {examples[0]}")
    if vals and all(_is_int(v) for v in vals) and not all(_is_int(v) and v >= 0 for v in value.values()):
        _not(name, value, f"a mapping with integers >= 0 as values, e.g. {examples[0]}")
    return dict(value)


def pick(presets: dict, preset: str):
    """The preset a notebook or the command line asked for, or one line saying which exist."""
    if preset not in presets:
        raise ValueError(f"preset={preset!r} is not allowed: one of {list(presets)}")
    return presets[preset]


# what a field is, where its line in the preset class says nothing: by name, then by its name without a prefix
GENERIC = {"seeds": "seeds per cell", "p": "modulus", "p_ref": "the reference modulus", "frac": "training fraction",
           "lr": "learning rate η", "wd": "weight decay λ", "d_embed": "embedding width", "hidden": "hidden width",
           "budget": "step budget", "max_steps": "step budget", "tail_steps": "steps trained past T_grok",
           "t_int": "step from which the norm is held", "cap": "largest step budget of a held run",
           "floor": "smallest step budget of a held run", "rhos": "held norms ρ × W_c",
           "lrs": "learning rates", "wds": "weight decays λ", "moduli": "moduli", "batch_size": "batch size",
           "log_every": "steps between logged evaluations", "heads": "attention heads", "fractions": "training fractions",
           "stop_chance_steps": "stop a run still at chance after this many steps"}
PREFIXES = {"attn_": "attention model without LayerNorm", "ln_": "attention model with LayerNorm",
            "auth_": "the authors' attention model", "mlp_": "the MLP cell", "range_": "the out-of-range cells",
            "path_": "holds of one part", "hold_": "held cells", "free_": "free runs", "eta_": "η sweep",
            "grid_": "η × λ grid", "sgd_": "SGD runs", "scan_": "p-scan", "group_": "group holds",
            "mul_": "multiplication", "frontier_": "weight-decay frontier", "lambda_": "λ frontier",
            "table_": "ρ × η matrix", "dense_": "dense ρ sweep", "once_": "one-shot arm",
            "init_": "rescaled initialisation", "lr_": "learning-rate cells"}


def fields(module) -> list[dict]:
    """Every field of a chapter's preset, as `--help` and the page's parameters cell show it: name, type, each
    preset's value, and what it is (the comment on its line in the preset class, else a generic description)."""
    cls = preset_class(module)
    said = {}
    for line in inspect.getsource(cls).splitlines():
        m = re.match(r"\s{4}(\w+): [^=]+=.*?#\s*(.+)$", line)
        if m:
            said[m[1]] = m[2].strip()
    hints = typing.get_type_hints(cls)
    out = []
    for f in dataclasses.fields(cls):
        doc = said.get(f.name) or GENERIC.get(f.name)
        if doc is None:
            pre = next((k for k in PREFIXES if f.name.startswith(k)), None)
            rest = GENERIC.get(f.name[len(pre):]) if pre else None
            doc = f"{rest}, {PREFIXES[pre]}" if rest else ""
        t = hints[f.name]
        out.append(dict(name=f.name, type=getattr(t, "__name__", str(t)), doc=doc,
                        values={k: getattr(v, f.name) for k, v in module.PRESETS.items()}))
    return out


def shown(value, n: int = 48) -> str:
    """A preset value as `-p` or `--set` would take it (lists in brackets), cut to `n` characters."""
    def plain(v):
        return [plain(x) for x in v] if isinstance(v, (tuple, list)) else {k: plain(x) for k, x in v.items()} \
            if isinstance(v, dict) else v
    return _short(plain(value), n)


PAGE = ("preset", "workers", "train_missing")       # a page's parameters that are not preset fields


def parameters_cell(name: str) -> str:
    """The parameters cell of chapter `name`'s page: `preset`, `workers`, `train_missing`, then every preset field
    as None ("the preset's value"; no field takes None, so every value, 0 included, stays askable)."""
    rows = [("preset", '"book"', "quick | book | paper"),
            ("workers", "None", "worker processes; None lets the sweep choose"),
            ("train_missing", "True", "False: train nothing, report what the store holds")]
    rows += [(f["name"], "None", "; ".join(x for x in (f["doc"], f"book: {shown(f['values'].get('book'))}") if x))
             for f in fields(load(name))]
    w = max(len(n) + len(v) + 3 for n, v, _ in rows) + 1
    return "\n".join([f"# Every preset field is a parameter, as `--set` of `python -m grok_core run {name}` (whose",
                       "# --help lists each preset's values); None keeps the preset's value."]
                      + [f"{n} = {v}".ljust(w) + f"# {doc}" for n, v, doc in rows])


def page_config(name: str, namespace: dict):
    """The preset a page was asked for (`namespace["preset"]`) with every field the page's parameters set (not
    None) replaced, by the one check `configure` makes; also checks `workers`."""
    w = namespace.get("workers")
    if w is not None and not (_is_int(w) and w >= 1):
        _not("workers", w, "None (the sweep chooses) or an integer >= 1")
    module = load(name)
    sets = {f.name: namespace[f.name] for f in dataclasses.fields(preset_class(module))
            if namespace.get(f.name) is not None}
    return configure(module, namespace.get("preset", "book"), sets)


def short_errors():
    """In a notebook, print an error as its one line ('ValueError: seeds=-5 is not allowed: …') instead of a
    full traceback; outside IPython, do nothing."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    ip = get_ipython()
    if ip is not None:
        ip.InteractiveTB.set_mode("Minimal")


def run(module, cfg, store, **sweep_kw) -> set:
    """Train what the store lacks of a chapter's plan, stage after stage (a staged plan lists its later studies
    once the earlier ones are stored); returns the run ids of the final plan. `sweep_kw` go to sweep.run."""
    seen = None
    while True:
        if hasattr(module, "preregister"):     # a prediction is written before the runs it predicts are planned
            module.preregister(cfg, store)
        every = [s for specs in module.plan(cfg, store).values() for s in specs]
        ids = {s.run_id for s in every}
        if ids == seen:
            return ids
        sweep.run(every, store=store, **sweep_kw)
        seen = ids


# each chapter page's template -> the chapter whose preset fields are its parameters
PAGES = {"00_quickstart.ipynb": "quickstart", "01_critical_norm.ipynb": "critical_norm",
         "02_pinned_norm.ipynb": "pinned_norm", "03_layernorm_ablation.ipynb": "ln_ablation",
         "03b_sparse_parity.ipynb": "sparse_parity", "04_log_law.ipynb": "log_law", "05_one_law.ipynb": "one_law"}
