"""grok_core: the engine behind the grokking-norm book (tasks, models, batched trainer, clamp, store, fits)."""
from .specs import RunSpec, grid
from .train import BatchTrainer, train

__all__ = ["RunSpec", "grid", "BatchTrainer", "train"]
