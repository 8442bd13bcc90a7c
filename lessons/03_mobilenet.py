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
# # 03 · MobileNet: a network made of depthwise-separable convolutions
#
# **After this lesson you can**
#
# - compute what a depthwise-separable layer saves over a standard convolution (the paper's Table 3);
# - explain where MobileNet's computation and weights go (Table 2), and why the 1x1 convolutions matter most;
# - measure how the width multiplier α and the resolution multiplier ρ change MACs, parameters and
#   memory, and where the α²ρ² law breaks;
# - choose a MobileNet for a computation budget from the paper's line of accuracy against log(MACs);
# - build MobileNet's block yourself; train three widths on CIFAR-10 and three resolutions on Tiny-ImageNet.
#
# **The idea in one paragraph**
#
# In 2017 a group at Google asked a blunt question: how cheap can a useful ImageNet network be, and
# what is the simplest way to trade accuracy for speed? Their answer, **MobileNets** (Howard, Zhu, Chen,
# Kalenichenko, Wang, Weyand, Andreetto and Adam, 2017,
# [arXiv:1704.04861](https://arxiv.org/abs/1704.04861)), is almost austere: split every 3x3 convolution
# into a per-channel (depthwise) 3x3 filter and a 1x1 (pointwise) convolution, 8 to 9 times cheaper,
# and stack thirteen such blocks after one ordinary convolution, with a global average pool and one fully
# connected layer. No branches, no shortcuts. Two numbers, a **width multiplier α** and a **resolution
# multiplier ρ**, then turn that one network into a whole family of sixteen. Lesson 01 met depthwise
# and pointwise convolutions one layer at a time; here they become a network.

# %%
import functools

import numpy as np
import torch
from torch import nn

from smallnets_edu import budget, cost, models, paper_figures, plots, reference, widgets
from smallnets_edu.display import diff, table
from smallnets_edu.models import mobilenet_v1

# %% tags=["nbval-ignore-output"]
print(reference.banner("03"))

# %% [markdown]
# ## 1. One layer, two ways
#
# A standard convolution with a $D_K \times D_K$ kernel turns $M$ input channels into $N$ output
# channels on a $D_F \times D_F$ map. Every output value is a dot product over a
# $D_K \times D_K \times M$ window, so it costs
#
# $$D_K \cdot D_K \cdot M \cdot N \cdot D_F \cdot D_F \quad\text{multiply-accumulates.}$$
#
# That one layer does two jobs at once: it *filters* space (the $D_K \times D_K$ window) and it
# *combines* channels (the sum over $M$). A **depthwise-separable** convolution does them one after the
# other:
#
# - a **depthwise** convolution filters each channel on its own with one $D_K \times D_K$ kernel:
#   $D_K \cdot D_K \cdot M \cdot D_F \cdot D_F$;
# - a **pointwise** (1x1) convolution then combines channels at each pixel:
#   $M \cdot N \cdot D_F \cdot D_F$.
#
# Dividing the sum by the standard cost gives the reduction the paper states in section 3.1:
#
# $$\frac{D_K^2 M D_F^2 + M N D_F^2}{D_K^2 M N D_F^2} = \frac{1}{N} + \frac{1}{D_K^2}.$$
#
# With 3x3 kernels and hundreds of output channels the second term wins: a separable layer costs a bit
# more than a ninth of a standard one, **8 to 9 times fewer** multiply-accumulates (and parameters, by
# the same ratio without the $D_F^2$). The price is expressiveness: a separable layer can only represent
# the convolutions whose kernel factorises this way. The paper measures that price (section 6 below).
#
# The paper's Table 3 makes this concrete for one layer from the middle of the network, 14x14 with 512
# channels in and out. Here it is recomputed with the formulas of `smallnets_edu.cost` (Table 3's last
# two rows shrink the layer with the multipliers of section 4: α = 0.75 keeps 384 channels,
# ρ = 0.714 = 160/224 shrinks the map to 10x10).


# %%
def one_layer(channels, size, separable):
    """MACs and weights of Table 3's layer: 3x3, `channels` in and out, on a size x size map."""
    if separable:
        depthwise = cost.conv_params(channels, channels, 3, groups=channels)
        weights = depthwise + cost.conv_params(channels, channels, 1)
        return cost.separable_macs(channels, channels, 3, size), weights
    return cost.standard_conv_macs(channels, channels, 3, size), cost.conv_params(channels, channels, 3)


TABLE_3 = [  # (layer, channels, map size, separable, paper: million Mult-Adds, million parameters)
    ("Convolution", 512, 14, False, 462, 2.36),
    ("Depthwise separable", 512, 14, True, 52.3, 0.27),
    ("α = 0.75", 384, 14, True, 29.6, 0.15),
    ("ρ = 0.714", 384, 10, True, 15.1, 0.15),
]
rows = []
for name, channels, size, separable, paper_macs, paper_params in TABLE_3:
    macs, weights = one_layer(channels, size, separable)
    rows.append([name, paper_macs, f"{macs / 1e6:.1f}", paper_params, f"{weights / 1e6:.3f}"])
print(f"1/N + 1/Dk² for N = 512, Dk = 3: {cost.separable_reduction(512, 3):.4f}")
table(["Table 3 layer", "paper M Mult-Adds", "ours", "paper M params", "ours"], rows)

# %% [markdown]
# Every row agrees with the paper to its printed precision. Note the last row: shrinking the map
# changes the computation (by ρ² = 0.51) but not a single parameter, because a convolution's weights
# do not depend on the size of the image it slides over.

# %% [markdown]
# ## 2. The network: Table 1, from our model
#
# MobileNet stacks these layers as in the paper's Table 1: a standard 3x3 convolution with stride 2 and
# 32 filters, then thirteen separable blocks that double the channels each time they halve the map
# (four times, from 112x112 to 7x7), a 7x7 average pool and a fully connected layer with 1000 outputs.
# Every convolution is followed by BatchNorm and ReLU (the paper's Figure 3), the depthwise ones
# included. Counting the depthwise and pointwise layers separately, that is 28 layers.
#
# `smallnets_edu.models.mobilenet_v1.TABLE_1` holds Table 1 as data; the builder reads its channels and
# strides from there (a deep dive below checks our model against every row). We build it on PyTorch's
# `meta` device: the layers get shapes but no numbers, so building and profiling even a large network
# takes milliseconds (training, later, needs real weights).


# %%
def build_meta(width_mult=1.0, **options):
    """A MobileNet with shapes but no weights (the meta device): instant to build, enough to count its cost."""
    return models.build_meta("mobilenet_v1", width_mult=width_mult, **options)


net = build_meta()
profile = cost.profile(net, 224, name="1.0 MobileNet-224")
costly = [row for row in profile.layers if row.macs]  # the 28 convolution and FC layers, in order
print(f"{profile.model_name}: {len(costly)} layers, {profile.macs:,} MACs, {profile.params:,} parameters")

# %% [markdown] {"jp-MarkdownHeadingCollapsed": true, "tags": ["optional"]}
# ### Deep dive (optional): Table 1, row by row
#
# Each printed row of Table 1 next to the layer of our model it describes, and a misprint.

# %% [markdown]
# Below, each row of the table sits next to the layer of our model it describes: the shape of its
# weights and the shape of its input, measured by running an image through the network.

# %%
layers = dict(net.named_modules())
printed = [row for row in mobilenet_v1.TABLE_1 if row[0] in ("conv", "conv dw", "fc")]


def paper_shape(weight):
    """Our weight tensor's shape in Table 1's order: kernel first, then channels in, channels out."""
    if weight.dim() == 2:  # FC: (out, in) -> (in, out)
        return (weight.shape[1], weight.shape[0])
    out, per_group, kh, kw = weight.shape
    return (kh, kw, out) if per_group == 1 else (kh, kw, per_group, out)  # depthwise: one input each


inputs, last = {}, (224, 224, 3)  # each layer's input: the last map (H x W x C) before it
for layer in profile.layers:
    inputs[layer.name] = last
    if len(layer.output_shape) == 4:
        last = (*layer.output_shape[2:], layer.output_shape[1])

fmt = lambda shape: "x".join(map(str, shape))
rows, matches = [], 0
for (kind, stride, shape, size), layer in zip(printed, costly, strict=True):
    ours = paper_shape(layers[layer.name].weight)
    ok = ours == shape and inputs[layer.name] == size
    matches += ok
    rows.append(
        [
            f"{kind} / s{stride}",
            fmt(shape),
            fmt(size),
            layer.name,
            fmt(ours),
            fmt(inputs[layer.name]),
            "✓" if ok else "✗",
        ]
    )
print(f"{matches} of {len(printed)} layers match Table 1")
table(["Table 1: type / stride", "filter shape", "input size", "our layer", "weights", "input", ""], rows)

# %% [markdown]
# All 28 rows match, with one repair. The paper prints the second-to-last depthwise layer as
# "Conv dw / s2", yet the next row's input is still 7x7 and the paper's own totals need stride 1 there:
# a typo, corrected in our `TABLE_1` (with a comment saying so). It is worth knowing that even the
# architecture tables of famous papers carry misprints; the next table has one too.

# %% [markdown]
# ## 3. Where the cost goes: Table 2
#
# Table 2 of the paper sums the cost by layer type; our profile does the same with `by_kind()`. The
# paper's percentages are shares of **4,209,088 weights**, the convolution and FC weights alone, without
# BatchNorm's γ and β and the FC biases that PyTorch's `count_params` adds; we count them its way.

# %%
weights = {}
for module in net.modules():
    if isinstance(module, (nn.Conv2d, nn.Linear)):
        kind = cost.layer_kind(module)
        weights[kind] = weights.get(kind, 0) + module.weight.numel()
by_kind = profile.by_kind()
total_macs, total_weights = profile.macs, sum(weights.values())
print(f"total: {total_macs:,} multiply-accumulates, {total_weights:,} weights")
print(f"PyTorch's count with BatchNorm and biases: {cost.count_params(net):,} parameters")

TABLE_2 = [  # (paper's row, our layer kind, paper: % Mult-Adds, % parameters)
    ("Conv 1x1", "pointwise", 94.86, 74.59),
    ("Conv DW 3x3", "depthwise", 3.06, 1.06),
    ("Conv 3x3 (first layer)", "conv", 1.19, 0.02),
    ("Fully connected", "linear", 0.18, 24.33),
]
shares = {
    kind: (100 * by_kind[kind]["macs"] / total_macs, 100 * weights[kind] / total_weights)
    for _, kind, _, _ in TABLE_2
}
rows = [
    [name, f"{pm:.2f}", f"{shares[k][0]:.2f}", f"{pp:.2f}", f"{shares[k][1]:.2f}"]
    for name, k, pm, pp in TABLE_2
]
sums = [sum(row[2] for row in TABLE_2), sum(v[0] for v in shares.values())]
sums += [sum(row[3] for row in TABLE_2), sum(v[1] for v in shares.values())]
rows.append(["sum", *(f"{value:.2f}" for value in sums)])
table(["Table 2 row", "paper % Mult-Adds", "ours", "paper % params", "ours"], rows)

# %% [markdown]
# Two lessons in one table (and a misprint, in the deep dive below):
#
# - **The 1x1 convolutions are the network.** They do 94.86% of the multiply-accumulates and hold
#   74.59% of the weights. The depthwise layers, the part that makes MobileNet "depthwise", cost
#   almost nothing: 3.06% and 1.06%. This is why the paper stresses that its 1x1 convolutions map
#   straight onto a highly optimised matrix multiply (GEMM), with no im2col reordering needed.
# - **The classifier is a quarter of the weights and almost none of the work**: 24.33% of the weights
#   for 0.18% of the computation. A 1024 x 1000 matrix is big; it is used once per image.

# %% [markdown] {"jp-MarkdownHeadingCollapsed": true, "tags": ["optional"]}
# ### Deep dive (optional): Table 2 drawn, its misprint, and Mult-Adds are not time
#
# The table as a chart, the first layer's misprinted share, and what Table 2 does not measure.

# %%
fig, axes = plots.figure(9.0, 3.4, ncols=2)
names = [name.replace(" (first layer)", "\n(first layer)") for name, *_ in TABLE_2]
for ax, column, label in zip(axes, (0, 1), ("% of multiply-accumulates", "% of weights"), strict=True):
    y = np.arange(len(TABLE_2))
    ours = [shares[kind][column] for _, kind, *_ in TABLE_2]
    published = [row[2 + column] for row in TABLE_2]
    ax.barh(y + 0.2, ours, 0.4, color=[plots.kind_colour(kind) for _, kind, *_ in TABLE_2], label="ours")
    ax.barh(y - 0.2, published, 0.4, color="none", edgecolor="black", hatch="//", label="paper")
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    ax.set_xlabel(label)
    ax.set_xlim(0, 105)
    for yi, value, printed_value in zip(y, ours, published, strict=True):
        ax.text(value + 1, yi + 0.2, f"{value:.2f}", va="center", fontsize=8)
        ax.text(printed_value + 1, yi - 0.2, f"{printed_value:.2f}", va="center", fontsize=8, color="grey")
axes[0].legend(loc="lower right")
fig.suptitle("1.0 MobileNet-224: where the cost goes (Table 2)")
fig.tight_layout()

# %% [markdown]
# **The paper has a misprint.** Its first layer is printed at 1.19% of the Mult-Adds, but 3·3·3·32
# weights on a 112x112 output are 10,838,016 of 568,740,352: **1.91%**. The printed column sums to
# 99.29%; with 1.91 it sums to 100.01%, which is rounding. 1.19 looks like the two digits swapped.
#
# The course's source notes summarised Table 2 as "95% of its computation time, 75% of the parameters
# in 1x1 convolutions, 25% in the final fully-connected layer". The percentages are close (94.86%,
# 74.59%, 24.33%), but the paper measures **Mult-Adds, not time**. Time depends on how well each kind
# of layer runs on the hardware; the paper argues that 1x1 convolutions run well, but Table 2 does not
# measure it. Lesson 08 measures time.

# %% [markdown]
# ## 4. Two knobs: width α and resolution ρ
#
# MobileNet's second idea is to make a whole family from one network with two multipliers
# (section 3.3 and 3.4 of the paper):
#
# - the **width multiplier α** thins every layer: $M$ input channels become $\alpha M$ and $N$ output
#   channels $\alpha N$ (the paper uses α = 1, 0.75, 0.5 and 0.25; our builder rounds down, to at least
#   8 channels, as [TF-slim's code](https://github.com/tensorflow/models/tree/master/research/slim) does);
# - the **resolution multiplier ρ** shrinks the input image, and with it every feature map: $D_F$
#   becomes $\rho D_F$. In practice one picks the input side (224, 192, 160 or 128), so
#   $\rho = \text{resolution} / 224$.
#
# A separable layer then costs
#
# $$D_K \cdot D_K \cdot \alpha M \cdot \rho D_F \cdot \rho D_F + \alpha M \cdot \alpha N \cdot \rho D_F \cdot \rho D_F,$$
#
# and since the pointwise term dominates, **computation scales as α²ρ²** and **parameters as α²**
# (resolution never changes a weight). The law is not exact: look at the depthwise term above, which
# has only one α, and ask which other layers have a channel count that α cannot touch (exercise 2 asks
# exactly that). Move the sliders: the readout counts every layer of our model, and the memory is the
# largest input + output one layer holds at once (32-bit floats, one image); the right-hand chart
# divides what we measure by what the law predicts (1.0: the law is exact).


# %%
@functools.cache
def mobilenet_cost(alpha, resolution, num_classes=1000, **options):
    """Profile of one MobileNet (cached: each width and resolution is counted once)."""
    net = build_meta(alpha, num_classes=num_classes, **options)
    return cost.profile(net, resolution, name=f"{alpha:.2f} MobileNet-{resolution}")


def readout(alpha, resolution):
    alpha = round(alpha, 2)
    p, base = mobilenet_cost(alpha, resolution), mobilenet_cost(1.0, 224)
    rho = resolution / 224
    return (
        f"<b>{alpha:.2f} MobileNet-{resolution}</b>: <span class='macs'>{p.macs:,}</span> MACs · "
        f"<span class='params'>{p.params:,}</span> parameters · "
        f"<span class='memory'>{p.peak_activation_bytes / 2**20:.2f}</span> MiB peak activations<br>"
        f"MACs ÷ 1.0-224: {p.macs / base.macs:.3f} (α²ρ² says {alpha**2 * rho**2:.3f}) · "
        f"parameters ÷ 1.0: {p.params / base.params:.3f} (α² says {alpha**2:.3f})"
    )


def draw(alpha, resolution):
    alpha = round(alpha, 2)
    p, base = mobilenet_cost(alpha, resolution), mobilenet_cost(1.0, 224)
    fig, (left, right) = plots.figure(9.0, 3.6, ncols=2)
    kinds = ["conv", "depthwise", "pointwise", "linear"]
    y = np.arange(len(kinds))
    full_macs = [base.by_kind()[k]["macs"] / 1e6 for k in kinds]
    now_macs = [p.by_kind()[k]["macs"] / 1e6 for k in kinds]
    left.barh(y, full_macs, color="none", edgecolor="grey", label="1.0-224")
    left.barh(y, now_macs, color=[plots.kind_colour(k) for k in kinds], label="now")
    left.set_yticks(y, kinds)
    left.invert_yaxis()
    left.set(xscale="log", xlim=(0.1, 1000), xlabel="million MACs")
    left.set_title(f"{alpha:.2f} MobileNet-{resolution}: {p.macs / 1e6:.1f}M MACs")
    left.legend(loc="lower right")
    rho = resolution / 224
    widths = sorted({0.25, 0.5, 0.75, 1.0, alpha})
    costs = [mobilenet_cost(a, resolution) for a in widths]
    macs_ratio = [q.macs / (base.macs * a**2 * rho**2) for a, q in zip(widths, costs, strict=True)]
    params_ratio = [q.params / (base.params * a**2) for a, q in zip(widths, costs, strict=True)]
    now = widths.index(alpha)
    right.axhline(1.0, color="grey", ls="--", lw=1, label="exactly the law")
    right.plot(widths, params_ratio, "s-", color=plots.kind_colour("linear"), label="parameters ÷ α²")
    right.plot(widths, macs_ratio, "o-", color=plots.kind_colour("pointwise"), label="MACs ÷ α²ρ²")
    right.plot([alpha, alpha], [macs_ratio[now], params_ratio[now]], "*", color="#C44E52", ms=14)
    right.set(xlim=(0.2, 1.05), ylim=(0.9, 2.0), xlabel="width multiplier α", ylabel="measured ÷ law")
    right.set_title(f"MACs {macs_ratio[now]:.3f}x the law, parameters {params_ratio[now]:.3f}x")
    right.legend(loc="upper right")
    fig.tight_layout()
    return fig


sliders = {
    "alpha": widgets.float_slider("α (width)", 1.0, 0.25, 1.0, step=0.05),
    "resolution": widgets.int_slider("resolution", 224, 96, 224, step=32),
}
explorer = widgets.Explorer(sliders, plot=draw, readout=readout, title="MobileNet's two multipliers")
explorer

# %% [markdown]
# Try these:
#
# - Set α = 0.5 at 224. The law predicts 0.25 of the cost; the network measures a little more, because
#   some layers shrink only by α = 0.5. At α = 0.25 the gap grows: the parts that scale with α become
#   a larger share of a smaller whole. Which bars of the left chart shrink the least?
# - Keep α = 1 and lower the resolution. The ratio now follows ρ² almost exactly (every layer's map
#   shrinks by the same ρ²; only the classifier, 0.18% of the cost, does not), and the parameters do not
#   move at all.
# - Now look at the parameters at α = 0.25: 0.111 of the full network's where α² says 0.0625. The
#   classifier's 1000 outputs do not shrink, and at this width it holds more than half of the weights.
# - Watch the memory: it follows αρ², not α²ρ². An activation has one channel count, which α
#   shrinks, and a map, which ρ² shrinks; the peak sits in the first layers, on the 112x112 maps.

# %% [markdown]
# ## 5. Sixteen MobileNets: accuracy is (roughly) linear in log(MACs)
#
# The paper trained the sixteen combinations of α ∈ {1, 0.75, 0.5, 0.25} and resolution ∈ {224, 192,
# 160, 128}. The released checkpoints (TF-slim's `mobilenet_v1` table, retrained after the paper, hence
# slightly different accuracies from Tables 6 and 7) list each model's MACs, parameters and top-1
# accuracy; a deep dive below sets our counts beside them. The paper's Figure 4 plots these models'
# ImageNet accuracy against their Mult-Adds on a logarithmic axis and observes a roughly straight line:
# each time the computation is multiplied by some factor, accuracy gains about the same number of
# points. A least-squares fit of top-1 on log₁₀(MACs) puts a number on it.

# %%
SLIM = {
    (entry["width_mult"], entry["resolution"]): entry
    for entry in paper_figures.figures("mobilenet_v1")
    if entry["source"] == "TF-slim mobilenet_v1 table"
}
grid = list(SLIM.values())
log_macs = np.log10([e["macs"] for e in grid])
top1 = np.array([e["top1"] for e in grid])
slope, intercept = np.polyfit(log_macs, top1, 1)
residuals = top1 - (slope * log_macs + intercept)
r2 = 1 - residuals.var() / top1.var()
print(f"top-1 ≈ {intercept:.1f} + {slope:.1f} · log10(MACs)   (R² = {r2:.3f})")
print(f"every 10x more computation buys about {slope:.1f} points of top-1")
print(f"the farthest model is {abs(residuals).max():.1f} points off the line")


def figure4(ax):
    """The 16 published MobileNets and their log-linear fit (Figure 4 of the paper)."""
    widths = sorted({e["width_mult"] for e in grid}, reverse=True)
    colours = dict(zip(widths, ("#4C72B0", "#55A868", "#DD8452", "#C44E52"), strict=True))
    for e in grid:
        ax.plot(e["macs"] / 1e6, e["top1"], "o", color=colours[e["width_mult"]], ms=4 + e["resolution"] / 40)
    for w in widths:
        ax.plot([], [], "o", color=colours[w], label=f"α = {w:g}")
    x = np.logspace(np.log10(10e6), np.log10(700e6), 50)
    fit = f"fit: {slope:.1f} points per 10x"
    ax.plot(x / 1e6, intercept + slope * np.log10(x), "--", color="grey", label=fit)
    ax.set(xscale="log", xlabel="million multiply-accumulates (log scale)", ylabel="ImageNet top-1 %")
    ax.set_title("16 MobileNets (TF-slim); marker size = resolution")
    ax.legend(loc="lower right")


fig, ax = plots.figure(6.0, 4.0)
figure4(ax)
fig.tight_layout()

# %% [markdown]
# The line is a good summary (R² above 0.95), and it is the practical message of the paper: pick the
# cost your device allows, read off the accuracy to expect. The residuals show where it bends. The
# largest model sits 3 points under the line (returns diminish at the top), and so do all four
# α = 0.25 models: the paper notes that accuracy falls smoothly as α shrinks, until at α = 0.25 the
# network becomes too thin. In between, models of about the same cost can differ by a point or two:
# 0.75 MobileNet-160 (162M) beats 0.50 MobileNet-224 (150M) by 2 points, so how you reach a budget
# matters. Exercise 3 asks you to choose a model for one.

# %% [markdown] {"jp-MarkdownHeadingCollapsed": true, "tags": ["optional"]}
# ### Deep dive (optional): TF-slim's sixteen MobileNets against our counts
#
# The published MACs and parameters of all sixteen models next to ours, and the five that differ.

# %% [markdown]
# The TF-slim table is
# [mobilenet_v1.md](https://github.com/tensorflow/models/blob/master/research/slim/nets/mobilenet_v1.md).
# TF-slim classifies 1001 classes (a "background" class in front of ImageNet's 1000) and counts every
# variable of the network, so for the parameter column we build our models the same way and count with
# BatchNorm.

# %%
rows = []
for (alpha, resolution), entry in SLIM.items():
    ours = mobilenet_cost(alpha, resolution, num_classes=1001)
    rows.append(
        [
            f"{alpha:.2f} MobileNet-{resolution}",
            f"{entry['macs'] / 1e6:.0f}",
            f"{ours.macs / 1e6:.1f}",
            diff(ours.macs, entry["macs"]),
            f"{entry['params'] / 1e6:.2f}",
            f"{ours.params / 1e6:.3f}",
            f"{entry['top1']:.1f}",
        ]
    )
table(["model", "TF-slim M MACs", "ours", "diff", "TF-slim M params", "ours", "top-1 %"], rows)

# %% [markdown]
# Eleven of the sixteen MAC counts agree to within the rounding of the printed numbers (half a million
# either way is ±3% for the smallest models). Five do not, and in both cases the paper or the arithmetic
# is on our side:
#
# - **The four α = 0.75 rows (2.7% lower in TF-slim).** TF-slim prints 317M for 0.75 MobileNet-224; the
#   paper's own Table 6 prints 325M, which is what we count (325,400,448). The ratio between the two is
#   the same 0.974 at every resolution, so the difference belongs to how the 0.75 model was counted, not
#   to the resolution; TF-slim does not say how.
# - **0.25 MobileNet-192 (34M in TF-slim).** Its neighbours scale with the resolution squared (41M at
#   224 gives 41·(192/224)² ≈ 30M), and we count 30.2M. The 34 is most likely a misprint.
#
# The parameters (ours with BatchNorm's γ and β and 1001 classes) land within 0.6% of TF-slim's. The
# rest is bookkeeping we cannot pin down from a table of rounded numbers: TF-slim's checkpoints also
# store BatchNorm's running statistics. Notice that parameters depend on the width only: the four
# resolutions of one width share one set of weights, and could share one file.

# %% [markdown]
# ## 6. Three comparisons from the paper
#
# The paper justifies its design with a few head-to-head comparisons. The accuracies are the paper's,
# measured on ImageNet; the costs our builder can recompute (a deep dive below does).
#
# - **Table 4, full versus separable convolutions.** "Conv MobileNet" replaces each separable block by
#   one full 3x3 convolution of the same widths and stride: 1.1 points more accurate (71.7% vs 70.6%)
#   for 8.6 times the computation and 7 times the weights.
# - **Table 5, thin versus shallow.** To cut the cost roughly in half, is it better to make every
#   layer thinner (α = 0.75) or to remove layers? The shallow MobileNet drops the five 14x14x512
#   separable blocks; at about the same cost (307M vs 325M) it is 3.1 points worse (65.3% vs 68.4%).
#   Thinner beats shallower.
# - **Table 9, versus SqueezeNet.** 0.50 MobileNet-160 reaches 60.2% with 76M Mult-Adds; SqueezeNet
#   57.5% with 1700M as printed, which counts a multiply and an add apart: about 11 times, not 22.

# %% [markdown] {"jp-MarkdownHeadingCollapsed": true, "tags": ["optional"]}
# ### Deep dive (optional): the three comparisons, recomputed
#
# Each network of Tables 4, 5 and 9 rebuilt (`separable=False`, `shallow=True`) and counted.

# %%
squeezenet = models.build("squeezenet1_0")  # real weights: only 1.2M of them
# Table 9 prints SqueezeNet's cost as 1700 million Mult-Adds; the package's entry says why it stores 850M.
entry = next(e for e in paper_figures.figures("squeezenet1_0") if e["source"] == "MobileNet Table 9")
SQUEEZENET_TABLE_9 = {**entry, "macs": 1_700_000_000}  # as printed, to see what it means
print(entry["note"])
lookup = functools.partial(paper_figures.lookup, "mobilenet_v1")  # the paper's entry for one MobileNet
comparisons = [  # (what, paper entry, our network, resolution)
    ("Conv MobileNet (Table 4)", lookup(1.0, 224, separable=False), build_meta(separable=False), 224),
    ("MobileNet (Table 4)", lookup(1.0, 224), build_meta(), 224),
    ("0.75 MobileNet (Table 5)", lookup(0.75, 224), build_meta(0.75), 224),
    ("Shallow MobileNet (Table 5)", lookup(1.0, 224, shallow=True), build_meta(shallow=True), 224),
    ("0.50 MobileNet-160 (Table 9)", lookup(0.5, 160), build_meta(0.5), 160),
    ("SqueezeNet (Table 9)", SQUEEZENET_TABLE_9, squeezenet, 227),
]
paper_figures.against_ours(comparisons)

# %% [markdown]
# Every MobileNet row agrees with the paper to within its rounding (the paper prints millions, and
# "2.6M" or "4.2M" hide up to 2% either way). Conv MobileNet really costs 8.6 times the computation
# and 7 times the weights of MobileNet for its 1.1 points. The SqueezeNet row is the interesting one:
# ours is half the printed number, and ours is right (the next deep dive says why). Counted the
# same way, SqueezeNet costs about **11 times** what 0.50 MobileNet-160 does, not 22 times: MobileNet's
# win is real, but half as large as Table 9 suggests.

# %% [markdown] {"jp-MarkdownHeadingCollapsed": true, "tags": ["optional"]}
# ### Deep dive (optional): SqueezeNet's 1700 million Mult-Adds
#
# Why Table 9's figure for SqueezeNet is twice our count, and two corrections to the course's notes.

# %% [markdown]
# SqueezeNet 1.0 at 227x227 needs about **833M multiply-accumulates** (the figure ShuffleNet's Table 6
# quotes; 819M at 224). Table 9's 1700 comes from DeepScale's "1.72 GFLOPS", which counts a multiply and
# an add as two operations: halved, it is about 850M multiply-accumulates, within a few percent of our
# count (tools differ on what else they count, such as biases and pooling).
#
# The course's source notes compressed Table 9 into "0.5 MobileNet-160 has 76M mult-adds versus
# SqueezeNet 1700 mult-adds, both around 60% on ImageNet". Two corrections: the accuracies are
# **60.2% versus 57.5%** (2.7 points apart, which on ImageNet is not "the same"), and the 1700 counts
# multiply and add separately.

# %%
sq = cost.profile(squeezenet, 227)
print(
    f"SqueezeNet 1.0 at 227x227: {sq.macs:,} MACs = {2 * sq.macs / 1e9:.2f} GFLOPs counted as multiply + add"
)
half_160 = mobilenet_cost(0.5, 160)
print(
    f"0.50 MobileNet-160: {half_160.macs:,} MACs, so SqueezeNet costs {sq.macs / half_160.macs:.1f}x as much"
)

# %% [markdown] {"jp-MarkdownHeadingCollapsed": true, "tags": ["optional"]}
# ### Deep dive (optional): the smallest MobileNet, and what its parameters are
#
# Where the "200k parameters" of 0.25 MobileNet-128 come from.

# %% [markdown]
# The notes also say the smallest model tested, 0.25 MobileNet-128, has "15M mult-adds and 200k
# parameters". The network has about **13.6M** multiply-accumulates (TF-slim prints 14M) and about
# **0.47M** parameters. The 200k is the body alone: at α = 0.25 the body is so thin that the classifier,
# a 256 x 1000 matrix, holds more than half of all the weights.

# %%
small = build_meta(0.25)
small_profile = mobilenet_cost(0.25, 128)
fc = small.classifier[-1]
body = cost.count_params(small.features, include_bn=False)
head = cost.count_params(small.classifier)
print(f"0.25 MobileNet-128: {small_profile.macs:,} MACs")
print(f"  body (convolutions, no BatchNorm): {body:>9,} weights")
print(f"  classifier ({fc.in_features} x {fc.out_features} + bias):  {head:>9,} parameters")
print(
    f"  total:                             {body + head:>9,} (the classifier is {head / (body + head):.0%})"
)

# %% [markdown]
# ## 7. Training MobileNets on CIFAR-10
#
# ImageNet training is beyond a laptop, so we train the `cifar` variant of the same network on CIFAR-10
# (Krizhevsky 2009): 32x32 images, ten classes. It differs from the paper's network in one place only:
# the first convolution has stride 1 instead of 2, so a 32x32 image ends on a 2x2 map rather than
# vanishing (the layout of [kuangliu/pytorch-cifar](https://github.com/kuangliu/pytorch-cifar)'s
# MobileNet). The course quotes no CIFAR-10 accuracy for it from elsewhere: what it reaches is what
# this section measures, at your budget (`SMALLNETS_BUDGET`: a few hundred images for one epoch at
# `smoke`, a few epochs on 10,000 images on a laptop, the full schedule on a GPU). Without the CIFAR-10
# files, `data.for_lesson` falls back to the offline "shapes" dataset and says so. The trainings of this
# section and the next take most of the lesson's time (its first cells print the whole lesson's).

# %% tags=["nbval-ignore-output"]
from smallnets_edu import data, train

dataset = data.for_lesson("cifar10")
dataset

# %% [markdown]
# What does the CIFAR network cost? With stride 1 in the first layer, a 32x32 image goes through the
# same maps as a 64x64 image through the ImageNet network, so the 1.0 network costs
# (64/224)² × 569M ≈ 46M multiply-accumulates. Its classifier has 10 outputs instead of 1000, so it has
# fewer parameters than the ImageNet network, not more. We train three widths.

# %%
WIDTHS = (0.25, 0.5, 1.0)
cifar_cost = {a: cost.profile(build_meta(a, variant="cifar", num_classes=10), 32) for a in WIDTHS}
imagenet_64 = {a: mobilenet_cost(a, 64).macs for a in WIDTHS}  # the ImageNet network at 64x64
rows = [[f"α = {a:.2f}", f"{p.params:,}", f"{p.macs:,}", f"{imagenet_64[a]:,}"] for a, p in cifar_cost.items()]
table(["CIFAR MobileNet", "parameters", "MACs at 32x32", "ImageNet network at 64x64"], rows)

# %% [markdown]
# Now train the full-width network. The progress bar counts epochs; the learning curves show loss and
# accuracy on the training and the test images after each (the stored copy shows the reference run,
# at the `laptop` budget; its last line says where the numbers come from).

# %% tags=["nbval-ignore-output"]
torch.manual_seed(0)
net = models.build("mobilenet_v1", width_mult=1.0, variant="cifar", num_classes=dataset.num_classes)
histories = {1.0: train.fit(net, dataset)}
histories[1.0].plot()

# %% [markdown]
# With label smoothing (0.1) the loss cannot reach zero, so watch accuracy for progress. A few epochs on
# 10,000 images stay far below what hundreds of epochs reach on CIFAR-10; the shape of the curves says
# whether more epochs would help (both still rising) or the network starts to memorise (training
# accuracy running away from test accuracy). MobileNet is among the slower starters of the course (a
# deep dive at the end of this section has our measurements, and says why `fit` trains it with AdamW):
# after a short run, the width that learns fastest is not always the one that would end highest, and
# one seed can differ from the next by more than the widths differ. Then the two thinner networks, with
# the same data, seed and schedule:

# %% tags=["nbval-ignore-output"]
for alpha in WIDTHS:
    if alpha not in histories:
        torch.manual_seed(0)
        model = models.build("mobilenet_v1", width_mult=alpha, variant="cifar", num_classes=dataset.num_classes)
        histories[alpha] = train.fit(model, dataset)
for alpha, history in sorted(histories.items()):
    macs = cifar_cost[alpha].macs / 1e6
    print(f"α = {alpha:.2f}: {macs:5.1f}M MACs, best test accuracy {history.best_test_acc:.1%}")

# %% [markdown] {"jp-MarkdownHeadingCollapsed": true, "tags": ["optional"]}
# ### Deep dive (optional): our three widths next to the paper's sixteen
#
# Our widths beside Figure 4's line, and why a short run blurs it.

# %% [markdown]
# Our three networks next to the paper's sixteen. They cannot share an axis (ImageNet top-1
# after a long training against 10 classes of 32x32 images after a short run); what can be compared is
# the *shape*: does accuracy rise with log(MACs) on our data too? At the `smoke` and `laptop` budgets,
# expect training time to muddy the answer: a wider network needs more steps to pay off, so after a
# short run the thinner ones can be as good. A cost-accuracy curve belongs to a training recipe, not
# to the architecture alone.

# %% tags=["nbval-ignore-output"]
fig, (left, right) = plots.figure(11.0, 4.0, ncols=2)
figure4(left)
x = np.array([cifar_cost[a].macs for a in WIDTHS])
y = np.array([100 * histories[a].best_test_acc for a in WIDTHS])
right.plot(x / 1e6, y, "o", color=plots.FAMILY_COLOURS["mobilenet_v1"], ms=8)
for a, xi, yi in zip(WIDTHS, x, y, strict=True):
    right.annotate(f"α = {a:g}", (xi / 1e6, yi), textcoords="offset points", xytext=(6, -4), fontsize=9)
ours_slope, ours_intercept = np.polyfit(np.log10(x), y, 1)
xs = np.logspace(np.log10(x.min()), np.log10(x.max()), 20)
fit = f"fit: {ours_slope:.1f} points per 10x"
right.plot(xs / 1e6, ours_intercept + ours_slope * np.log10(xs), "--", color="grey", label=fit)
right.set(xscale="log", xlabel="million multiply-accumulates at 32x32 (log scale)")
right.set(ylabel=f"{dataset.name} test accuracy %", title=f"our MobileNets, {budget.current().name} budget")
right.legend(loc="lower right")
fig.tight_layout()

# %% [markdown] {"jp-MarkdownHeadingCollapsed": true, "tags": ["optional"]}
# ### Deep dive (optional): MobileNet at the laptop budget, and why it trains with AdamW
#
# Our measured accuracies over three seeds, and what SGD does to a deep stack without shortcuts.

# %% [markdown]
# On the offline "shapes" dataset, at the `laptop` budget, the full-width network reached
# 90.4 ± 2.3% over three seeds in our runs (92.1%, 91.3% and 87.7%; chance is 10%, and no network can
# pass 94.6% there: 6% of its pictures are blank). That is with AdamW at the budget's peak of 2e-2, the
# optimizer `fit` picks for the networks without shortcuts (`net.recipe_defaults`); at 3e-3 the same
# runs ended at 70.0 ± 5.7%, and with SGD, which serves the networks with shortcuts well, at 33 ± 10%. A deep stack of BatchNorm layers without shortcuts
# has gradients that grow towards the input (at the start, the first layer's gradient is five times
# the norm of its weights), and no single SGD rate suits both ends (the README's benchmark section has
# the measurements). Even so, MobileNet is among the slower starters of the course: 21% after its first
# epoch, against 58% for EffNet (three-seed means, README).

# %% [markdown]
# ## 8. Resolution, trained: one network, three sizes of the same images
#
# Section 4 counted what ρ does: every map shrinks by ρ each way, so computation falls by ρ², no weight
# changes. The paper's Table 7 trains 1.0 MobileNet from 224 down to 128 pixels: accuracy falls smoothly,
# about 6 points for a third of the computation. What ρ throws away is spatial detail, which a 32x32
# image lacks, so we take Tiny-ImageNet (Le and Yang 2015): 64x64 images, 200 classes. The `tiny` variant
# makes the CIFAR change (first stride 1: 64x64 ends on 4x4, as 224 on 7x7); we train it at α = 0.25 (0.5
# takes three times as long) on the same images at 64, 48 and 32 pixels, ρ = 1, 0.75 and 0.5
# (`dataset.resized(side)`). A few epochs leave 200 classes near chance, so the short budgets keep the
# first 20 (`classes=20`). Without the archive, `data.for_lesson` names the file to fetch and uses the
# offline `shapes100` (a texture inside an outline; its first 20: ten textures in a disk or a square).

# %% tags=["nbval-ignore-output"]
tiny = data.for_lesson("tinyimagenet", classes=20 if budget.current().short else None)

# %%
RHO_WIDTH, SIDES = 0.25, (64, 48, 32)  # one width, three input sides: ρ = side / 64
tiny_net = build_meta(RHO_WIDTH, variant="tiny", num_classes=200)  # Tiny-ImageNet's classes
rho_cost = {side: cost.profile(tiny_net, side) for side in SIDES}
rows = []
for side, p in rho_cost.items():
    rho, ratio = side / SIDES[0], p.macs / rho_cost[SIDES[0]].macs
    rows.append([f"{side}x{side}", rho, f"{p.macs:,}", f"{ratio:.4f}", f"{rho**2:.4f}", f"{p.params:,}"])
table(["input", "ρ", "MACs", "÷ MACs at 64", "ρ²", "parameters"], rows)

# %% [markdown]
# MACs follow ρ² (the classifier, on one pooled vector, does not shrink) and parameters do not move.
# The class count does move them: the classifier has one weight per last-layer channel and class. At α = 1:

# %%
for classes in (10, 100, 200, 1000):
    full = build_meta(1.0, variant="tiny", num_classes=classes)
    head, total, fc = cost.count_params(full.classifier), cost.count_params(full), full.classifier[-1]
    print(f"{classes:>4} classes: a {fc.in_features} x {classes} classifier, {head / total:.1%} of {total:,}")

# %% [markdown]
# At 1000 classes that is Table 2's quarter; at 200 it is small. Now the three runs, same seed and schedule:
# chance is 1 in `tiny.num_classes` (5% for 20 classes), and one run per side may not rank the sides
# reliably, as seeds differ by several points, more than neighbouring sides may.

# %% tags=["nbval-ignore-output"]
rho_histories, trained_cost = {}, {}
for side in SIDES:
    torch.manual_seed(0)
    model = models.build("mobilenet_v1", width_mult=RHO_WIDTH, variant="tiny", num_classes=tiny.num_classes)
    trained_cost[side] = cost.profile(model, side)  # with this dataset's classes
    rho_histories[side] = train.fit(model, tiny if side == tiny.resolution else tiny.resized(side))
    p, acc = trained_cost[side], rho_histories[side].best_test_acc
    print(f"{side}x{side}: {p.macs / 1e6:4.1f}M MACs, {p.params:,} parameters, best test accuracy {acc:.1%}")

# %% tags=["nbval-ignore-output"]
fig, ax = plots.figure(6.5, 4.0)
x, y = [trained_cost[s].macs / 1e6 for s in SIDES], [100 * rho_histories[s].best_test_acc for s in SIDES]
ax.plot(x, y, "o-", color=plots.FAMILY_COLOURS["mobilenet_v1"], ms=8)
for side, xi, yi in zip(SIDES, x, y, strict=True):
    ax.annotate(f"ρ = {side / 64:g} ({side}x{side})", (xi, yi), xytext=(6, -4), textcoords="offset points")
ax.set(xscale="log", xlim=(x[-1] / 1.3, x[0] * 2), xlabel="million MACs (log scale)", ylabel="test accuracy %")
ax.set_xticks(x, [f"{v:.1f}" for v in x])
ax.minorticks_off()
ax.set_title(f"{tiny.name}, {budget.current().name} budget: {trained_cost[64].params:,} parameters at every ρ")
fig.tight_layout()

# %% [markdown]
# Same parameters at every point; only the input changed. The reference run (laptop, the stand-in's 20
# classes, chance 5%) reached 73% at 64x64, 62% at 48 and 47% at 32: ρ = 0.5 cost 26 points, far more
# than Table 7's 6 points from 224 down to 128 (ρ = 0.57) on ImageNet. Yours will differ.

# %% [markdown]
# ## Summary
#
# - A depthwise-separable layer costs $1/N + 1/D_K^2$ of a standard one: 8 to 9 times fewer
#   multiply-accumulates for 3x3 kernels (Table 3).
# - In MobileNet the 1x1 convolutions do 94.86% of the work and hold 74.59% of the weights; the
#   depthwise layers are cheap; the classifier is a quarter of the weights. Table 2's first-layer 1.19%
#   is a misprint for 1.91%.
# - Width α scales computation and parameters by about α²; resolution scales computation by ρ² and
#   leaves parameters alone. The law is approximate, because some kinds of layer shrink only by α.
# - Across the sixteen MobileNets, ImageNet accuracy rises roughly linearly with log(MACs).
# - Resolution trades spatial detail for computation: section 8 measures what 64, 48 and 32 pixels cost.
# - Separable is nearly as good as full convolution at 1/8.6 of the cost; thinner beats shallower; and
#   when comparing with SqueezeNet, count the same way: 833M multiply-accumulates, not 1700M.
#
# Next, lesson 04 makes the 1x1 convolutions (94.86% of MobileNet's work) cheaper with groups, and
# shuffles channels so that the groups still talk to each other.

# %% [markdown]
# ## Exercises
#
# Each exercise has a checker that tells you whether your answer is right and, if not, what seems to
# have gone wrong, without giving the answer away.
#
# **Exercise 1: write MobileNet's block.** Complete `my_separable` so that it returns the block of the
# paper's Figure 3 (right): a 3x3 depthwise convolution with the given stride, then a 1x1 convolution
# from `in_channels` to `out_channels`, each followed by BatchNorm and ReLU. Use plain `torch.nn`
# layers, not the package's blocks. The checker compares your block with
# `smallnets_edu.blocks.DepthwiseSeparable` on a few shapes and strides.

# %%
from smallnets_edu.exercises import lesson03


def my_separable(in_channels, out_channels, stride):
    raise NotImplementedError  # replace with your block: nn.Sequential(...)


lesson03.check_separable_block(my_separable)

# %% [markdown]
# **Exercise 2: who breaks the law?** Section 4 said that computation scales with α², but not exactly.
# Which kinds of layer in MobileNet get only α times cheaper (not α²) when the width shrinks? Answer
# with a set of kinds, as the profile names them: `'conv'` (the first layer), `'depthwise'`,
# `'pointwise'`, `'linear'` (the classifier). Reason with the formulas first; then you may check with
# `mobilenet_cost(0.5, 224).by_kind()` against `mobilenet_cost(1.0, 224).by_kind()`.

# %%
answer = None  # e.g. {"pointwise"}
lesson03.check_off_the_law(answer)

# %% [markdown]
# **Exercise 3: a model for a budget.** Your app can spend at most 60 million multiply-accumulates per
# image. Of the sixteen MobileNets of section 5, which one would you ship, going by TF-slim's top-1
# accuracy (in `SLIM`, and in the table of section 5's deep dive)? Count the cost with our model
# (`mobilenet_cost(alpha, resolution).macs`), not with the rounded published numbers. Answer with the
# pair `(alpha, resolution)`.

# %%
answer = None  # e.g. (1.0, 224)
lesson03.check_budget_pick(answer)
