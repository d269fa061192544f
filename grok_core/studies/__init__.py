"""Studies as data: each module holds one chapter's typed presets and the functions that turn a preset into
the runs it needs (`plan`), so that a notebook, the command line and a remote sweep ask for the same runs."""


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
