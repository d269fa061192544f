"""One batched trainer for every experiment.

All members of a batch share shapes and code path (RunSpec.shape_key); lr, λ, clamp target, budget, seed and
thresholds are per member. Members that are done (grokked and ran their tail, hit their budget, or diverged)
leave the batch at the next logged step, so they stop costing compute. Full evaluation runs on the log grid
only.
"""
from __future__ import annotations

import datetime
import time

import numpy as np
import torch
import torch.nn.functional as F

from . import fused, models, norm, optim
from .record import CURVES, SUMMARY, first_crossing, log_grid  # noqa: F401 (re-exported)
from .specs import RunSpec
from .tasks import make_split


class BatchTrainer:
    """Train `specs` (one shape_key) as one program. `on_done(record)` is called as each member finishes;
    `on_steps(n)` with the number of member-steps done since the last call. `engine` "eager" trains with the
    autograd step even where the fused one could run (None: the fused step where it can, `grok_core.fused`)."""

    def __init__(self, specs: list[RunSpec], device: str | torch.device = "cpu", on_done=None, on_steps=None,
                 engine: str | None = None):
        if not specs:
            raise ValueError("specs=[] is not allowed: at least one RunSpec")
        keys = {s.shape_key() + (s.beta1, s.beta2, s.eps) for s in specs}
        if len(keys) > 1:
            raise ValueError(f"specs span {len(keys)} shape keys; a batch needs one (group with sweep.groups)")
        self.specs = list(specs)
        self.device = torch.device(device)
        self.on_done = on_done or (lambda rec: None)
        self.on_steps = on_steps or (lambda n: None)
        self.model = models.build(specs[0])
        self.clamp_names = models.clamp_names(self.model, specs[0].clamp_group)
        if engine not in (None, *fused.ENGINES):
            raise ValueError(f"engine={engine!r} is not allowed: None (the fastest available) or one of {fused.ENGINES}")
        self.engine = "eager"
        if engine != "eager" and fused.eligible(specs[0], self.device):
            if fused.load() is not None:
                self.engine = "fused"
            else:
                fused.tell_once()
        if engine == "fused" and self.engine != "fused":
            raise ValueError(f"engine='fused' is not available for this batch: {fused.unavailable() or 'not eligible'}")

    # ------------------------------------------------------------------ set-up
    def _setup(self):
        dev, specs = self.device, self.specs
        per = []
        for s in specs:
            g = torch.Generator().manual_seed(s.init_seed())
            per.append((self.model.init(g), make_split(s)))
        stacked = {k: torch.stack([pp[k] for pp, _ in per]).to(dev) for k in per[0][0]}   # name -> [M, ...]
        if self.engine == "fused":                     # the C kernels take each tensor contiguous
            self.layout, self.flat = None, None
            self.P = {k: v.requires_grad_() for k, v in stacked.items()}
        else:                                          # the eager step: every tensor a view of one buffer
            self.layout = optim.Flat(stacked, self.model.decay_names)
            self.flat = self.layout.pack(stacked)                            # [M, T]
            self.P = self.layout.views(self.flat, requires_grad=True)
        self.train_x = torch.stack([sp.train_x for _, sp in per]).to(dev)     # [M, N, 2] or [M, N, n]
        self.train_y = torch.stack([sp.train_y for _, sp in per]).to(dev)     # [M, N]
        self.test_x = torch.stack([sp.test_x for _, sp in per]).to(dev)
        self.test_y = torch.stack([sp.test_y for _, sp in per]).to(dev)
        f32 = dict(dtype=torch.float32, device=dev)
        self.lr = torch.tensor([s.lr for s in specs], **f32)
        self.wd = torch.tensor([s.wd for s in specs], **f32)
        self.target = torch.tensor([s.clamp_target or 1.0 for s in specs], **f32)
        self.factor = torch.tensor([s.clamp_factor for s in specs], **f32)   # 0: set the norm to `target`
        s0 = specs[0]
        # the optimiser's tensors: each parameter (fused step), or the buffer's decayed and undecayed slices
        tensors, decay = ((self.P, self.model.decay_names) if self.layout is None else
                          (self.layout.parts(self.flat), ("decay",)))
        self.opt = optim.build(s0.optimizer, tensors, self.lr, self.wd, decay, s0.beta1, s0.beta2, s0.eps)
        self.idx = list(range(len(specs)))                                    # batch slot -> spec index
        at_init = torch.tensor([s.clamp_mode == "once" and s.t_int == 0 for s in specs], device=dev)
        self._clamp(at_init)                                                  # a one-shot at step 0: the init
        self.batch_gens = [torch.Generator().manual_seed(s.init_seed() + 2) for s in specs]
        self.curves = [{k: [] for k in ("step",) + CURVES + self._group_names()} for _ in specs]
        self.t_mem = [None] * len(specs)
        self.t_grok = [None] * len(specs)
        self.failed = [False] * len(specs)
        self.chance_since = [0] * len(specs)                                # first step of the current at-chance streak
        self.stop_reason = [None] * len(specs)
        self.failure = [None] * len(specs)                                  # what went non-finite, and when
        self.grids = [set(log_grid(s.log, s.log_density, s.log_every, s.max_steps)) for s in specs]
        self.last = [max(g) for g in self.grids]

    def _group_names(self):
        return tuple("norm_" + k for k in self.model.norm_names)

    # ------------------------------------------------------------------ one step
    def _batch(self):
        s0 = self.specs[0]
        if s0.batch_size == 0:
            return self.train_x, self.train_y
        N = self.train_x.shape[1]
        ix = torch.stack([torch.randint(N, (s0.batch_size,), generator=self.batch_gens[i]) for i in self.idx])
        ix = ix.to(self.device)                                              # [M, B]
        xi = ix[..., None].expand(-1, -1, self.train_x.shape[2])
        return self.train_x.gather(1, xi), self.train_y.gather(1, ix)

    def _loss(self, x, y):
        logits = self.model.forward(self.P, x)                               # [M, N, C]
        M, N, C = logits.shape
        return F.cross_entropy(logits.reshape(M * N, C), y.reshape(-1), reduction="none").reshape(M, N).mean(1)

    def _step(self, step: int):
        if self.specs[0].matmul_precision == "bf16":
            prec = torch.backends.mkldnn.matmul.fp32_precision
            torch.backends.mkldnn.matmul.fp32_precision = "bf16"
            try:
                return self._train_step(step)
            finally:
                torch.backends.mkldnn.matmul.fp32_precision = prec
        return self._train_step(step)

    def _train_step(self, step: int):
        x, y = self._batch()
        self._train_step_on(x, y, step)

    def _train_step_on(self, x, y, step: int):
        """One optimiser step on the batch (x, y), then the clamp where it is active."""
        if self.engine == "fused":
            fused.step(self.P, self.opt, x, y, self.specs[0].d_embed)
        else:
            loss = self._loss(x, y)
            grads = torch.autograd.grad(loss.sum(), list(self.P.values()))
            g = self.layout.pack(dict(zip(self.P, grads)))                   # [M, T]
            self.opt.step(self.layout.parts(self.flat), self.layout.parts(g))
        modes = [self.specs[i].clamp_mode for i in self.idx]
        if any(m != "none" for m in modes):
            active = torch.tensor([(m == "hold" and step >= self.specs[i].t_int) or
                                   (m == "once" and step == self.specs[i].t_int)
                                   for m, i in zip(modes, self.idx)], device=self.device)
            self._clamp(active)

    def _clamp(self, active):
        """Set the clamp group's norm of each active member to its target, or multiply it by its factor."""
        if not bool(active.any()):
            return
        target = self.target
        if bool((self.factor > 0).any()):
            target = torch.where(self.factor > 0, self.factor * norm.weight_norm(self.P, self.clamp_names), target)
        norm.clamp_(self.P, self.clamp_names, target, active)

    # ------------------------------------------------------------------ logging
    @torch.no_grad()
    def _evaluate(self, x, y):
        logits = self.model.forward(self.P, x)
        M, N, C = logits.shape
        loss = F.cross_entropy(logits.reshape(M * N, C), y.reshape(-1), reduction="none").reshape(M, N).mean(1)
        acc = (logits.argmax(-1) == y).float().mean(1)
        return loss, acc, logits.pow(2).mean((1, 2)).sqrt()

    def _log(self, step: int) -> list[int]:
        """Record metrics for members whose grid holds `step`; return batch slots that are done."""
        tr_loss, tr_acc, logit_rms = self._evaluate(self.train_x, self.train_y)
        te_loss, te_acc, _ = self._evaluate(self.test_x, self.test_y)
        sq = norm.sq_norms(self.P, self.model.norm_names)
        wn = torch.stack(list(sq.values())).sum(0).sqrt()
        cols = [tr_loss, tr_acc, te_loss, te_acc, wn, logit_rms] + [v.sqrt() for v in sq.values()]
        cols = torch.stack(cols, 1).cpu().numpy()                            # [M, n_curves]
        names = CURVES + self._group_names()
        done = []
        for slot, i in enumerate(self.idx):
            s, c = self.specs[i], self.curves[i]
            if step in self.grids[i]:
                c["step"].append(step)
                for k, v in zip(names, cols[slot]):
                    c[k].append(float(v))
                row = dict(zip(names, cols[slot]))
                if not np.all(np.isfinite(cols[slot])) and not self.failed[i]:
                    self.failed[i] = True
                    bad = [k for k, v in zip(names, cols[slot]) if not np.isfinite(v)]
                    self.failure[i] = f"non-finite {', '.join(bad)} at step {step}"
                if self.t_mem[i] is None and row["train_acc"] >= s.mem_threshold:
                    self.t_mem[i] = step
                if self.t_grok[i] is None and row["test_acc"] >= s.grok_threshold:
                    self.t_grok[i] = step
                chance = 1.0 / (2 if s.task == "parity" else s.p)
                if row["train_acc"] >= 2 * chance:
                    self.chance_since[i] = None
                elif self.chance_since[i] is None:
                    self.chance_since[i] = step
            collapsed = (bool(s.stop_chance_steps) and self.t_grok[i] is None and self.chance_since[i] is not None
                         and step - self.chance_since[i] >= s.stop_chance_steps)
            grokked_out = self.t_grok[i] is not None and step >= self.t_grok[i] + s.tail_steps
            if self.failed[i] or step >= self.last[i] or collapsed or grokked_out:
                self.stop_reason[i] = ("failed" if self.failed[i] else "tail" if grokked_out else
                                       "chance" if collapsed else "budget")
                done.append(slot)
        return done

    def _finish(self, slots, step, wall_s):
        for slot in slots:
            i = self.idx[slot]
            s, c = self.specs[i], self.curves[i]
            curves = {k: np.asarray(v, dtype=np.int32 if k == "step" else np.float32) for k, v in c.items()}
            at = lambda t: float(curves["weight_norm"][list(curves["step"]).index(t)]) if t is not None else None
            status = "failed" if self.failed[i] else ("grokked" if self.t_grok[i] is not None else "censored")
            summary = dict(status=status, t_mem=self.t_mem[i], t_grok=self.t_grok[i],
                           norm_at_mem=at(self.t_mem[i]), norm_at_grok=at(self.t_grok[i]),
                           final_train_acc=float(curves["train_acc"][-1]), final_test_acc=float(curves["test_acc"][-1]),
                           final_norm=float(curves["weight_norm"][-1]), steps_run=int(step),
                           wall_s=round(wall_s, 3), device=str(self.device), members=len(self.specs),
                           torch=torch.__version__, stop_reason=self.stop_reason[i],
                           failure=self.failure[i], started_utc=self.started_utc, engine=self.engine)
            self.records[i] = {"spec": s.to_dict(), "summary": summary, "curves": curves}
            self.on_done(self.records[i])
        keep = [j for j in range(len(self.idx)) if j not in set(slots)]
        if not keep:
            self.idx = []
            return
        kt = torch.tensor(keep, device=self.device)
        if self.layout is None:
            self.P = {k: v.detach()[kt].requires_grad_() for k, v in self.P.items()}
        else:
            self.flat = self.flat[kt]
            self.P = self.layout.views(self.flat, requires_grad=True)
        self.opt.select(kt)
        self.target, self.factor = self.target[kt], self.factor[kt]
        self.train_x, self.train_y = self.train_x[kt], self.train_y[kt]
        self.test_x, self.test_y = self.test_x[kt], self.test_y[kt]
        self.idx = [self.idx[j] for j in keep]

    # ------------------------------------------------------------------ main loop
    def run(self) -> list[dict]:
        self.records = [None] * len(self.specs)
        self.started_utc = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        t0 = time.perf_counter()
        self._setup()
        all_logs = sorted(set().union(*self.grids))
        done = self._log(0)
        self._finish(done, 0, time.perf_counter() - t0)
        step, pending = 0, 0
        for next_log in all_logs[1:]:
            if not self.idx:
                break
            while step < next_log:
                step += 1
                self._step(step)
                pending += len(self.idx)
            done = self._log(step)
            self.on_steps(pending)
            pending = 0
            self._finish(done, step, time.perf_counter() - t0)
        return self.records


def train(specs: list[RunSpec] | RunSpec, device="cpu") -> list[dict]:
    """Train one spec or a list of specs of one shape, in one batch; return their records in order."""
    specs = [specs] if isinstance(specs, RunSpec) else list(specs)
    return BatchTrainer(specs, device=device).run()
