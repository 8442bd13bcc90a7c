"""The training loop of the course: :func:`fit` and :func:`evaluate`.

The recipe is the one the papers share: SGD with Nesterov momentum 0.9, a learning rate warmed up
linearly and then annealed (cosine, or one-cycle), label smoothing, and weight decay on convolution and
linear weights only (decaying BatchNorm's scale and shift or the biases only fights the normalisation).

The loop is written for small CPUs first. Batches come from :class:`smallnets_edu.data.Loader`, which
keeps the dataset as one uint8 tensor on the device and augments whole batches at once, instead of
decoding and augmenting one image at a time in Python. Gradients are freed (``set_to_none``) instead of
zeroed. Running loss and accuracy stay on the device and are read only when the progress bar is
redrawn (a read forces a GPU to finish its queued work). Evaluation runs under ``inference_mode``.
"""

from __future__ import annotations

import contextlib
import io
import math
import time
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from .. import budget as budget_mod
from . import checkpoint, distributed, run_folder
from .history import Evaluation, History

if TYPE_CHECKING:
    from ..budget import Budget
    from ..data import Dataset, Split

SCHEDULES = ("cosine", "onecycle")
MOMENTUM = 0.9
ONECYCLE_START = 1 / 25  # one-cycle starts at peak / 25 ...
ONECYCLE_END = 1 / 25e4  # ... and ends at peak / (25 * 1e4), the defaults of Smith & Topin's recipe
ONECYCLE_WARMUP = 0.3  # fraction of the steps spent rising, unless warmup_epochs says otherwise
REFRESH_SECONDS = 0.5  # how often the progress bar reads the running metrics (each read is a sync)
MAX_EVAL_BATCH = 512


# --------------------------------------------------------------------------------------------------
# Choosing the device and its settings
# --------------------------------------------------------------------------------------------------


def default_device() -> torch.device:
    """The fastest device present: a CUDA GPU, an Apple GPU (MPS), or the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def resolve_device(device: str | torch.device | None) -> torch.device:
    """``None`` picks :func:`default_device`; a named device must exist on this machine."""
    if device is None:
        return default_device()
    try:
        device = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(f"unknown device {device!r}; use 'cpu', 'cuda', 'cuda:1' or 'mps'") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("device='cuda' was asked for but no CUDA GPU is available; use device='cpu'")
    if device.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise ValueError("device='mps' was asked for but this machine has no Apple GPU; use device='cpu'")
    return device


def default_channels_last(device: torch.device) -> bool:
    """Whether images and weights use the channels-last (NHWC) memory layout by default.

    On CUDA GPUs NHWC lets cuDNN use its fastest kernels (tensor cores need it). On the CPU it is on too:
    timed with ``benchmarks/bench_train.py`` (one thread, processor time, batch 128, cifar variants),
    oneDNN's NHWC training step was 1.3x to 1.9x faster than NCHW for every network of the course,
    depthwise-heavy or not. The ``Loader`` produces channels-last batches at no extra cost (its
    crop-and-flip gather already yields that layout). Apple's MPS backend has incomplete NHWC support,
    so it stays off there.
    """
    return device.type in ("cuda", "cpu")


def resolve_amp(amp: bool | str | None, device: torch.device) -> torch.dtype | None:
    """The autocast dtype for mixed precision, or None for float32.

    Mixed precision is for CUDA GPUs: bfloat16 where the GPU supports it (no loss scaling needed), else
    float16 with a GradScaler. On the CPU and MPS it is off (CPU autocast is slower on most laptops);
    asking for it there warns and trains in float32.
    """
    if amp is None or amp is False:
        if amp is None and device.type == "cuda":
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return None
    choices = {True: None, "auto": None, "bf16": torch.bfloat16, "bfloat16": torch.bfloat16}
    choices.update({"fp16": torch.float16, "float16": torch.float16})
    if amp not in choices:
        raise ValueError(f"amp must be True, False, None, 'bf16' or 'fp16', got {amp!r}")
    if device.type != "cuda":
        warnings.warn(
            f"mixed precision (amp={amp!r}) runs on CUDA GPUs only; training in float32 on {device.type}",
            stacklevel=3,
        )
        return None
    dtype = choices[amp]
    if dtype is None:
        dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return dtype


def _autocast(device: torch.device, dtype: torch.dtype | None) -> contextlib.AbstractContextManager:
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)


# --------------------------------------------------------------------------------------------------
# Optimizer and schedule
# --------------------------------------------------------------------------------------------------


def param_groups(model: nn.Module, weight_decay: float) -> list[dict[str, Any]]:
    """Two groups: weights of convolutions and linear layers decay, BatchNorm and biases do not.

    Every parameter with one dimension or fewer is a bias or a BatchNorm scale/shift.
    """
    decay: list[nn.Parameter] = []
    no_decay: list[nn.Parameter] = []
    for p in model.parameters():
        if p.requires_grad:
            (decay if p.ndim > 1 else no_decay).append(p)
    groups = [
        {"params": decay, "weight_decay": weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    return [g for g in groups if g["params"]]


def make_optimizer(model: nn.Module, lr: float, weight_decay: float) -> torch.optim.SGD:
    """SGD with Nesterov momentum 0.9 over :func:`param_groups`."""
    groups = param_groups(model, weight_decay)
    if not groups:
        raise ValueError("the model has no trainable parameters")
    return torch.optim.SGD(groups, lr=lr, momentum=MOMENTUM, nesterov=True)


def lr_factor(step: int, total: int, warmup: int, schedule: str) -> float:
    """Multiplier of the peak learning rate at optimizer step ``step`` (0-based) of ``total``.

    ``cosine``: linear warm-up over ``warmup`` steps to the peak, then half a cosine down towards 0.
    ``onecycle``: half a cosine up from peak/25 over ``warmup`` steps, then half a cosine down to
    peak/250000 (Smith & Topin's one-cycle policy, learning-rate part).
    """
    if schedule == "cosine":
        if step < warmup:
            # Rising to reach the peak exactly at step ``warmup``, never starting from zero.
            return (step + 1) / (warmup + 1)
        progress = min(1.0, (step - warmup) / max(1, total - warmup))
        return 0.5 * (1.0 + math.cos(math.pi * progress))
    if step < warmup:
        p = step / warmup
        return ONECYCLE_START + (1.0 - ONECYCLE_START) * 0.5 * (1.0 - math.cos(math.pi * p))
    p = min(1.0, (step - warmup) / max(1, total - warmup))
    return ONECYCLE_END + (1.0 - ONECYCLE_END) * 0.5 * (1.0 + math.cos(math.pi * p))


def make_scheduler(
    optimizer: torch.optim.Optimizer, total_steps: int, warmup_steps: int, schedule: str
) -> torch.optim.lr_scheduler.LambdaLR:
    """A per-step schedule; its state is a step count, so it saves into a weights-only checkpoint."""
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: lr_factor(step, total_steps, warmup_steps, schedule)
    )


# --------------------------------------------------------------------------------------------------
# Settings: explicit argument, else the checkpoint being resumed, else the budget
# --------------------------------------------------------------------------------------------------


def _positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


def _number(name: str, value: object, low: float, high: float = math.inf, low_open: bool = False) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and (value > low if low_open else value >= low) and value <= high
    if not ok:
        bound = f"greater than {low}" if low_open else f"at least {low}"
        upper = f" and at most {high}" if math.isfinite(high) else ""
        raise ValueError(f"{name} must be a number {bound}{upper}, got {value!r}")
    return float(value)


def _size(name: str, value: object) -> int | None:
    if value is None:
        return None
    return _positive_int(name, value)


def _settings(
    budget: Budget,
    saved: dict[str, Any] | None,
    explicit: dict[str, Any],
) -> dict[str, Any]:
    """Resolve every hyperparameter (explicit > resumed checkpoint > budget) and check it."""
    base: dict[str, Any] = {
        "epochs": budget.epochs,
        "batch_size": budget.batch_size,
        "weight_decay": budget.weight_decay,
        "label_smoothing": budget.label_smoothing,
        "warmup_epochs": None,  # resolved below: it depends on the schedule
        "train_size": budget.train_size,
        "test_size": budget.test_size,
        "schedule": "cosine",
        "augment": None,
        "lr": None,
    }
    if saved:
        base.update({k: saved[k] for k in base if k in saved})
    s = dict(base)
    s.update({k: v for k, v in explicit.items() if v is not None})
    s["epochs"] = _positive_int("epochs", s["epochs"])
    s["batch_size"] = _positive_int("batch_size", s["batch_size"])
    if s["schedule"] not in SCHEDULES:
        raise ValueError(f"schedule must be one of {', '.join(SCHEDULES)}, got {s['schedule']!r}")
    if s["lr"] is None:
        # The budget's rate is tuned for its batch size; scale it linearly with the batch
        # (Goyal et al., 2017) so changing only batch_size keeps the recipe sensible.
        s["lr"] = budget.lr * s["batch_size"] / budget.batch_size
    s["lr"] = _number("lr", s["lr"], 0.0, low_open=True)
    s["weight_decay"] = _number("weight_decay", s["weight_decay"], 0.0)
    s["label_smoothing"] = _number("label_smoothing", s["label_smoothing"], 0.0, 0.99)
    if s["warmup_epochs"] is None:
        s["warmup_epochs"] = (
            budget.warmup_epochs if s["schedule"] == "cosine" else ONECYCLE_WARMUP * s["epochs"]
        )
    s["warmup_epochs"] = _number("warmup_epochs", s["warmup_epochs"], 0.0, s["epochs"])
    s["train_size"] = _size("train_size", s["train_size"])
    s["test_size"] = _size("test_size", s["test_size"])
    if s["augment"] is not None and not isinstance(s["augment"], bool):
        raise ValueError(f"augment must be True, False or None (the loader's default), got {s['augment']!r}")
    return s


def _check_data(data: object) -> None:
    for attr in ("train", "test", "mean", "std", "num_classes"):
        if not hasattr(data, attr):
            raise ValueError(
                f"fit needs a smallnets_edu.data.Dataset (train and test splits), got {type(data).__name__}; "
                f"load one with data.for_lesson('cifar10') or data.load(name)"
            )


def _subset(data: Dataset, train_size: int | None, test_size: int | None, seed: int) -> Dataset:
    """Train on the budget's share of the data (clipped to what the dataset has)."""
    n_train, n_test = len(data.train.labels), len(data.test.labels)
    want_train = n_train if train_size is None else min(train_size, n_train)
    want_test = n_test if test_size is None else min(test_size, n_test)
    if (want_train, want_test) == (n_train, n_test):
        return data
    return data.subset(want_train, want_test, seed=seed)


# --------------------------------------------------------------------------------------------------
# Progress display
# --------------------------------------------------------------------------------------------------


class _LivePlot:
    """A learning-curve image in the notebook, replaced in place after every epoch."""

    def __init__(self) -> None:
        self.handle = None
        try:
            import IPython
            from IPython.display import HTML, display
        except ImportError:
            IPython = None
        if IPython is None or IPython.get_ipython() is None:
            warnings.warn("live_plot=True needs a notebook (IPython); training without it", stacklevel=4)
            return
        # Something must be shown now: a later update only replaces an output that exists.
        placeholder = HTML("<i>The learning curves appear here after the first epoch.</i>")
        self.handle = display(placeholder, display_id=True)

    def update(self, history: History) -> None:
        if self.handle is None:
            return
        from IPython.display import Image

        # A PNG, not the Figure itself: it renders the same whatever matplotlib backend the notebook
        # has selected, and replacing it never leaves a second copy below the cell.
        buf = io.BytesIO()
        history.plot().savefig(buf, format="png", dpi=80)
        self.handle.update(Image(data=buf.getvalue()))


def _bars(show: bool, model_name: str, epochs: int, start: int):
    from tqdm.auto import tqdm

    return tqdm(
        total=epochs,
        initial=start - 1,
        desc=model_name,
        unit="epoch",
        disable=not show,
        dynamic_ncols=True,
    )


# --------------------------------------------------------------------------------------------------
# One pass over the test set
# --------------------------------------------------------------------------------------------------


def _eval_pass(
    model: nn.Module,
    batches: Iterator[tuple[torch.Tensor, torch.Tensor]],
    criterion: nn.Module,
    num_classes: int,
    device: torch.device,
    amp: torch.dtype | None,
    confusion: bool,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Sum of losses, correct predictions and images (on the device), and the confusion counts."""
    sums = torch.zeros(2, device=device)
    seen = 0
    matrix = torch.zeros(num_classes * num_classes, dtype=torch.int64, device=device) if confusion else None
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            for x, y in batches:
                with _autocast(device, amp):
                    out = model(x)
                loss = criterion(out.float(), y)
                pred = out.argmax(1)
                sums += torch.stack([loss * y.numel(), (pred == y).sum().float()])
                seen += y.numel()
                if matrix is not None:
                    matrix += torch.bincount(y * num_classes + pred, minlength=num_classes * num_classes)
    finally:
        model.train(was_training)
    return torch.cat([sums, sums.new_tensor([seen])]), matrix


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
) -> History:
    """Train ``model`` on ``data`` and return its :class:`History`.

    Every setting left as None comes from the budget (``budget=`` or ``SMALLNETS_BUDGET``: smoke,
    laptop or full), or, when resuming, from the checkpoint. ``lr`` defaults to the budget's rate scaled
    by ``batch_size / budget.batch_size``. ``schedule`` is ``"cosine"`` (warm-up then cosine, the
    default) or ``"onecycle"`` (warm-up over 30% of the steps unless ``warmup_epochs`` is given).
    ``train_size`` / ``test_size`` train and evaluate on a fixed random subset (the budget's sizes).

    The model is moved to ``device`` (default: CUDA GPU, Apple GPU, else CPU) and stays there.
    ``channels_last`` defaults to on for CUDA and the CPU (off on MPS); ``amp`` (mixed precision)
    defaults to bf16 (or fp16 with loss scaling) on CUDA and is off elsewhere. ``augment`` (random crop
    and flip) defaults to the loader's choice. Runs with the same ``seed`` on the CPU give identical
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
    if not isinstance(model, nn.Module):
        raise ValueError(f"fit needs a torch.nn.Module to train, got {type(model).__name__}")
    _check_data(data)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    from .. import data as data_mod  # imported here: the data layer sits to the left of train

    budget = budget_mod.get(budget) if not isinstance(budget, budget_mod.Budget) else budget
    saved = checkpoint.load(resume, resume=True) if resume is not None else None
    explicit = {
        "epochs": epochs,
        "batch_size": batch_size,
        "lr": lr,
        "weight_decay": weight_decay,
        "label_smoothing": label_smoothing,
        "schedule": schedule,
        "warmup_epochs": warmup_epochs,
        "train_size": train_size,
        "test_size": test_size,
        "augment": augment,
    }
    s = _settings(budget, saved["config"] if saved else None, explicit)

    device = resolve_device(device)
    ctx = distributed.setup(device)
    device = distributed.device_for(ctx, device)
    rank_batch = s["batch_size"] // ctx.world
    if s["batch_size"] % ctx.world:
        raise ValueError(
            f"batch_size={s['batch_size']} must be a multiple of the {ctx.world} processes, so that the "
            f"global batch matches a single-process run; use e.g. {ctx.world * max(1, rank_batch)}"
        )
    if channels_last is None:
        channels_last = default_channels_last(device)
    amp_dtype = resolve_amp(amp, device)
    show = progress and ctx.is_main

    data = _subset(data, s["train_size"], s["test_size"], seed)
    num_classes = int(data.num_classes)
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    model.to(device=device, memory_format=memory_format)
    name = str(getattr(model, "name", type(model).__name__))
    meta = checkpoint.model_meta(model, num_classes)

    shard = (ctx.rank, ctx.world) if ctx.enabled else None
    common = {"mean": data.mean, "std": data.std, "device": device, "channels_last": channels_last}
    train_loader = data_mod.Loader(
        data.train, rank_batch, train=True, augment=s["augment"], seed=seed, shard=shard, **common
    )
    eval_batch = min(MAX_EVAL_BATCH, max(2 * rank_batch, 64))
    test_loader = data_mod.Loader(data.test, eval_batch, train=False, shard=shard, **common)
    steps_per_epoch = len(train_loader)
    if steps_per_epoch < 1:
        raise ValueError(
            f"the training set ({len(data.train.labels)} images) is smaller than one batch of "
            f"{s['batch_size']}; use a smaller batch_size or a larger train_size"
        )

    optimizer = make_optimizer(model, s["lr"], s["weight_decay"])
    total_steps = s["epochs"] * steps_per_epoch
    warmup_steps = round(s["warmup_epochs"] * steps_per_epoch)
    scheduler = make_scheduler(optimizer, total_steps, warmup_steps, s["schedule"])
    scaler = torch.amp.GradScaler(device.type) if amp_dtype == torch.float16 else None
    criterion = nn.CrossEntropyLoss(label_smoothing=s["label_smoothing"])

    config = dict(s)
    config.update(
        {
            "seed": seed,
            "dataset": str(getattr(data, "name", "")),
            "budget": budget.name,
            "device": str(device),
            "world_size": ctx.world,
            "channels_last": bool(channels_last),
            "amp": str(amp_dtype).removeprefix("torch.") if amp_dtype else None,
        }
    )
    history = History(model=name, config=config)
    start_epoch = 1
    best_state: dict[str, torch.Tensor] | None = None
    if saved is not None:
        checkpoint.check_architecture(saved, model, num_classes)
        model.load_state_dict(saved["state_dict"])
        optimizer.load_state_dict(saved["optimizer"])
        scheduler.load_state_dict(saved["scheduler"])
        if scaler is not None and saved.get("scaler"):
            scaler.load_state_dict(saved["scaler"])
        history = History.from_dict(saved["history"])
        history.config = config
        history.interrupted = False
        start_epoch = int(saved["epoch"]) + 1
        if start_epoch > s["epochs"]:
            raise ValueError(
                f"the run in {resume} already finished all {saved['epoch']} of its epochs, so there is "
                f"nothing to resume; pass more epochs (epochs=, --epochs) to train it further (the schedule "
                f"stretches to the new length), or start a new run"
            )
        best_state = _load_best(resume, saved, history)
        if scheduler.last_epoch != (start_epoch - 1) * steps_per_epoch:
            raise ValueError(
                f"the checkpoint was saved after {scheduler.last_epoch} steps, but {start_epoch - 1} epochs "
                f"of this data take {(start_epoch - 1) * steps_per_epoch}; resume with the same data, "
                f"train_size and batch_size as the interrupted run"
            )

    train_model: nn.Module = model
    if ctx.enabled:
        train_model = nn.parallel.DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None
        )

    folder = contextlib.ExitStack()
    out = None
    if out_dir is not None and ctx.is_main:
        out = folder.enter_context(run_folder.claim(out_dir, resume=resume, overwrite=overwrite))

    def save(path, epoch: int) -> None:
        _save(path, model, meta, optimizer, scheduler, scaler, epoch, history, config, budget)

    plot = _LivePlot() if live_plot and ctx.is_main else None
    epoch_bar = _bars(show, name, s["epochs"], start_epoch)
    was_training = model.training
    rng_devices = [device.index or 0] if device.type == "cuda" else []
    try:
        with torch.random.fork_rng(devices=rng_devices):
            for epoch in range(start_epoch, s["epochs"] + 1):
                # A seed per epoch (not one stream for the run) makes dropout after a resume draw the
                # same masks as the uninterrupted run; fork_rng leaves the caller's generator alone.
                torch.manual_seed(seed * 100_003 + epoch)
                train_loader.set_epoch(epoch)
                t0 = time.perf_counter()
                sums, last_lr = _train_epoch(
                    train_model,
                    train_loader,
                    optimizer,
                    scheduler,
                    scaler,
                    criterion,
                    device,
                    amp_dtype,
                    num_classes,
                    show,
                    f"epoch {epoch}/{s['epochs']}",
                )
                distributed.all_reduce_sum(sums, ctx)
                train_loss, train_correct, train_seen = sums.tolist()  # one sync per epoch
                train_seconds = time.perf_counter() - t0

                distributed.broadcast_buffers(model, ctx)
                test_sums, _ = _eval_pass(
                    model, iter(test_loader), criterion, num_classes, device, amp_dtype, False
                )
                distributed.all_reduce_sum(test_sums, ctx)
                test_loss, test_correct, test_seen = test_sums.tolist()
                record = {
                    "epoch": epoch,
                    "train_loss": train_loss / train_seen,
                    "train_acc": train_correct / train_seen,
                    "test_loss": test_loss / max(1.0, test_seen),
                    "test_acc": test_correct / max(1.0, test_seen),
                    "lr": last_lr,
                    "seconds": time.perf_counter() - t0,
                    "images_per_second": train_seen / train_seconds,
                }
                if not math.isfinite(record["train_loss"]):
                    # Diverged: every later epoch would be NaN too. Keep the record so the curve shows it,
                    # give the model back its best weights, and say what usually helps.
                    history.epochs.append(record)
                    history.diverged = True
                    if out is not None:
                        history.to_json(out / checkpoint.HISTORY)
                    if best_state is not None:
                        model.load_state_dict(best_state)
                        kept = f"the model holds the weights of epoch {history.best_epoch}, the best one"
                    else:
                        kept = "no epoch finished before it, so the model's weights are not usable"
                    warnings.warn(
                        f"training diverged at epoch {epoch} (loss {record['train_loss']}) and stopped; "
                        f"{kept}. Try a lower lr (now {s['lr']:g}) or more warmup_epochs.",
                        stacklevel=2,
                    )
                    break
                if history.append(record):
                    best_state = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
                    if out is not None:
                        save(out / checkpoint.BEST, epoch)
                if out is not None:
                    save(out / checkpoint.LAST, epoch)
                    history.to_json(out / checkpoint.HISTORY)
                epoch_bar.update(1)
                epoch_bar.set_postfix(
                    test_acc=f"{record['test_acc']:.1%}",
                    best=f"{history.best_test_acc:.1%}",
                    img_s=f"{record['images_per_second']:,.0f}",
                )
                if plot is not None:
                    plot.update(history)
    except KeyboardInterrupt:
        # Ctrl-C in a terminal or "interrupt kernel" in Jupyter: keep what was learnt. The weights of a
        # half-finished epoch are mid-update, so the best complete epoch's weights are restored.
        history.interrupted = True
        if best_state is not None:
            model.load_state_dict(best_state)
        if out is not None:
            history.to_json(out / checkpoint.HISTORY)
        if show:
            epoch_bar.write(f"interrupted: {history.summary()}")
    finally:
        epoch_bar.close()
        model.train(was_training)
        folder.close()  # releases the run folder's lock, after the interrupted run's history is written
    return history


def _train_epoch(
    model: nn.Module,
    loader,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    scaler: torch.amp.GradScaler | None,
    criterion: nn.Module,
    device: torch.device,
    amp: torch.dtype | None,
    num_classes: int,
    show: bool,
    desc: str,
) -> tuple[torch.Tensor, float]:
    """One epoch of training; returns (summed loss, correct, images) on the device and the last lr."""
    from tqdm.auto import tqdm

    model.train()
    sums = torch.zeros(2, device=device)
    seen = 0
    lr = optimizer.param_groups[0]["lr"]
    checked = False
    t0 = last_refresh = time.perf_counter()
    with tqdm(
        total=len(loader), desc=desc, unit="batch", leave=False, disable=not show, dynamic_ncols=True
    ) as bar:
        for x, y in loader:
            with _autocast(device, amp):
                out = model(x)
                loss = criterion(out, y)
            if not checked:
                # A model built for another dataset would otherwise fail deep in the loss
                # ("target out of bounds") or, with more outputs than classes, train silently wrong.
                if out.dim() != 2 or out.shape[1] != num_classes:
                    raise ValueError(
                        f"the model outputs shape {tuple(out.shape)} but the data has {num_classes} classes; "
                        f"build it with num_classes={num_classes}"
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
            scheduler.step()
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


def _save(path, model, meta, optimizer, scheduler, scaler, epoch, history, config, budget) -> None:
    from dataclasses import asdict

    checkpoint.save(
        {
            "format": checkpoint.FORMAT,
            "model": meta,
            "state_dict": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "scaler": scaler.state_dict() if scaler is not None else None,
            "epoch": epoch,
            "history": history.to_dict(),
            "config": config,
            "budget": asdict(budget),
        },
        path,
    )


# --------------------------------------------------------------------------------------------------
# evaluate
# --------------------------------------------------------------------------------------------------


def evaluate(
    model: nn.Module,
    data_or_split: Dataset | Split,
    *,
    split: str = "test",
    mean: tuple[float, ...] | None = None,
    std: tuple[float, ...] | None = None,
    classes: list[str] | None = None,
    batch_size: int = 256,
    device: str | torch.device | None = None,
    channels_last: bool | None = None,
    amp: bool | str | None = None,
) -> Evaluation:
    """Accuracy, per-class accuracy and confusion matrix of ``model`` on a dataset's split.

    Pass a :class:`~smallnets_edu.data.Dataset` (its ``split``, default ``"test"``, is used with its
    normalisation and class names) or a bare ``Split`` together with ``mean`` and ``std``. The loss is
    plain cross-entropy (no label smoothing). The model is moved to ``device`` (default: where its
    weights are) and left in the mode it was in.
    """
    from .. import data as data_mod

    if not isinstance(model, nn.Module):
        raise ValueError(f"evaluate needs a torch.nn.Module, got {type(model).__name__}")
    batch_size = _positive_int("batch_size", batch_size)
    if hasattr(data_or_split, "train") and hasattr(data_or_split, "test"):
        if split not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        part = getattr(data_or_split, split)
        mean = data_or_split.mean if mean is None else mean
        std = data_or_split.std if std is None else std
        classes = list(data_or_split.classes) if classes is None else classes
    elif hasattr(data_or_split, "images") and hasattr(data_or_split, "labels"):
        part = data_or_split
        if mean is None or std is None:
            raise ValueError("evaluating a bare Split needs mean= and std= (or pass the whole Dataset)")
    else:
        raise ValueError(f"evaluate needs a Dataset or a Split, got {type(data_or_split).__name__}")
    labels = part.labels
    if classes is None:
        classes = [str(i) for i in range(int(labels.max()) + 1)] if labels.numel() else []
    num_classes = len(classes)
    if num_classes < 1 or labels.numel() == 0:
        raise ValueError("there is nothing to evaluate: the split has no images")

    if device is None:
        param = next(model.parameters(), None)
        device = param.device if param is not None else default_device()
    device = resolve_device(device)
    if channels_last is None:
        channels_last = default_channels_last(device)
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    model.to(device=device, memory_format=memory_format)
    amp_dtype = resolve_amp(amp, device)
    loader = data_mod.Loader(
        part, batch_size, train=False, mean=mean, std=std, device=device, channels_last=channels_last
    )
    criterion = nn.CrossEntropyLoss()
    sums, matrix = _eval_pass(model, iter(loader), criterion, num_classes, device, amp_dtype, True)
    loss_sum, correct, count = sums.tolist()
    confusion = matrix.view(num_classes, num_classes).cpu()
    per_class = confusion.diagonal().double() / confusion.sum(dim=1).clamp(min=1).double()
    return Evaluation(
        accuracy=correct / count,
        loss=loss_sum / count,
        per_class_accuracy=per_class.tolist(),
        confusion=confusion,
        classes=list(classes),
        num_images=int(count),
    )
