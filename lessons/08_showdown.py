# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 08 · Showdown: every network on your machine
#
# **After this lesson you can**
#
# - compute what each network of the course costs (parameters, multiply-accumulates, peak activation
#   memory) and check every family's headline figures against its paper;
# - measure every network's latency on your CPU, one image at a time and in batches of 32;
# - build **Pareto fronts** of accuracy against arithmetic and against time, and explain why they differ;
# - explain with **arithmetic intensity** and the **roofline** why a depthwise convolution, cheap on
#   paper, is slow in practice;
# - measure, with four tiny experiments, whether ShuffleNet V2's four practical guidelines hold on your CPU;
# - choose a network for a device from its limits on time, memory and weights;
# - check whether the ranking holds on a 100-class dataset, and count what the classifier costs per class.
#
# **The idea in one paragraph**
#
# Seven lessons, six papers, seven networks, each paper with a table that shows its network winning. The
# tables are not wrong, but they were measured on different machines, with different training recipes,
# and most of them count cost in multiply-accumulates, a number no user ever feels. This lesson puts
# SqueezeNet 1.0 and 1.1, MobileNet, ShuffleNet, MobileNetV2, EffNet and FD-MobileNet on one bench:
# **your** computer, the same data, the same training budget, the same stopwatch. What it finds is the
# point of ShuffleNet V2 (Ma, Zhang, Zheng and Sun, 2018,
# [arXiv:1807.11164](https://arxiv.org/abs/1807.11164)): multiply-accumulates are an *indirect* measure
# of speed, because time also depends on how many bytes each layer moves and on how many small operators
# a network calls.
#
# **About the measurements.** Each is stored when first made, keyed by your machine, PyTorch version,
# budget and settings: a second run shows it at once (the deep dive *measuring again* says where).

# %%
import functools

from smallnets_edu import budget, cost, models, paper_figures, plots, reference, showdown, widgets
from smallnets_edu.display import diff, table

# %% tags=["nbval-ignore-output"]
print(reference.banner("08"))

# %% [markdown]
# ## 1. The contestants
#
# Everything we train and time in this lesson is the `cifar` variant of each network: the paper's
# architecture with some early strides removed, so that a 32x32 image is not shrunk to nothing before
# the network has looked at it (each family's module docstring lists the strides it changed), and a
# 10-class classifier. These costs are computed, not measured, so they are the same on every machine.

# %%
contestants = showdown.costs()  # cost.profile of every cifar variant at 32x32
rows = []
for name, p in contestants.items():
    peak = max(p.layers, key=lambda layer: layer.working_bytes)
    size = [f"{p.params:,}", f"{p.macs / 1e6:.1f}", f"{p.peak_activation_bytes / 1024:,.0f}", peak.name]
    rows.append([name, paper_figures.cite(name), *size, sum(1 for layer in p.layers if layer.macs)])
table(
    ["network", "paper", "parameters", "M MACs", "peak activations (KiB)", "at layer", "layers with MACs"],
    rows,
)

# %% [markdown]
# A few things stand out before any stopwatch runs.
#
# - **MACs and parameters disagree.** MobileNet has the most parameters (3.2M) but only 46M MACs;
#   SqueezeNet 1.0 has less than a quarter of the parameters and more MACs (53M), because its 3x3 filters
#   work on large maps. EffNet, designed for small images from the start, is the smallest on both
#   counts (0.24M parameters, 9M MACs).
# - **MobileNetV2 is the most expensive here** (88M MACs), although on ImageNet it costs about half of
#   MobileNet (300M against 569M). Its `cifar` variant keeps full 32x32 resolution through its first
#   two stages, where the expansion layers multiply the channels by six.
# - **Peak activation memory** is decided by the first layers, where the maps are largest: an input
#   and an output of 64 channels at 32x32 in 32-bit floats are 512 KiB, the peak of four of the seven.
#   Parameters stay in memory for the whole run; activations only while a layer runs (lesson 05).
# - **Depth.** ShuffleNet and MobileNetV2 have about twice as many layers that compute anything as
#   MobileNet. Each layer is a separate call, with its own fixed cost; section 6 will weigh that.

# %% [markdown]
# ## 2. The papers' story, in one figure
#
# Each lesson checked its network against its paper, and our counts match every family's headline
# ImageNet figures to within their rounding (the deep dive at the end of this section goes through them
# row by row; EffNet's paper only evaluates small-image networks and has no headline network). The
# papers' accuracies are ImageNet top-1 after long training on many GPUs. We cannot reproduce them on a
# laptop, but we can plot them against our exact MACs, at the resolution of each paper's figure. The
# dashed staircase is the **Pareto front**: the networks that no other network beats on both axes at
# once (section 5 says more).

# %%
headline = showdown.paper_rows()  # each family's headline ImageNet network, published and ours
paper_points = [
    (row["label"], row["macs"] / 1e6, row["published"]["top1"], row["name"])
    for row in headline
    if row["published"]["top1"] is not None
]


def published_accuracy_against(points, xlabel, title):
    """The papers' networks as labelled dots, top-1 against ``x`` (log scale), with their Pareto front."""
    fig, ax = plots.figure(7.0, 4.0)
    showdown.draw_front(ax, [x for _, x, _, _ in points], [y for _, _, y, _ in points])
    for label, x, y, name in points:
        ax.scatter([x], [y], s=60, color=showdown.model_colour(name), zorder=3)
        ax.annotate(label, (x, y), textcoords="offset points", xytext=(6, -3), fontsize=8)
    ax.set(xscale="log", xlabel=xlabel, ylabel="ImageNet top-1 % (as published)", title=title)
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


fig = published_accuracy_against(
    paper_points,
    "million multiply-accumulates at the paper's resolution (ours, log scale)",
    "the papers' networks: accuracy vs arithmetic",
)

# %% [markdown]
# On ImageNet the front is ShuffleNet 1x and MobileNetV2: MobileNetV2 beats MobileNet on both accuracy
# and cost, ShuffleNet beats FD-MobileNet at almost the same cost, and SqueezeNet is far below all of
# them. That is the papers' story, told in MACs. The rest of this lesson asks whether it survives contact
# with a real machine.

# %% [markdown] {"jp-MarkdownHeadingCollapsed": true, "tags": ["optional"]}
# ### Deep dive (optional): paper vs ours, row by row

# %% [markdown]
# Parameters are counted in two ways, and each column keeps to one. The papers count weights and biases
# only; PyTorch's count (and some third-party tables) adds BatchNorm's scale and shift. So we count ours
# both ways (`cost.count_params(model, include_bn=False)` and `include_bn=True`), put each published
# count in the column of its convention, and compare it with ours in the same convention.

# %%
COUNTS_BATCHNORM = {"osmr/imgclsmob"}  # sources whose parameter counts include BatchNorm
rows = []
for row, (_, name, _, options) in zip(headline, showdown.HEADLINE, strict=True):
    pub = row["published"]
    without_bn = row["params"]  # paper_rows counts without BatchNorm
    with_bn = cost.count_params(showdown.build(name, "imagenet", meta=True, **options), include_bn=True)
    published_with_bn = pub["sources"].get("params") in COUNTS_BATCHNORM
    params_cells = ["—", f"{without_bn:,}", "—", f"{with_bn:,}", "—"]
    if pub["params"] is not None:
        ours = with_bn if published_with_bn else without_bn
        params_cells[2 if published_with_bn else 0] = f"{pub['params']:,}"
        params_cells[4] = diff(ours, pub["params"])
    rows.append(
        [
            row["label"],
            row["resolution"],
            *params_cells,
            f"{pub['macs'] / 1e6:,.1f}",
            f"{row['macs'] / 1e6:,.1f}",
            diff(row["macs"], pub["macs"]),
            "—" if pub["top1"] is None else f"{pub['top1']}",
            "; ".join(sorted(set(pub["sources"].values()))),
        ]
    )
table(
    [
        "network",
        "input",
        "published params, without BN",
        "ours, without BN",
        "published params, with BN",
        "ours, with BN",
        "params diff (same convention)",
        "paper M MACs",
        "ours",
        "diff",
        "paper top-1 %",
        "sources",
    ],
    rows,
)

# %% [markdown]
# Every difference is a matter of rounding or of counting, none of architecture:
#
# - **SqueezeNet 1.0 and 1.1**: the parameters agree exactly (1,248,424 and 1,235,496, also
#   torchvision's counts; SqueezeNet has no BatchNorm, so both conventions give the same count). The MACs
#   agree to the precision printed: 833M is ShuffleNet's Table 6 figure for SqueezeNet 1.0 at 227x227,
#   349M DeepScale's for 1.1 at 224x224
#   ([github.com/forresti/SqueezeNet](https://github.com/forresti/SqueezeNet)). (The MobileNet paper's
#   "1700M" counts a multiply and an add as two operations; lesson 03.)
# - **MobileNet**: "4.2M" and "569M" are rounded; the exact totals behind the paper's Table 2 are
#   4,209,088 weights and 568,740,352 MACs. Our 1,000 extra parameters are the classifier's biases.
# - **ShuffleNet 1x (g = 3)**: the paper publishes no parameter count; 137M MACs is Table 1's figure,
#   and ours is 137.5M (lesson 04 explains the channel rounding).
# - **MobileNetV2**: the paper prints "3.4M"; the exact count is 3.47M (TF-slim lists 3.47M,
#   [research/slim/nets/mobilenet](https://github.com/tensorflow/models/blob/master/research/slim/nets/mobilenet/README.md)),
#   so the +2.1% is the paper rounding down.
# - **FD-MobileNet**: the paper gives no parameter count. The one in the table comes from a third party,
#   [osmr/imgclsmob](https://github.com/osmr/imgclsmob), which counts BatchNorm's scale and shift, so it
#   sits in the with-BatchNorm column: there ours is exactly its 2,901,288 (without BatchNorm, ours is
#   2,885,544). The paper's 144M MACs is rounded from our 144.5M.

# %% [markdown]
# ## 3. The stopwatch
#
# Latency is measured, not computed. `cost.latency` runs each network many times with
# `torch.utils.benchmark` for as long as the budget allows (`bench_seconds`) and reports the **median**,
# which ignores the odd slow run when something else wakes up on your computer. Two batch sizes tell two
# stories:
#
# - **batch 1** is a camera app or a robot: one image arrives, and the answer is needed now;
# - **batch 32** is a server, or a phone sorting a photo album overnight: only throughput matters.
#
# All timings in this lesson use the CPU, with as many threads as PyTorch uses by default on your
# machine, in 32-bit floats, in PyTorch's eager mode. A phone running an optimised runtime (TFLite,
# Core ML, ExecuTorch) in 8-bit integers gives other numbers, and sometimes another ranking. Keep that in
# mind for the conclusions.

# %% tags=["nbval-ignore-output"]
times = showdown.latencies(budget=budget.current())  # {name: {batch size: seconds}}, cifar variants at 32x32
big = showdown.latencies(variant="imagenet", batch_sizes=(1,), budget=budget.current())  # ImageNet nets at 224
print(
    f"{'network':<15} {'ms, batch 1':>12} {'ms/image, batch 32':>19} {'batch gain':>11} "
    f"{'MACs per ns':>12} {'ms at 224x224':>14}"
)
for name, t in times.items():
    macs = contestants[name].macs
    imagenet = f"{big[name][1] * 1e3:.1f}" if name in big else "—"
    print(
        f"{name:<15} {t[1] * 1e3:>12.2f} {t[32] / 32 * 1e3:>19.3f} {t[1] / (t[32] / 32):>10.1f}x "
        f"{macs / t[1] / 1e9:>12.2f} {imagenet:>14}"
    )

# %% [markdown]
# Read the columns from left to right.
#
# - **ms, batch 1** against the MACs of section 1: on most machines the order of the two columns is not
#   the same. A network's time is not its MACs divided by a fixed speed.
# - **batch gain**: how much cheaper an image gets in a batch of 32. Batching lets each layer load its
#   weights once for 32 images and gives every core enough work. Networks made of many small layers
#   tend to gain the most, because at batch 1 they spend much of their time on per-layer overheads.
# - **MACs per ns** (GMAC/s) at batch 1 is the speed the network reaches. Compare it between networks:
#   it is far from constant, and finding out why is section 6.
# - **ms at 224x224** times the real ImageNet networks at the paper's resolution, one image at a time,
#   the setting of the papers' phone timings (ShuffleNet's Table 8, MobileNetV2's Table 4).

# %% [markdown]
# ## 4. The same training for everyone
#
# Now accuracy. Every network is trained by `train.fit` on the same images, with the same seed, the same
# learning-rate schedule and the same number of steps. Without the CIFAR-10 files on disk,
# `data.for_lesson` falls back to the course's offline "shapes" dataset and says so.

# %% tags=["nbval-ignore-output"]
from smallnets_edu import data

dataset = data.for_lesson("cifar10")
dataset

# %% [markdown]
# Training seven networks where other lessons train one to three takes time, so the showdown shortens
# the budget's recipe on a CPU: at `laptop` each network trains for 2 epochs on 4,096 images in
# batches of 64, on plain images as `fit` trains any run that short (most of the lesson's time, which
# its first cells print); at `smoke`, a few batches, which only proves that the code runs. The `gpu`
# and `full` budgets (meant for a GPU) train exactly as the budget says. Each network keeps what `fit`
# picks for it (`model.recipe_defaults`): SGD for the two with shortcuts, AdamW for the five without,
# which SGD leaves far behind in a short run (lesson 10 measures by how much), and three times the
# epochs for the published SqueezeNets, which run fast but learn slowly. On top of the budget:

# %%
now = showdown.training_budget(budget.current())
print(f"{now.name} budget for the showdown: {now.epochs} epoch(s), batch {now.batch_size}, lr {now.lr}")
print("showdown overrides:", showdown.training_settings(budget.current()) or "none")

# %% [markdown]
# Train them all (progress bars, one network after the other; results already in the cache return at
# once). Each summary gives the network's final test accuracy and its training speed in images per
# second; section 5 plots the learning curves.

# %% tags=["nbval-ignore-output"]
histories = showdown.training(dataset=dataset, budget=budget.current())
for h in histories.values():
    print(h.summary())

# %% [markdown]
# ## 5. Pareto fronts
#
# With several measures of quality and cost, there is rarely one best network. But some networks are
# clearly *worse* than others: if network A is at least as accurate as B **and** costs no more, and is
# strictly better in one of the two, A **dominates** B, and nobody should choose B. The networks that no
# other network dominates form the **Pareto front** (after the economist Vilfredo Pareto). Every
# sensible choice lies on it; where on it depends on what you can afford.
#
# `showdown.run` puts sections 1, 3 and 4 together (from the cache: nothing is measured twice).

# %% tags=["nbval-ignore-output"]
result = showdown.run(dataset=dataset, budget=budget.current())
print(f"{result.cached} measurements from the cache, {result.measured} made now")
result

# %% tags=["nbval-ignore-output"]
result.plot_curves()

# %% tags=["nbval-ignore-output"]
print("Pareto front, accuracy vs MACs:   ", " < ".join(result.front("macs")))
print("Pareto front, accuracy vs latency:", " < ".join(result.front("latency")))
result.plot()

# %% [markdown]
# Compare the two fronts. A network that is on the MACs front but not on the latency front is one the
# papers' tables flatter on your machine; one that joins the front only on the right is faster than its
# MACs suggest. At the `smoke` budget the accuracies are noise, so only the x positions mean anything;
# at `laptop` the training is a sprint, and it ranks how fast each network *starts* to learn (a big
# network needs more steps to pay off, so the ranking after 200 epochs can differ); on a GPU with the
# `full` budget the fronts become those of the fully trained networks.

# %% [markdown] {"jp-MarkdownHeadingCollapsed": true, "tags": ["optional"]}
# ### Deep dive (optional): the papers' networks against time on your CPU
#
# Section 2's figure again, with time in place of MACs.

# %% [markdown]
# The same question for the papers' own networks: their published ImageNet accuracy against the time
# **your** CPU needs for one 224x224 image.

# %% tags=["nbval-ignore-output"]
timed = [(label, big[name][1] * 1e3, top1, name) for label, _, top1, name in paper_points]
fig = published_accuracy_against(
    timed,
    "milliseconds per 224x224 image on this CPU, batch 1 (log scale)",
    "the papers' networks: accuracy vs time on your machine",
)

# %% [markdown]
# ### A second dataset: does the ranking hold with more classes?
#
# One dataset gives one ranking. CIFAR-100 has 32x32 photos like CIFAR-10's, in 100 classes with a
# tenth as many images each. Without its archive, `data.for_lesson("cifar100")` names the file to fetch
# and uses the offline `shapes100` (each class a texture inside an outline): **the reference outputs
# come from that stand-in**. The showdown's short training leaves 100 classes near chance, so at the
# `smoke` and `laptop` budgets we keep the first 20 (`classes=20`: in `shapes100`, ten textures
# inside a disk or a square); `gpu` and `full` train on all 100. Same networks and recipe as above.

# %% tags=["nbval-ignore-output"]
many = data.for_lesson("cifar100", classes=20 if budget.current().short else None)  # smoke, laptop: 20
print(many)
histories_many = showdown.training(dataset=many, budget=budget.current())

# %% tags=["nbval-ignore-output"]
accuracy = {  # {column: {network: test accuracy after the last epoch}}
    f"{ds.name}, {ds.num_classes} classes": {name: h.last["test_acc"] for name, h in runs.items()}
    for ds, runs in ((dataset, histories), (many, histories_many))
}
header, rows = ["network", "M MACs"], [[name, f"{contestants[name].macs / 1e6:.1f}"] for name in histories]
for column, acc in accuracy.items():
    header += [column, "rank"]
    for row in rows:
        mine = acc[row[0]]
        row += [f"{mine:.1%}", 1 + sum(other > mine for other in acc.values())]  # ties share a rank
table(header, rows)

# %% tags=["nbval-ignore-output"]
fig, ax = plots.figure(7.0, 4.2)
for name in histories:
    ys = [100 * acc[name] for acc in accuracy.values()]
    ax.plot([0, 1], ys, "o-", lw=2, color=showdown.model_colour(name), label=name)
ax.plot([0, 1], [100 / dataset.num_classes, 100 / many.num_classes], "k:", label="chance")
ax.set_xticks([0, 1], [column.replace(", ", "\n") for column in accuracy])
ax.set(xlim=(-0.3, 1.3), ylabel="test accuracy %", title=f"{now.name} budget: one training, two datasets")
ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.0, 0.5))
fig.tight_layout()

# %% [markdown]
# One short run per network, with one seed, cannot rank networks a few points apart: read only the large
# gaps. In the reference run MobileNetV2 and EffNet led on both sets (77.5%, 65.1% of ten classes;
# 31.7%, 24.1% of twenty), then ShuffleNet and FD-MobileNet (52.6%, 43.2%; 17.7%, 19.1%). The slow
# starters left chance on ten classes (26-27%), on twenty only MobileNet v1 (11.7%; chance 5%).
#
# #### What the classifier costs
#
# More classes also make a network bigger: the last layer of `model.classifier` has one output per
# class, so its weights grow with the classes while all others stay fixed. Its share of the parameters:

# %%
print(f"{'network':<15} {'last layer':<20} {'10 classes':>11} {'100 classes':>12} {'200 classes':>12}")
for name in histories:
    shares = []
    for k in (10, 100, 200):
        net = models.build(name, num_classes=k, variant="cifar")
        head = sum(p.numel() for p in net.classifier.parameters())
        shares.append(head / sum(p.numel() for p in net.parameters()))
    last = [m for m in net.classifier.modules() if hasattr(m, "weight")][-1]
    what = f"{type(last).__name__}, {last.weight.shape[1]} -> k"
    print(f"{name:<15} {what:<20} {shares[0]:>11.1%} {shares[1]:>12.1%} {shares[2]:>12.1%}")

# %% [markdown]
# MobileNet's paper remarks that its fully connected layer holds 24% of its parameters at 1000 classes.
# SqueezeNet's "no FC" design ends in a 1x1 convolution and global pooling instead, but that convolution
# has the $512 \times k$ weights of a fully connected layer on the pooled features, and grows like one
# (41% of SqueezeNet 1.0 at 1000 classes, more than MobileNet's 24%). EffNet flattens a 4x4 map instead
# of pooling it: 16 weights per channel and class. Do the networks with the biggest classifiers fall furthest?

# %% [markdown]
# ## 6. Why MobileNet and its variants are fast, and where they are slow
#
# ### Counting
#
# Yusuke Uchida's article
# [*Why MobileNet and Its Variants (e.g. ShuffleNet) Are Fast*](https://medium.com/@yu4u/why-mobilenet-and-its-variants-e-g-shufflenet-are-fast-1c7048b9618d)
# (Medium, April 2018) explains the speed of these networks by counting: a **1x1** convolution drops a
# standard convolution's $k \times k$ window, a **grouped** one cuts its channel connections into $g$
# groups, a **depthwise** one keeps one channel per group. MobileNet factorises a standard convolution
# into depthwise + 1x1, ShuffleNet groups the 1x1 convolutions, FD-MobileNet shrinks the maps early: each
# step cuts the multiply-accumulates, as lessons 01 to 07 computed. But the stopwatch of section 3 said
# that MACs are not milliseconds. To see why, we need to know where the time of one forward pass goes.
#
# ### Measuring, operator by operator
#
# `showdown.operators` runs each ImageNet network at 224x224, one image at a time, under
# `torch.profiler`, and assigns every microsecond it records to one **operator kind**: dense convolution
# (3x3 and larger), pointwise 1x1, grouped, depthwise, linear, BatchNorm, activation, shuffle/reshape,
# pooling, add/concatenate, or other (a deep dive below says how). The shares of each network sum to
# 100%. Next to each network's time bar is its MAC bar, from `cost.profile`.

# %% tags=["nbval-ignore-output"]
ops = showdown.operators(budget=budget.current())  # ImageNet variants at 224x224, batch 1
showdown.plot_shares(ops)

# %% tags=["nbval-ignore-output"]
for name in ("mobilenet_v1", "mobilenet_v2", "shufflenet_v1"):
    macs, secs = ops[name].shares("macs"), ops[name].shares("seconds")
    print(
        f"{name}: depthwise layers do {macs['depthwise']:.1%} of the MACs and take {secs['depthwise']:.1%} "
        f"of the time; BatchNorm and activations, 0 MACs, take {secs['batchnorm'] + secs['activation']:.1%}"
    )

# %% [markdown]
# Typically the picture is striking (the lines above give your machine's numbers):
#
# - the **depthwise** convolutions do about 3% of MobileNet's multiply-accumulates but take a much larger
#   share of its time, several times their share of the MACs;
# - the **1x1** convolutions, 95% of the MACs, take much less than 95% of the time: they are the
#   efficient part;
# - **BatchNorm, activations, pooling and additions** do no MACs at all, and still take a visible slice.
#   (In eager PyTorch each BatchNorm is a separate pass over the activations; deployment runtimes fold
#   it into the preceding convolution's weights, where it costs nothing. Max-pooling on large maps can
#   be surprisingly slow on a CPU too: look at SqueezeNet's bars, with three max-pools on large maps.)

# %% [markdown] {"jp-MarkdownHeadingCollapsed": true, "tags": ["optional"]}
# ### Deep dive (optional): how each microsecond gets its operator kind

# %% [markdown]
# The profiler's events are mapped to operator kinds in two steps:
#
# 1. **Leaf modules.** Before the run, every leaf module (a `Conv2d`, a `BatchNorm2d`, a `ReLU`...)
#    gets a forward pre-hook that opens a `record_function` label with its name, and a forward hook that
#    closes it. Every operator the profiler records inside a label belongs to that layer, and the layer's
#    kind comes from `cost.layer_kind` (a `Conv2d` with `groups` equal to its input channels is
#    depthwise, one with a 1x1 kernel and no groups is pointwise, and so on).
# 2. **Everything else.** Some work happens in a block's own `forward`, outside every leaf: MobileNetV2's
#    residual `x + out`, ShuffleNet's `torch.cat`, a reshape. Those operators are named by their
#    outermost aten op (`aten::add` is add/cat, `aten::transpose` is shuffle/reshape, ...).
#
# Each event contributes its *self* time (its time minus that of the operators it called), so the kinds
# add up to exactly the total time profiled, and the shares of each network sum to 100%.

# %% [markdown]
# ### Arithmetic intensity
#
# Why would an operator with few MACs take so long? Because a processor does two things: arithmetic and
# moving data. A layer that does little arithmetic per value it moves spends its time waiting for memory.
#
# The **arithmetic intensity** of a layer is the number of multiply-accumulates it does per byte it must
# move: its weights, its input and its output (4 bytes per value in 32-bit floats). For a convolution
# with $M$ input and $N$ output channels, a $k \times k$ kernel and $g$ groups on an $H \times W$ map
# (stride 1, batch 1):
#
# $$I = \frac{k^2 \frac{M}{g} N H W}{4\,\left(k^2 \frac{M}{g} N + M H W + N H W\right)}.$$
#
# Two cases matter. For a **pointwise** layer ($k = 1$, $g = 1$) on a large map the weights are small
# next to the activations, and $I \approx \frac{1}{4} \cdot \frac{M N}{M + N}$: it **grows with the
# channels**, a quarter of half their harmonic mean (128 channels in and out: 16 MACs per byte). For a
# **depthwise** layer ($g = M = N$) the weights are negligible and
# $I \approx \frac{k^2 M H W}{4 \cdot 2 M H W} = \frac{k^2}{8}$: **about 1.1 MACs per byte, whatever the
# width**. Each input value is used by only nine multiply-accumulates, and then it is done. The linear
# classifier at batch 1 is the worst of all: every weight is used once, 0.25 MACs per byte. A batch of 32
# reuses each weight 32 times.

# %% [markdown] {"jp-MarkdownHeadingCollapsed": true, "tags": ["optional"]}
# ### Deep dive (optional): the formulas, checked on MobileNet's own layers

# %% [markdown]
# The table below takes its rows from 1.0 MobileNet-224 itself: `cost.profile` lists every layer the
# network calls, with its output shape, parameters, MACs and the bytes of its input and output
# (`working_bytes`). A layer's bytes moved are its weights (4 bytes per parameter) plus that input and
# output; its intensity is its MACs divided by them. A batch of $b$ images multiplies the MACs and the
# activations by $b$, but the weights are read once.

# %%
net = showdown.build("mobilenet_v1", "imagenet", meta=True)
mobilenet_profile = cost.profile(net, 224)  # every layer of 1.0 MobileNet-224, one image
modules = dict(net.named_modules())


def find_layer(kind, in_channels, out_channels, side):
    """The first layer of the profile with this kind, these channels and this output side."""
    for layer in mobilenet_profile.layers:
        module, shape = modules[layer.name], layer.output_shape
        c_in = getattr(module, "in_channels", getattr(module, "in_features", None))
        out_side = shape[-1] if len(shape) == 4 else 1
        if (layer.kind, c_in, shape[1], out_side) == (kind, in_channels, out_channels, side):
            return layer
    raise LookupError(f"no {kind} layer {in_channels} -> {out_channels} at {side}x{side}")


def intensity(layer, batch=1):
    """MACs per byte moved: weights once, input and output once per image (4 bytes per value)."""
    moved = layer.params * mobilenet_profile.bytes_per_value + batch * layer.working_bytes
    return batch * layer.macs / moved, moved


def describe(layer):
    module, shape = modules[layer.name], layer.output_shape
    if layer.kind == "linear":
        return f"classifier {module.in_features} -> {module.out_features}"
    k, s = module.kernel_size[0], module.stride[0]
    channels = f"{shape[1]} channels" if layer.kind == "depthwise" else f"{module.in_channels} -> {shape[1]}"
    return f"{layer.kind} {k}x{k}, {channels}, stride {s}, {shape[-1]}x{shape[-1]} out"


chosen = [  # (kind, in channels, out channels, output side, batch)
    ("conv", 3, 32, 112, 1),
    ("depthwise", 32, 32, 112, 1),
    ("pointwise", 32, 64, 112, 1),
    ("depthwise", 64, 64, 56, 1),
    ("pointwise", 64, 128, 56, 1),
    ("pointwise", 128, 128, 56, 1),
    ("depthwise", 512, 512, 14, 1),
    ("pointwise", 512, 512, 14, 1),
    ("depthwise", 1024, 1024, 7, 1),
    ("pointwise", 1024, 1024, 7, 1),
    ("linear", 1024, 1000, 1, 1),
    ("linear", 1024, 1000, 1, 32),
]
rows = []
for kind, c_in, c_out, side, batch in chosen:
    layer = find_layer(kind, c_in, c_out, side)
    value, moved = intensity(layer, batch)
    rows.append(
        [
            layer.name,
            describe(layer) + ("" if batch == 1 else f", batch {batch}"),
            f"{batch * layer.macs / 1e6:.2f}",
            f"{moved / 1024:,.0f}",
            f"{value:.2f}",
        ]
    )
table(["layer of 1.0 MobileNet-224", "what", "M MACs", "KiB moved", "MACs per byte"], rows)

# %%
by_kind = {}
for layer in mobilenet_profile.layers:
    if layer.macs:
        by_kind.setdefault(layer.kind, []).append(intensity(layer)[0])
for kind, values in by_kind.items():
    print(f"{kind:>10}: {len(values):>2} layers, {min(values):5.2f} to {max(values):5.2f} MACs per byte")

# %% [markdown]
# The formulas, checked on the real layers:
#
# - every **stride-1 depthwise** layer does 1.0 to 1.1 MACs per byte, close to $k^2/8 \approx 1.1$, from
#   32 channels at 112x112 to 1024 at 7x7. The **stride-2** ones do even less, about 0.45: they read a
#   map four times the size of the one they write, $9 / (4 \cdot (4 + 1)) = 0.45$;
# - a **pointwise** layer's intensity grows with its channels while the map is large: 5.3 for 32 -> 64
#   at 112x112, 10.5 for 64 -> 128 and 15.7 for 128 -> 128 at 56x56, 27.8 for 512 -> 512 at 14x14. At
#   7x7 with 1024 channels it falls back to 11.2: the weights (4 MiB) now outweigh the activations, and
#   when the weights dominate, the intensity tends to $HW/4 = 12.25$ per image, whatever the width;
# - the **classifier** at batch 1 uses each of its million weights once (0.25 MACs per byte); a batch of
#   32 reuses them and reaches 7.5. A batch raises the late pointwise layers in the same way.

# %% [markdown]
# ### The roofline
#
# The **roofline model** (Williams, Waterman and Patterson, 2009) turns this into a speed limit. A
# processor can do at most $P$ MACs per second, and move at most $B$ bytes per second; a layer with
# intensity $I$ can therefore reach at most $\min(P,\; B \cdot I)$ MACs per second. Below a certain
# intensity, the *ridge point* $P / B$ (a few to a few tens of MACs per byte for a CPU and its main
# memory), a layer is **memory-bound**: it cannot keep the arithmetic units busy, however few MACs it
# has.
#
# Here is every layer of every ImageNet network we profiled: its intensity against the speed it actually
# reached. The dashed lines are *empirical* roofs: the highest speed any layer reached, and the highest
# speed per unit of intensity (a bandwidth, in GB/s). Real caches make the picture less clean than the
# model (a layer whose data fit in cache moves less than we count), but the trend is the point.

# %% tags=["nbval-ignore-output"]
showdown.plot_roofline(ops)

# %% tags=["nbval-ignore-output"]
mobilenet = ops["mobilenet_v1"]
intensity, achieved = mobilenet.intensity(), mobilenet.achieved()
print(f"{'kind (1.0 MobileNet-224)':<26} {'MAC share':>10} {'time share':>11} {'MACs/byte':>10} {'GMAC/s':>8}")
for kind in ("dense conv", "pointwise 1x1", "depthwise", "linear"):
    print(
        f"{kind:<26} {mobilenet.shares('macs')[kind]:>10.1%} {mobilenet.shares()[kind]:>11.1%} "
        f"{intensity[kind]:>10.2f} {achieved[kind] / 1e9:>8.1f}"
    )

# %% [markdown]
# The depthwise points sit at the left of the roofline plot, under the slanted roof, far below the speed
# of the 1x1 convolutions: their intensity, about 1.1 (0.45 for the stride-2 ones), explains the gap
# between their share of the MACs and their share of the time. This is the honest answer to "why is
# MobileNet fast?": it is fast because it moves almost all of its arithmetic into 1x1 convolutions,
# which are dense matrix products, the operation every processor is best at; the depthwise convolutions
# are cheap in MACs but are the least efficient part of the network. The MobileNet paper itself says it put 95% of the computation into 1x1 convolutions *because* they map
# onto highly optimised matrix multiplication (GEMM) routines.
#
# ShuffleNet's grouped 1x1 convolutions sit in between: cutting a 1x1 convolution into $g$ groups divides
# its MACs by $g$ but not the activations it reads and writes, so its intensity falls by about $g$ too.

# %% [markdown]
# ## 7. Epilogue: ShuffleNet V2's four guidelines
#
# In 2018 the ShuffleNet authors turned these observations into a design method: Ma, Zhang, Zheng and
# Sun, *ShuffleNet V2: Practical Guidelines for Efficient CNN Architecture Design*
# ([arXiv:1807.11164](https://arxiv.org/abs/1807.11164)). Its first sentence of substance is that FLOPs
# (MACs, in our words) are an *indirect* measure of speed, and that the direct measure, time on the
# target device, also depends on memory access and on parallelism. They timed small controlled
# experiments on a GPU (GTX 1080Ti) and an ARM phone processor (Snapdragon 810) and drew four guidelines:
#
# - **G1**: equal channel width minimises memory access cost;
# - **G2**: excessive group convolution increases memory access cost;
# - **G3**: network fragmentation reduces the degree of parallelism;
# - **G4**: element-wise operations are non-negligible.
#
# We repeat each experiment in miniature on your CPU: stacks of 10 identical blocks on 56x56 maps as in
# the paper (2 blocks on 28x28 at the smoke budget), batch 1, timed like the networks above. Within each
# experiment every variant does the same MACs; the figure shows each one's time relative to the first.

# %% tags=["nbval-ignore-output"]
g1 = showdown.guideline_g1(budget=budget.current())  # channel ratios c1 : c2
g2 = showdown.guideline_g2(budget=budget.current())  # groups
g3 = showdown.guideline_g3(budget=budget.current())  # fragments, in parallel or in series
g4 = showdown.guideline_g4(budget=budget.current())  # ReLU and shortcut on or off
showdown.plot_guidelines(g1, g2, g3, g4)

# %% [markdown]
# How clearly each guideline shows depends on your machine, and each effect is small next to the noise of
# a busy laptop at the `smoke` budget; run this section at `laptop` for steadier numbers. ShuffleNet V2
# follows the four guidelines at once: a *channel split* sends half the channels through a branch of
# equal-width, ungrouped 1x1 convolutions and a depthwise convolution, the other half untouched (G1, G2),
# with one branch instead of many (G3), a concatenation instead of an addition and no ReLU on the
# untouched half (G4), followed by a channel shuffle. The course does not build it, but you now have
# everything you need to read its paper.

# %% [markdown] {"jp-MarkdownHeadingCollapsed": true, "tags": ["optional"]}
# ### Deep dive (optional): the four experiments, one by one

# %% [markdown]
# They measure memory traffic with a **memory access cost** (MAC in their paper, an unlucky name; we
# write *memory access*): for a 1x1 convolution from $c_1$ to $c_2$ channels on an $h \times w$ map with
# $g$ groups, the values it must read and write are $hw(c_1 + c_2) + c_1 c_2 / g$
# (`showdown.memory_access_cost`).
#
# #### G1: equal channel width minimises memory access cost
#
# For a 1x1 convolution with a fixed number of MACs $B = hw\,c_1 c_2$, the memory access cost
# $hw(c_1 + c_2) + c_1 c_2$ is smallest when $c_1 = c_2$ (by the inequality of arithmetic and geometric
# means, $c_1 + c_2 \geq 2\sqrt{c_1 c_2}$). The experiment: blocks of two 1x1 convolutions,
# $c_1 \to c_2 \to c_1$, with ratios 1:1, 1:2, 1:6 and 1:12 and $c_1 c_2 \approx 128^2$, so that all
# four do the same MACs.


# %% tags=["nbval-ignore-output"]
def show(rows, columns):
    """Print an experiment's rows with its time relative to the first row."""
    print("  ".join(f"{c:>12}" for c in [*columns, "M MACs", "ms", "relative"]))
    for r in rows:
        cells = [str(r[c]) if not isinstance(r[c], int) or r[c] < 10**5 else f"{r[c]:,}" for c in columns]
        cells += [
            f"{r['macs'] / 1e6:.1f}",
            f"{r['seconds'] * 1e3:.2f}",
            f"{r['seconds'] / rows[0]['seconds']:.2f}",
        ]
        print("  ".join(f"{c:>12}" for c in cells))


show(g1, ["ratio", "c1", "c2", "memory_access"])

# %% [markdown]
# The paper found 1:1 fastest on both devices. On a CPU the effect is usually there but modest: the
# narrow side of an unbalanced pair ($c_1 = 37$ at 1:12) also makes the matrix product oddly shaped.
#
# #### G2: excessive group convolution increases memory access cost
#
# At a fixed number of MACs, more groups allow more channels ($B = hw\,c^2/g$, so $c$ grows as
# $\sqrt{g}$), and more channels are more activations to read and write. The experiment: grouped 1x1
# convolutions with $g$ = 1, 2, 4, 8 groups and $c$ = 128, 180, 256, 360 channels (the paper's widths).
# The paper measured 8 groups at more than twice the time of 1 group on the GPU, and up to 30% slower
# on the ARM processor.

# %% tags=["nbval-ignore-output"]
show(g2, ["groups", "channels", "memory_access"])

# %% [markdown]
# #### G3: network fragmentation reduces the degree of parallelism
#
# Many small operators are slower than one big operator with the same MACs: each one has a fixed cost to
# start, and a small one cannot keep all of a processor's cores and vector units busy. The paper's
# building blocks cut the same computation into 1, 2 or 4 fragments, in series or in parallel; on the GPU
# fragmentation cost a lot, on the ARM processor much less. Our version: one 1x1 convolution of 128
# channels, computed as $k$ parallel branches of $128/k$ output channels each (exactly the same layer,
# in pieces, concatenated), or as $k$ narrower layers in series with the same MACs.

# %% tags=["nbval-ignore-output"]
show(g3, ["layout", "fragments"])

# %% [markdown]
# #### G4: element-wise operations are non-negligible
#
# ReLU, additions, adding a bias: operations on each value separately do almost no arithmetic per value
# they move, the lowest possible intensity. The paper took ResNet's bottleneck unit (1x1, 3x3, 1x1
# convolutions with ReLUs and a shortcut) and removed the ReLUs and the shortcut: about 20% faster on both
# devices. Our experiment is the same unit; the MACs are identical in all four rows.

# %% tags=["nbval-ignore-output"]
show(g4, ["relu", "shortcut"])

# %% [markdown]
# ## 8. Which network for which device
#
# A short, honest guide, from this lesson's measurements and the papers':
#
# - **Measure on the device you will ship to.** Rankings change between a phone's CPU, a laptop, a GPU and
#   a neural accelerator; MACs are a first filter, never the answer.
# - **A phone or laptop CPU, batch 1: MobileNetV2** (or MobileNet for the simplest code). Almost all of
#   their work is dense 1x1 convolutions, which every runtime executes well; MobileNetV2 is on the
#   papers' Pareto front and its blocks need not hold the wide expanded tensor whole (lesson 05). Fold
#   BatchNorm into the convolutions and quantise to 8 bits when you deploy (lesson 09).
# - **The smallest compute budgets (about 10 to 40M MACs): ShuffleNet or FD-MobileNet.** There, grouped
#   convolutions and fast downsampling buy the most accuracy per MAC; expect less speed per MAC than
#   their counts promise (section 6, and guidelines G2 to G4 in section 7).
# - **A microcontroller** (hundreds of KiB of RAM): the peak activation memory decides first, then the
#   weights. Small inputs, few channels at high resolution, 8-bit weights; EffNet-style blocks or a
#   narrow MobileNetV2 with early downsampling, for example.
# - **Download size above all: SqueezeNet.** 1.2M parameters for an AlexNet-level network, under 0.5 MB
#   with Deep Compression (lesson 02); but it is not cheap in MACs or time (SqueezeNet 1.1 is 2.4 times
#   cheaper than 1.0 at the same accuracy).
# - **A GPU or an accelerator, batch 32 or more:** throughput favours wide, regular layers. Depthwise and
#   grouped convolutions leave such hardware underused; a plainer network with more MACs can be faster.

# %% [markdown] {"jp-MarkdownHeadingCollapsed": true, "tags": ["optional"]}
# ### Deep dive (optional): explore your device's limits
#
# Section 5's plots again, with the networks that do not fit your device greyed out.

# %% [markdown]
# Set your device's limits: milliseconds per image (batch 1, as measured on this machine), peak activation
# memory and weights. The readout lists the networks that fit and the most accurate of them; the plots
# grey out the others.


# %% tags=["nbval-ignore-output"]
def device_readout(ms, activations_kib, weights_mb):
    fit = result.fits(max_ms=ms, max_activation_kib=activations_kib, max_params=weights_mb * 1e6 / 4)
    if not fit:
        return "<b>nothing fits</b>: relax a limit"
    best = max(fit, key=lambda n: result[n].accuracy)
    return (
        f"{len(fit)} of {len(result.results)} fit: {', '.join(fit)}; "
        f"most accurate: <b>{best}</b> ({result[best].accuracy:.1%})"
    )


def device_plot(ms, activations_kib, weights_mb):
    return result.plot(
        highlight=result.fits(max_ms=ms, max_activation_kib=activations_kib, max_params=weights_mb * 1e6 / 4)
    )


widgets.Explorer(
    {
        "ms": widgets.options_slider("ms per image", [0.5, 1, 2, 3, 5, 10, 20, 50, 100], value=10),
        "activations_kib": widgets.options_slider(
            "peak activations (KiB)", [256, 384, 512, 768, 1024, 2048], value=1024
        ),
        "weights_mb": widgets.options_slider("weights (MB, 32-bit)", [0.5, 1, 2, 4, 8, 16], value=16),
    },
    plot=device_plot,
    readout=device_readout,
    height="380px",
)

# %% [markdown] {"jp-MarkdownHeadingCollapsed": true, "tags": ["optional"]}
# ### Deep dive (optional): width and resolution, all six ImageNet networks at once
#
# A second explorer: the six ImageNet networks at any width and input resolution.

# %% [markdown]
# Every family scales with a width multiplier α and the input resolution. Move the two sliders to see the
# six ImageNet networks move in the plane of MACs and peak activation memory (the area of each disc is
# proportional to the parameters). Which network is cheapest at 96x96 and α = 0.5? Does the ranking by
# memory follow the ranking by MACs? Pick a network for the readout.

# %%
IMAGENET_NETS = [n for n in models.names() if "imagenet" in models.info(n).variants]


@functools.cache
def imagenet_cost(name, alpha, resolution):
    """Cost of one ImageNet network at width alpha and a square input (built on the meta device)."""
    p = cost.profile(showdown.build(name, "imagenet", meta=True, width_mult=alpha), resolution)
    return p.params, p.macs, p.peak_activation_bytes


def scaling_readout(alpha, resolution, network):
    params, macs, peak = imagenet_cost(network, alpha, resolution)
    return (
        f"{network} at α = {alpha}, {resolution}x{resolution}: <b>{params / 1e6:.2f}M</b> parameters · "
        f"<b>{macs / 1e6:,.1f}M</b> MACs · peak activations <b>{peak / 2**20:.2f} MiB</b>"
    )


def scaling_plot(alpha, resolution, network):
    fig, ax = plots.figure(7.5, 4.2)
    for name in IMAGENET_NETS:
        params, macs, peak = imagenet_cost(name, alpha, resolution)
        ax.scatter(
            [macs / 1e6],
            [peak / 2**20],
            s=params / 5e3,
            color=showdown.model_colour(name),
            edgecolor="black" if name == network else "white",
            lw=2 if name == network else 0.5,
            alpha=0.85,
        )
        ax.annotate(name, (macs / 1e6, peak / 2**20), textcoords="offset points", xytext=(7, 5), fontsize=8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(1, 3000)
    ax.set_ylim(0.05, 20)
    ax.set_xlabel("million MACs (log scale)")
    ax.set_ylabel("peak activation memory, MiB (log scale)")
    ax.set_title(f"α = {alpha}, {resolution}x{resolution}; disc area ∝ parameters")
    fig.tight_layout()
    return fig


widgets.Explorer(
    {
        "alpha": widgets.options_slider("width α", [0.25, 0.5, 0.75, 1.0], value=1.0),
        "resolution": widgets.options_slider("resolution", [96, 128, 160, 192, 224], value=224),
        "network": widgets.options_slider("network", IMAGENET_NETS, value="mobilenet_v2"),
    },
    plot=scaling_plot,
    readout=scaling_readout,
    height="360px",
)

# %% [markdown] {"jp-MarkdownHeadingCollapsed": true, "tags": ["optional"]}
# ## Deep dive (optional): measuring again
#
# Where the measurements are kept, and how to make them again.

# %% [markdown]
# Results live in the cache folder printed below (`~/.cache/smallnets-edu/showdown/`, or
# `$SMALLNETS_CACHE/showdown/` if you set that variable), one small JSON file per measurement. They are
# measured again by themselves when their key changes (another machine, PyTorch version, number of
# threads, budget, dataset, or setting). To measure again anyway, say after closing the programs that
# were competing for your CPU, delete the folder or pass `refresh=True`:
#
# ```python
# result = showdown.run(dataset=dataset, budget=budget.current(), refresh=True)      # latency and training
# ops = showdown.operators(budget=budget.current(), refresh=True)                    # section 6
# g1 = showdown.guideline_g1(budget=budget.current(), refresh=True)                  # and so on for g2 .. g4
# ```
#
# With a CUDA GPU, `showdown.run(dataset=dataset, budget="full")` trains all seven networks with the full
# recipe (hours, not minutes), and the fronts of section 5 become the real ones.

# %% tags=["nbval-ignore-output"]
print(showdown.cache_dir())

# %% [markdown]
# ## Summary
#
# - Parameters, MACs and activation memory rank the seven networks differently; on ImageNet, our counts
#   match every paper's headline figures to within their rounding.
# - Measured time ranks them differently again. A **Pareto front** keeps the networks that no other beats
#   on both accuracy and cost, and the front for MACs is not the front for time.
# - The time of a small network goes largely to operators that do few or no MACs: depthwise
#   convolutions, BatchNorm, activations, pooling, additions. They are **memory-bound**: a depthwise 3x3
#   layer does about $k^2/8 \approx 1.1$ MACs per byte it moves, whatever its width (0.45 with stride 2),
#   where MobileNet's 1x1 layers do 5 to 28. MobileNet is fast because 95% of its work is in 1x1
#   convolutions, not because its depthwise layers are.
# - ShuffleNet V2's guidelines: equal widths (G1), few groups (G2), few fragments (G3), few element-wise
#   operations (G4). Each costs time without costing MACs.
# - Choose with the device in mind, and measure there.
# - One short run cannot rank networks a few points apart; with more classes, the classifier's share grows.
#
# You can now read a small network's paper, rebuild its table, count its cost, train it, time it, and
# say where its time goes. One step remains between a trained network and a phone: lesson 09 folds its
# BatchNorm, quantizes it to 8 bits, exports it to ONNX and times it in a real inference runtime.

# %% [markdown]
# ## Exercises
#
# Each exercise has a checker that tells you whether your answer is right and, if not, what seems to
# have gone wrong, without giving the answer away.
#
# **Exercise 1: a Pareto front.** Complete `my_front(costs, values)`: it receives two lists of the same
# length, the cost of each network (lower is better) and its accuracy (higher is better), and returns
# the indices of the networks on the Pareto front, in any order. A network is on the front when no other
# network costs no more **and** is worth no less, while being strictly better in one of the two. (Two
# identical networks do not beat each other.) Do not call `showdown.pareto_front`: the checker compares
# yours with it on a dozen sets of points.

# %%
from smallnets_edu.exercises import lesson08


def my_front(costs, values):
    raise NotImplementedError  # return a list of indices


lesson08.check_front(my_front)

# %% [markdown]
# **Exercise 2: arithmetic intensity.** One of MobileNet's middle layers pairs a 3x3 depthwise convolution
# on 256 channels with a 1x1 convolution from 256 to 256 channels, both on a 28x28 map (stride 1), for
# one image in 32-bit floats. Compute the arithmetic intensity of each: MACs divided by the bytes of
# weights, input and output. Reason with the formulas of section 6 (you may check with
# `showdown.conv_intensity` afterwards, but try it by hand first).

# %%
depthwise_intensity = None  # MACs per byte
pointwise_intensity = None
lesson08.check_intensity(depthwise_intensity, pointwise_intensity)

# %% [markdown]
# **Exercise 3: a network for a microcontroller.** Your board has 512 KiB of RAM for activations (the
# peak of section 1, 32-bit values), 1 MB of flash for the weights, which you will store as 8-bit
# integers (one byte per parameter), and time for at most 45 million MACs per image. Which of the seven
# `cifar` networks fit all three limits? Answer with a set of names, as `models.names()` spells them.

# %%
answer = None  # e.g. {"mobilenet_v1", "effnet"}
lesson08.check_microcontroller(answer)

# %% [markdown]
# ## References
#
# * Ma, Zhang, Zheng and Sun, *ShuffleNet V2: Practical Guidelines for Efficient CNN Architecture Design*,
#   ECCV 2018, [arXiv:1807.11164](https://arxiv.org/abs/1807.11164).
# * Williams, Waterman and Patterson, *Roofline: An Insightful Visual Performance Model for Multicore
#   Architectures*, Communications of the ACM 52(4), 2009.
# * Yusuke Uchida (yu4u), *Why MobileNet and Its Variants (e.g. ShuffleNet) Are Fast*, Medium, April 2018,
#   [medium.com/@yu4u](https://medium.com/@yu4u/why-mobilenet-and-its-variants-e-g-shufflenet-are-fast-1c7048b9618d).
# * The papers of lessons 02 to 07:
#   Iandola et al. 2016, [arXiv:1602.07360](https://arxiv.org/abs/1602.07360);
#   Howard et al. 2017, [arXiv:1704.04861](https://arxiv.org/abs/1704.04861);
#   Zhang et al. 2017, [arXiv:1707.01083](https://arxiv.org/abs/1707.01083);
#   Sandler et al. 2018, [arXiv:1801.04381](https://arxiv.org/abs/1801.04381);
#   Freeman, Roese-Koerner and Kummert 2018, [arXiv:1801.06434](https://arxiv.org/abs/1801.06434);
#   Qin et al. 2018, [arXiv:1802.03750](https://arxiv.org/abs/1802.03750).
