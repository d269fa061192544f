"""Studies as data: each module holds one chapter's typed presets (`PRESETS`: quick, book, paper) and
`plan(cfg, store=None) -> {study: [RunSpec]}`, so that a notebook, the command line and a remote sweep ask for
the same runs. A plan in stages (a later study needs an earlier one's W_c) lists what the store lets it list;
running it again after the first stage has trained lists the rest."""
import dataclasses
import importlib

# chapter name on the command line -> module
MODULES = {"critical_norm": "critical_norm", "ln_groups": "ln_groups", "parity_p2": "parity_p2", "log_law": "log_law",
           "sparse_parity": "sparse_parity",
           "pinned_norm": "pinned_norm", "ln_ablation": "ln_ablation",
           "one_law": "one_law"}


def load(name: str):
    if name not in MODULES:
        raise ValueError(f"chapter={name!r} is not allowed: one of {sorted(MODULES)}")
    return importlib.import_module(f"{__name__}.{MODULES[name]}")


def configure(module, preset: str, sets: dict | None = None):
    """The preset with `sets` (field -> value) replaced; lists become tuples. One line for an unknown field."""
    cfg = pick(module.PRESETS, preset)
    fields = {f.name for f in dataclasses.fields(cfg)}
    bad = sorted(set(sets or {}) - fields)
    if bad:
        raise ValueError(f"--set {bad} is not allowed: fields of this chapter's preset are {sorted(fields)}")
    return dataclasses.replace(cfg, **{k: tuple(v) if isinstance(v, list) else v for k, v in (sets or {}).items()})


def pick(presets: dict, preset: str):
    """The preset a notebook or the command line asked for, or one line saying which exist."""
    if preset not in presets:
        raise ValueError(f"preset={preset!r} is not allowed: one of {list(presets)}")
    return presets[preset]


def check_counts(**counts):
    """Parameters such as seeds or budgets where 0 keeps the preset's value: each must be an integer >= 0."""
    for name, value in counts.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name}={value!r} is not allowed: an integer >= 0 (0 keeps the preset's)")


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
    from .. import sweep

    seen = None
    while True:
        every = [s for specs in module.plan(cfg, store).values() for s in specs]
        ids = {s.run_id for s in every}
        if ids == seen:
            return ids
        sweep.run(every, store=store, **sweep_kw)
        seen = ids
