# ---
# jupyter:
#   jupytext:
#     formats: notebooks//ipynb,lessons//py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 04 · ShuffleNet: grouped 1x1 convolutions that still talk to each other
#
# **After this lesson you can**
#
# - compute what a grouped convolution saves, and what a ShuffleNet unit costs;
# - explain why stacked grouped layers need a channel shuffle, and build it as reshape, transpose, flatten;
# - build the three units of the paper's Figure 2 and check the paper's cost formulas on them;
# - explain how, at a fixed budget, more groups buy more channels (Table 1), and why that helps small
#   networks most (Tables 2 and 5);
# - measure the shuffle ablation of Table 3 by training on CIFAR-10, and explain why fewer
#   multiply-accumulates do not mean proportionally less time (Table 8).
#
# **The idea in one paragraph.** Lesson 03 ended on a number: in MobileNet the 1x1 convolutions do
# **94.86%** of the multiply-accumulates, so a network that is cheaper still has to make the 1x1
# convolutions cheaper. **ShuffleNet** (Zhang, Zhou, Lin and Sun, 2017,
# [arXiv:1707.01083](https://arxiv.org/abs/1707.01083); CVPR 2018) does it with **pointwise group
# convolutions**: split the channels into $g$ groups and let each 1x1 filter see one group only, which
# makes the layer $g$ times cheaper. Stacked grouped layers would never exchange information between
# groups, so a **channel shuffle**, a fixed reordering of the channels between two grouped layers, deals
# every group's channels out to every group. At a fixed budget the savings buy more channels, which
# small networks need most.

# %%
import functools

import numpy as np
import torch
from torch import nn

from smallnets_edu import blocks, budget, cost, diagrams, models, paper_figures, plots, reference, widgets
from smallnets_edu.display import diff, table
from smallnets_edu.models import shufflenet_v1 as sn

# %% tags=["nbval-ignore-output"]
print(reference.banner("04"))

# %% [markdown]
# ## 1. Grouped convolution: $g$ times cheaper
#
# A 1x1 convolution from $M$ to $N$ channels on an $H \times W$ map computes, at every pixel, $N$ dot
# products of length $M$: $M \cdot N \cdot H \cdot W$ multiply-accumulates, and it holds $M \cdot N$
# weights. A **grouped** convolution cuts the $M$ inputs and the $N$ outputs into $g$ groups and runs $g$
# independent convolutions side by side, group $k$ of the outputs seeing only group $k$ of the inputs.
# Each dot product is now $M/g$ long:
#
# $$\text{MACs} = k_h k_w \cdot \frac{M}{g} \cdot N \cdot H W, \qquad \text{weights} = k_h k_w \cdot \frac{M}{g} \cdot N .$$
#
# Both shrink by exactly $g$; a depthwise convolution is the extreme case $g = M$. The idea is old
# (AlexNet, ResNeXt), but ResNeXt grouped the *wrong* layers: its cheap 3x3s, while its 1x1s, by the
# paper's count 93.4% of a ResNeXt unit's multiply-accumulates, stayed dense. Here is one of ShuffleNet's
# real layers, stage 2's first 1x1 convolution from 240 to 60 channels on a 28x28 map, with PyTorch's
# own parameter count beside the formula:

# %%
dense = cost.grouped_macs(240, 60, 1, 28, 1)
rows = []
for g in (1, 2, 3, 4, 6, 12, 60):
    weights = cost.count_params(nn.Conv2d(240, 60, 1, groups=g, bias=False))  # PyTorch's own count
    macs = cost.grouped_macs(240, 60, 1, 28, g)  # the formula
    rows.append([g, 240 // g, f"{weights:,}", f"{macs:,}", f"{dense / macs:g}x"])
table(["groups g", "inputs per filter (M/g)", "weights (PyTorch)", "MACs (formula)", "cheaper by"], rows)

# %% [markdown]
# ## 2. The price: groups that never talk
#
# One grouped layer is fine. The trouble starts when you stack them: after a grouped layer, output group
# $k$ depends only on input group $k$, and if the next layer is grouped the same way, its group $k$ again
# reads only group $k$. The network has quietly become $g$ separate thin networks side by side (the
# paper's Figure 1 (a)). Here are two grouped 1x1 convolutions with 16 channels in $g = 4$ groups, built
# from real PyTorch layers (`smallnets_edu.diagrams.stack`, as in lesson 01). The node colours say which
# input groups can reach each channel; the bold lines trace everything that feeds output channel 6.

# %%
diagrams.stack((4, 4), channels=16, shuffle=False, highlight=6)
# %% [markdown]
# Every output channel keeps a single colour: orange stays orange, and output 6 sees 4 of the 16 inputs.
# Now put a **channel shuffle** between the two layers (the paper's Figure 1 (c)): every group of the second
# layer receives channels from every group of the first, and every output channel carries all four colours.

# %%
diagrams.stack((4, 4), channels=16, shuffle=True, highlight=6)

# %% [markdown]
# Without the shuffle the groups stay isolated however long you train; the paper's ablation (Table 3,
# section 8 below) shows what that costs on ImageNet: between 1.3 and 5.8 points of top-1 error.
#
# One more thing the pictures hide: the shuffle deals the channels out like cards, one from each group
# in turn, so each group of the next layer receives $C/g$ channels. Is that always enough to reach every
# group? Not with very few channels per group; exercise 2 asks you to find where it stops working.

# %% [markdown] {"jp-MarkdownHeadingCollapsed": true, "tags": ["optional"]}
# ### Deep dive (optional): the same test on the package's units

# %% [markdown]
# The diagrams use all-ones weights. Let us check the same thing on random weights and on the real
# `ShuffleUnit` of `smallnets_edu.models.shufflenet_v1` (64 channels, $g = 4$): nudge one group of input
# channels, run the network again, and see which groups of the output changed. First two units stacked
# without the shuffle, then a single unit with it. A ■ in row $i$, column $j$ means "nudging input group
# $i$ changed output group $j$".


# %%
def group_reach(net, channels, groups, size=8, seed=0):
    """[input group, output group]: did nudging that input group change that output group?"""
    torch.manual_seed(seed)
    net = net.eval()
    x = torch.randn(1, channels, size, size)
    per = channels // groups
    with torch.no_grad():
        base = net(x)
        rows = []
        for i in range(groups):
            nudged = x.clone()
            nudged[:, i * per : (i + 1) * per] += 1.0
            change = (net(nudged) - base).abs().view(groups, -1).sum(dim=1)  # one number per output group
            rows.append((change > 1e-6).tolist())
    return np.array(rows)


def show_reach(reach, title):
    print(title)
    print("              output group " + " ".join(f"{j}" for j in range(reach.shape[1])))
    for i, row in enumerate(reach):
        print(f"  input group {i}:            " + " ".join("■" if r else "·" for r in row))


g, channels = 4, 64
for shuffle, depth in ((False, 2), (True, 1)):
    torch.manual_seed(0)
    units = nn.Sequential(*(sn.ShuffleUnit(channels, channels, g, shuffle=shuffle) for _ in range(depth)))
    show_reach(group_reach(units, channels, g), f"{depth} ShuffleUnit(s), g = {g}, shuffle = {shuffle}")
    print()

# %% [markdown]
# Without the shuffle the matrix is diagonal: after two whole units, each input group still influences
# only its own output group, however long you train. With the shuffle every input group reaches every
# output group, **after a single unit**.
#
# How many channels per group are enough (exercise 2)? In the 1x networks every bottleneck has at least
# 12 channels per group, enough for any of their $g$. The small $g = 8$ networks do not: at 0.25x, stage
# 2's bottleneck has 24 channels, 3 per group, and one unit's shuffle reaches only 3 or 4 of the 8
# groups; it takes a second unit to reach them all.

# %% [markdown]
# ## 3. Channel shuffle is a fixed permutation
#
# The shuffle does not "randomly mix" the channels, as the course's source notes had it: it is a fixed
# permutation, the same for every image and every training step, with no parameters. For $g$ groups of
# $n$ channels ($C = gn$):
#
# 1. **reshape** the channel axis to $(g, n)$: row $k$ is group $k$;
# 2. **transpose** to $(n, g)$;
# 3. **flatten** back to $C$ channels.
#
# Reading the transposed matrix row by row takes the first channel of every group, then the second, and
# so on. Three lines of PyTorch, checked against the package's `blocks.channel_shuffle`:


# %%
def shuffle(x, groups):
    n, c, h, w = x.shape
    return x.reshape(n, groups, c // groups, h, w).transpose(1, 2).reshape(n, c, h, w)


x = torch.arange(12.0).view(1, 12, 1, 1)  # channel i holds the number i
print("channel order after shuffle(g=3):", shuffle(x, 3).flatten().long().tolist())
print("the package's permutation:       ", blocks.shuffle_permutation(12, 3))
print("same as blocks.channel_shuffle:  ", torch.equal(shuffle(x, 3), blocks.channel_shuffle(x, 3)))
print("same result on a second call:    ", torch.equal(shuffle(x, 3), shuffle(x, 3)))

# %% [markdown]
# Why does the network need the shuffle at all, if the next layer could learn any order of its inputs? It
# could not: a *grouped* layer cannot choose which channels land in which group; that is fixed by their
# position. The shuffle decides the position, once, so that every group gets a share of every other
# group. (After a dense 1x1 layer a shuffle would be pointless, which is why our `ShuffleUnit` leaves it
# out where the first 1x1 is dense.) It costs no multiply-accumulates and no parameters, but it is not
# free on real hardware: it moves every value in memory. Section 11 and lesson 08 come back to that.

# %% [markdown] {"jp-MarkdownHeadingCollapsed": true, "tags": ["optional"]}
# ### Deep dive (optional): undoing the shuffle

# %% [markdown]
# Because it is a permutation, it can be undone, and the inverse is another shuffle: viewing $(g, n)$ as
# $(n, g)$ and transposing back is a shuffle with $C/g = n$ groups. So shuffling with $g$ and then with
# $C/g$ gives back the input exactly:

# %%
x = torch.randn(2, 12, 5, 5)
for groups in (2, 3, 4, 6):
    back = blocks.channel_shuffle(blocks.channel_shuffle(x, groups), 12 // groups)
    print(f"shuffle with g = {groups}, then with C/g = {12 // groups:>2}: recovered = {torch.equal(back, x)}")
twice = blocks.channel_shuffle(blocks.channel_shuffle(x, 3), 3)
print(f"shuffle with g = 3, then with g = 3 again:  recovered = {torch.equal(twice, x)}")

# %% [markdown]
# ## 4. The three units of Figure 2
#
# ShuffleNet is built from one residual unit, in two versions, derived from a third:
#
# - **(a) a bottleneck unit with a depthwise convolution**, ResNet style: 1x1 conv (BN, ReLU), 3x3
#   depthwise conv (BN), 1x1 conv (BN), add the shortcut, ReLU. The 1x1s are dense.
# - **(b) the ShuffleNet unit**: both 1x1 convolutions become *grouped*, and a channel shuffle follows the
#   first one. Following Xception (Chollet 2017), there is no ReLU after the depthwise convolution.
# - **(c) the stride-2 ShuffleNet unit**, which opens every stage: the depthwise convolution gets stride 2,
#   the shortcut becomes a 3x3 average pool with stride 2, and the two are **concatenated** instead of
#   added, so the branch only has to produce the new channels.
#
# The bottleneck is 1/4 of the unit's output width; unit (a) is our `ShuffleUnit(..., groups=1)`. Build
# the three and push a 28x28 map with 240 channels (stage 2's output at $g = 3$) through each; the
# profile counts what each costs. (A deep dive at the end of this section draws them as Figure 2.)

# %%
units = {
    "(a) bottleneck with DWConv": sn.ShuffleUnit(240, 240, groups=1),
    "(b) ShuffleNet unit": sn.ShuffleUnit(240, 240, groups=3),
    "(c) ShuffleNet unit, stride 2": sn.ShuffleUnit(240, 480, groups=3, stride=2),
}
rows = []
for name, unit in units.items():
    out = unit.eval()(torch.zeros(1, 240, 28, 28))
    p = cost.profile(unit, 28, in_channels=240)
    one_by_one = sum(v["macs"] for k, v in p.by_kind().items() if "pointwise" in k)
    shape = "x".join(map(str, out.shape))
    rows.append([name, "1x240x28x28", shape, f"{p.params:,}", f"{p.macs:,}", f"{one_by_one / p.macs:.0%}"])
table(["unit", "input", "output", "parameters", "MACs", "share in the 1x1s"], rows)

# %% [markdown]
# Three things to read in this table:
#
# - Grouping the 1x1s with $g = 3$ cuts the unit's cost from 23.0M to 7.9M multiply-accumulates, not
#   quite 3 times, because the depthwise convolution does not shrink.
# - Even in the ShuffleNet unit the 1x1s do most of the work (95%).
# - The stride-2 unit doubles the width for a little more than unit (b) costs (9.6M against 7.9M): the
#   branch produces only the 240 new channels, on a 14x14 map, and the pooled shortcut brings the rest.
#
# The paper states the cost of a unit in closed form. For a $c \times h \times w$ input and $m$ bottleneck
# channels, a ResNet bottleneck (3x3 dense) needs $hw(2cm + 9m^2)$, a ResNeXt unit (3x3 grouped)
# $hw(2cm + 9m^2/g)$, and the ShuffleNet unit only $hw(2cm/g + 9m)$. With $g = 3$ the ShuffleNet unit
# costs about a quarter of the ResNeXt unit and a sixth of the ResNet one. Grouping only the 3x3 (ResNeXt)
# runs into a floor: even with $g = 12$ the ResNeXt unit costs 24.7M, because its two dense 1x1s alone
# cost $2cm \cdot hw$ = 22.6M. Grouping the 1x1s removes exactly that floor.

# %% [markdown] {"jp-MarkdownHeadingCollapsed": true, "tags": ["optional"]}
# ### Deep dive (optional): the three formulas against our profile

# %% [markdown]
# The three formulas for $c = 240$, $m = 60$ on a 28x28 map, and a profile of our `ShuffleUnit` for every
# $g$ that divides both:

# %%
c, m, h = 240, 60, 28
print(f"ResNet:              hw(2cm + 9m²)   = {h * h * (2 * c * m + 9 * m * m):>10,}")
for g in (1, 2, 3, 4, 6, 12):  # every g that divides c = 240 and m = 60
    resnext = h * h * (2 * c * m + 9 * m * m // g)
    formula = h * h * (2 * c * m // g + 9 * m)
    measured = cost.profile(sn.ShuffleUnit(c, c, g), h, in_channels=c).macs
    print(
        f"g = {g:>2}:  ResNeXt: hw(2cm + 9m²/g) = {resnext:>10,}   "
        f"ShuffleNet: hw(2cm/g + 9m) = {formula:>10,}   our profile: {measured:>10,}"
    )

# %% [markdown]
# The formula and the profile agree for every $g$.

# %% [markdown] {"jp-MarkdownHeadingCollapsed": true, "tags": ["optional"]}
# ### Deep dive (optional): Figure 2, drawn from the units

# %% [markdown]
# The figure is drawn from the three unit objects themselves: each box is read off the module (kernel,
# groups, stride, channels, whether a ReLU follows). `smallnets_edu.diagrams` draws connectivity, not
# block diagrams of units, so the small drawing helper `draw_unit` lives here in the lesson.


# %%
BOX = {"boxstyle": "round,pad=0.35", "ec": "#555555"}
ARROW = {"arrowstyle": "->", "color": "#555555"}


def box_text(block):
    """Text and layer kind of one ConvBNAct box, read off the module."""
    conv = block[0]
    k, kind = conv.kernel_size[0], cost.layer_kind(conv)
    name = {"depthwise": f"{k}×{k} DWConv", "grouped pointwise": f"1×1 GConv, g={conv.groups}"}
    text = name.get(kind, f"{k}×{k} Conv") + (f", stride {conv.stride[0]}" if conv.stride[0] > 1 else "")
    text += " + BN" + (" + ReLU" if any(isinstance(m, nn.ReLU) for m in block) else "")
    return f"{text}\n{conv.in_channels} → {conv.out_channels} ch", kind


def draw_unit(ax, unit, title):
    """One unit of Figure 2: residual branch in the middle, shortcut on the right."""
    shuffle = [("Channel Shuffle", "shuffle")] if unit.shuffle is not None else []
    steps = [(f"input, {unit.in_channels} ch", None), box_text(unit.compress), *shuffle]
    steps += [box_text(unit.depthwise), box_text(unit.expand)]
    steps += [("Concat" if unit.stride == 2 else "Add", None), (f"ReLU → {unit.out_channels} ch", None)]
    ys = -np.arange(len(steps))
    for (text, kind), y in zip(steps, ys, strict=True):
        fill = {"fc": "white"} if kind is None else {"fc": plots.kind_colour(kind), "alpha": 0.5}
        ax.text(0, y, text, ha="center", va="center", fontsize=8, bbox={**BOX, **fill})
    for y0, y1 in zip(ys[:-1], ys[1:], strict=True):
        ax.annotate("", (0, y1 + 0.28), (0, y0 - 0.28), arrowprops=ARROW)
    side, merge = 1.05, ys[-2]  # the shortcut runs down the right-hand side into Add / Concat
    ax.plot([0.15, side, side], [0, 0, merge], color="#555555", lw=1, zorder=0)
    ax.annotate("", (0.2, merge), (side, merge), arrowprops=ARROW)
    if unit.stride == 2:
        pool = "3×3 AVG Pool\nstride 2"
        ax.text(side, merge / 2, pool, ha="center", va="center", fontsize=8, bbox={**BOX, "fc": "white"})
    ax.set(xlim=(-1.15, 1.6), ylim=(ys[-1] - 0.6, 0.6))
    ax.axis("off")
    ax.set_title(title, fontsize=10)


fig, axes = plots.figure(12.0, 5.2, ncols=3)
for ax, (name, unit) in zip(axes, units.items(), strict=True):
    draw_unit(ax, unit, name)
fig.subplots_adjust(left=0.01, right=0.99, top=0.93, bottom=0.02, wspace=0.05)

# %% [markdown]
# ## 5. The whole network: Table 1
#
# ShuffleNet stacks the units into three stages after a small stem (Table 1): a 3x3 convolution with
# stride 2 and 24 channels, a 3x3 max pool with stride 2, then stage 2 (28x28), stage 3 (14x14) and
# stage 4 (7x7), each opening with one stride-2 unit followed by 3, 7 and 3 stride-1 units; a global
# average pool and a 1000-way fully connected layer close it. The first 1x1 convolution of stage 2 is
# dense: its input, the 24-channel stem, is too narrow to split into groups.
#
# The interesting column of Table 1 is the channel count. The paper fixes the budget (about 140M
# multiply-accumulates) and asks: **for each $g$, how wide can the network be?** Here are Table 1's widths
# (`shufflenet_v1.TABLE1_STAGE_CHANNELS`) beside what our model builds, with the MACs we count at 224x224.


# %%
def build_meta(groups=3, scale=1.0, **options):
    """A ShuffleNet with shapes but no weights (the meta device): instant to build, enough to count its cost."""
    return models.build_meta("shufflenet_v1", groups=groups, width_mult=scale, **options)


@functools.cache
def shufflenet_cost(groups, scale):
    """Profile of one ShuffleNet at 224x224 (cached: each setting is counted once)."""
    return cost.profile(build_meta(groups, scale), 224, name=f"ShuffleNet {scale:g}x (g = {groups})")


def slash(values):
    return " / ".join(map(str, values))


rows = []
for g in sn.GROUPS:
    p, published = shufflenet_cost(g, 1.0), sn.TABLE1_COMPLEXITY_MFLOPS[g] * 1e6
    built = build_meta(g).features  # the widths as built: the last unit of each stage
    ours = tuple(getattr(built, f"stage{k}")[-1].out_channels for k in (2, 3, 4))
    same = "✓" if ours == sn.TABLE1_STAGE_CHANNELS[g] else "✗"
    macs = [f"{published / 1e6:.0f}", f"{p.macs / 1e6:.1f}", diff(p.macs, published)]
    widths = [slash(sn.TABLE1_STAGE_CHANNELS[g]), f"{slash(ours)} {same}"]
    rows.append([g, *widths, *macs, f"{p.params / 1e6:.2f}"])
widths = ["Table 1: stage 2 / 3 / 4 channels", "ours"]
table(["groups g", *widths, "Table 1 MFLOPs", "our M MACs", "diff", "our M params"], rows)

# %% [markdown]
# The widths match Table 1 exactly, and the costs land within about 1% of it: as $g$ goes from 1 to 8 the
# network gets **2.7 times wider** (144 to 384 channels in stage 2) for the same budget. The width grows
# roughly like $\sqrt{g}$ (1, 1.39, 1.67, 1.89, 2.67 against $\sqrt g$ = 1, 1.41, 1.73, 2, 2.83), because
# the unit's cost is dominated by the grouped 1x1 term $2cm/g = c^2/(2g)$. Exercise 3 asks you to find
# the width for a $g$ the paper did not try.

# %% [markdown] {"jp-MarkdownHeadingCollapsed": true, "tags": ["optional"]}
# ### Deep dive (optional): what Table 1 counts

# %% [markdown]
# Why are our costs slightly above Table 1's (by 0.1% to 1.0%)? The paper does not say what it counts. A
# hypothesis that fits all five columns: leave out the final fully connected layer (its $C_4 \times 1000$
# multiply-accumulates), and every one of our counts rounds to the paper's number.

# %%
for g in sn.GROUPS:
    fc = build_meta(g).classifier[-1]
    without_fc = shufflenet_cost(g, 1.0).macs - cost.linear_macs(fc.in_features, fc.out_features)
    print(
        f"g = {g}: ours without the FC layer {without_fc / 1e6:7.2f}M, which rounds to "
        f"{round(without_fc / 1e6)}M;  Table 1: {sn.TABLE1_COMPLEXITY_MFLOPS[g]}M"
    )

# %% [markdown]
# It is only a hypothesis: Table 5 quotes the same 1x, $g = 8$ network at 140M (Table 1 says 137M),
# and Table 5's larger models (524M, 292M, below) match our counts *with* the FC layer. Papers round, and
# sometimes count differently from table to table; the course reports its own count, FC included, and
# says how far it is from each printed number.

# %% [markdown]
# ## 6. The scale factor $s$
#
# Like MobileNet's width multiplier, ShuffleNet's "ShuffleNet $s\times$" multiplies the channels of every
# stage by $s$ (the paper tries 0.25, 0.5, 1, 1.5 and 2), which scales the cost by roughly $s^2$. The
# paper does not say how it rounds the channels; our `shufflenet_v1` rounds every stage to a multiple of
# $4g$ and takes the stem from the authors' released models (`sn.stage_channels(g, s)`). The deep dive
# below holds the rules and the stem experiments; the explorer in section 7 shows the widths.

# %% [markdown] {"jp-MarkdownHeadingCollapsed": true, "tags": ["optional"]}
# ## Deep dive (optional): how channels and the stem are rounded

# %% [markdown]
# $240 \times 0.25 = 60$ channels split into groups, then into a bottleneck of a quarter, then into groups
# again: channel counts must be rounded, and the paper does not say how. The rule matters for the small
# models, so here is **the rule our `shufflenet_v1` uses** (from its docstring):
#
# - **stages**: `make_divisible(c * s, 4 * g)`, the nearest multiple of $4g$, so that the width, its
#   quarter (the bottleneck) and the stride-2 branch all divide by $g$. This reproduces the authors'
#   released widths (e.g. 360 / 720 / 1440 for 1.5x with $g = 3$);
# - **stem**: the 24 channels scale by the largest power of two not above $s$, but not below 1/2, then
#   round to a multiple of $g$: 12 channels for $s \le 0.5$ (16 for $g = 8$), 24 for 1x and 1.5x, 48 for 2x,
#   as in the authors' released models.

# %%
rows = []
for s in (0.25, 0.5, 1.5, 2.0):
    for g in sn.GROUPS:
        naive = [f"{c * s:g}" for c in sn.TABLE1_STAGE_CHANNELS[g]]
        stem, *stages = sn.stage_channels(g, s)
        rows.append([f"{s:g}x", g, slash(naive), slash(stages), f"{24 * s:g}", stem])
table(["scale", "g", "c × s", "ours (multiple of 4g)", "stem 24 × s", "our stem"], rows)

# %% [markdown]
# At 1x nothing needs rounding: Table 1's widths are already multiples of $4g$. At the other scales the
# stage widths move by a few channels at most, and the stem, which the paper never mentions, moves the
# cost more. Table 2 prints one complexity per scale for every $g$, **38M** for 0.5x and **13M** for 0.25x,
# and our counts (the table in section 8) spread around them: 37.6 to 40.5M and 13.2 to 15.7M. To see what
# the stem rule does, rebuild networks with another stem, swapping their first two modules for the
# package's own pieces. The other obvious rule is **linear**: scale the stem like the stages, 24 × s,
# rounded to a multiple of $g$ (24 × 0.25 = 6 channels for 0.25x, 8 for $g$ = 4 and 8). First the three
# scales the paper gives for $g = 3$ alone, with the linear stem and, at 2x, a stem fixed at 24:


# %%
def with_stem(groups, scale, stem):
    """The same network with another stem width (conv1 and the first unit of stage 2 rebuilt)."""
    net = build_meta(groups, scale)
    first = net.features.stage2[0]
    with torch.device("meta"):
        net.features.conv1 = blocks.ConvBNAct(3, stem, 3, stride=2)
        net.features.stage2[0] = sn.ShuffleUnit(stem, first.out_channels, groups, stride=2, group_first=False)
    return net


for s, stem, rule in ((0.25, 6, "linear"), (1.5, 36, "linear"), (2.0, 24, "fixed")):
    ours, other = shufflenet_cost(3, s).macs, cost.profile(with_stem(3, s, stem), 224).macs
    published = paper_figures.lookup("shufflenet_v1", s, 224, groups=3, shuffle=True)["macs"]
    print(
        f"{s:>4g}x, g = 3 (paper: {published / 1e6:3.0f}M)   "
        f"our stem, {sn.stem_channels(3, s):>2} ch: {ours / 1e6:5.1f}M ({diff(ours, published)})   "
        f"{rule} stem, {stem:>2} ch: {other / 1e6:5.1f}M ({diff(other, published)})"
    )

# %% [markdown]
# For $g = 3$ the released-model rule hits all three: with a linear stem the 0.25x model drops to 11.0M,
# 15% under Table 2's 13M, and the 1.5x model overshoots Table 5's 292M by 2.6%; with the stem fixed at
# 24 channels, 2x falls 3% short of Table 5's 524M. But Table 2 prints its 13M for **every** $g$ at
# 0.25x, so here are both stem rules for all five:

# %%
rows = []
for g in sn.GROUPS:
    published = paper_figures.lookup("shufflenet_v1", 0.25, 224, groups=g, shuffle=True)["macs"]
    released, linear = sn.stem_channels(g, 0.25), sn.make_divisible(sn.TABLE1_STEM_CHANNELS * 0.25, g)
    ours, other = shufflenet_cost(g, 0.25).macs, cost.profile(with_stem(g, 0.25, linear), 224).macs
    rows.append(
        [
            g,
            f"{published / 1e6:.0f}",
            released,
            f"{ours / 1e6:.1f}",
            diff(ours, published),
            linear,
            f"{other / 1e6:.1f}",
            diff(other, published),
        ]
    )
released_columns = ["released-model stem", "M MACs", "diff"]
linear_columns = ["linear stem (24 × 0.25, multiple of g)", "M MACs", "diff"]
table(["0.25x, g", "Table 2 MFLOPs", *released_columns, *linear_columns], rows)

# %% [markdown]
# **No single stem rule gives 13M for every $g$.** With the released-model stem (12 channels, 16 for
# $g = 8$) the models with $g$ = 1 to 4 sit at 13.2 to 13.5M, within 4% of Table 2, and $g = 8$ at
# 15.7M (+21%): its Table 1 widths are the largest, so at 0.25x its 16-channel stem and first unit weigh
# relatively more. With the linear stem $g = 8$ comes to 12.4M (−4%), but the same rule takes $g = 3$ to
# 11.0M (−15%) and $g$ = 1 to 4 to 11.0 to 11.9M. Each rule fits some columns of Table 2 and misses
# others; the paper states none and never released its 0.25x models, so there is nothing finer to check
# against. The course keeps the released-model rule, which also reproduces Table 5's 1.5x and 2x models.

# %% [markdown]
# ## 7. Explore: groups, scale and resolution
#
# Move the sliders. The readout shows the widths, parameters (BatchNorm included), multiply-accumulates
# and peak activation memory (the largest input + output one layer holds, 32-bit floats). The left chart
# shows the stage widths for every $g$; the right one our MACs against the paper's figure. Things to try:
#
# - at 1x, step $g$ from 1 to 8: the bars on the left grow, the bars on the right stay flat;
# - at 0.25x, compare $g = 8$ with the others and with the 13M line;
# - change the resolution: the MACs scale with the number of pixels, the parameters do not move.
#
# The explorer counts each of the 25 networks once, at 224x224, and rescales to the other resolutions
# (the deep dive after it checks that this is exact).

# %%
SCALES = [0.25, 0.5, 1.0, 1.5, 2.0]
RESOLUTIONS = [128, 160, 192, 224]


def at_resolution(groups, scale, resolution):
    """(parameters, MACs, peak activation bytes) at `resolution`, from the network's profile at 224."""
    p = shufflenet_cost(groups, scale)
    area = (resolution / 224) ** 2
    fc = p.by_kind()["linear"]["macs"]
    peak = max(layer.working_bytes for layer in p.layers if len(layer.output_shape) == 4)
    return p.params, fc + round((p.macs - fc) * area), round(peak * area)


grid = {(g, s): shufflenet_cost(g, s) for g in sn.GROUPS for s in SCALES}  # 25 profiles, counted once


def published_macs(groups, scale):
    entry = paper_figures.lookup("shufflenet_v1", scale, 224, groups=groups, shuffle=True)
    return entry["macs"] if entry else None


def readout(groups, scale, resolution):
    params, macs, peak = at_resolution(groups, scale, resolution)
    stem, *stages = sn.stage_channels(groups, scale)
    published = published_macs(groups, scale) if resolution == 224 else None
    versus = f" (paper: {published / 1e6:.0f}M, ours {diff(macs, published)})" if published else ""
    return (
        f"<b>ShuffleNet {scale:g}x, g = {groups}, {resolution}x{resolution}</b>: "
        f"stem {stem}, stages {slash(stages)} channels<br>"
        f"<span class='params'>{params:,}</span> parameters · "
        f"<span class='macs'>{macs:,}</span> MACs{versus} · "
        f"<span class='memory'>{peak / 2**20:.2f}</span> MiB peak activations"
    )


def draw(groups, scale, resolution):
    fig, (left, right) = plots.figure(10.0, 3.6, ncols=2)
    x, chosen = np.arange(len(sn.GROUPS)), sn.GROUPS.index(groups)
    widths = np.array([sn.stage_channels(g, scale)[1:] for g in sn.GROUPS])
    edges = ["black" if i == chosen else "none" for i in x]
    for k, colour in enumerate(("#A1C9F4", "#4C72B0", "#1F3B73")):
        left.bar(x + (k - 1) * 0.27, widths[:, k], 0.27, color=colour, edgecolor=edges, label=f"stage {k + 2}")
    left.set(ylabel="output channels", ylim=(0, 3300), title=f"stage widths at {scale:g}x")
    left.legend(loc="upper left")
    ours = [at_resolution(g, scale, resolution)[1] / 1e6 for g in sn.GROUPS]
    light, dark = "#F2C9A8", plots.FAMILY_COLOURS["shufflenet_v1"]
    right.bar(x, ours, 0.6, color=[dark if i == chosen else light for i in x], label="ours")
    for i, v in enumerate(ours):
        right.text(i, v / 2, f"{v:.1f}", ha="center", va="center", fontsize=8)
    marks = [(i, published_macs(g, scale)) for i, g in enumerate(sn.GROUPS)] if resolution == 224 else []
    marks = [(i, v / 1e6) for i, v in marks if v]
    if marks:
        right.plot(*zip(*marks, strict=True), "k_", ms=30, mew=2, label="paper")
    right.set(ylabel="million MACs", ylim=(0, max(ours) * 1.25), title=f"cost at {resolution}x{resolution}")
    right.legend(loc="lower right")
    for ax in (left, right):
        ax.set_xticks(x, [f"g = {g}" for g in sn.GROUPS])
    fig.tight_layout()
    return fig


explorer = widgets.Explorer(
    {
        "groups": widgets.options_slider("groups g", list(sn.GROUPS), 3),
        "scale": widgets.options_slider("scale s", SCALES, 1.0),
        "resolution": widgets.options_slider("resolution", RESOLUTIONS, 224),
    },
    plot=draw,
    readout=readout,
    title="ShuffleNet: groups, scale, resolution",
)
explorer

# %% [markdown] {"jp-MarkdownHeadingCollapsed": true, "tags": ["optional"]}
# ### Deep dive (optional): why the explorer may rescale from 224x224

# %% [markdown]
# For an input side that is a multiple of 32 the shortcut is exact: every feature map of the network is
# then $r/32$ times (16, 8, 4, 2, 1) pixels wide, so every convolution's MACs and every map's memory scale
# by $(r/224)^2$, and only the FC layer stays the same. The cell checks the shortcut against a full
# profile.

# %%
for g, s, r in ((8, 2.0, 160), (1, 0.25, 128), (3, 1.5, 192)):
    full = cost.profile(build_meta(g, s), r)
    exact = at_resolution(g, s, r) == (full.params, full.macs, full.peak_activation_bytes)
    print(f"{s:g}x, g = {g}, {r}x{r}: derived from 224 = full profile? {exact}")

# %% [markdown] {"jp-MarkdownHeadingCollapsed": true, "tags": ["optional"]}
# ## Deep dive (optional): every published figure beside ours

# %% [markdown]
# Every figure the paper (and MobileNetV2's Table 4, which is where ShuffleNet's parameter counts come
# from) publishes for a configuration our builder can make, beside our count. `paper_figures.figures` holds the
# published numbers; ours are counted live. Parameters are counted the paper's way here (convolution and
# FC weights and biases, no BatchNorm).


# %%
def cell(value, scale=1e6, digits=1):
    return "–" if value is None else f"{value / scale:.{digits}f}"


rows = []
for entry in paper_figures.figures("shufflenet_v1"):
    if entry["macs"] is None:
        continue  # Table 3's rows: errors only (below)
    g, s, macs, params = entry["options"]["groups"], entry["width_mult"], entry["macs"], entry["params"]
    p = shufflenet_cost(g, s)
    ours = cost.count_params(build_meta(g, s), include_bn=False)
    cost_columns = [cell(macs, digits=0), cell(p.macs), diff(p.macs, macs)]
    param_columns = [cell(params), cell(ours, digits=2), diff(ours, params) if params else ""]
    error = f"{100 - entry['top1']:.1f}"
    rows.append([f"{s:g}x, g = {g}", entry["source"], *cost_columns, *param_columns, error])
costs, params = ["paper M MACs", "ours", "diff"], ["paper M params", "ours", "diff"]
table(["model", "source", *costs, *params, "paper error %"], rows)

# %% [markdown]
# How to read the differences:
#
# - **1x (Table 1)**: within 1.0%, explained in section 5 (the paper's counts round to ours once the FC
#   layer is left out). Table 5 quotes the 1x $g = 8$ model at 140M where Table 1 says 137M; ours, 138.4M, sits
#   between the two.
# - **0.5x and 0.25x (Table 2)**: the paper prints one number per scale (38M, 13M) for all five $g$; ours
#   differ by $g$, as they must, because the channel counts differ. Our spread (−1% to +7% at 0.5x, +1%
#   to +21% at 0.25x) comes from rounding channels to multiples of $4g$ and from the stem rule (the deep
#   dive after section 6). The +21% is 0.25x with $g = 8$; with a linear stem it would be 12.4M (−4%),
#   but that rule moves $g = 3$ to −15%: no one rule gives 13M for all five.
# - **1.5x and 2x (Table 5)**: 292.4M and 524.0M, within 0.2% of the paper's 292M and 524M, *because*
#   the stem is scaled to 48 channels at 2x (with 24 channels, 2x would come to about 508M).
# - **Parameters**: the ShuffleNet paper publishes none. MobileNetV2's Table 4 quotes 3.4M for 1.5x and
#   5.4M for 2x ($g = 3$); ours are 3.41M and 5.40M, weights and biases without BatchNorm (PyTorch's count
#   with BatchNorm adds about 1%).

# %% [markdown]
# ## 8. What groups and the shuffle buy: Tables 2 and 3
#
# We cannot train on ImageNet here, so the error rates are the paper's (top-1 %, ImageNet validation,
# single crop); the multiply-accumulates beside them are ours.

# %%
rows = []
for s in (1.0, 0.5, 0.25):
    cells = []
    for g in sn.GROUPS:
        entry = paper_figures.lookup("shufflenet_v1", s, 224, groups=g, shuffle=True)
        cells.append(f"{100 - entry['top1']:.1f} <small>({shufflenet_cost(g, s).macs / 1e6:.1f}M)</small>")
    rows.append([f"ShuffleNet {s:g}x"] + cells)
table(["Table 2: top-1 error % (our MACs)"] + [f"g = {g}" for g in sn.GROUPS], rows)

# %% [markdown]
# Read along the rows: **grouping always helps** ($g > 1$ beats $g = 1$ at every scale), and **it helps
# the small models most**: at 0.25x, going from $g = 1$ to $g = 8$ lowers the error by 4.4 points, at 1x
# by 1.2. A small network is starved for channels, and grouping, at equal cost, buys channels. It does not
# always pay to push $g$ up: at 0.5x, $g = 8$ is worse than $g = 4$ (each group's input has become thin:
# 6 channels per group in stage 2's bottleneck), a saturation the paper notes too.
#
# Table 3 is the ablation: the same networks without the shuffle. The shuffle is worth 1.3 to 5.8 points,
# more with $g = 8$ than with $g = 3$, since with more groups each one is more isolated. Section 9 trains
# one of its rows.

# %% [markdown] {"jp-MarkdownHeadingCollapsed": true, "tags": ["optional"]}
# ### Deep dive (optional): Table 3 row by row

# %% [markdown]
# Shuffling costs nothing we can count, so our MACs and parameters are identical with and without it:

# %%
rows = []
for s, g in ((1.0, 3), (1.0, 8), (0.5, 3), (0.5, 8), (0.25, 3), (0.25, 8)):
    off = paper_figures.lookup("shufflenet_v1", s, 224, groups=g, shuffle=False)["top1"]
    on = paper_figures.lookup("shufflenet_v1", s, 224, groups=g, shuffle=True)["top1"]
    with_, without = shufflenet_cost(g, s), cost.profile(build_meta(g, s, shuffle=False), 224)
    same = "✓" if (with_.macs, with_.params) == (without.macs, without.params) else "✗"
    errors = [f"{100 - off:.1f}", f"{100 - on:.1f}", f"{on - off:+.1f}"]
    rows.append([f"{s:g}x, g = {g}", *errors, f"{with_.macs / 1e6:.1f}M {same}"])
errors = ["error % without shuffle", "with shuffle", "gain (points)"]
table(["Table 3", *errors, "our MACs, with = without"], rows)

# %% [markdown]
# ## 9. The ablation, trained: shuffle on and off
#
# Table 3 is the paper's most direct evidence for the shuffle, and a simple experiment: the same network,
# with and without the shuffle, trained the same way. We run it on CIFAR-10 (Krizhevsky 2009) with the
# `cifar` variant of our model: no downsampling before stage 2 (conv1 has stride 1, no max pool), so a
# 32x32 image ends on a 4x4 map. We take **0.25x with $g = 8$**: with eight groups each group is at its
# most isolated (Table 3: 56.5% error without the shuffle, 52.7% with it), and two runs fit in a few
# minutes on a laptop. Both runs start from the same initial weights (the shuffle has no parameters; the
# cell checks it) and see the same batches in the same order (`seed=0`). How much training happens
# depends on the budget (`SMALLNETS_BUDGET`); without the CIFAR-10 files on disk, `data.for_lesson`
# falls back to the course's offline "shapes" dataset and says so.

# %% tags=["nbval-ignore-output"]
from smallnets_edu import data, train

dataset = data.for_lesson("cifar10")
ABLATION = {"groups": 8, "width_mult": 0.25, "variant": "cifar", "num_classes": dataset.num_classes}
nets = {}
for shuffle in (True, False):
    torch.manual_seed(0)  # the same initial weights in both runs
    nets[shuffle] = models.build("shufflenet_v1", shuffle=shuffle, **ABLATION)
    print(f"shuffle = {shuffle}: {cost.profile(nets[shuffle], 32).summary()}")
weights = [net.state_dict().values() for net in nets.values()]
print("same initial weights:", all(torch.equal(a, b) for a, b in zip(*weights, strict=True)))
histories = {shuffle: train.fit(net, dataset, seed=0) for shuffle, net in nets.items()}

# %% [markdown]
# The learning curves of the run with the shuffle (`History.plot()`), then both runs on one chart:

# %% tags=["nbval-ignore-output"]
histories[True].plot(title="ShuffleNet 0.25x, g = 8, with channel shuffle (CIFAR variant)")

# %% tags=["nbval-ignore-output"]
fig, (left, right) = plots.figure(10.0, 3.6, ncols=2)
for shuffle, history in histories.items():
    colour = plots.FAMILY_COLOURS["shufflenet_v1"] if shuffle else "#8C8C8C"
    epochs, accuracy = history.column("epoch"), [100 * a for a in history.column("test_acc")]
    left.plot(epochs, history.column("train_loss"), "o-", color=colour, label=f"shuffle = {shuffle}")
    right.plot(epochs, accuracy, "s-", color=colour, label=f"shuffle = {shuffle}")
    print(history.summary())
left.set(xlabel="epoch", ylabel="training loss", title="training loss")
right.set(xlabel="epoch", ylabel="test accuracy (%)", title="test accuracy")
left.legend()
fig.tight_layout()

# %% [markdown]
# **How much to trust this.** At the `smoke` budget (one epoch on 512 images) both networks are still
# guessing. At the `laptop` budget (5 epochs on 10,000 images) they learn, but a gap of a point or two
# between two single runs is within what another seed could change: repeat each run with several seeds
# before you claim an effect. For the real experiment use the `gpu` budget (30 epochs on all of CIFAR-10)
# or `full` (200 epochs): start JupyterLab with `SMALLNETS_BUDGET=full make lab` (or set
# `os.environ["SMALLNETS_BUDGET"] = "full"` at the top of this notebook) and run this section again.
# With a GPU you can also set `"width_mult": 1.0` in `ABLATION`, the 1x row of Table 3.
#
# The ablation also reminds you what the shuffle is *for*: it does not add capacity (same weights, same
# MACs), it adds **connections**. Without it, the eight groups of a stage exchange nothing inside the
# stage; information crosses between groups only where the network happens to reorder channels (the
# dense first 1x1 of stage 2, the concatenations that open stages 3 and 4) and at the classifier.

# %% [markdown]
# ## 10. ShuffleNet vs MobileNet at equal cost (Table 5)
#
# The paper's headline comparison puts ShuffleNet beside MobileNet at four budgets, each ShuffleNet
# chosen to cost no more than its MobileNet. The errors are the paper's (ImageNet top-1); the MACs and
# parameters of both columns are ours.


# %%
def columns(name, entry, net, macs):
    params = cost.count_params(net, include_bn=False)
    return [name, f"{entry['macs'] / 1e6:.0f}", f"{macs / 1e6:.1f}", f"{params / 1e6:.2f}", f"{100 - entry['top1']:.1f}"]


# ShuffleNet's own Table 5 entries (Table 1 quotes the 1x, g = 8 model at another figure)
entries = [e for e in paper_figures.figures("shufflenet_v1") if e["source"] == "ShuffleNet Table 5"]
table5 = {(e["width_mult"], e["options"]["groups"]): e for e in entries}
rows = []
for alpha, s, g in ((1.0, 2.0, 3), (0.75, 1.5, 3), (0.5, 1.0, 8), (0.25, 0.5, 4)):  # the paper's four pairs
    mobilenet, shufflenet = paper_figures.lookup("mobilenet_v1", alpha, 224), table5[s, g]
    mob_net = models.build_meta("mobilenet_v1", width_mult=alpha)
    left = columns(f"{alpha} MobileNet-224", mobilenet, mob_net, cost.profile(mob_net, 224).macs)
    right = columns(f"ShuffleNet {s:g}x (g = {g})", shufflenet, build_meta(g, s), shufflenet_cost(g, s).macs)
    rows.append([*left, *right, f"{shufflenet['top1'] - mobilenet['top1']:.1f}"])
side = ["paper M MACs", "ours", "our M params", "paper error %"]
table(["model", *side, "model", *side, "ShuffleNet better by (points)"], rows)

# %% [markdown]
# At every budget ShuffleNet costs a little less and makes 3.1 to 7.8 points fewer errors, and **the
# smaller the budget, the larger its lead**: at about 40M multiply-accumulates, 0.25 MobileNet has become
# very thin (its layers have 8 to 256 channels), while the stages of 0.5x ShuffleNet with $g = 4$ still
# have 144 to 544. That is the whole argument of the paper in one table: grouped 1x1 convolutions turn a
# fixed budget into more channels, and small networks need channels most.
#
# One column the paper does not print is worth a look: at each budget ShuffleNet holds **more
# parameters** than the MobileNet it beats (1.3 to 1.8 times). MACs are time and energy per image;
# parameters are the size of the file and of the weights in memory. Which one matters depends on the
# device. (Our counts agree with both papers' within 0.4%, the 1x $g = 8$ row aside: see the deep dive
# "every published figure beside ours".)

# %% [markdown]
# ## 11. Multiply-accumulates are not milliseconds (Table 8)
#
# The paper's last table measured speed on a phone (Snapdragon 820, one thread, 224x224 input), and shows
# that **FLOPs and time differ**:

# %%
TABLE_8 = {  # ShuffleNet Table 8: model -> (million MACs as the paper counts them, ms on a Snapdragon 820)
    "ShuffleNet 0.5x (g = 3)": (38, 15.2),
    "ShuffleNet 1x (g = 3)": (140, 37.8),
    "ShuffleNet 2x (g = 3)": (524, 108.8),
    "1.0 MobileNet-224": (569, 110.0),
    "AlexNet": (720, 184.0),
}
rows = [[name, macs, ms, f"{macs / ms:.1f}"] for name, (macs, ms) in TABLE_8.items()]
table(["Table 8", "paper M MACs", "ms (Snapdragon 820)", "M MACs per ms"], rows)

# %% [markdown]
# Read the last column: the phone does 2.5 million multiply-accumulates per millisecond on the smallest
# ShuffleNet and 4.8 on the largest; 0.5x ShuffleNet needs 3.7 times fewer MACs than 1x but is only 2.5
# times faster. Small networks waste a larger share of their time on what a MAC count does not see:
# moving data (the shuffle is pure data movement, a depthwise convolution does little arithmetic per
# value it reads), launching many small layers, the fixed costs of every layer. The paper keeps depthwise
# convolutions on the narrow bottleneck only, as they are hard to run efficiently on low-power devices.
# Lesson 08 takes this apart on your machine, layer by layer.

# %% [markdown] {"jp-MarkdownHeadingCollapsed": true, "tags": ["optional"]}
# ### Deep dive (optional): Table 8 on this machine

# %% [markdown]
# On the phone, ShuffleNet 2x and MobileNet cost about the same in both MACs and time, and AlexNet, with
# 19 times the MACs of 0.5x ShuffleNet, is only 12 times slower. Our own machine tells the same story.
# The next cell times four of these networks on this computer's CPU, one thread, one 224x224 image, as
# Table 8 did (the numbers depend on your machine and on what else it is doing; run it twice).

# %% tags=["nbval-ignore-output"]
timed = {
    "ShuffleNet 0.5x (g = 3)": models.build("shufflenet_v1", groups=3, width_mult=0.5),
    "ShuffleNet 1x (g = 3)": models.build("shufflenet_v1", groups=3),
    "ShuffleNet 2x (g = 3)": models.build("shufflenet_v1", groups=3, width_mult=2.0),
    "1.0 MobileNet-224": models.build("mobilenet_v1"),
}
rows = []
for name, net in timed.items():
    macs = cost.profile(net, 224).macs / 1e6
    ms = cost.latency(net, 224, threads=1, min_run_time=budget.current().bench_seconds).median * 1e3
    paper_macs, paper_ms = TABLE_8[name]
    rows.append(
        [name, f"{macs:.1f}", f"{ms:.1f}", f"{macs / ms:.1f}", paper_ms, f"{paper_macs / paper_ms:.1f}"]
    )
ours, phone = ["our M MACs", "our ms (1 thread)", "M MACs per ms"], ["paper ms (phone)", "M MACs per ms"]
table(["model", *ours, *phone], rows)

# %% [markdown]
# Compare the columns of MACs per millisecond. Typically the large models run at a higher rate than the
# small ones, as on the phone, and MobileNet, whose work is almost all in dense 1x1 convolutions, at a
# higher rate than ShuffleNet 2x of about the same cost, often enough to be the faster of the two. Does
# your machine agree? Lesson 08 shows where the time goes, and why a MAC count, however exact, does not
# predict it.

# %% [markdown]
# ## Summary
#
# - A grouped convolution with $g$ groups costs $1/g$ of the dense one, in MACs and in weights.
#   ShuffleNet groups the 1x1 convolutions, where the cost is.
# - Stacked grouped layers never exchange information between groups. The **channel shuffle** fixes it
#   with a fixed permutation (reshape to $(g, C/g)$, transpose, flatten), at no MACs and no parameters.
# - The ShuffleNet unit (grouped 1x1, shuffle, depthwise 3x3, grouped 1x1, add) costs $hw(2cm/g + 9m)$;
#   the stride-2 unit pools the shortcut and concatenates, widening the network cheaply.
# - At a fixed budget of about 140M MACs, more groups buy more channels (144 to 384 in stage 2 from
#   $g = 1$ to $g = 8$), and small networks profit most. Our counts match Table 1 within 1.0%.
# - At equal MACs ShuffleNet beats MobileNet by 3.1 to 7.8 points on ImageNet, with more parameters.
# - MACs are not time: on the paper's phone 3.7 times fewer MACs gave 2.5 times the speed.
#
# Next, lesson 05 meets MobileNetV2, which goes the other way: it widens the depthwise layer inside each
# block and makes the narrow ends of the block linear.

# %% [markdown]
# ## Exercises
#
# Each exercise has a checker that tells you whether your answer is right and, if not, what looks wrong,
# without printing the solution. Replace the placeholder, run the cell, read the feedback.

# %%
from smallnets_edu.exercises import lesson04

# %% [markdown]
# ### Exercise 1: the cost of a ShuffleNet unit
#
# Write a function that returns the multiply-accumulates of a **stride-1** ShuffleNet unit with
# `channels` input and output channels, `groups` groups and a `size` x `size` feature map, as the package
# builds it (bottleneck = `channels // 4`; count convolutions only, as the papers do). The checker
# compares it with a profile of `sn.ShuffleUnit` on several units, without telling you the numbers.


# %%
def unit_macs(channels, groups, size):
    raise NotImplementedError  # your code here


lesson04.check_unit_macs(unit_macs)

# %% [markdown]
# ### Exercise 2: when does the shuffle mix everything?
#
# Take two grouped 1x1 convolutions with $g = 5$ groups and a channel shuffle between them, with $C$
# channels throughout ($C$ a multiple of 5). For small $C$ some output channels still do not see every
# input channel. What is the **smallest** $C$ for which every output channel depends on every input
# channel? (`diagrams.reach([diagrams.conv(None, 1, 5), diagrams.shuffle(5), diagrams.conv(None, 1, 5)], C)`
# returns the whole connectivity matrix if you want to experiment; try to predict first.)

# %%
smallest_channels = None  # your answer: a number of channels

lesson04.check_full_mixing(smallest_channels)

# %% [markdown]
# ### Exercise 3: Table 1 for six groups
#
# Table 1 widens the network as $g$ grows so that the cost stays about the same. Reproduce its logic for
# $g = 6$, which the paper did not try: what is the **widest** stage-2 width $c$, a multiple of $4g = 24$,
# such that a stride-1 ShuffleNet unit with $c$ channels and $g = 6$ on a 28x28 map costs **no more** than
# the $g = 1$ unit with Table 1's 144 channels? (Your function from exercise 1, or `cost.profile` of
# `sn.ShuffleUnit`, will help. Then check what the same rule gives for $g$ = 2, 3, 4, 8.)

# %%
width_for_six_groups = None  # your answer: a number of channels

lesson04.check_equal_cost_width(width_for_six_groups)
