"""The training loop of the course: :func:`fit` and :func:`evaluate`.

The recipe (:mod:`.recipe`) is the one the papers share: SGD with Nesterov momentum, a warmed-up then
annealed learning rate, label smoothing, weight decay on weights only. Settings are resolved once into a
frozen :class:`~.settings.Settings`; what changes while a run trains (weights, optimizer, schedule, best
epoch, history) lives in one :class:`Run`; progress bars, live curves and checkpoints are callbacks.

The loop is written for small CPUs first. Batches come from :class:`smallnets_edu.data.Loader`, which
keeps the dataset as one uint8 tensor on the device and augments whole batches at once, instead of
decoding and augmenting one image at a time in Python. Gradients are freed (``set_to_none``) instead of
zeroed. Running loss and accuracy stay on the device and are read only when the progress bar is
redrawn (a read forces a GPU to finish its queued work). Evaluation runs under ``inference_mode``.
"""

from __future__ import annotations

import contextlib
import math
import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from .. import budget as budget_mod
from . import checkpoint, distributed, run_folder
from .device import autocast, default_channels_last, float32_islands, resolve_amp, resolve_device
from .evaluation import eval_pass
from .history import History
from .progress import REFRESH_SECONDS, EpochBar, LivePlot, batch_bar
from .recipe import make_optimizer, make_scheduler
from .settings import Settings

if TYPE_CHECKING:
    from ..budget import Budget
    from ..data import Dataset

MAX_EVAL_BATCH = 512


# --------------------------------------------------------------------------------------------------
# fit
# --------------------------------------------------------------------------------------------------


def fit(
    model: nn.Module,
    data: Dataset,
    *,
    budget: str | Budget | None = None,
    epochs: int | None = None,
    batch_size: int | None = None,
    lr: float | None = None,
    weight_decay: float | None = None,
    label_smoothing: float | None = None,
    schedule: str | None = None,
    warmup_epochs: float | None = None,
    device: str | torch.device | None = None,
    channels_last: bool | None = None,
    amp: bool | str | None = None,
    seed: int = 0,
    out_dir: str | None = None,
    resume: str | None = None,
    overwrite: bool = False,
    progress: bool = True,
    live_plot: bool = False,
    train_size: int | None = None,
    test_size: int | None = None,
    augment: bool | None = None,
    head_lr_scale: float | None = None,
    optimizer: str | None = None,
) -> History:
    """Train ``model`` on ``data`` and return its :class:`History`.

    Every setting left as None comes from the budget (``budget=`` or ``SMALLNETS_BUDGET``: smoke,
    laptop, gpu or full), or, when resuming, from the checkpoint. ``lr`` defaults to the budget's rate
    scaled by ``batch_size / budget.batch_size``. ``schedule`` is ``"cosine"`` (warm-up then cosine, the
    default) or ``"onecycle"`` (warm-up over 30% of the steps unless ``warmup_epochs`` is given).
    ``train_size`` / ``test_size`` train and evaluate on a fixed random subset (the budget's sizes).
    ``head_lr_scale`` multiplies the classifier's rate. ``optimizer`` is ``"sgd"`` (Nesterov momentum)
    or ``"adamw"`` (its own rate and decay unless ``lr`` / ``weight_decay`` are given; see
    :mod:`smallnets_edu.train.recipe`). A network may set its own defaults for any of these in
    ``model.recipe_defaults``: the networks without shortcuts ask for AdamW.

    The model is moved to ``device`` (default: CUDA GPU, Apple GPU, else CPU) and stays there.
    ``channels_last`` defaults to on for the CPU (off on CUDA and MPS); ``amp`` (mixed precision)
    defaults to bf16 (or fp16 with loss scaling) on CUDA, and to bf16 on a CPU with bfloat16 units (AMX,
    AVX512-BF16) with its k x k depthwise convolutions kept in float32, which trained every network
    of the course 1.2x to 1.9x faster there (see ``resolve_amp``); ``amp=False`` trains in float32.
    On the CPU the per-epoch tests run in float32 either way. ``augment`` (random crop and flip)
    defaults to the loader's choice. Runs with the same ``seed`` on the same CPU give identical
    results; the seed fixes the data order, the augmentation and dropout, and the model's own
    initialisation is the caller's.

    With ``out_dir``, ``last.pt`` is written after every epoch, ``best.pt`` whenever the test accuracy
    improves, and ``history.json`` alongside; ``resume="out/last.pt"`` continues such a run where it
    stopped, with the same result as an uninterrupted run. A folder that holds another run is refused
    unless ``overwrite=True`` (which deletes its files first); while training, the folder is locked
    against a second run. Ctrl-C stops cleanly: the best weights so far are loaded into the model and
    the history so far is returned with ``interrupted=True``. A run whose loss stops being finite stops
    with ``diverged=True``, the diverged epoch as its last record and the best weights (if any epoch
    finished) loaded; nothing of the diverged epoch is saved.

    Under ``torchrun --nproc-per-node N`` the same call trains with DistributedDataParallel: each process
    takes ``batch_size // N`` images of every batch, metrics are summed over processes, and only rank 0
    shows progress and writes files.
    """
    _check_arguments(model, data, seed)
    budget = budget if isinstance(budget, budget_mod.Budget) else budget_mod.get(budget)
    saved = checkpoint.load(resume, resume=True) if resume is not None else None
    explicit = {"epochs": epochs, "batch_size": batch_size, "lr": lr, "weight_decay": weight_decay}
    explicit.update(label_smoothing=label_smoothing, schedule=schedule, warmup_epochs=warmup_epochs)
    explicit.update(train_size=train_size, test_size=test_size, augment=augment, head_lr_scale=head_lr_scale)
    explicit.update(optimizer=optimizer)
    defaults = getattr(model, "recipe_defaults", None)
    settings = Settings.resolve(
        budget, saved["config"] if saved else None, explicit, defaults, len(data.train.labels)
    )
    place = Placement.choose(device, channels_last, amp, settings.batch_size)
    run = Run(model, _subset(data, settings, seed), settings, place, budget, seed)
    if saved is not None:
        run.restore(saved, resume)
    with contextlib.ExitStack() as stack:
        out = None
        if out_dir is not None and place.ctx.is_main:
            out = stack.enter_context(run_folder.claim(out_dir, resume=resume, overwrite=overwrite))
        callbacks = [_Checkpoints(run, out)] if out is not None else []
        callbacks.append(EpochBar(progress and place.ctx.is_main, run.name, settings.epochs, run.start_epoch))
        if live_plot and place.ctx.is_main:
            callbacks.append(LivePlot())
        for callback in callbacks:
            stack.callback(callback.close)
        stack.callback(model.train, model.training)
        try:
            with torch.random.fork_rng(devices=place.rng_devices):
                for epoch in range(run.start_epoch, settings.epochs + 1):
                    record = run.epoch(epoch, show=progress and place.ctx.is_main)
                    if not math.isfinite(record["train_loss"]):
                        run.diverge(record, out)
                        break
                    improved = run.keep(record)
                    for callback in callbacks:
                        callback.on_epoch(run.history, record, improved)
        except KeyboardInterrupt:
            # Ctrl-C in a terminal or "interrupt kernel" in Jupyter: keep what was learnt. The weights of
            # a half-finished epoch are mid-update, so the best complete epoch's weights are restored.
            run.history.interrupted = True
            run.load_best()
            for callback in callbacks:
                callback.on_interrupt(run.history)
    return run.history


def _check_arguments(model: object, data: object, seed: object) -> None:
    if not isinstance(model, nn.Module):
        raise ValueError(f"fit needs a torch.nn.Module to train, got {type(model).__name__}")
    for attr in ("train", "test", "mean", "std", "num_classes"):
        if not hasattr(data, attr):
            raise ValueError(
                f"fit needs a smallnets_edu.data.Dataset (train and test splits), got {type(data).__name__}; "
                f"load one with data.for_lesson('cifar10') or data.load(name)"
            )
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")


def _subset(data: Dataset, settings: Settings, seed: int) -> Dataset:
    """Train on the budget's share of the data (clipped to what the dataset has)."""
    n_train, n_test = len(data.train.labels), len(data.test.labels)
    want_train = n_train if settings.train_size is None else min(settings.train_size, n_train)
    want_test = n_test if settings.test_size is None else min(settings.test_size, n_test)
    if (want_train, want_test) == (n_train, n_test):
        return data
    return data.subset(want_train, want_test, seed=seed)


@dataclass(frozen=True)
class Placement:
    """Where and how a run computes: device, process group, memory layout, mixed precision."""

    device: torch.device
    ctx: distributed.Context
    channels_last: bool
    amp: torch.dtype | None
    rank_batch: int  # this process's share of every batch

    @classmethod
    def choose(
        cls, device: str | torch.device | None, channels_last: bool | None, amp: bool | str | None, batch: int
    ) -> Placement:
        device = resolve_device(device)
        ctx = distributed.setup(device)
        device = distributed.device_for(ctx, device)
        if batch % ctx.world:
            raise ValueError(
                f"batch_size={batch} must be a multiple of the {ctx.world} processes, so that the "
                f"global batch matches a single-process run; use e.g. "
                f"{ctx.world * max(1, batch // ctx.world)}"
            )
        if channels_last is None:
            channels_last = default_channels_last(device)
        return cls(device, ctx, bool(channels_last), resolve_amp(amp, device), batch // ctx.world)

    @property
    def memory_format(self) -> torch.memory_format:
        return torch.channels_last if self.channels_last else torch.contiguous_format

    @property
    def eval_amp(self) -> torch.dtype | None:
        """Tests run in float32 on the CPU, so an accuracy means the same on every processor."""
        return None if self.device.type == "cpu" else self.amp

    @property
    def rng_devices(self) -> list[int]:
        return [self.device.index or 0] if self.device.type == "cuda" else []


class Run:
    """Everything that changes while a model trains, and what its checkpoints hold."""

    def __init__(self, model: nn.Module, data: Dataset, settings: Settings, place: Placement, budget, seed):
        from .. import data as data_mod  # imported here: the data layer sits to the left of train

        self.model, self.settings, self.place, self.budget, self.seed = model, settings, place, budget, seed
        self.name = str(getattr(model, "name", type(model).__name__))
        self.num_classes = int(data.num_classes)
        model.to(device=place.device, memory_format=place.memory_format)
        self.meta = checkpoint.model_meta(model, self.num_classes)
        shard = (place.ctx.rank, place.ctx.world) if place.ctx.enabled else None
        common = {
            "mean": data.mean,
            "std": data.std,
            "device": place.device,
            "channels_last": place.channels_last,
        }
        self.train_loader = data_mod.Loader(
            data.train,
            place.rank_batch,
            train=True,
            augment=settings.augment,
            seed=seed,
            shard=shard,
            **common,
        )
        eval_batch = min(MAX_EVAL_BATCH, max(2 * place.rank_batch, 64))
        self.test_loader = data_mod.Loader(data.test, eval_batch, train=False, shard=shard, **common)
        self.steps_per_epoch = len(self.train_loader)
        if self.steps_per_epoch < 1:
            raise ValueError(
                f"the training set ({len(data.train.labels)} images) is smaller than one batch of "
                f"{settings.batch_size}; use a smaller batch_size or a larger train_size"
            )
        self.optimizer = make_optimizer(
            model, settings.lr, settings.weight_decay, settings.head_lr_scale, settings.optimizer
        )
        self.scheduler = make_scheduler(
            self.optimizer,
            settings.epochs * self.steps_per_epoch,
            round(settings.warmup_epochs * self.steps_per_epoch),
            settings.schedule,
        )
        self.scaler = torch.amp.GradScaler(place.device.type) if place.amp == torch.float16 else None
        self.criterion = nn.CrossEntropyLoss(label_smoothing=settings.label_smoothing)
        self.config = settings.to_dict() | {
            "seed": seed,
            "dataset": str(getattr(data, "name", "")),
            "budget": budget.name,
            "device": str(place.device),
            "world_size": place.ctx.world,
            "channels_last": place.channels_last,
            "amp": str(place.amp).removeprefix("torch.") if place.amp else None,
        }
        self.history = History(model=self.name, config=self.config)
        self.start_epoch = 1
        self.best_state: dict[str, torch.Tensor] | None = None
        self.train_model: nn.Module = model
        if place.ctx.enabled:
            device_ids = [place.device.index] if place.device.type == "cuda" else None
            self.train_model = nn.parallel.DistributedDataParallel(model, device_ids=device_ids)

    def restore(self, saved: dict[str, Any], resume: str | Path) -> None:
        """Continue the run ``saved`` holds: weights, optimizer, schedule, history, best weights."""
        checkpoint.check_architecture(saved, self.model, self.num_classes)
        self.model.load_state_dict(saved["state_dict"])
        self.optimizer.load_state_dict(saved["optimizer"])
        self.scheduler.load_state_dict(saved["scheduler"])
        if self.scaler is not None and saved.get("scaler"):
            self.scaler.load_state_dict(saved["scaler"])
        self.history = History.from_dict(saved["history"])
        self.history.config, self.history.interrupted = self.config, False
        self.start_epoch = int(saved["epoch"]) + 1
        if self.start_epoch > self.settings.epochs:
            raise ValueError(
                f"the run in {resume} already finished all {saved['epoch']} of its epochs, so there is "
                f"nothing to resume; pass more epochs (epochs=, --epochs) to train it further (the schedule "
                f"stretches to the new length), or start a new run"
            )
        self.best_state = _load_best(resume, saved, self.history)
        done = (self.start_epoch - 1) * self.steps_per_epoch
        if self.scheduler.last_epoch != done:
            raise ValueError(
                f"the checkpoint was saved after {self.scheduler.last_epoch} steps, but "
                f"{self.start_epoch - 1} epochs of this data take {done}; resume with the same data, "
                f"train_size and batch_size as the interrupted run"
            )

    def epoch(self, epoch: int, show: bool) -> dict[str, float]:
        """Train one epoch, evaluate, and return the epoch's record."""
        # A seed per epoch (not one stream for the run) makes dropout after a resume draw the same
        # masks as the uninterrupted run; fork_rng (in fit) leaves the caller's generator alone.
        torch.manual_seed(self.seed * 100_003 + epoch)
        self.train_loader.set_epoch(epoch)
        t0 = time.perf_counter()
        sums, last_lr = _train_epoch(self, show, f"epoch {epoch}/{self.settings.epochs}")
        train_loss, train_correct, train_seen = distributed.all_reduce_sum(sums, self.place.ctx).tolist()
        train_seconds = time.perf_counter() - t0
        distributed.broadcast_buffers(self.model, self.place.ctx)
        test_sums, _ = eval_pass(
            self.model,
            iter(self.test_loader),
            self.criterion,
            self.num_classes,
            self.place.device,
            self.place.eval_amp,
            False,
        )
        test_loss, test_correct, test_seen = distributed.all_reduce_sum(test_sums, self.place.ctx).tolist()
        return {
            "epoch": epoch,
            "train_loss": train_loss / train_seen,
            "train_acc": train_correct / train_seen,
            "test_loss": test_loss / max(1.0, test_seen),
            "test_acc": test_correct / max(1.0, test_seen),
            "lr": last_lr,
            "seconds": time.perf_counter() - t0,
            "images_per_second": train_seen / train_seconds,
        }

    def keep(self, record: dict[str, float]) -> bool:
        """Add a finished epoch to the history; True (and its weights kept) when it is the best so far."""
        improved = self.history.append(record)
        if improved:
            self.best_state = {k: v.detach().to("cpu", copy=True) for k, v in self.model.state_dict().items()}
        return improved

    def load_best(self) -> None:
        if self.best_state is not None:
            self.model.load_state_dict(self.best_state)

    def diverge(self, record: dict[str, float], out: Path | None) -> None:
        """Stop honestly: the diverged epoch on record, the best weights back, and what usually helps."""
        self.history.epochs.append(record)
        self.history.diverged = True
        if out is not None:
            self.history.to_json(out / checkpoint.HISTORY)
        if self.best_state is not None:
            self.load_best()
            kept = f"the model holds the weights of epoch {self.history.best_epoch}, the best one"
        else:
            kept = "no epoch finished before it, so the model's weights are not usable"
        warnings.warn(
            f"training diverged at epoch {record['epoch']} (loss {record['train_loss']}) and stopped; "
            f"{kept}. Try a lower lr (now {self.settings.lr:g}) or more warmup_epochs.",
            stacklevel=3,
        )

    def payload(self, epoch: int) -> dict[str, Any]:
        """What a checkpoint holds: tensors and plain data only."""
        return {
            "format": checkpoint.FORMAT,
            "model": self.meta,
            "state_dict": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "scaler": self.scaler.state_dict() if self.scaler is not None else None,
            "epoch": epoch,
            "history": self.history.to_dict(),
            "config": self.config,
            "budget": asdict(self.budget),
        }


class _Checkpoints:
    """``best.pt`` when an epoch improves, ``last.pt`` and ``history.json`` after every epoch."""

    def __init__(self, run: Run, out: Path) -> None:
        self.run, self.out = run, out

    def on_epoch(self, history: History, record: dict[str, Any], improved: bool) -> None:
        if improved:
            checkpoint.save(self.run.payload(record["epoch"]), self.out / checkpoint.BEST)
        checkpoint.save(self.run.payload(record["epoch"]), self.out / checkpoint.LAST)
        history.to_json(self.out / checkpoint.HISTORY)

    def on_interrupt(self, history: History) -> None:
        history.to_json(self.out / checkpoint.HISTORY)

    def close(self) -> None:
        pass


def _train_epoch(run: Run, show: bool, desc: str) -> tuple[torch.Tensor, float]:
    """One epoch of training; returns (summed loss, correct, images) on the device and the last lr."""
    device, optimizer, scaler = run.place.device, run.optimizer, run.scaler
    run.train_model.train()
    sums = torch.zeros(2, device=device)
    seen = 0
    lr = optimizer.param_groups[0]["lr"]
    checked = False
    t0 = last_refresh = time.perf_counter()
    with (
        batch_bar(show, len(run.train_loader), desc) as bar,
        float32_islands(run.model, device, run.place.amp),
    ):
        for x, y in run.train_loader:
            with autocast(device, run.place.amp):
                out = run.train_model(x)
                loss = run.criterion(out, y)
            if not checked:
                # A model built for another dataset would otherwise fail deep in the loss
                # ("target out of bounds") or, with more outputs than classes, train silently wrong.
                if out.dim() != 2 or out.shape[1] != run.num_classes:
                    raise ValueError(
                        f"the model outputs shape {tuple(out.shape)} but the data has {run.num_classes} "
                        f"classes; build it with num_classes={run.num_classes}"
                    )
                checked = True
            optimizer.zero_grad(set_to_none=True)
            lr = optimizer.param_groups[0]["lr"]
            if scaler is None:
                loss.backward()
                optimizer.step()
            else:
                scaler.scale(loss).backward()
                scaler.step(optimizer)
                scaler.update()
            run.scheduler.step()
            n = y.numel()
            seen += n
            with torch.no_grad():
                # Accumulated on the device: reading a GPU number each batch would stall the queue.
                sums += torch.stack([loss.detach().float() * n, (out.argmax(1) == y).sum().float()])
            bar.update(1)
            now = time.perf_counter()
            if show and now - last_refresh > REFRESH_SECONDS:
                last_refresh = now
                loss_sum, correct = sums.tolist()
                bar.set_postfix(
                    loss=f"{loss_sum / seen:.3f}",
                    acc=f"{correct / seen:.1%}",
                    img_s=f"{seen / (now - t0):,.0f}",
                )
    # The image count is known on the host; appended once so the caller all-reduces one tensor.
    return torch.cat([sums, sums.new_tensor([seen])]), lr


def _load_best(resume: str, saved: dict[str, Any], history: History) -> dict[str, torch.Tensor] | None:
    """The best weights of a resumed run: from best.pt beside the checkpoint when it matches."""
    from pathlib import Path

    path = Path(resume)
    best = (path if path.is_dir() else path.parent) / checkpoint.BEST
    if int(saved["epoch"]) == history.best_epoch:
        return {k: v.clone() for k, v in saved["state_dict"].items()}
    if best.is_file():
        payload = checkpoint.load(best)
        if int(payload["epoch"]) == history.best_epoch:
            return payload["state_dict"]
    return None
