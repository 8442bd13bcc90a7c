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
# # 02 · SqueezeNet: AlexNet's accuracy in 4.8 MB
#
# **After this lesson you can**
#
# - explain SqueezeNet's three design strategies and compute what each saves on one layer;
# - build a **Fire module** from plain PyTorch layers and compute its parameters by hand;
# - measure where SqueezeNet's parameters and arithmetic go, layer by layer;
# - choose the **squeeze ratio** and the **share of 3x3 filters**, knowing what the paper measured for each;
# - compress a network the Deep Compression way (pruning, weight sharing, sparse storage), then
#   **measure the bytes** and what compression costs in accuracy.
#
# **The idea in one paragraph**
#
# In 2016 AlexNet was still the reference point for image classification: 57.2% top-1 on ImageNet,
# 60 million parameters, a 240 MB file. **SqueezeNet** (Iandola, Han, Moskewicz, Ashraf, Dally and
# Keutzer, 2016, [arXiv:1602.07360](https://arxiv.org/abs/1602.07360)) matched that accuracy
# (57.5% top-1, 80.3% top-5) with **1.25 million parameters, 4.8 MB**, fifty times fewer. Its building
# block, the Fire module, does much of its work with cheap 1x1 filters and lets the costly 3x3 filters
# read only a few channels, squeezed by a 1x1 layer in front of them. With *Deep Compression* (Han, Mao
# and Dally, 2016, [arXiv:1510.00149](https://arxiv.org/abs/1510.00149)) the same network fits in
# **0.47 MB**: small enough to send to a car or a phone over the air, or to keep in the on-chip memory
# of an FPGA (often under 10 MB). Lesson 01 showed what a 1x1 convolution is; here it becomes the main
# building material.

# %%
import copy

import numpy as np
import torch
from torch import nn

from smallnets_edu import compression, cost, models, paper_figures, plots, reference, widgets
from smallnets_edu.display import diff, table
from smallnets_edu.models import squeezenet

MB = compression.MB  # the paper's megabyte: 2**20 bytes (we will check this below)

# %% tags=["nbval-ignore-output"]
print(reference.banner("02"))

# %% [markdown]
# ## 1. Three design strategies
#
# The paper (its section 3.1) starts from the observation that a convolution's parameters are
# $D_K \cdot D_K \cdot M \cdot N$: kernel area times input channels times output channels. Shrinking
# a network while keeping its accuracy then comes down to three strategies:
#
# 1. **Replace 3x3 filters with 1x1 filters.** A 1x1 filter has 9 times fewer weights than a 3x3 one.
#    It sees a single pixel, so some 3x3 filters must stay, but many can go.
# 2. **Decrease the number of input channels to the 3x3 filters.** The remaining 3x3 filters cost
#    $9 \cdot M \cdot N$; cut $M$, the channels they read, with a cheap 1x1 layer in front: a
#    **squeeze** layer.
# 3. **Downsample late in the network**, so that most convolutions work on large activation maps.
#    This one saves nothing: the paper's bet is that large maps give higher accuracy for the same
#    parameters. It costs *computation*, which we will measure.
#
# Strategies 1 and 2 are about parameters. Here they are on one layer, with the formulas of
# `smallnets_edu.cost`: 128 channels in and out, first as a plain 3x3 convolution, then with half of
# its filters 1x1, then with its input squeezed to 16 channels first.

# %%
plain = cost.conv_params(128, 128, 3)
strategy_1 = cost.conv_params(128, 64, 1) + cost.conv_params(128, 64, 3)
strategy_2 = cost.conv_params(128, 16, 1) + cost.conv_params(16, 64, 1) + cost.conv_params(16, 64, 3)
rows = [
    ["3x3 convolution, 128 → 128", f"{plain:,}", "1.0"],
    ["strategy 1: 64 of the filters 1x1", f"{strategy_1:,}", f"{plain / strategy_1:.1f}"],
    ["strategies 1 + 2: squeeze to 16 first", f"{strategy_2:,}", f"{plain / strategy_2:.1f}"],
]
table(["layer", "weights", "times fewer"], rows)

# %% [markdown]
# Half of the filters at 1x1 saves less than half (a 3x3 filter is 9 times dearer, so the 3x3 half
# still holds 90% of the weights); squeezing the input of the 3x3 filters is what brings the cost down
# by an order of magnitude. That combination is the Fire module.

# %% [markdown]
# ## 2. The Fire module
#
# A Fire module (the paper's section 3.2) is two layers:
#
# - a **squeeze** layer: $s_{1x1}$ filters of size 1x1, each followed by a ReLU;
# - an **expand** layer: $e_{1x1}$ filters of 1x1 and $e_{3x3}$ filters of 3x3 side by side, both
#   reading the squeeze layer's output, each followed by a ReLU. Their outputs are concatenated along
#   the channels, so the module outputs $e_{1x1} + e_{3x3}$ channels. The 3x3 filters are padded by
#   one pixel, so that both halves have the same map size.
#
# The paper requires $s_{1x1} < e_{1x1} + e_{3x3}$: the squeeze layer is a bottleneck, and it limits
# the channels the 3x3 filters see (strategy 2). Here is `fire2` of our SqueezeNet, drawn from the
# module itself: each column is a tensor as tall as its channel count, and the parameter counts are
# read off its weights.

# %%
net = models.build("squeezenet1_0")  # the ImageNet network of Table 1 (random weights)
compression.draw_fire(net.features.fire2, title="fire2", map_size=55)

# %% [markdown]
# The squeeze layer cuts 96 channels down to 16; the 3x3 filters then read 16 channels instead of 96,
# six times fewer. Notice where the parameters go all the same: 9,280 of the module's 11,920 are in the
# 3x3 filters, although they are only half of the expand filters.
#
# ### Build it yourself
#
# A Fire module is a few lines of PyTorch. Here it is written out, with nothing but `nn.Conv2d`,
# `nn.ReLU` and `torch.cat`:


# %%
class MyFire(nn.Module):
    def __init__(self, in_channels, squeeze, expand1x1, expand3x3):
        super().__init__()
        self.squeeze = nn.Conv2d(in_channels, squeeze, kernel_size=1)
        self.expand1x1 = nn.Conv2d(squeeze, expand1x1, kernel_size=1)
        self.expand3x3 = nn.Conv2d(squeeze, expand3x3, kernel_size=3, padding=1)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        s = self.relu(self.squeeze(x))
        return torch.cat([self.relu(self.expand1x1(s)), self.relu(self.expand3x3(s))], dim=1)


mine = MyFire(96, 16, 64, 64)
theirs = net.features.fire2  # the package's Fire: the same layers, built from smallnets_edu.blocks
print(f"parameters: ours {cost.count_params(mine):,}, the package's {cost.count_params(theirs):,}")

# Give our module the package's weights, then feed both the same input.
convs = [m for m in theirs.modules() if isinstance(m, nn.Conv2d)]  # squeeze, expand1x1, expand3x3
for ours_conv, their_conv in zip([mine.squeeze, mine.expand1x1, mine.expand3x3], convs, strict=True):
    ours_conv.load_state_dict(their_conv.state_dict())
x = torch.randn(2, 96, 55, 55)
with torch.no_grad():
    same = torch.allclose(mine(x), theirs(x), atol=1e-5)
print(f"output shape {tuple(mine(x).shape)}; same output as the package's Fire: {same}")

# %% [markdown]
# The count follows from the formula: with $M$ input channels, a Fire module has
#
# $$M \cdot s_{1x1} + s_{1x1} \cdot e_{1x1} + 9 \cdot s_{1x1} \cdot e_{3x3}
# \quad\text{weights, plus}\quad s_{1x1} + e_{1x1} + e_{3x3} \quad\text{biases.}$$
#
# For fire2: $96 \cdot 16 + 16 \cdot 64 + 9 \cdot 16 \cdot 64 = 11{,}776$ weights and 144 biases, 11,920
# in all. From here on we use the package's `Fire` (in `smallnets_edu.models.squeezenet`), which also
# offers the bypass connections of a deep dive below.

# %% [markdown]
# ## 3. The network: where the parameters and the arithmetic go
#
# SqueezeNet (the paper's section 3.3) is one convolution (`conv1`, 96 filters of 7x7 with stride 2), eight Fire
# modules (`fire2` to `fire9`), and a final 1x1 convolution (`conv10`) with one filter per class,
# followed by a global average pool. Max-pools with stride 2 come after conv1, fire4 and fire8:
# only three downsamplings after the first convolution, all early layers at 55x55 (strategy 3).
# There is no fully connected layer and, in version 1.0, no BatchNorm: every convolution has a bias and
# a ReLU, and dropout (50%) comes after fire9.
#
# The Fire modules grow in a regular way, set by five *metaparameters* (the paper's section 5): the first has
# $base_e = 128$ expand filters, every $freq = 2$ modules add $incr_e = 128$, a share $pct_{3x3} = 0.5$ of
# them are 3x3, and the squeeze layer has $SR = 0.125$ times as many filters as the expand layer:
#
# $$e_i = base_e + incr_e \cdot \lfloor i / freq \rfloor, \qquad s_{1x1,i} = SR \cdot e_i, \qquad
# e_{3x3,i} = pct_{3x3} \cdot e_i.$$
#
# Our model is built from these formulas (`squeezenet.fire_config`); every layer agrees with the paper's
# Table 1 (a deep dive below checks each row). `cost.profile` counts each layer's parameters and its
# multiply-accumulates (MACs), the arithmetic:

# %%
prof_224 = cost.profile(net, 224)
groups = ["conv1"] + [f"fire{i}" for i in range(2, 10)] + ["conv10"]


def by_layer(profile, key):
    """Sum a profile column over each Table 1 layer (a Fire module is several convolutions)."""
    return [sum(getattr(r, key) for r in profile.layers if r.name.split(".")[1] == g) for g in groups]


macs, params = by_layer(prof_224, "macs"), by_layer(prof_224, "params")
fig, (left, right) = plots.figure(10.0, 3.4, ncols=2)
y = np.arange(len(groups))
left.barh(y, np.array(params) / 1e3, color=plots.FAMILY_COLOURS["squeezenet"])
left.set_title("parameters (thousands)")
right.barh(y, np.array(macs) / 1e6, color=plots.KIND_COLOURS["pointwise"])
right.set_title("multiply-accumulates at 224x224 (millions)")
for ax in (left, right):
    ax.set_yticks(y, groups)
    ax.invert_yaxis()
fig.suptitle(f"SqueezeNet 1.0: {prof_224.params:,} parameters, {prof_224.macs / 1e6:,.1f}M MACs at 224x224")
fig.tight_layout()

# %% [markdown]
# The total is **1,248,424 parameters**, Table 1's count (torchvision's `squeezenet1_0` has the same):
# at 4 bytes each, 4,993,696 bytes, the paper's **4.8 MB** in MB of $2^{20}$ bytes, 50 times less than
# AlexNet's 240 MB. Strategy 3 shows up clearly: conv1 to fire4, on 109x109 and 54x54 maps, hold 7% of
# the parameters and do 45% of the arithmetic (conv1 alone, 96 filters of 7x7x3 on a 109x109 map, does
# 20%). **conv10 is the biggest layer**: 513,000 parameters, 41% of the network, for one job (turning
# 512 channels into 1000 class scores), and 11% of the arithmetic. Late downsampling is paid for in MACs.

# %% [markdown] {"jp-MarkdownHeadingCollapsed": true, "tags": ["optional"]}
# ### Deep dive (optional): what "4.8 MB" means
#
# Which megabyte the paper counts in.

# %% [markdown]
# The paper's model size is 32-bit weights: 4 bytes per parameter.

# %%
size = compression.dense_size(net, bits=32)
print(f"{prof_224.params:,} parameters x 4 bytes = {size:,} bytes")
print(f"  = {size / MB:.2f} MB of 2**20 bytes (the paper's 4.8MB)")
print(f"  = {size / 1e6:.2f} million bytes (the course notes' '5MB')")
print(f"AlexNet's 240MB is {240 / (size / MB):.0f} times more")

# %% [markdown]
# So the paper's MB is $2^{20}$ bytes, and the notes' "5MB" is the same file in millions of bytes. Both
# are right, but to compare with the paper we count in its MB. (Careful: the paper's figures do not all
# round the same way: its "19MB" model, in section 4 below, is 18.5 of these MB.)

# %% [markdown] {"jp-MarkdownHeadingCollapsed": true, "tags": ["optional"]}
# ### Deep dive (optional): Table 1, row by row
#
# Each row of the paper's Table 1 next to our layer, and why the input is 227x227.

# %% [markdown]
# Below, each row of the paper's Table 1 (`squeezenet.TABLE_1`) sits next to our layer: the output size
# and channels measured by running an image through the model, and the parameters counted from its
# weights.

# %%
modules = dict(net.named_modules())
where = {  # Table 1's layer names -> our modules
    **{f"fire{i}": f"features.fire{i}" for i in range(2, 10)},
    "conv1": "features.conv1",
    "maxpool1": "features.maxpool1",
    "maxpool4": "features.maxpool4",
    "maxpool8": "features.maxpool8",
    "conv10": "classifier.conv10",
    "avgpool10": "classifier.avgpool10",
}
outputs = {}  # each layer's output shape, recorded by forward hooks on one 227x227 image
hooks = [
    modules[name].register_forward_hook(lambda m, i, out, name=name: outputs.__setitem__(name, out.shape))
    for name in where.values()
]
with torch.no_grad():
    net(torch.zeros(1, 3, 227, 227))
for hook in hooks:
    hook.remove()

rows, total = [], 0
for row in squeezenet.TABLE_1:
    name = where[row.layer]
    shape = outputs[name]
    size = shape[2] if len(shape) == 4 else 1
    ours = cost.count_params(modules[name])
    total += ours
    sizes = "" if row.squeeze is None else f"{row.squeeze} / {row.expand1x1} / {row.expand3x3}"
    paper_params = "" if row.params is None else f"{row.params:,}"
    check = "" if row.params is None else ("✓" if ours == row.params else "✗")
    rows.append(
        [
            row.layer,
            f"{row.output_size}",
            f"{size}",
            row.channels,
            shape[1],
            sizes,
            paper_params,
            f"{ours:,}",
            check,
        ]
    )
rows.append(["total", "", "", "", "", "", "1,248,424", f"{total:,}", "✓" if total == 1_248_424 else "✗"])
table(
    [
        "layer",
        "paper: size",
        "ours",
        "paper: channels",
        "ours",
        "s1x1 / e1x1 / e3x3",
        "paper: params",
        "ours",
        "",
    ],
    rows,
)

# %% [markdown]
# Every layer agrees, and so does the total. One detail is worth a look: **the input is 227x227, not
# 224x224.** The paper prints 224, but a 7x7 convolution with stride 2 and no padding gives 111x111 only
# from 227 (from 224 it gives 109). The authors' Caffe model reads 227x227 crops; our sizes above are
# for 227.

# %% [markdown] {"jp-MarkdownHeadingCollapsed": true, "tags": ["optional"]}
# ### Deep dive (optional): SqueezeNet's figures in other papers
#
# Every published parameter and MAC count for SqueezeNet 1.0 and 1.1, reconciled with ours.

# %% [markdown]
# SqueezeNet is quoted by many papers, and they count differently. Here every published figure of
# `smallnets_edu.paper_figures` for SqueezeNet 1.0 and 1.1 sits next to what our model computes at the same
# resolution:

# %%
entries = paper_figures.figures("squeezenet1_0") + paper_figures.figures("squeezenet1_1")
rows = []
for entry in entries:
    with torch.device("meta"):  # shapes only: counting costs milliseconds
        model = models.build(entry["name"], **entry["options"])
    p = cost.profile(model, entry["resolution"])
    option = entry["options"].get("bypass", "none")
    label = entry["name"] + ("" if option == "none" else f", {option} bypass")
    rows.append(
        [
            label,
            entry["source"],
            entry["resolution"],
            "" if entry["params"] is None else f"{entry['params']:,}",
            f"{p.params:,}",
            "" if entry["params"] is None else diff(p.params, entry["params"]),
            "" if entry["macs"] is None else f"{entry['macs'] / 1e6:,.0f}M",
            f"{p.macs / 1e6:,.1f}M",
            "" if entry["macs"] is None else diff(p.macs, entry["macs"]),
        ]
    )
table(["model", "source", "input", "paper params", "ours", "diff", "paper MACs", "ours", "diff"], rows)

# %% [markdown]
# Every difference has a reason:
#
# - **Parameters agree exactly** wherever a count is published (1,248,424 for 1.0, 1,235,496 for 1.1).
#   MobileNet's Table 9 rounds to 1.25M (+0.1% from rounding).
# - **833M MACs at 227** (ShuffleNet's Table 6 calls them "833 MFLOPs": ShuffleNet's FLOPs are
#   multiply-accumulates) is our 832.7M. torchvision's 0.82 GFLOPS is our 818.9M at 224, rounded.
# - **MobileNet's "1700 million Mult-Adds"** (Table 9) counts a multiply and an add as two operations
#   (DeepScale's own "1.72 GFLOPS" does the same): halved, it is about 850M, which we list. It is 2%
#   above our count of the convolutions: the published figure is rounded, and may count more than the
#   convolutions (the biases, say), which the papers of this course leave out. The course's notes
#   repeated the 1700 against MobileNet's 76M (0.50 MobileNet-160): the gap is about 11x, not 22x, and
#   the accuracies are 57.5% and 60.2%, not "both around 60%".
# - **SqueezeNet 1.1** needs 349M MACs at 224: 2.35 times fewer than 1.0 (DeepScale's "2.4x less
#   computation", the deep dive on SqueezeNet 1.1), with the same parameters give or take conv1.
# - The complex-bypass row has no published count: Table 3 gives only its size, 7.7 MB (the deep dive on
#   bypass connections).

# %% [markdown]
# ## 4. Explore: the squeeze ratio and the share of 3x3 filters
#
# Section 5 of the paper explores the Fire module's design space with two knobs, keeping the other
# metaparameters at their defaults:
#
# - the **squeeze ratio** SR: squeeze filters per expand filter. The paper trains SR from 0.125 to 1.0.
#   Top-5 accuracy climbs from **80.3% with the 4.8MB model (SR = 0.125)** to **86.0% with a 19MB model
#   (SR = 0.75)**, and goes no higher at SR = 1.0: more squeeze filters than that only add size.
# - the **share of 3x3 filters** $pct_{3x3}$ among the expand filters, from 1% to 99% at SR = 0.5. Top-5
#   accuracy reaches **85.6% at 50%** and stays there: more 3x3 filters add parameters (and computation)
#   for nothing.
#
# Move the sliders. The readout counts the network's parameters, its size at 32 bits, its MACs and its
# largest activation map (one image, 32-bit), from the Fire formulas (`compression.squeezenet_cost`).
# The figure draws the size (solid) and the MACs (dashed) around your setting (the red star), the
# paper's two sweeps in light grey, and the paper's measurements as black squares.

# %%
SR_VALUES = [0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1.0]
PCT_VALUES = [0.01, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 0.99]
PAPER_SR = [(0.125, 4.8, "80.3%"), (0.75, 19.0, "86.0%")]  # (SR, paper's MB, top-5): section 5.1
PAPER_PCT = [(0.5, "85.6%")]  # (pct3x3, top-5) at SR = 0.5: section 5.2
reference = compression.squeezenet_cost()


def explore_readout(squeeze_ratio, pct3x3, resolution):
    c = compression.squeezenet_cost(squeeze_ratio, pct3x3, resolution)
    s, e1, e3 = c.fires[0]
    return (
        f"SR = {squeeze_ratio:g}, pct3x3 = {pct3x3:g}: fire2 is {s} / {e1} / {e3} · "
        f"<b>{c.params:,}</b> parameters · <b>{c.size_mb:.2f} MB</b> at 32 bits "
        f"({c.params / reference.params:.2f}x Table 1) · <b>{c.macs / 1e6:,.0f}M</b> MACs at "
        f"{resolution}x{resolution} · largest activation {4 * c.largest_activation / MB:.2f} MB"
    )


def sweep(knob, squeeze_ratio, pct3x3, resolution=224):
    """The network's cost along one knob ("sr" or "pct"), the other held at its value."""
    if knob == "sr":
        return SR_VALUES, [compression.squeezenet_cost(x, pct3x3, resolution) for x in SR_VALUES]
    return PCT_VALUES, [compression.squeezenet_cost(squeeze_ratio, x, resolution) for x in PCT_VALUES]


def explore_plot(squeeze_ratio, pct3x3, resolution):
    fig, axes = plots.figure(10.0, 3.8, ncols=2)
    now = compression.squeezenet_cost(squeeze_ratio, pct3x3, resolution)
    labels = {"sr": f"squeeze ratio SR (pct3x3 = {pct3x3:g})", "pct": f"pct3x3 (SR = {squeeze_ratio:g})"}
    for ax, knob, x_now in zip(axes, ("sr", "pct"), (squeeze_ratio, pct3x3), strict=True):
        xs, papers = sweep(knob, 0.5, 0.5)  # the paper swept SR at pct3x3 = 0.5, pct3x3 at SR = 0.5
        ax.plot(xs, [c.size_mb for c in papers], "-", color="#D0D0D0", lw=4, label="the paper's sweep")
        xs, ours = sweep(knob, squeeze_ratio, pct3x3, resolution)
        ax.plot(xs, [c.size_mb for c in ours], "o-", color=plots.FAMILY_COLOURS["squeezenet"], ms=4, label="size")
        ax.plot(x_now, now.size_mb, "*", color="#C44E52", ms=15, zorder=5)
        ax.set(ylim=(0, 27), ylabel="model size, MB at 32 bits", xlabel=labels[knob])
        twin = ax.twinx()
        twin.plot(xs, [c.macs / 1e9 for c in ours], "--", color=plots.KIND_COLOURS["pointwise"])
        twin.set(ylim=(0, 6.5 * (resolution / 224) ** 2), ylabel=f"GMACs at {resolution} (dashed)")
        twin.grid(False)
    for sr, mb, top5 in PAPER_SR:
        axes[0].plot(sr, mb, "s", color="black", ms=7, zorder=6)
        offset, align = ((-8, 6), "right") if sr > 0.5 else ((8, -3), "left")  # stay inside the axes
        text = f"paper: {mb:g}MB, {top5} top-5"
        axes[0].annotate(text, (sr, mb), xytext=offset, ha=align, textcoords="offset points", fontsize=8)
    for pct, top5 in PAPER_PCT:
        mb = compression.squeezenet_cost(0.5, pct).size_mb
        axes[1].plot(pct, mb, "s", color="black", ms=7, zorder=6)
        text = f"paper: {top5} top-5"
        axes[1].annotate(text, (pct, mb), xytext=(-8, 8), ha="right", textcoords="offset points", fontsize=8)
    axes[0].legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return fig


for resolution in (128, 160, 192, 224, 227, 256):  # warm the cache: each slider move is then instant
    compression.squeezenet_cost(resolution=resolution)
sliders = {
    "squeeze_ratio": widgets.options_slider("squeeze ratio SR", SR_VALUES, value=0.125),
    "pct3x3": widgets.options_slider("pct3x3", PCT_VALUES, value=0.5),
    "resolution": widgets.options_slider("input", [128, 160, 192, 224, 227, 256], value=224),
}
widgets.Explorer(sliders, plot=explore_plot, readout=explore_readout, title="SqueezeNet's microarchitecture knobs")

# %% [markdown]
# Things to try:
#
# - **SR from 0.125 to 0.75.** Size grows almost linearly with SR, because the 3x3 expand filters, the
#   bulk of every Fire module, read $s_{1x1}$ channels. At SR = 0.75 our model is 18.5 MB (the paper's
#   "19MB" is 19.4 million bytes). For 5.7 points of top-5 accuracy the paper paid a model 3.9 times as
#   large and 4.4 times the computation. The authors kept SR = 0.125: their goal was AlexNet's accuracy
#   at the smallest size.
# - **pct3x3 from 0.01 to 0.99** at SR = 0.5: the size more than triples, the accuracy stops improving
#   at 50%. That is strategy 1 measured: half of the expand filters can be 1x1 at no loss.
# - **The input size** changes the MACs and the activations, never the parameters: a convolution's
#   weights do not depend on the size of the image it slides over. SqueezeNet has no width multiplier in
#   the paper (MobileNet, lesson 03, introduces one); its metaparameters play that role.

# %% [markdown] {"jp-MarkdownHeadingCollapsed": true, "tags": ["optional"]}
# ## Deep dive (optional): what a fully connected classifier would cost
#
# AlexNet's classifier on SqueezeNet's last feature map, against conv10 and a global average pool.

# %% [markdown]
# AlexNet and VGG end in fully connected layers; SqueezeNet follows Network in Network (Lin et al.
# 2013) and ends with a 1x1 convolution, conv10, with one filter per class, then averages each class map
# over the 13x13 positions. How much does that save? Here is what different heads would cost on fire9's
# 13x13x512 output, computed with `cost.linear_macs` and `cost.conv_params` (weights + biases):

# %%
features = 13 * 13 * 512
heads = {
    "AlexNet's head: pool to 6x6, FC 4096, FC 4096, FC 1000": [
        (6 * 6 * 512, 4096),
        (4096, 4096),
        (4096, 1000),
    ],
    "AlexNet's head on the 13x13 map, no pool": [(features, 4096), (4096, 4096), (4096, 1000)],
    "one FC layer, 13x13x512 → 1000": [(features, 1000)],
}
rows = []
for name, layers in heads.items():
    p = sum(cost.linear_macs(i, o) + o for i, o in layers)
    m = sum(cost.linear_macs(i, o) for i, o in layers)
    rows.append([name, f"{p:,}", f"{p / prof_224.params:.1f}x", f"{m / 1e6:,.1f}M"])
conv10 = net.classifier.conv10[0]
p10 = cost.conv_params(512, 1000, 1, bias=True)
m10 = cost.conv_macs(512, 1000, 1, 13)
rows.append(
    [
        "SqueezeNet: conv10 (1x1, 1000 filters) + global average pool",
        f"{p10:,}",
        f"{p10 / prof_224.params:.1f}x",
        f"{m10 / 1e6:,.1f}M",
    ]
)
assert p10 == cost.count_params(conv10)
table(["classifier on fire9's 13x13x512 output", "parameters", "x SqueezeNet", "MACs"], rows)

# %% [markdown]
# An AlexNet-style head would hold **96 million parameters, 77 times the whole of SqueezeNet**, and
# 300 times more without AlexNet's pooling. Even a single fully connected layer needs 86.5 million.
#
# The arithmetic tells a subtler story: conv10 does **as many multiply-accumulates as the single FC
# layer** (86.5M: 512 x 1000 per position, at 169 positions), because a 1x1 convolution is an FC layer
# applied at every pixel. What the convolutional head saves is *parameters*, by sharing one set of
# weights across the 169 positions, and the global average pool then turns 1000 maps into 1000 scores
# with no weights at all. The same trick lets the network accept any input size.

# %% [markdown] {"jp-MarkdownHeadingCollapsed": true, "tags": ["optional"]}
# ## Deep dive (optional): bypass connections (Table 3)
#
# ResNet's shortcuts added to SqueezeNet: a free simple bypass, and a complex one that costs parameters.

# %% [markdown]
# Section 6 of the paper borrows ResNet's shortcuts (He et al. 2015). A **simple bypass** adds a
# Fire module's input to its output. It needs as many channels in as out, which holds for fire3, fire5,
# fire7 and fire9 (the modules between width changes). A **complex bypass** also puts a 1x1 convolution
# on the shortcut of the other modules, to match the channels. Here are both, drawn from our models:

# %%
simple = models.build("squeezenet1_0", bypass="simple")
complex_ = models.build("squeezenet1_0", bypass="complex")
compression.draw_fire(simple.features.fire3, title="fire3, simple bypass", map_size=55)

# %%
compression.draw_fire(complex_.features.fire4, title="fire4, complex bypass", map_size=55)

# %% [markdown]
# The simple bypass has a second benefit besides the shortcut for gradients: with SR = 0.125, the
# squeeze layer is a narrow bottleneck (16 of 128 channels in fire3), and the bypass lets information
# around it. Table 3 of the paper, next to our sizes:

# %%
TABLE_3 = [
    ("none", "vanilla SqueezeNet", 57.5, 80.3, 4.8),
    ("simple", "simple bypass", 60.4, 82.5, 4.8),
    ("complex", "complex bypass", 58.8, 82.0, 7.7),
]
rows = []
for option, name, top1, top5, paper_mb in TABLE_3:
    with torch.device("meta"):
        model = models.build("squeezenet1_0", bypass=option)
    n = cost.count_params(model)
    rows.append(
        [
            name,
            f"{top1}%",
            f"{top5}%",
            f"{paper_mb}MB",
            f"{n:,}",
            f"{4 * n / MB:.2f}MB",
            diff(4 * n / MB, paper_mb),
        ]
    )
table(["architecture (Table 3)", "top-1", "top-5", "paper size", "our parameters", "our size", "diff"], rows)

# %% [markdown]
# - **Simple bypass: free and better.** Identity shortcuts have no weights, so the size stays 4.8 MB,
#   and the paper measures 2.9 points more top-1 accuracy (60.4% against 57.5%).
# - **Complex bypass: not better than simple.** It adds 1x1 convolutions on four shortcuts, and gets
#   58.8%, less than the simple bypass.
# - **Our complex bypass is 6.06 MB, the paper's 7.7 MB.** Our 1x1 shortcuts on fire2, fire4, fire6
#   and fire8 add 341,248 parameters. 7.7 MB would be about 2.02 million parameters, 0.77 million more
#   than vanilla: the paper does not describe its shortcuts in enough detail to account for the
#   difference (a shortcut around every module, say, or 3x3 shortcut filters, would be larger). We
#   report our count and the paper's, without guessing.

# %% [markdown] {"jp-MarkdownHeadingCollapsed": true, "tags": ["optional"]}
# ## Deep dive (optional): SqueezeNet 1.1
#
# The authors' later release, with 2.4 times less computation.

# %% [markdown]
# After the paper, the authors released **SqueezeNet 1.1** (in the DeepScale repository,
# [github.com/forresti/SqueezeNet](https://github.com/forresti/SqueezeNet)): conv1 becomes
# 64 filters of 3x3 (stride 2), and the max-pools move earlier, after conv1, fire3 and fire5. The Fire
# modules are unchanged. The release notes promise "2.4x less computation than SqueezeNet 1.0, without
# sacrificing accuracy". Strategy 3 in reverse: fire4 and fire5 now run on 27x27 maps, fire6 to fire9
# on 13x13.

# %%
rows = []
base = None
for name in ("squeezenet1_0", "squeezenet1_1"):
    with torch.device("meta"):
        model = models.build(name)
    p = cost.profile(model, 224)
    base = base or p.macs
    rows.append(
        [
            name,
            f"{p.params:,}",
            f"{p.macs / 1e6:,.1f}M",
            f"{base / p.macs:.2f}x",
            f"{p.peak_activation_bytes / MB:.2f}MB",
        ]
    )
table(
    ["model", "parameters", "MACs at 224", "less computation", "peak activations (one layer's in + out)"],
    rows,
)

# %% [markdown]
# Our count gives **2.35x** fewer MACs, the promised 2.4x after rounding, for 1% fewer parameters
# (conv1's 7x7x3x96 weights become 3x3x3x64, and fire2 reads 64 channels instead of 96). ImageNet
# accuracy stays the same, according to the release: the paper's case for late downsampling was that it
# buys accuracy, and version 1.1 shows that SqueezeNet 1.0 had computation to spare. torchvision ships
# both.

# %% [markdown]
# ## 5. Deep Compression: 4.8 MB to 0.47 MB, measured
#
# The paper's headline goes beyond the architecture (Table 2): with Deep Compression, SqueezeNet
# shrinks to **0.66 MB with 8-bit weights** (363x smaller than AlexNet's 240 MB) and **0.47 MB with 6-bit
# weights** (510x), in both cases keeping **33% of the weights**, at the accuracy of the uncompressed
# model. Deep Compression (Han, Mao and Dally 2016) stacks three steps:
#
# 1. **Pruning**: set the smallest weights to zero, then retrain the rest;
# 2. **Weight sharing**: cluster each layer's remaining weights with k-means into $2^b$ shared values (a
#    *codebook*), store each weight as a $b$-bit index, retrain the shared values;
# 3. **Storage**: the sparse weights as *relative indices* (how many zeros since the previous weight),
#    and **Huffman coding** of both the indices and the codebook indices.
#
# `smallnets_edu.compression` implements the three on any model of the course. We apply it to the
# ImageNet network of Table 1, with random weights (there is no pretrained SqueezeNet in an offline
# course): the bytes a sparse, quantized layer needs depend on how many weights survive and how far
# apart they are, hardly on their values; section 6 measures accuracy on a network we train. The paper's
# "33% sparsity" means 33% of the weights **kept** (a deep dive below shows why): we keep the largest 33%
# of every weight tensor (Deep Compression sets a threshold per layer, and retrains: section 6 does).

# %%
torch.manual_seed(0)
net = models.build("squeezenet1_0")
pruned = compression.prune_by_magnitude(net, density=0.33)
kept = compression.density(pruned)
print(f"density over all weights: {compression.overall_density(pruned):.4f}")
print(f"per layer: from {min(kept.values()):.4f} to {max(kept.values()):.4f} ({len(kept)} weight tensors)")

# %% [markdown]
# Then weight sharing: `quantize_weights` clusters each tensor's surviving weights into $2^8 = 256$ or
# $2^6 = 64$ shared values by k-means in one dimension, from centroids spread evenly over the weights'
# range (Deep Compression's *linear* initialisation, which keeps centroids for the rare large weights,
# which matter most). Zeros stay zeros.

# %%
quantized = {bits: compression.quantize_weights(pruned, bits) for bits in (8, 6)}

# %% [markdown]
# ### Bytes you can count
#
# `compression.encode` writes the model into bytes: per weight tensor, a codebook of 32-bit shared
# values, the relative indices of the non-zero weights and their codebook indices, in a few bits each;
# biases as 32-bit floats; a small header (its docstring specifies the format to the byte).
# `stored_size` is `len()` of those bytes. Here is the compressed SqueezeNet, several ways:

# %%
PAPER_TABLE_2 = {32: 4.8, 8: 0.66, 6: 0.47}  # MB, by bits per weight: SqueezeNet rows of Table 2
ALEXNET_MB = 240


def size_row(label, model, bits, paper_mb=None, **options):
    nbytes = compression.stored_size(model, bits=bits, **options)
    kept_weights = sum(int((p != 0).sum()) for n, p in model.named_parameters() if p.dim() > 1)
    paper = "" if paper_mb is None else f"{paper_mb} ({diff(nbytes / MB, paper_mb)})"
    per_weight, smaller = f"{8 * nbytes / kept_weights:.1f}", f"{ALEXNET_MB / (nbytes / MB):.0f}x"
    return [label, f"{nbytes:,}", f"{nbytes / MB:.3f}", per_weight, smaller, paper]


rows = [
    size_row("32-bit, dense (Table 1)", net, None, PAPER_TABLE_2[32], sparse=False),
    size_row("33% kept, 32-bit values, relative indices", pruned, None),
]
for bits in (8, 6):
    q, paper_mb = quantized[bits], PAPER_TABLE_2[bits]
    rows += [
        size_row(f"33% + {bits}-bit, 8-bit indices (Deep Compression's width)", q, bits, paper_mb, index_bits=8),
        size_row(f"33% + {bits}-bit, best index width per layer", q, bits, paper_mb),
        size_row(f"33% + {bits}-bit, best widths + Huffman coding", q, bits, paper_mb, huffman=True),
    ]
header = ["SqueezeNet 1.0 stored as", "bytes", "MB", "bits per kept weight", "smaller than AlexNet"]
table([*header, "paper MB (diff)"], rows)

# %% [markdown]
# **The paper's sizes sit inside our range.** 0.66 MB for the 410,668 kept weights is 13.5 bits per
# weight; 0.47 MB is 9.6 bits. With Deep Compression's fixed 8-bit relative indices (its width for
# convolution layers) and no entropy coding, ours needs about 16.8 and 14.5 bits per weight. Letting each
# layer pick its own index width (2 bits everywhere here: at 33% density the gaps between kept weights
# are short) brings it under the paper's figures, and Huffman coding a little lower still.

# %% [markdown] {"jp-MarkdownHeadingCollapsed": true, "tags": ["optional"]}
# ### Deep dive (optional): our encoding against Deep Compression's, byte by byte
#
# How our codebooks, indices and Huffman tables differ from the paper's, and where the bytes go.

# %% [markdown]
# First, the codebooks of one layer:

# %%
layer = "features.fire9.expand3x3.0.weight"
for bits, model in quantized.items():
    w = dict(model.named_parameters())[layer]
    values = torch.unique(w[w != 0])
    print(f"{bits}-bit: {layer} holds {values.numel()} distinct non-zero values (at most {2**bits})")

# %% [markdown]
# **Every codebook is used in full.** That needs one detail: Deep Compression spaces the initial
# centroids evenly between the smallest and the largest weight, but after pruning the weights near zero
# are gone, and two thirds of the centroids would start in that empty middle and never attract a weight.
# So we spread them over the negative and the positive weights that survived.
#
# **What differs from Deep Compression.** Our relative-index filler (for a gap longer than the largest
# index) costs no value slot, index widths adapt per layer, and the Huffman tables are per tensor; we
# also store every bias at 32 bits and a header per tensor. Deep Compression prunes each layer by its
# own threshold, and retrains after pruning and after clustering; we do neither here. Its Huffman gains
# come from trained weights, whose values crowd around a few centroids; our random weights are spread
# evenly, so the Huffman rows above understate what it does on a trained network.
#
# **Everything in the table is measured**: the bytes exist, and decoding them gives back the quantized
# network exactly:

# %%
blob = compression.encode(quantized[6], bits=6, huffman=True)
restored = compression.decode(blob, like=net)
same = all(
    torch.equal(a, b)
    for a, b in zip(restored.state_dict().values(), quantized[6].state_dict().values(), strict=True)
)
print(f"{len(blob):,} bytes; decoded weights equal the 6-bit quantized weights: {same}")

# %% [markdown]
# Where do those bytes go? Per layer, in the 6-bit encoding with Huffman coding:

# %%
chunks = [
    c for c in compression.size_breakdown(quantized[6], bits=6, huffman=True) if c.index_bits is not None
]
names = [c.name.replace("features.", "").replace("classifier.", "").replace(".0.weight", "") for c in chunks]
fig, ax = plots.figure(10.0, 4.2)
left = np.zeros(len(chunks))
for part, colour in (
    ("values", "#4C72B0"),
    ("index", "#DD8452"),
    ("codebook", "#55A868"),
    ("header", "#937860"),
):
    widths = np.array([getattr(c, part) for c in chunks]) / 1024
    ax.barh(names, widths, left=left, color=colour, label=part)
    left += widths
ax.invert_yaxis()
ax.tick_params(axis="y", labelsize=7)
ax.set_xlabel("KiB")
ax.legend(loc="lower right")
ax.set_title("SqueezeNet, 33% kept, 6-bit codebooks, Huffman-coded: bytes per weight tensor")
fig.tight_layout()

# %% [markdown]
# conv10 dominates again, as it did in Table 1. The codebooks (64 values of 4 bytes per tensor) are a
# rounding error for big layers and a real cost for the small squeeze layers; that is one reason Deep
# Compression, designed for AlexNet's huge fully connected layers, gains less on an already small
# network.

# %% [markdown] {"jp-MarkdownHeadingCollapsed": true, "tags": ["optional"]}
# ### Deep dive (optional): what "33% sparsity" means
#
# Why the paper's "33% sparsity" must be the weights kept, not the zeros.

# %% [markdown]
# The course's notes said "5MB model ... 650KB when compressed to 8bit at 33% sparsity". The paper
# says **4.8 MB** (2^20-byte MB; 5.0 million bytes) and **0.66 MB** at 8 bits, and adds **0.47 MB** at
# 6 bits. Usually sparsity is the share of *zeros*. If 67% of the weights survived, their 8-bit values
# alone would need:

# %%
n_weights = sum(p.numel() for n, p in net.named_parameters() if p.dim() > 1)
print(f"{n_weights:,} weights (without biases)")
print(
    f"67% of them at 8 bits: {0.67 * n_weights / MB:.2f} MB, more than the paper's 0.66 MB before any index"
)
print(f"33% of them at 8 bits: {0.33 * n_weights / MB:.2f} MB, which leaves room for the positions")

# %% [markdown]
# So the paper's "33% sparsity" means 33% of the weights **kept** (a density of 33%), as we pruned above.

# %% [markdown]
# ## 6. Training SqueezeNet, then compressing it
#
# ImageNet training is beyond a laptop, so we train the `cifar` variant of **SqueezeNet 1.1** (the deep
# dive before section 5: Table 1's Fire modules, less than half the arithmetic) on CIFAR-10 (Krizhevsky
# 2009), 32x32 images of ten classes: conv1 has stride 1, leaving a 4x4 map for fire6 to conv10.
#
# How much training happens depends on the budget (`SMALLNETS_BUDGET`): a few hundred images for one
# epoch in the `smoke` budget the tests use, a few epochs on 10,000 images on a laptop, a full schedule
# on a GPU. Without the CIFAR-10 files on disk, `data.for_lesson` falls back to the course's offline
# "shapes" dataset and says so.

# %% tags=["nbval-ignore-output"]
from smallnets_edu import data, train

dataset = data.for_lesson("cifar10")
dataset

# %% [markdown]
# SqueezeNet as published learns slowly without BatchNorm (a deep dive at the end of this section says
# why), so we train the CIFAR versions' network: **BatchNorm after every convolution, no ReLU after
# conv10** (`models.build(..., batch_norm=True)`; the default stays the paper's). Set
# `PAPER_NETWORK = True` to train the paper's network (`fit` gives it three times the epochs).

# %%
MODEL = "squeezenet1_1"
PAPER_NETWORK = False  # True: train SqueezeNet as published (3x the epochs; slower to start)

torch.manual_seed(0)
published = cost.count_params(models.build(MODEL, variant="cifar", num_classes=dataset.num_classes))
cifar_net = models.build(
    MODEL, variant="cifar", num_classes=dataset.num_classes, batch_norm=not PAPER_NETWORK
)
extra = cost.count_params(cifar_net) - published
print(f"{cost.count_params(cifar_net):,} parameters ({extra:+,} against the paper's network: BatchNorm's")
print("scale and shift per channel, less the biases the convolutions under it no longer need)")
print(cifar_net.features.fire2)

# %% [markdown]
# Now train it. The progress bar counts epochs; the learning curves show loss and accuracy on the training
# and the test images after each (the stored copy shows the course's reference run, `laptop` budget).

# %% tags=["nbval-ignore-output"]
history = train.fit(cifar_net, dataset)
LEARNING_RATE = history.config["lr"]  # the rate the budget (and the network) chose
history.plot()

# %% [markdown]
# Now compress the trained network as in section 5. Pruning alone costs accuracy (a deep dive at the end
# of this section measures how much, at several densities), so Deep Compression does not stop at
# pruning: it **retrains** the surviving weights with the pruned ones held at zero, so that the network
# adapts to its missing connections. `compression.zeros_kept` does that holding (a gradient hook
# multiplies each weight's gradient by its mask), so any training loop, ours included, retrains only the
# survivors. Two short epochs at half the learning rate:

# %% tags=["nbval-ignore-output"]
RETRAIN = {"epochs": 2, "lr": LEARNING_RATE / 2, "warmup_epochs": 0}
pruned_net = compression.prune_by_magnitude(cifar_net, 0.33)
with compression.zeros_kept(pruned_net):
    train.fit(pruned_net, dataset, **RETRAIN)
print(f"density after retraining: {compression.overall_density(pruned_net):.4f}")

# %% [markdown]
# Those two epochs would help the uncompressed network too. For a fair comparison, give it the same two:

# %% tags=["nbval-ignore-output"]
longer_net = copy.deepcopy(cifar_net)
train.fit(longer_net, dataset, **RETRAIN)
print(f"uncompressed, two more epochs: {train.evaluate(longer_net, dataset).accuracy:.1%}")

# %% [markdown]
# Finally the whole pipeline: uncompressed, pruned, retrained, quantized to 8, 6 and 4 bits, each with
# its measured size (`stored_size`, Huffman coding on) and its test accuracy.

# %% tags=["nbval-ignore-output"]
steps = {
    "uncompressed, 32-bit": (cifar_net, None, {"sparse": False}),
    "uncompressed, two more epochs": (longer_net, None, {"sparse": False}),
    "33% kept (no retraining)": (compression.prune_by_magnitude(cifar_net, 0.33), None, {}),
    "33% kept, retrained": (pruned_net, None, {}),
    "33% kept, retrained, 8-bit": (compression.quantize_weights(pruned_net, 8), 8, {"huffman": True}),
    "33% kept, retrained, 6-bit": (compression.quantize_weights(pruned_net, 6), 6, {"huffman": True}),
    "33% kept, retrained, 4-bit": (compression.quantize_weights(pruned_net, 4), 4, {"huffman": True}),
}
rows, uncompressed = [], train.evaluate(cifar_net, dataset).accuracy
for label, (model, bits, options) in steps.items():
    nbytes = compression.stored_size(model, bits=bits, **options)
    acc = train.evaluate(model, dataset).accuracy
    rows.append([label, f"{nbytes:,}", f"{nbytes / MB:.3f}", f"{acc:.1%}", f"{acc - uncompressed:+.1%}"])
table([f"{MODEL} (cifar), stored as", "bytes", "MB", "test accuracy", "vs uncompressed"], rows)

# %% [markdown]
# What to look for (your numbers depend on your machine, budget and data): pruning to 33% without
# retraining costs a briefly trained network the most, as it has no slack; two epochs of retraining win
# most of it back (compare with the uncompressed network given the same two epochs). Weight sharing then
# costs little at 8 and 6 bits and more at 4; the paper reports no loss at 6 bits on ImageNet, after
# Deep Compression's full retraining of a fully trained network. The stored size shrinks 8 to 10 times
# from the 32-bit network (the BatchNorm vectors and running statistics travel at 32 bits).

# %% [markdown] {"jp-MarkdownHeadingCollapsed": true, "tags": ["optional"]}
# ### Deep dive (optional): pruning without retraining, at several densities
#
# What magnitude pruning alone costs the trained network, from half of its weights kept to a tenth.

# %% tags=["nbval-ignore-output"]
DENSITIES = (1.0, 0.5, 0.33, 0.2, 0.1)
accuracy = {}
for d in DENSITIES:
    model = cifar_net if d == 1.0 else compression.prune_by_magnitude(cifar_net, d)
    accuracy[d] = train.evaluate(model, dataset).accuracy
fig, ax = plots.figure(6.0, 3.4)
ax.plot(DENSITIES, [100 * accuracy[d] for d in DENSITIES], "o-", color=plots.FAMILY_COLOURS["squeezenet"])
ax.set_xscale("log")
ax.set_xticks(DENSITIES, [f"{d:.0%}" for d in DENSITIES])
ax.set_xlabel("weights kept in every layer (no retraining)")
ax.set_ylabel(f"{dataset.name} test accuracy %")
ax.set_title("Magnitude pruning of the trained network")
fig.tight_layout()

# %% [markdown] {"jp-MarkdownHeadingCollapsed": true, "tags": ["optional"]}
# ### Deep dive (optional): why the paper's network barely trains here
#
# What the missing BatchNorm and the ReLU on the class scores do to training, and the way around them.

# %% [markdown]
# First, what the two `cifar` networks cost:

# %%
rows = []
for name in ("squeezenet1_0", "squeezenet1_1"):
    with torch.device("meta"):
        cifar_meta = models.build(name, variant="cifar", num_classes=10)
    p = cost.profile(cifar_meta, 32)
    size = compression.dense_size(cifar_meta) / MB
    rows.append([name, f"{p.params:,}", f"{p.macs / 1e6:.1f}M", f"{size:.2f} MB"])
table(["cifar variant, 10 classes", "parameters", "MACs at 32x32", "size at 32 bits"], rows)

# %% [markdown]
# Trained with the recipe the networks with shortcuts use (SGD with momentum at the budget's rate),
# this network goes nowhere at the `laptop` budget: the training loss stays at $\ln 10 \approx 2.303$,
# the loss of a network that gives every class the same score, and the accuracy at 10%, chance. Two
# features of the 2016 design conspire:
#
# - **No BatchNorm.** Eighteen convolutions are stacked with nothing to keep their outputs at a
#   healthy scale. Their gradients come out a thousandth the size of their weights, so SGD's steps
#   barely move them. (BatchNorm, Ioffe and Szegedy 2015, was new when SqueezeNet was designed; every
#   later network of this course uses it.)
# - **A ReLU on the class scores.** conv10's outputs pass through a ReLU before the average pool. Early
#   in training the quickest way down the loss is to give every class the same score, and the network
#   finds it by pushing every class score below zero at every position; the ReLU then passes no
#   gradient, and nothing ever comes back. We measured the live scores falling from half to none within
#   120 steps, whatever rate conv10 was given.
#
# So the published network asks `train.fit` for another optimizer: **AdamW at 3e-4**, far below the
# rate the BatchNorm networks get (`models.squeezenet.published_recipe`; it changes the training, not
# the network). AdamW sizes every weight's step by that weight's own gradients, so the body learns however
# small its gradients are, and at that rate the class scores stay alive (at twice the rate they died).
# One more change makes it learn within the `laptop` budget. After the budget's 5 epochs its training loss
# is still far above what label smoothing allows: it **underfits**, so random crops and flips, which
# fight overfitting, only slow it down. At the short budgets it therefore trains **three times the
# epochs on the plain images** (`models.squeezenet.SHORT_BUDGET_RECIPE`), and since its images cost a
# third (1.0) to a fifth (1.1) of MobileNetV2's, its run still ends no later. Measured at the `laptop`
# budget over three seeds: SqueezeNet 1.1 70.8 ± 1.4%, 1.0 81.9 ± 1.5% (5 epochs with augmentation: 33% and 42%).
# The CIFAR versions of SqueezeNet in common use, such as
# [weiaicunzai/pytorch-cifar100](https://github.com/weiaicunzai/pytorch-cifar100) whose layout our
# `cifar` variant follows, take the other way out: BatchNorm after every convolution, and no ReLU
# after conv10, the network this section trains.

# %% [markdown]
# ## Summary
#
# - SqueezeNet's three strategies: replace 3x3 filters with 1x1 ones, squeeze the input of the 3x3
#   filters, downsample late. The first two save parameters; the third spends computation on accuracy.
# - A Fire module is a 1x1 squeeze layer and an expand layer of 1x1 and 3x3 filters, concatenated.
#   Table 1 reproduces exactly: **1,248,424 parameters, 4.8 MB** (MB = 2^20 bytes) at 32 bits.
# - SqueezeNet 1.0 costs **819M MACs at 224, 833M at 227**, most of them in the early layers that late
#   downsampling keeps on large maps; version 1.1 needs 349M, 2.35x fewer.
# - The squeeze ratio trades size for accuracy up to SR = 0.75 (86.0% top-5 at 19 MB); 50% of 3x3
#   filters is enough (85.6%).
# - Deep Compression: 33% of the weights kept, 8-bit or 6-bit shared values, sparse storage. The paper's
#   **0.66 MB and 0.47 MB** fall between our measured encodings with Deep Compression's 8-bit indices
#   and with adaptive ones. On a network we trained, pruning needs retraining, and weight sharing at 8
#   or 6 bits is then almost free.
# - The deep dives add: a fully connected head would hold 77 times the network; simple bypasses are
#   free and add 2.9 points of top-1; SqueezeNet as published barely trains without BatchNorm.
#
# Next, lesson 03 builds a network from depthwise-separable convolutions and gives it the width and
# resolution knobs that SqueezeNet lacks.

# %% [markdown]
# ## Exercises
#
# Each exercise has a checker that tells you whether your answer is right and, if not, what seems to
# have gone wrong, without giving the answer away.
#
# **Exercise 1: count a Fire module.** A Fire module reads 256 channels and has 64 squeeze filters,
# 128 expand filters of 1x1 and 128 of 3x3 (fire5 at SR = 0.25). How many parameters does it have,
# weights and biases? Use the formula of section 2, not the computer.

# %%
from smallnets_edu.exercises import lesson02

answer = None  # a number
lesson02.check_fire_params(answer)

# %% [markdown]
# **Exercise 2: write the Fire module.** Complete `my_fire` so that it returns a Fire module: a 1x1
# squeeze convolution with ReLU, then a 1x1 and a 3x3 expand convolution (each with a bias and a ReLU,
# the 3x3 one padded to keep the map size), concatenated with the 1x1 outputs first. Use plain `torch.nn`
# layers. The checker copies the package's weights into your convolutions and compares the outputs.


# %%
def my_fire(in_channels, squeeze, expand1x1, expand3x3):
    raise NotImplementedError  # replace with your module


lesson02.check_fire_module(my_fire)

# %% [markdown]
# **Exercise 3: relative indices.** Write the heart of Deep Compression's sparse storage. Given the
# sorted positions of the non-zero weights in a flattened tensor, return the list of codes to store,
# each in `index_bits` bits: for each weight, the number of zeros skipped since the previous weight (or
# since the start). When a gap is too long for `index_bits` bits, emit the *filler* code
# $M = 2^{index\_bits} - 1$, which means "skip $M$ positions, no weight here", as many times as
# needed. For example, positions `[2, 3]` with 3-bit indices give `[2, 0]`, and position `[20]` gives
# `[7, 7, 6]`.


# %%
def my_relative_indices(positions, index_bits):
    raise NotImplementedError  # return a list of ints


lesson02.check_relative_indices(my_relative_indices)
