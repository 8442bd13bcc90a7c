"""The training engine: recipe, reproducibility, interruption, checkpoints and resume, evaluation.

Everything runs on the CPU with a tiny network on tiny synthetic images, so the whole file takes
seconds; one test trains a real model of the course for a few batches.
"""

from __future__ import annotations

import copy
import itertools
import math
import warnings

import pytest
import torch
from torch import nn

from smallnets_edu import budget, data, models, train
from smallnets_edu.train import checkpoint
from smallnets_edu.train.history import CONFUSION_FIGSIZE, CURVES_FIGSIZE, EPOCH_KEYS

NUM_CLASSES = 4
DETERMINISTIC_KEYS = [k for k in EPOCH_KEYS if k not in ("seconds", "images_per_second")]


def toy_dataset(n_train: int = 192, n_test: int = 96, size: int = 8, seed: int = 0) -> data.Dataset:
    """Four classes a small convolution can tell apart: a bright bar in a class-specific channel/row."""
    g = torch.Generator().manual_seed(seed)
    n = n_train + n_test
    labels = torch.arange(n) % NUM_CLASSES
    labels = labels[torch.randperm(n, generator=g)]
    images = torch.randint(0, 80, (n, 3, size, size), generator=g, dtype=torch.uint8)
    for c in range(NUM_CLASSES):
        rows = slice(2 * (c // 2), 2 * (c // 2) + 3)
        images[labels == c, c % 3, rows, :] += 150
    classes = [f"class{c}" for c in range(NUM_CLASSES)]
    train_split = data.Split(images[:n_train], labels[:n_train])
    test_split = data.Split(images[n_train:], labels[n_train:])
    return data.make_dataset("toy", train_split, test_split, classes)


class Tiny(nn.Module):
    """Conv-BN-ReLU, pooling, dropout, linear: every kind of state the engine must handle.

    ``interrupt_at`` makes the n-th forward call raise KeyboardInterrupt, as Ctrl-C would.
    """

    def __init__(self, channels: int = 8, num_classes: int = NUM_CLASSES, name: str = "tiny") -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels), nn.ReLU()
        )
        self.head = nn.Sequential(
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2), nn.Linear(channels, num_classes)
        )
        self.name = name
        self.calls = 0
        self.interrupt_at: int | None = None
        self.nan_from: int | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        if self.interrupt_at is not None and self.calls >= self.interrupt_at:
            raise KeyboardInterrupt
        out = self.head(self.features(x))
        if self.nan_from is not None and self.calls >= self.nan_from:
            out = out * float("nan")  # what a diverging run ends with
        return out


SETTINGS = {"budget": "smoke", "batch_size": 32, "device": "cpu", "progress": False}


def tiny(seed: int = 0, **kw) -> Tiny:
    torch.manual_seed(seed)
    return Tiny(**kw)


def weights_equal(a: nn.Module | dict, b: nn.Module | dict) -> bool:
    sa = a.state_dict() if isinstance(a, nn.Module) else a
    sb = b.state_dict() if isinstance(b, nn.Module) else b
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def curves(history: train.History) -> list[list[float]]:
    return [[e[k] for k in DETERMINISTIC_KEYS] for e in history.epochs]


@pytest.fixture(scope="module")
def ds() -> data.Dataset:
    return toy_dataset()


@pytest.fixture(scope="module")
def trained(ds):
    """One 3-epoch run shared by several tests (as the reference uninterrupted run)."""
    model = tiny()
    history = train.fit(model, ds, epochs=3, **SETTINGS)
    return model, history


# --------------------------------------------------------------------------------------------------
# Recipe
# --------------------------------------------------------------------------------------------------


def test_param_groups_exclude_batchnorm_and_biases_from_weight_decay():
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Flatten(), nn.LazyLinear(2))
    model(torch.zeros(2, 3, 5, 5))
    groups = train.param_groups(model, weight_decay=5e-4)
    decayed = {id(p) for g in groups if g["weight_decay"] > 0 for p in g["params"]}
    plain = {id(p) for g in groups if g["weight_decay"] == 0 for p in g["params"]}
    assert decayed == {id(model[0].weight), id(model[3].weight)}
    assert plain == {id(model[0].bias), id(model[1].weight), id(model[1].bias), id(model[3].bias)}
    opt = train.make_optimizer(model, lr=0.1, weight_decay=5e-4)
    assert all(g["nesterov"] and g["momentum"] == 0.9 for g in opt.param_groups)


def test_head_lr_scale_gives_the_classifier_its_own_slower_groups():
    model = models.build("squeezenet1_1", num_classes=10, width_mult=0.25, variant="cifar")
    conv10 = model.classifier.conv10[0]
    opt = train.make_optimizer(model, lr=0.1, weight_decay=5e-4, head_lr_scale=0.01)
    rate = {id(p): g["lr"] for g in opt.param_groups for p in g["params"]}
    decay = {id(p): g["weight_decay"] for g in opt.param_groups for p in g["params"]}
    assert rate[id(conv10.weight)] == pytest.approx(0.001) and rate[id(conv10.bias)] == pytest.approx(0.001)
    assert decay[id(conv10.weight)] == 5e-4 and decay[id(conv10.bias)] == 0.0
    body = [p for p in model.features.parameters()]
    assert all(rate[id(p)] == 0.1 for p in body)
    assert opt.param_groups[0]["lr"] == 0.1  # the rate progress bars show is the body's
    # Every parameter in exactly one group; the schedule scales both rates alike.
    assert sorted(rate) == sorted(id(p) for p in model.parameters())
    sched = train.make_scheduler(opt, total_steps=10, warmup_steps=0, schedule="cosine")
    opt.step()
    sched.step()
    head_group = next(g for g in opt.param_groups if any(p is conv10.weight for p in g["params"]))
    assert head_group["lr"] / opt.param_groups[0]["lr"] == pytest.approx(0.01)


def test_adamw_is_a_choice_with_its_own_rate_and_decoupled_decay(ds):
    model = tiny()
    opt = train.make_optimizer(model, lr=3e-4, weight_decay=0.05, optimizer="adamw")
    assert isinstance(opt, torch.optim.AdamW)
    decays = sorted({g["weight_decay"] for g in opt.param_groups})
    assert decays == [0.0, 0.05]  # BatchNorm and biases still do not decay
    with pytest.raises(ValueError, match="optimizer must be one of sgd, adamw"):
        train.make_optimizer(model, lr=0.1, weight_decay=0.0, optimizer="adam")
    b = budget.get("smoke")
    quiet = {"budget": "smoke", "device": "cpu", "progress": False}
    hist = train.fit(tiny(), ds, **quiet, optimizer="adamw", batch_size=32)
    assert hist.config["optimizer"] == "adamw"
    assert hist.config["lr"] == pytest.approx(b.adamw_lr * 32 / b.batch_size)
    assert hist.config["weight_decay"] == train.recipe.ADAMW_WEIGHT_DECAY
    # An explicit decay wins; SGD keeps the budget's.
    hist = train.fit(tiny(), ds, **quiet, optimizer="adamw", weight_decay=0.1)
    assert hist.config["weight_decay"] == 0.1
    hist = train.fit(tiny(), ds, budget="smoke", device="cpu", progress=False)
    assert (hist.config["optimizer"], hist.config["weight_decay"]) == ("sgd", b.weight_decay)
    with pytest.raises(ValueError, match="optimizer must be one of"):
        train.fit(tiny(), ds, budget="smoke", device="cpu", progress=False, optimizer="rmsprop")


def test_networks_without_shortcuts_ask_fit_for_adamw_and_the_others_do_not():
    for classes in (10, 100, 200):
        model = models.build("squeezenet1_0", num_classes=classes, width_mult=0.25, variant="cifar")
        assert model.recipe_defaults == {
            "optimizer": "adamw",
            "adamw_lr": 3e-4,
            "short_budget": {"epochs_scale": 3, "augment": False},
        }
    with_bn = models.build("squeezenet1_1", num_classes=10, variant="cifar", batch_norm=True)
    assert with_bn.recipe_defaults == {}
    for name in ("mobilenet_v1", "fd_mobilenet", "effnet"):
        net = models.build(name, num_classes=10, width_mult=0.5, variant="cifar")
        assert net.recipe_defaults == {"optimizer": "adamw"}
    for name in ("mobilenet_v2", "shufflenet_v1"):
        assert models.build(name, num_classes=10, width_mult=0.5, variant="cifar").recipe_defaults == {}
    # fit applies the network's default, records it, and an explicit value wins.
    ds = toy_dataset(size=32)
    model = models.build("squeezenet1_1", num_classes=NUM_CLASSES, width_mult=0.25, variant="cifar")
    smoke = budget.get("smoke")
    hist = train.fit(model, ds, budget="smoke", epochs=1, batch_size=16, progress=False)
    assert hist.config["optimizer"] == "adamw"
    assert hist.config["lr"] == pytest.approx(3e-4 * 16 / smoke.batch_size)
    # Its own AdamW rate is not given to another optimizer.
    hist = train.fit(model, ds, budget="smoke", epochs=1, batch_size=16, progress=False, optimizer="sgd")
    assert hist.config["optimizer"] == "sgd"
    assert hist.config["lr"] == pytest.approx(smoke.lr * 16 / smoke.batch_size)
    hist = train.fit(model, ds, budget="smoke", epochs=1, batch_size=16, progress=False, lr=0.01)
    assert (hist.config["optimizer"], hist.config["lr"]) == ("adamw", 0.01)


def test_short_budgets_apply_a_networks_short_budget_defaults_only():
    """The published SqueezeNets train 3x the epochs without augmentation at smoke and laptop only."""
    net = models.build("squeezenet1_1", num_classes=10, width_mult=0.25, variant="cifar")
    defaults = net.recipe_defaults
    for name in ("smoke", "laptop", "gpu", "full"):
        b = budget.get(name)
        settings = train.Settings.resolve(b, None, {}, defaults)
        assert b.short == (name in ("smoke", "laptop"))
        assert settings.epochs == (3 * b.epochs if b.short else b.epochs)
        assert settings.augment is (False if b.short else None)
        assert (settings.optimizer, settings.lr) == ("adamw", pytest.approx(3e-4))
    # Explicit values and a resumed run's values win over the scaled defaults.
    laptop = budget.get("laptop")
    assert train.Settings.resolve(laptop, None, {"epochs": 2, "augment": True}, defaults).epochs == 2
    assert train.Settings.resolve(laptop, {"epochs": 7}, {}, defaults).epochs == 7
    assert train.Settings.resolve(laptop, None, {}, defaults).augment is False
    with pytest.raises(ValueError, match="epochs_scale must be a number greater than 0"):
        train.Settings.resolve(laptop, None, {}, {"epochs_scale": 0})
    # Networks without such defaults get the budget's epochs everywhere.
    plain = models.build("mobilenet_v2", num_classes=10, width_mult=0.25, variant="cifar").recipe_defaults
    assert train.Settings.resolve(laptop, None, {}, plain).epochs == laptop.epochs


def test_short_runs_train_on_plain_images_unless_someone_chose_augmentation():
    """At smoke and laptop a run of at most two epochs sees no crops or flips; longer runs and the
    long budgets leave it to the loader."""
    laptop, gpu = budget.get("laptop"), budget.get("gpu")
    plain_up_to = [budget.get(name).plain_up_to_epochs for name in ("smoke", "laptop", "gpu", "full")]
    assert plain_up_to == [2, 2, 0, 0]
    for epochs, plain in ((1, False), (2, False), (3, None), (5, None)):
        assert train.Settings.resolve(laptop, None, {"epochs": epochs}, None).augment is plain
    assert train.Settings.resolve(laptop, None, {"epochs": 2, "augment": True}, None).augment is True
    assert train.Settings.resolve(laptop, {"augment": True}, {"epochs": 2}, None).augment is True
    assert train.Settings.resolve(gpu, None, {"epochs": 1}, None).augment is None


def test_adamw_takes_the_budgets_rate_or_the_networks_own():
    laptop = budget.get("laptop")
    adamw = {"optimizer": "adamw"}
    assert train.Settings.resolve(laptop, None, {}, adamw).lr == laptop.adamw_lr
    half = train.Settings.resolve(laptop, None, {"batch_size": 64}, adamw)
    assert half.lr == pytest.approx(laptop.adamw_lr / 2)  # linear in the batch, like SGD's
    own = train.Settings.resolve(laptop, None, {"batch_size": 64}, adamw | {"adamw_lr": 1e-3})
    assert own.lr == pytest.approx(5e-4)
    assert train.Settings.resolve(laptop, None, {"lr": 0.5}, adamw | {"adamw_lr": 1e-3}).lr == 0.5
    with pytest.raises(ValueError, match="adamw_lr must be a number greater than 0"):
        train.Settings.resolve(laptop, None, {}, adamw | {"adamw_lr": 0})


def test_laptop_runs_get_their_minimum_steps_by_halving_a_batch_nobody_chose(ds):
    """Too few steps for a warm-up and a cosine: the batch halves (the rate with it), to 32 at least."""
    laptop = budget.get("laptop")
    assert laptop.min_steps == 100 and budget.get("smoke").min_steps == 0
    assert train.batch_for_steps(128, 1, 10_000, 100) == 64  # 78 steps -> 156
    assert train.batch_for_steps(128, 2, 10_000, 100) == 128  # 156 steps already
    assert train.batch_for_steps(128, 1, 500, 100) == 32  # never below 32, even with too few images
    assert train.batch_for_steps(128, 5, 10_000, 0) == 128
    one_epoch = {"epochs": 1, "optimizer": "sgd"}
    short = train.Settings.resolve(laptop, None, one_epoch, None, available_images=10_000)
    assert (short.batch_size, short.lr) == (64, pytest.approx(laptop.lr / 2))
    # train_size counts, not the whole set; a chosen or resumed batch is kept; lessons' runs are untouched.
    subset = train.Settings.resolve(laptop, None, one_epoch | {"train_size": 4_000}, None, 50_000)
    assert subset.batch_size == 32
    chosen = train.Settings.resolve(laptop, None, one_epoch | {"batch_size": 128}, None, 10_000)
    assert chosen.batch_size == 128
    assert train.Settings.resolve(laptop, {"batch_size": 128}, one_epoch, None, 10_000).batch_size == 128
    assert train.Settings.resolve(laptop, None, {}, None, 10_000).batch_size == laptop.batch_size
    # fit passes the data's size: 192 toy images, 2 epochs at laptop: batch 32 (12 steps, the nearest).
    history = train.fit(tiny(), ds, budget="laptop", epochs=2, device="cpu", progress=False)
    assert history.config["batch_size"] == 32


def lrs(schedule: str, total: int, warmup: int, peak: float = 1.0) -> list[float]:
    """The learning rate of every step of ``train.make_scheduler``'s schedule."""
    optimizer = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=peak)
    scheduler = train.make_scheduler(optimizer, total, warmup, schedule)
    rates = []
    for _ in range(total):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return rates


@pytest.mark.parametrize("schedule", ["cosine", "onecycle"])
def test_schedule_shapes(schedule):
    total, warmup = 100, 20
    f = lrs(schedule, total, warmup)
    top = f.index(max(f))
    rising, falling = f[: top + 1], f[top:]
    assert abs(top - warmup) <= 1  # the peak at the end of the warm-up
    assert all(a < b for a, b in itertools.pairwise(rising))
    assert all(a > b for a, b in itertools.pairwise(falling))
    assert max(f) == pytest.approx(1.0, abs=1e-3)
    assert f[-1] < 0.01
    # Warm-up starts low: linearly from 1/(warmup + 1) for cosine, from 1/25 for one-cycle.
    assert f[0] == pytest.approx(1 / (warmup + 1) if schedule == "cosine" else 1 / 25)


def test_cosine_without_warmup_starts_at_the_peak():
    f = lrs("cosine", 10, 0, peak=0.2)
    assert f == pytest.approx([0.1 * (1 + math.cos(math.pi * k / 10)) for k in range(10)])


def test_lr_follows_the_schedule_and_scales_with_batch_size(ds, trained):
    from smallnets_edu.budget import BUDGETS

    _, history = trained

    b = BUDGETS["smoke"]
    assert history.config["lr"] == pytest.approx(b.lr * 32 / b.batch_size)
    steps = len(ds.train) // 32
    expected = lrs("cosine", 3 * steps, 0, peak=history.config["lr"])
    for e in history.epochs:
        # the rate of the last step of each epoch (no warm-up at the smoke budget)
        assert e["lr"] == pytest.approx(expected[e["epoch"] * steps - 1])


def test_fit_is_the_textbook_recipe(ds):
    """Two epochs of fit equal a hand-written loop: SGD with Nesterov momentum 0.9, weight decay on
    weights only, label smoothing, linear warm-up then cosine, one learning rate per step."""
    model = tiny()
    model.head[2].p = 0.0  # no dropout, so both loops draw no random numbers of their own
    reference = copy.deepcopy(model)
    settings = {"epochs": 2, "weight_decay": 1e-3, "label_smoothing": 0.2, "warmup_epochs": 1, "lr": 0.2}
    # Two epochs would otherwise be plain; float32, since the reference loop computes in float32.
    train.fit(model, ds, **settings, **SETTINGS, augment=True, amp=False)

    decay = [p for p in reference.parameters() if p.ndim > 1]
    no_decay = [p for p in reference.parameters() if p.ndim <= 1]
    groups = [{"params": decay, "weight_decay": 1e-3}, {"params": no_decay, "weight_decay": 0.0}]
    optimizer = torch.optim.SGD(groups, lr=0.2, momentum=0.9, nesterov=True)
    loader = data.Loader(ds.train, 32, train=True, mean=ds.mean, std=ds.std, seed=0)
    steps = len(loader)
    step = 0
    for epoch in (1, 2):
        loader.set_epoch(epoch)
        reference.train()
        for x, y in loader:
            factor = (
                (step + 1) / (steps + 1)
                if step < steps
                else 0.5 * (1 + math.cos(math.pi * (step - steps) / steps))
            )
            for group in optimizer.param_groups:
                group["lr"] = 0.2 * factor
            loss = nn.functional.cross_entropy(reference(x), y, label_smoothing=0.2)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
    for (key, mine), theirs in zip(model.state_dict().items(), reference.state_dict().values(), strict=True):
        assert torch.allclose(mine, theirs, atol=1e-6), key
    assert not weights_equal(model, tiny())  # it did train


def test_training_learns_the_toy_task(trained):
    _, history = trained
    losses = history.column("train_loss")
    assert losses[-1] < losses[0]
    assert history.best_test_acc > 0.5  # chance is 0.25
    assert history.best_test_acc == max(history.column("test_acc"))
    assert history.epochs[history.best_epoch - 1]["test_acc"] == history.best_test_acc
    assert all(e["images_per_second"] > 0 and e["seconds"] > 0 for e in history.epochs)
    assert not history.interrupted and history.model == "tiny"


# --------------------------------------------------------------------------------------------------
# Reproducibility, interruption, checkpoints, resume
# --------------------------------------------------------------------------------------------------


def test_same_seed_same_run_other_seed_other_run(ds, trained):
    model_a, history_a = trained
    model_b = tiny()
    history_b = train.fit(model_b, ds, epochs=3, **SETTINGS)
    assert weights_equal(model_a, model_b)
    assert curves(history_a) == curves(history_b)

    model_c = tiny()
    history_c = train.fit(model_c, ds, epochs=3, seed=1, **SETTINGS)
    assert not weights_equal(model_a, model_c)
    assert curves(history_a) != curves(history_c)


def test_fit_leaves_the_global_random_state_alone(ds):
    model = tiny()
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    train.fit(model, ds, epochs=1, **SETTINGS)
    assert torch.equal(torch.rand(3), expected)


def test_interrupt_keeps_history_and_best_weights_and_resume_matches(ds, trained, tmp_path):
    reference_model, reference = trained
    steps = len(ds.train) // 32
    eval_batches = math.ceil(len(ds.test) / 64)
    model = tiny()
    # Ctrl-C in the middle of the third epoch.
    model.interrupt_at = 2 * (steps + eval_batches) + steps // 2
    history = train.fit(model, ds, epochs=3, out_dir=tmp_path, **SETTINGS)
    assert history.interrupted
    assert len(history) == 2
    assert curves(history) == curves(reference)[:2]

    best = checkpoint.load(tmp_path / "best.pt")
    assert best["epoch"] == history.best_epoch
    assert weights_equal(model, best["state_dict"])  # the best weights were loaded, not the mid-epoch ones
    assert train.History.from_json(tmp_path / "history.json").interrupted

    last = checkpoint.load(tmp_path / "last.pt")
    assert last["epoch"] == 2
    resumed_model = tiny(seed=99)  # any initialisation: the checkpoint replaces it
    resumed = train.fit(resumed_model, ds, resume=tmp_path / "last.pt", **SETTINGS)
    assert not resumed.interrupted
    assert curves(resumed) == curves(reference)
    assert weights_equal(resumed_model, reference_model)


def test_divergence_stops_with_a_warning_and_the_best_weights(ds, tmp_path):
    model = tiny()
    steps = len(ds.train) // 32
    model.nan_from = steps + math.ceil(len(ds.test) / 64) + 2  # the loss turns NaN early in epoch 2
    with pytest.warns(UserWarning, match="diverged at epoch 2.*weights of epoch 1"):
        history = train.fit(model, ds, epochs=3, out_dir=tmp_path, **SETTINGS)
    assert len(history) == 2 and math.isnan(history.epochs[-1]["train_loss"])
    assert history.best_epoch == 1 and history.diverged
    saved = train.History.from_json(tmp_path / "history.json")  # the diverged epoch is on record
    assert saved.diverged and len(saved) == 2 and math.isnan(saved.epochs[-1]["train_loss"])
    assert weights_equal(model, checkpoint.load(tmp_path / "best.pt")["state_dict"])
    assert all(torch.isfinite(v).all() for v in model.state_dict().values())
    assert checkpoint.load(tmp_path / "last.pt")["epoch"] == 1  # the NaN epoch is never saved


def test_checkpoints_are_weights_only_complete_and_atomic(ds, tmp_path):
    model = tiny()
    history = train.fit(model, ds, epochs=2, out_dir=tmp_path, **SETTINGS)
    # No lock file and no temporary file is left once the run ends.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best.pt", "history.json", "last.pt"]
    payload = torch.load(tmp_path / "last.pt", weights_only=True)  # plain data and tensors only
    # A module the course did not build is known by its name and the data's class count only.
    assert payload["model"] == {
        "name": "tiny",
        "variant": None,
        "num_classes": NUM_CLASSES,
        "width_mult": None,
        "options": None,
    }
    assert payload["epoch"] == 2
    assert payload["budget"]["name"] == "smoke"
    assert payload["scheduler"]["last_epoch"] == 2 * (len(ds.train) // 32)
    assert len(payload["optimizer"]["state"]) == sum(1 for _ in model.parameters())
    assert train.History.from_dict(payload["history"]).epochs == history.epochs
    assert weights_equal(model, payload["state_dict"])
    assert train.History.from_json(tmp_path / "history.json").epochs == history.epochs


def test_checkpoint_of_another_architecture_is_refused(ds, tmp_path):
    train.fit(tiny(), ds, epochs=1, out_dir=tmp_path, **SETTINGS)
    with pytest.raises(ValueError, match=r"tiny.*other_net|other_net.*tiny"):
        train.fit(tiny(name="other_net"), ds, epochs=1, resume=tmp_path / "last.pt", **SETTINGS)
    with pytest.raises(ValueError, match="tiny"):
        train.fit(tiny(channels=6), ds, epochs=1, resume=tmp_path / "last.pt", **SETTINGS)
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="not a readable checkpoint"):
        train.fit(tiny(), ds, resume=tmp_path / "junk.pt", **SETTINGS)


# --------------------------------------------------------------------------------------------------
# Settings and bad input
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"epochs": 0}, "epochs"),
        ({"batch_size": 0}, "batch_size"),
        ({"epochs": 1.5}, "epochs"),
        ({"lr": -0.1}, "lr"),
        ({"schedule": "linear"}, "schedule"),
        ({"label_smoothing": 1.5}, "label_smoothing"),
        ({"budget": "huge"}, "unknown budget"),
        ({"device": "tpu"}, "device"),
        ({"amp": "fp8"}, "amp"),
        ({"batch_size": 1000}, "smaller than one batch"),
        ({"head_lr_scale": 0}, "head_lr_scale"),
        ({"optimizer": "adam"}, "optimizer must be one of sgd, adamw"),
    ],
)
def test_bad_settings_raise_clear_errors(ds, kwargs, message):
    settings = {**SETTINGS, **kwargs}
    with pytest.raises(ValueError, match=message):
        train.fit(tiny(), ds, **settings)


def test_model_with_the_wrong_number_of_outputs_is_refused(ds):
    with pytest.raises(ValueError, match=f"num_classes={NUM_CLASSES}"):
        train.fit(tiny(num_classes=10), ds, **SETTINGS)


def test_defaults_come_from_the_budget(ds):
    from smallnets_edu.budget import BUDGETS

    b = BUDGETS["smoke"]
    history = train.fit(tiny(), ds, budget="smoke", device="cpu", progress=False)
    cfg = history.config
    assert (cfg["epochs"], cfg["batch_size"], cfg["lr"]) == (b.epochs, b.batch_size, b.lr)
    assert (cfg["weight_decay"], cfg["label_smoothing"]) == (b.weight_decay, b.label_smoothing)
    assert len(history) == b.epochs
    assert cfg["channels_last"] == train.default_channels_last(torch.device("cpu"))
    assert cfg["amp"] == ("bfloat16" if train.device.cpu_has_bf16_units() else None)


@pytest.mark.parametrize("units", [True, False])
def test_the_cpu_trains_in_bf16_by_default_only_where_it_has_bf16_units(ds, monkeypatch, units):
    from smallnets_edu.train import device as device_mod

    monkeypatch.setattr(device_mod, "cpu_has_bf16_units", lambda: units)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the default never warns
        history = train.fit(tiny(), ds, epochs=1, **SETTINGS)
    assert history.config["amp"] == ("bfloat16" if units else None)
    assert train.fit(tiny(), ds, epochs=1, amp=False, **SETTINGS).config["amp"] is None


def test_fit_trains_in_bf16_but_tests_in_float32_on_the_cpu(ds, monkeypatch):
    from smallnets_edu.train import device as device_mod

    monkeypatch.setattr(device_mod, "cpu_has_bf16_units", lambda: True)
    model = tiny()
    seen: dict[bool, set[torch.dtype]] = {True: set(), False: set()}
    model.features[0].register_forward_hook(lambda m, a, out: seen[m.training].add(out.dtype))
    history = train.fit(model, ds, epochs=1, **SETTINGS)
    assert history.config["amp"] == "bfloat16"
    assert seen == {True: {torch.bfloat16}, False: {torch.float32}}
    # So fit's own test accuracy is the one evaluate gives afterwards.
    assert train.evaluate(model, ds).accuracy == pytest.approx(history.final_test_acc)
    assert seen[False] == {torch.float32}


def test_only_k_by_k_depthwise_convolutions_stay_in_float32():
    from smallnets_edu.train.device import keeps_float32

    assert keeps_float32(nn.Conv2d(8, 8, 3, groups=8))
    assert not keeps_float32(nn.Conv2d(8, 8, (1, 3), groups=8))  # EffNet's 1x3 and 3x1 gain in bf16
    assert not keeps_float32(nn.Conv2d(8, 16, 1, groups=4))  # ShuffleNet's grouped 1x1
    assert not keeps_float32(nn.Conv2d(8, 8, 3))
    counts = {
        name: sum(keeps_float32(m) for m in models.build(name, num_classes=10, variant="cifar").modules())
        for name in ("mobilenet_v1", "effnet", "squeezenet1_1")
    }
    assert counts == {"mobilenet_v1": 13, "effnet": 0, "squeezenet1_1": 0}


def test_float32_islands_compute_depthwise_layers_in_float32_and_leave_nothing_behind():
    from smallnets_edu.train.device import autocast, float32_islands

    cpu = torch.device("cpu")
    net = nn.Sequential(nn.Conv2d(3, 8, 1), nn.Conv2d(8, 8, 3, padding=1, groups=8), nn.Conv2d(8, 4, 1))
    outputs: list[torch.dtype] = []
    for layer in net:
        layer.register_forward_hook(lambda m, a, out: outputs.append(out.dtype))
    x = torch.randn(2, 3, 8, 8)
    with autocast(cpu, torch.bfloat16), float32_islands(net, cpu, torch.bfloat16):
        net(x)
        assert torch.is_autocast_enabled("cpu")  # restored after the island
    assert outputs == [torch.bfloat16, torch.float32, torch.bfloat16]
    # Leaving the context removes the islands' hooks (the test's own recorders stay).
    assert [len(layer._forward_pre_hooks) for layer in net] == [0, 0, 0]
    outputs.clear()
    with autocast(cpu, torch.bfloat16):
        net(x)
    assert outputs == [torch.bfloat16] * 3
    # A layer that raises inside an island still gives autocast back.
    bad = nn.Conv2d(8, 8, 3, groups=8)
    with autocast(cpu, torch.bfloat16), float32_islands(bad, cpu, torch.bfloat16):
        with pytest.raises(RuntimeError):
            bad(torch.randn(2, 3, 8, 8))  # 3 channels where 8 are expected
        assert torch.is_autocast_enabled("cpu")


def test_the_optimizers_are_fused_on_the_cpu():
    from smallnets_edu.train.recipe import make_optimizer

    for name in ("sgd", "adamw"):
        assert make_optimizer(tiny(), 0.1, 5e-4, optimizer=name).defaults["fused"] is True


def test_train_size_trains_on_a_subset(ds):
    history = train.fit(tiny(), ds, epochs=1, train_size=64, test_size=32, **SETTINGS)
    assert (history.config["train_size"], history.config["test_size"]) == (64, 32)


def test_amp_on_a_cpu_without_bf16_units_warns_and_trains_in_float32(ds, monkeypatch):
    from smallnets_edu.train import device as device_mod

    monkeypatch.setattr(device_mod, "cpu_has_bf16_units", lambda: False)
    with pytest.warns(UserWarning, match="no bfloat16 units"):
        history = train.fit(tiny(), ds, epochs=1, amp=True, **SETTINGS)
    assert history.config["amp"] is None


def test_bf16_on_a_cpu_trains_in_bf16_only_where_the_processor_has_bf16_units(ds, monkeypatch):
    from smallnets_edu.train import device as device_mod

    monkeypatch.setattr(device_mod, "cpu_has_bf16_units", lambda: True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = train.fit(tiny(), ds, epochs=1, amp="bf16", **SETTINGS)
    assert history.config["amp"] == "bfloat16" and math.isfinite(history.epochs[0]["train_loss"])
    # The convolutions really ran in bf16 under fit's autocast.
    with device_mod.autocast(torch.device("cpu"), torch.bfloat16):
        assert tiny().features(torch.rand(2, 3, 8, 8)).dtype == torch.bfloat16
    monkeypatch.setattr(device_mod, "cpu_has_bf16_units", lambda: False)
    with pytest.warns(UserWarning, match="no bfloat16 units"):
        history = train.fit(tiny(), ds, epochs=1, amp="bf16", **SETTINGS)
    assert history.config["amp"] is None
    with pytest.warns(UserWarning, match="CUDA"):  # fp16 stays a GPU choice
        assert train.resolve_amp("fp16", torch.device("cpu")) is None


def test_channels_last_gives_the_same_training(ds):
    """Only the memory layout changes: the weights agree up to floating-point rounding."""
    a, b = tiny(), tiny()
    train.fit(a, ds, epochs=1, channels_last=False, **SETTINGS)
    train.fit(b, ds, epochs=1, channels_last=True, **SETTINGS)
    for (key, x), y in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        assert torch.allclose(x.float(), y.float(), atol=1e-4, rtol=1e-3), key
    assert b.features[0].weight.is_contiguous(memory_format=torch.channels_last)


def test_progress_false_prints_nothing(ds, capsys):
    train.fit(tiny(), ds, epochs=1, **SETTINGS)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_progress_bars_show_epochs_and_metrics(ds, capsys):
    train.fit(tiny(), ds, epochs=1, **{**SETTINGS, "progress": True})
    err = capsys.readouterr().err
    assert "tiny" in err and "test_acc=" in err and "img_s=" in err


def test_live_plot_outside_a_notebook_warns_and_trains(ds):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = train.fit(tiny(), ds, epochs=1, live_plot=True, **SETTINGS)
    assert len(history) == 1
    assert any("notebook" in str(w.message) for w in caught)


def test_live_plot_in_a_notebook_replaces_one_image_per_epoch(ds, monkeypatch):
    ipython = pytest.importorskip("IPython")
    ipython_display = pytest.importorskip("IPython.display")

    shown, updates = [], []

    class Handle:
        def update(self, obj):
            updates.append(obj)

    def display(obj, display_id=False):
        shown.append(obj)
        return Handle()

    monkeypatch.setattr(ipython, "get_ipython", lambda: object())  # as inside a kernel
    monkeypatch.setattr(ipython_display, "display", display)
    train.fit(tiny(), ds, epochs=2, live_plot=True, **SETTINGS)
    assert len(shown) == 1  # one output, updated in place
    assert len(updates) == 2
    assert all(isinstance(u, ipython_display.Image) and u.data[:4] == b"\x89PNG" for u in updates)


# --------------------------------------------------------------------------------------------------
# History and Evaluation
# --------------------------------------------------------------------------------------------------


def test_history_json_round_trip_and_plot(trained, tmp_path):
    _, history = trained
    path = history.to_json(tmp_path / "h.json")
    again = train.History.from_json(path)
    assert again == history
    fig = history.plot()
    assert tuple(fig.get_size_inches()) == CURVES_FIGSIZE
    loss_ax, acc_ax = fig.axes
    train_line = acc_ax.get_lines()[0]
    assert list(train_line.get_ydata()) == history.column("train_acc")
    assert list(loss_ax.get_lines()[1].get_ydata()) == history.column("test_loss")
    with pytest.raises(ValueError, match="not a JSON history"):
        (tmp_path / "bad.json").write_text("{")
        train.History.from_json(tmp_path / "bad.json")


def test_evaluate_agrees_with_a_direct_computation(ds, trained):
    model, _ = trained
    result = train.evaluate(model, ds, device="cpu")
    # Independent check: normalise by hand and classify the whole test set in one batch.
    mean = torch.tensor(ds.mean).view(1, 3, 1, 1)
    std = torch.tensor(ds.std).view(1, 3, 1, 1)
    x = (ds.test.images.float() / 255 - mean) / std
    model.eval()
    with torch.no_grad():
        logits = model(x)
    pred = logits.argmax(1)
    y = ds.test.labels
    assert result.num_images == len(y)
    assert result.accuracy == pytest.approx((pred == y).float().mean().item())
    assert result.loss == pytest.approx(nn.functional.cross_entropy(logits, y).item(), rel=1e-5)
    for i in range(NUM_CLASSES):
        for j in range(NUM_CLASSES):
            assert result.confusion[i, j] == ((y == i) & (pred == j)).sum()
        assert result.per_class_accuracy[i] == pytest.approx((pred[y == i] == i).float().mean().item())
    assert result.classes == ds.classes
    fig = result.plot_confusion()
    assert tuple(fig.get_size_inches()) == CONFUSION_FIGSIZE
    # A bare split needs its normalisation.
    with pytest.raises(ValueError, match="mean= and std="):
        train.evaluate(model, ds.test)
    split_result = train.evaluate(model, ds.test, mean=ds.mean, std=ds.std)
    assert split_result.accuracy == result.accuracy


# --------------------------------------------------------------------------------------------------
# A real network of the course
# --------------------------------------------------------------------------------------------------


def test_a_model_of_the_course_trains_and_reloads(tmp_path):
    ds = toy_dataset(n_train=64, n_test=32, size=32)
    torch.manual_seed(0)
    model = models.build("mobilenet_v2", num_classes=NUM_CLASSES, width_mult=0.25, variant="cifar")
    history = train.fit(model, ds, epochs=1, out_dir=tmp_path, **SETTINGS)
    assert len(history) == 1 and math.isfinite(history.epochs[0]["train_loss"])
    reloaded = train.load_model(tmp_path / "last.pt")
    assert type(reloaded) is type(model) and reloaded.variant == "cifar"
    assert weights_equal(reloaded, model)
    with pytest.raises(ValueError, match=r"mobilenet_v2.*width 0.5|width 0.5.*mobilenet_v2"):
        other = models.build("mobilenet_v2", num_classes=NUM_CLASSES, width_mult=0.5, variant="cifar")
        train.fit(other, ds, resume=tmp_path / "last.pt", **SETTINGS)
