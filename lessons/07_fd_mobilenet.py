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
# # 07 · FD-MobileNet: shrink the maps early, keep the channels
#
# **After this lesson you can**
#
# - explain how FD-MobileNet moves MobileNet's strides forward, and draw both networks' map sizes;
# - compute where each network spends its multiply-accumulates, and why FD 1x costs what 0.5 MobileNet does;
# - find the MobileNet of equal cost for any FD-MobileNet, and judge the paper's accuracy comparison;
# - explain what fast downsampling costs (fewer layers at fine scale) and what it does not (context);
# - train both networks at equal cost on 64x64 images, and judge how much a gap between two runs means.
#
# **The idea in one paragraph**
#
# Lesson 03 made MobileNet cheaper with its width multiplier α: every layer keeps its place and loses
# channels. That works well down to about 150 million multiply-accumulates, and then it starts to hurt:
# 0.25 MobileNet-224 costs 41M MACs and reaches only 50.6% top-1 on ImageNet; its layers have 8 to 256
# channels, and a thin layer cannot carry much information. **FD-MobileNet** (Qin, Zhang, Chen and Peng,
# 2018, [arXiv:1802.03750](https://arxiv.org/abs/1802.03750); ICIP 2018) spends a small budget
# differently. It keeps MobileNet's building blocks but moves the downsampling forward: the feature maps
# reach **32x downsampling within the first 12 layers**, where MobileNet needs 24, and most blocks then
# run on **7x7 maps**. Small maps are cheap, so at the same cost the network can afford twice
# MobileNet's channels. The paper targets budgets of 10 to 140 MFLOPs (multiply-accumulates, as in
# ShuffleNet) and reports 65.3%, 56.3% and 45.1% top-1 at 144, 40 and 12.
#
# Lesson 03's vocabulary (separable block, width multiplier α, resolution) is used here without
# repeating it.

# %%
import functools

import numpy as np
import torch

from smallnets_edu import budget, cost, models, paper_figures, plots, reference, widgets
from smallnets_edu.display import diff, table
from smallnets_edu.models import fd_mobilenet, mobilenet_v1


def build_meta(name, width_mult=1.0, **options):
    """A network with shapes but no weights (the meta device): instant to build, enough to count its cost."""
    return models.build_meta(name, width_mult=width_mult, **options)


@functools.cache
def profile_of(name, width_mult=1.0, resolution=224, variant="imagenet", num_classes=1000):
    """Per-layer profile of one network (cached: each configuration is counted once)."""
    net = build_meta(name, width_mult, variant=variant, num_classes=num_classes)
    return cost.profile(net, resolution, name=f"{name} {width_mult:g} at {resolution}")


def conv_rows(profile):
    """The layers that compute (convolutions and the classifier), in order."""
    return [row for row in profile.layers if row.macs]


def side(row):
    """Output side of a layer (1 for the classifier)."""
    return row.output_shape[-1] if len(row.output_shape) == 4 else 1


NAMES = {"mobilenet_v1": "MobileNet", "fd_mobilenet": "FD-MobileNet"}
COLOURS = {name: plots.FAMILY_COLOURS[name] for name in NAMES}

# %% tags=["nbval-ignore-output"]
print(reference.banner("07"))

# %% [markdown]
# ## 1. The same blocks, another schedule
#
# Both networks halve the feature map five times between a 224x224 image and a 7x7 map. MobileNet
# (Table 1 of its paper) does it with the first convolution and blocks 2, 4, 6 and 12 of its thirteen
# separable blocks. FD-MobileNet does it with the first convolution and blocks **1, 2, 4 and 6** of
# eleven: the halving that MobileNet does last, at block 12, FD-MobileNet does first, at block 1. From
# there on, blocks 1 to 10 have the channels of MobileNet's block of the same number, on a map of half
# the side (a quarter of the area), and FD-MobileNet ends two blocks shorter.
#
# The paper counts layers as MobileNet's Table 1 does (the first convolution, each depthwise and each
# pointwise convolution, the fully connected layer): 28 for MobileNet, 24 for FD-MobileNet. The figure
# draws every layer of our two models (`smallnets_edu.models.mobilenet_v1` and `fd_mobilenet`, built on
# PyTorch's `meta` device: shapes, no weights): output side on the left (a logarithmic axis, one step
# per halving), output channels on the right.

# %%
fig, (left, right) = plots.figure(10.0, 3.6, ncols=2)
for name, dashes in zip(NAMES, ("-", "--"), strict=True):
    convs = [row for row in conv_rows(profile_of(name)) if row.kind != "linear"]
    x = np.arange(1, len(convs) + 1)
    style = {"color": COLOURS[name], "ls": dashes, "marker": "o", "ms": 3, "drawstyle": "steps-mid"}
    left.plot(x, [side(row) for row in convs], label=f"{NAMES[name]} ({len(convs)} convolutions)", **style)
    right.plot(x, [row.output_shape[1] for row in convs], label=NAMES[name], **style)
    reached = next(i for i, row in enumerate(convs, start=1) if side(row) == 7)
    left.axvline(reached, color=COLOURS[name], ls=":", lw=1)
    left.text(reached + 0.4, 40, f"7x7 from\nlayer {reached}", color=COLOURS[name], fontsize=8)
for ax in (left, right):
    ax.set_yscale("log", base=2)
    ax.set_xlabel("layer (first conv, then depthwise and pointwise)")
left.set_yticks([7, 14, 28, 56, 112], ["7", "14", "28", "56", "112"])
left.set(ylabel="output side (pixels)", title="feature-map size, 224x224 input")
right.set_yticks([32, 64, 128, 256, 512, 1024], ["32", "64", "128", "256", "512", "1024"])
right.set(ylabel="output channels", title="width (1x networks)")
left.legend(loc="upper right", fontsize=8)
right.legend(loc="lower right", fontsize=8)
fig.tight_layout()

# %% [markdown]
# Two staircases that end in the same place (7x7 maps, then a global pool and a 1000-way classifier,
# not drawn) and take very different routes: 7x7 from layer 12 against 24, as the paper says. MobileNet
# descends slowly and spends layers 12 to 23 on 14x14 maps; FD-MobileNet is at 7x7 by layer 12 and stays
# there for the second half of the network. Meanwhile the channels climb as fast in both: up to block 10
# FD-MobileNet's widths are MobileNet's, only on smaller maps, and its last block jumps to 1024 one block
# earlier than MobileNet does.

# %% [markdown] {"jp-MarkdownHeadingCollapsed": true, "tags": ["optional"]}
# ### Deep dive (optional): the two networks, block by block

# %% [markdown]
# The end differs: MobileNet has six 512-channel blocks (6 to 11) and then two of 1024 channels (12 and
# 13); FD-MobileNet has five of 512 (6 to 10) and a single 1024-channel block, its block 11, where
# MobileNet's block 11 still has 512. So FD-MobileNet is two blocks shorter: one 512-channel block and
# one 1024-channel block fewer. First the layer count, the paper's way, then each block's output for a
# 224x224 image, channels x height x width; the arrow marks the block that reaches 7x7.

# %%
for name in NAMES:
    rows_ = conv_rows(profile_of(name))
    reached = next(i for i, row in enumerate(rows_, start=1) if side(row) == 7)
    print(f"{NAMES[name]:>12}: {len(rows_)} layers, 7x7 (32x downsampling) reached at layer {reached}")


# %%
def block_outputs(name, width_mult=1.0):
    """{'conv1': (channels, side), 'block1': ..., ...}: each block's output, from the profile."""
    out = {}
    for row in conv_rows(profile_of(name, width_mult)):
        if len(row.output_shape) == 4:
            out[row.name.split(".")[1]] = (row.output_shape[1], side(row))  # the block's last conv wins
    return out


def describe(outputs, block):
    if block not in outputs:
        return "–"
    channels, s = outputs[block]
    first_7x7 = next(b for b, (_, si) in outputs.items() if si == 7)
    return f"{channels} x {s} x {s}" + ("  ◀ 32x" if block == first_7x7 else "")


outputs = {name: block_outputs(name) for name in NAMES}
rows = [[block] + [describe(outputs[name], block) for name in NAMES] for block in outputs["mobilenet_v1"]]
table(["block", "MobileNet 1.0", "FD-MobileNet 1x"], rows)

# %% [markdown]
# The same comparison for the channels alone, block by block, read off the same two models:

# %%
channels = {
    name: [c for block, (c, _) in outputs[name].items() if block.startswith("block")] for name in NAMES
}
for name in NAMES:
    print(f"{NAMES[name]:>12}: {channels[name]}")
# pairs of blocks with the same number, up to FD-MobileNet's last block
pairs = list(zip(channels["mobilenet_v1"], channels["fd_mobilenet"], strict=False))
same = next((i for i, (a, b) in enumerate(pairs) if a != b), len(pairs))
print(f"same channels in blocks 1 to {same}; first difference at block {same + 1}: ", end="")
print(f"MobileNet {pairs[same][0]}, FD-MobileNet {pairs[same][1]}")
for width in (512, 1024):
    counts = [channels[name].count(width) for name in NAMES]
    print(f"{width}-channel blocks: MobileNet {counts[0]}, FD-MobileNet {counts[1]}")

# %% [markdown]
# ## 2. Where the multiply-accumulates go
#
# A pointwise layer, which does almost all the work of these networks (lesson 03, Table 2), costs
# $M \cdot N \cdot D_F^2$: input channels times output channels times the map's area. So there are two
# ways to make a layer four times cheaper:
#
# - **halve the map** ($D_F \to D_F / 2$): what FD-MobileNet does, by halving at block 1 instead of 12;
# - **halve the width** ($M \to M/2$ and $N \to N/2$): what the width multiplier α = 0.5 does.
#
# Either way the cost is a quarter, and so FD-MobileNet 1x costs about what **0.5 MobileNet** costs, with
# twice its channels in blocks 1 to 10 (and four times in block 11: 1024 against 256). The bars below
# split three networks' MACs by resolution stage (a layer belongs to the stage of its *output*).

# %%
STAGES = (112, 56, 28, 14, 7, 1)  # output sides at 224x224; 1 is the classifier
SHADES = ("#C44E52", "#DD8452", "#CCB974", "#55A868", "#4C72B0", "#8172B3")  # one per stage, fine to coarse
STAGE_COLOURS = dict(zip(STAGES, SHADES, strict=True))


def stage_macs(profile):
    """MACs and number of layers per output side."""
    macs, layers = dict.fromkeys(STAGES, 0), dict.fromkeys(STAGES, 0)
    for row in conv_rows(profile):
        macs[side(row)] += row.macs
        layers[side(row)] += 1
    return macs, layers


BARS = {  # label -> (name, width)
    "1.0 MobileNet-224": ("mobilenet_v1", 1.0),
    "0.5 MobileNet-224": ("mobilenet_v1", 0.5),
    "FD-MobileNet 1x": ("fd_mobilenet", 1.0),
}
fig, ax = plots.figure(9.0, 3.2)
for y, (name, width) in enumerate(BARS.values()):
    macs, _ = stage_macs(profile_of(name, width))
    start = 0.0
    for s in STAGES:
        label = None if y else (f"{s}x{s}" if s > 1 else "FC")
        ax.barh(y, macs[s] / 1e6, left=start, color=STAGE_COLOURS[s], label=label)
        if macs[s] > 15e6:  # the number inside the bar, where it fits
            middle = start + macs[s] / 2e6
            ax.text(middle, y, f"{macs[s] / 1e6:.0f}", ha="center", va="center", fontsize=8, color="white")
        start += macs[s] / 1e6
    ax.text(start + 5, y, f"{start:.1f}M", va="center", fontsize=9)
ax.set_yticks(range(len(BARS)), list(BARS))
ax.invert_yaxis()
ax.set(xlim=(0, 640), xlabel="million multiply-accumulates (224x224 input)")
ax.set_title("MACs per resolution stage")
ax.legend(title="output side", ncols=6, loc="lower right", fontsize=8)
fig.tight_layout()

# %%
rows = []
for label, (name, width) in BARS.items():
    p = profile_of(name, width)
    macs, layers = stage_macs(p)
    rows.append([label] + [f"{macs[s] / p.macs:.0%} <small>({layers[s]})</small>" for s in STAGES])
table(["share of MACs (layers)"] + [f"{s}x{s}" if s > 1 else "FC" for s in STAGES], rows)

# %% [markdown]
# Read the two networks of equal cost, the last two rows:
#
# - **0.5 MobileNet** spends half its budget (73M of 149M) in twelve layers on 14x14 maps with 128 and
#   256 channels, and a quarter (36M) in the seven layers at 112x112 and 56x56, where it has only 16 to 64
#   channels.
# - **FD-MobileNet 1x** spends 59% (85M) in twelve layers on 7x7 maps with 256 to 1024 channels; only
#   three layers run at 112x112 and 56x56 (18M).
# - At 28x28 the two spend exactly the same, 20.6M: FD-MobileNet's 28x28 blocks have 128 channels, as
#   0.5 MobileNet's do.
#
# So the two budgets are the same size and spent in opposite places: MobileNet buys resolution and pays
# with channels, FD-MobileNet buys channels and pays with resolution. Which is the better buy at a small
# budget is an empirical question; the paper's answer is in section 3.

# %% [markdown] {"jp-MarkdownHeadingCollapsed": true, "tags": ["optional"]}
# ## Deep dive (optional): paper vs ours
# The paper's counts and a third-party implementation's, reconciled with ours.

# %% [markdown]
# The paper prints its costs rounded, in "MFLOPs" that are multiply-accumulates (the ShuffleNet
# convention, lesson 00), and no parameter counts. A widely used third-party implementation,
# [osmr/imgclsmob](https://github.com/osmr/imgclsmob), lists parameters and a FLOP count for the three
# widths. Both, next to our profiles:

# %%
fd_published = [e for e in paper_figures.figures("fd_mobilenet") if e["top1"] is not None]
third_party = {e["width_mult"]: e for e in paper_figures.figures("fd_mobilenet") if e["source"] == "osmr/imgclsmob"}
rows = []
for entry in fd_published:
    width = entry["width_mult"]
    p, other = profile_of("fd_mobilenet", width), third_party[width]
    weights = cost.count_params(build_meta("fd_mobilenet", width), include_bn=False)
    rows.append(
        [
            f"FD-MobileNet {width:g}x",
            f"{entry['top1']}",
            f"{entry['macs'] / 1e6:.0f}",
            f"{p.macs / 1e6:.2f}",
            diff(p.macs, entry["macs"]),
            f"{other['macs'] / 1e6:.2f}",
            diff(p.macs, other["macs"]),
            f"{other['params']:,}",
            f"{p.params:,}",
            f"{weights:,}",
        ]
    )
head = ["model", "paper top-1 %", "paper MFLOPs", "our M MACs", "diff", "3rd-party MFLOPs", "diff"]
table(head + ["3rd-party params", "our params (with BN)", "our params (no BN)"], rows)

# %% [markdown]
# - **The paper's 144 / 40 / 12** are our 144.49 / 40.13 / 12.04 million MACs, rounded: the same
#   networks, counted the same way.
# - **The third-party parameters** (2,901,288 / 993,928 / 383,160) equal ours exactly. They include
#   BatchNorm's γ and β and the classifier's biases, as PyTorch's own count does; without BatchNorm
#   (the papers' usual convention) the count is the last column.
# - **The third-party 146.08 / 40.93 / 12.44 MFLOPs are 1.1% to 3.3% above our counts**, and that is not
#   an error in either. The difference grows as the network narrows, so it is not rounding: it is a
#   different *convention*. That count adds one operation for every value a ReLU outputs, one for every
#   value that enters the average pool, and one per classifier bias. The papers, and `smallnets_edu.cost`,
#   count only the multiply-accumulates of convolutions and fully connected layers. We can rebuild the
#   third-party figure from our profile:

# %%
rows = []
for width, other in third_party.items():
    p = profile_of("fd_mobilenet", width)
    relu = sum(int(np.prod(row.output_shape)) for row in p.layers if row.kind == "activation")
    pool = next(i for i, row in enumerate(p.layers) if row.kind == "pool")
    pooled = int(np.prod(p.layers[pool - 1].output_shape))  # the pool's input: the last feature map
    biases = p.layers[-1].output_shape[-1]
    total = p.macs + relu + pooled + biases
    rows.append(
        [
            f"{width:g}x",
            f"{p.macs:,}",
            f"{relu:,}",
            f"{pooled:,}",
            f"{biases:,}",
            f"{total / 1e6:.2f}",
            f"{other['macs'] / 1e6:.2f}",
        ]
    )
table(["width", "our MACs", "+ ReLU outputs", "+ pool inputs", "+ FC biases", "= M ops", "3rd-party"], rows)

# %% [markdown]
# To the last printed digit. The lesson of this table is the lesson of lesson 00: **before comparing two
# cost figures, find out what each one counts**. A ReLU is a comparison, a pooled value an addition;
# whether they are "FLOPs" is a convention, and for a network whose MACs are few (12M at 0.25x) the
# 0.4M of activations already make a 3% difference.

# %% [markdown]
# ## 3. MobileNets of equal cost, and the paper's comparison
#
# The paper's headline is that FD-MobileNet beats MobileNet "under the same complexity": by **1.6, 5.6
# and 5.5 points** of top-1 at 140, 40 and 12 MFLOPs. To check which MobileNets those are, we need the
# cost of MobileNets of any width, without building each one. For a plain chain like these two networks
# the cost follows from the architecture table: a 3x3 stem, then a depthwise and a pointwise layer per
# block, then the classifier. Each row is (kind, output side, output channels, MACs, parameters with
# BatchNorm, values held while it runs); a deep dive below checks the formulas against the profiles.


# %%
FAMILIES = {"mobilenet_v1": mobilenet_v1, "fd_mobilenet": fd_mobilenet}
RULES = {"mobilenet_v1": mobilenet_v1.depth, "fd_mobilenet": fd_mobilenet.width}  # each family's rounding


def chain_cost(name, width_mult, resolution=224, num_classes=1000, rule=None):
    """Per-layer cost of the ImageNet network from its table, with formulas only (no model is built)."""
    family, rule = FAMILIES[name], rule or RULES[name]
    s, c = (resolution - 1) // 2 + 1, rule(family.STEM_CHANNELS, width_mult)  # 3x3, stride 2, padding 1
    held = lambda n_in, n_out: max(n_in + n_out, 2 * n_out)  # conv: in + out; BN and ReLU: out twice
    rows = [("conv", s, c, 27 * c * s * s, 27 * c + 2 * c, held(3 * resolution**2, c * s * s))]
    for out, stride in family.BLOCKS:
        s_in, s, n = s, (s - 1) // stride + 1, rule(out, width_mult)
        rows.append(("depthwise", s, c, 9 * c * s * s, 9 * c + 2 * c, held(c * s_in * s_in, c * s * s)))
        rows.append(("pointwise", s, n, c * n * s * s, c * n + 2 * n, held(c * s * s, n * s * s)))
        c = n
    rows.append(("linear", 1, num_classes, c * num_classes, (c + 1) * num_classes, held(c, c)))
    return rows


def totals(rows, bytes_per_value=4):
    """(MACs, parameters, peak activation bytes) of a chain_cost table."""
    return sum(r[3] for r in rows), sum(r[4] for r in rows), max(r[5] for r in rows) * bytes_per_value


# %% [markdown]
# Now the search: for each FD-MobileNet, the MobileNet-224 whose width gives the same MACs with the
# FD-MobileNet authors' own rounding (their code builds MobileNet too, with plain truncation,
# `int(c * α)`, and no 8-channel floor); beside it the paper's claimed gain, the MobileNet accuracy that
# claim implies, and the published MobileNet it matches.

# %%
FD_TOP1 = {e["width_mult"]: e["top1"] for e in paper_figures.figures("fd_mobilenet") if e["top1"]}
PAPER_GAIN = {1.0: 1.6, 0.5: 5.6, 0.25: 5.5}  # the paper's claims: top-1 points over MobileNet
ALPHAS = np.round(np.arange(0.05, 1.0001, 0.005), 3)


def equal_cost_alpha(macs, rule=fd_mobilenet.width, **at):
    """The MobileNet width (step 0.005, at 224 unless ``at`` says) whose MACs come closest to ``macs``."""
    costs = [totals(chain_cost("mobilenet_v1", a, rule=rule, **at))[0] for a in ALPHAS]
    best = int(np.argmin([abs(np.log(c / macs)) for c in costs]))
    return float(ALPHAS[best]), costs[best]


rows = []
for width, top1 in FD_TOP1.items():
    macs = profile_of("fd_mobilenet", width).macs
    alpha, mob_macs = equal_cost_alpha(macs)
    implied = top1 - PAPER_GAIN[width]
    published = paper_figures.lookup("mobilenet_v1", width / 2, 224)  # half the width: the paper's partner
    match = f"{published['top1']} ({published['source']})" if published else "none published"
    cells = [f"{alpha:g} ({mob_macs / 1e6:.1f}M)", f"+{PAPER_GAIN[width]}", f"{implied:.1f}", match]
    rows.append([f"{width:g}x: {macs / 1e6:.1f}M, {top1}%", *cells])
head = ["FD-MobileNet: MACs, top-1", "MobileNet-224 of equal MACs: α", "paper's gain", "implied MobileNet %"]
table(head + ["published MobileNet at that width"], rows)

# %% [markdown]
# So the comparison was **width against width, at a fixed 224x224 input**: FD-MobileNet 1x, 0.5x and
# 0.25x against MobileNets of half their width, whose MACs match (0.495, 0.25 and 0.125 by our search).
#
# - At 140 MFLOPs, 65.3 − 1.6 = **63.7%**: exactly 0.5 MobileNet-224 in MobileNet's own Table 6.
# - At 40 MFLOPs, 56.3 − 5.6 = 50.7%: MobileNet's Table 6 prints **50.6%** for 0.25 MobileNet-224, so the
#   gain from the two published numbers is 5.7 points; the tenth of a point is rounding somewhere.
# - At 12 MFLOPs the MobileNet must be about **0.125 wide**, and no MobileNet publication has one: the
#   paper's baseline there (39.6%, if the +5.5 is exact) can only be a network the FD-MobileNet authors
#   trained themselves.
#
# Two caveats: the two sides were trained with different recipes, and **resolution was held fixed**,
# although a smaller input is itself early downsampling. Against all sixteen published MobileNets (last
# deep dive below) FD-MobileNet still comes out ahead, but by less: 0.75 MobileNet-160 and 0.5
# MobileNet-128 match FD-MobileNet 1x and 0.5x for 15% and 22% more MACs. The gain is largest at small
# budgets, where doubling a 0.125 MobileNet's 4 to 128 channels matters more than large maps.

# %% [markdown] {"jp-MarkdownHeadingCollapsed": true, "tags": ["optional"]}
# ### Deep dive (optional): the formulas, checked against the profiles

# %%
checked = 0
for name in NAMES:
    for width in (1.0, 0.75, 0.5, 0.25):
        for resolution in (224, 160, 96):
            p = cost.profile(build_meta(name, width), resolution)
            assert totals(chain_cost(name, width, resolution)) == (p.macs, p.params, p.peak_activation_bytes)
            checked += 1
print(f"the formulas give exactly the profile's MACs, parameters and peak memory in {checked} configurations")

# %% [markdown] {"jp-MarkdownHeadingCollapsed": true, "tags": ["optional"]}
# ### Deep dive (optional): the 12-MFLOP baseline, and the two training recipes

# %%
tf_slim_floor = totals(chain_cost("mobilenet_v1", 0.125))[0]  # TF-slim's rule: at least 8 channels
authors = totals(chain_cost("mobilenet_v1", 0.125, rule=fd_mobilenet.width))[0]
print(
    f"0.125 MobileNet-224: {authors / 1e6:.2f}M MACs with plain truncation, "
    f"{tf_slim_floor / 1e6:.2f}M with TF-slim's 8-channel floor"
)

# %% [markdown]
# The paper's 12-MFLOP baseline is consistent with the FD-MobileNet authors' code: 12.09M MACs with
# their rounding, where TF-slim's 8-channel floor would make it 14.29M.
#
# The baselines at 140 and 40 MFLOPs were trained by Google with its own recipe (RMSprop with
# asynchronous gradient descent, in TensorFlow), FD-MobileNet by its authors with another (120 epochs of
# SGD, the learning rate divided by 10 every 30 epochs, batch 256, weight decay 4·10⁻⁵, as their
# repository, [qinzheng93/FD-MobileNet](https://github.com/qinzheng93/FD-MobileNet), states).

# %% [markdown] {"jp-MarkdownHeadingCollapsed": true, "tags": ["optional"]}
# ### Deep dive (optional): against all sixteen published MobileNets

# %% [markdown]
# Lesson 03's sixteen published MobileNets (TF-slim's table,
# [mobilenet_v1.md](https://github.com/tensorflow/models/blob/master/research/slim/nets/mobilenet_v1.md))
# vary the resolution as well as the width. Each is placed by the MACs of our formulas, and a line fits
# MobileNet's accuracy against log(MACs):

# %%
SLIM = [e for e in paper_figures.figures("mobilenet_v1") if e["source"] == "TF-slim mobilenet_v1 table"]
slim_macs = {(e["width_mult"], e["resolution"]): e for e in SLIM}
slim_macs = {key: totals(chain_cost("mobilenet_v1", *key))[0] for key in slim_macs}
slope, intercept = np.polyfit(np.log10(list(slim_macs.values())), [e["top1"] for e in SLIM], 1)
line = lambda macs: intercept + slope * np.log10(macs)

rows = []
for width, top1 in FD_TOP1.items():
    macs = profile_of("fd_mobilenet", width).macs
    nearest = min(SLIM, key=lambda e: abs(np.log(slim_macs[e["width_mult"], e["resolution"]] / macs)))
    near_macs = slim_macs[nearest["width_mult"], nearest["resolution"]]
    better = [e for e in SLIM if e["top1"] >= top1]  # published MobileNets at least as accurate
    cheapest = min(better, key=lambda e: slim_macs[e["width_mult"], e["resolution"]])
    cheap_macs = slim_macs[cheapest["width_mult"], cheapest["resolution"]]
    rows.append(
        [
            f"FD-MobileNet {width:g}x ({macs / 1e6:.1f}M, {top1}%)",
            f"{nearest['width_mult']:g} MobileNet-{nearest['resolution']} ({near_macs / 1e6:.1f}M, "
            f"{nearest['top1']}%)",
            f"{top1 - nearest['top1']:+.1f}",
            f"{top1 - line(macs):+.1f}",
            f"{cheapest['width_mult']:g} MobileNet-{cheapest['resolution']} ({cheap_macs / 1e6:.1f}M, "
            f"{cheapest['top1']}%): {cheap_macs / macs:.2f}x the MACs",
        ]
    )
head = ["model", "nearest-cost TF-slim MobileNet", "FD gain", "FD above the MobileNet line"]
table(head + ["cheapest TF-slim MobileNet at least as accurate"], rows)

# %%
fig, ax = plots.figure(7.0, 4.2)
width_colours = {1.0: "#4C72B0", 0.75: "#55A868", 0.5: "#DD8452", 0.25: "#C44E52"}
for e in SLIM:
    macs = slim_macs[e["width_mult"], e["resolution"]]
    ax.plot(
        macs / 1e6,
        e["top1"],
        "o",
        color=width_colours[e["width_mult"]],
        ms=3 + e["resolution"] / 40,
        alpha=0.8,
    )
for w, colour in width_colours.items():
    ax.plot([], [], "o", color=colour, label=f"MobileNet α = {w:g}")
xs = np.logspace(np.log10(8e6), np.log10(700e6), 50)
ax.plot(xs / 1e6, line(xs), "--", color="grey", lw=1, label=f"MobileNet fit: {slope:.1f} points per 10x")
fd_x = [profile_of("fd_mobilenet", w).macs / 1e6 for w in FD_TOP1]
ax.plot(fd_x, list(FD_TOP1.values()), "*-", color=COLOURS["fd_mobilenet"], ms=14, label="FD-MobileNet")
for (w, top1), x in zip(FD_TOP1.items(), fd_x, strict=True):
    ax.annotate(f"{w:g}x", (x, top1), textcoords="offset points", xytext=(-8, 9), fontsize=9)
ax.set_xscale("log")
ax.set_xlabel("million multiply-accumulates (ours, log scale)")
ax.set_ylabel("ImageNet top-1 % (published)")
ax.set_title("FD-MobileNet and the sixteen published MobileNets (marker size: resolution)", fontsize=10)
ax.legend(loc="lower right", fontsize=8)
fig.tight_layout()

# %% [markdown]
# Against the whole MobileNet family FD-MobileNet still comes out ahead: 2.8 to 4.5 points above the
# line that fits MobileNet's accuracy against log(MACs), and ahead of the nearest-cost published model
# at every budget. But the margins are smaller than the paper's at 12 MFLOPs (+3.6 over
# 0.25 MobileNet-128, which costs a little more, against the claimed +5.5), and another view is just as
# fair: MobileNets with a **smaller input**, 0.75 MobileNet-160 and 0.5 MobileNet-128, match
# FD-MobileNet 1x and 0.5x for 15% and 22% more MACs. Shrinking the image is also fast downsampling, done
# before the network. FD-MobileNet's version keeps the full image for its first layer, and that is worth
# something, but less than the width-only comparison suggests.

# %% [markdown]
# ## 4. The price: fewer layers at high resolution
#
# Fast downsampling is not free. Fine detail (edges, small textures, small objects) a network has to
# extract while the maps are still large. The layers each network runs at each resolution (any width):

# %%
counts = {name: stage_macs(profile_of(name))[1] for name in NAMES}
rows = [[f"{s}x{s}" if s > 1 else "FC"] + [counts[name][s] for name in NAMES] for s in STAGES]
rows.append(["at 28x28 or larger"] + [sum(counts[name][s] for s in STAGES[:3]) for name in NAMES])
table(["output side", "MobileNet layers", "FD-MobileNet layers"], rows)

# %% [markdown]
# MobileNet runs 11 layers on maps of 28x28 or larger, FD-MobileNet 7; at 112x112 and 56x56 it is 7
# against 3. Only FD-MobileNet's first convolution produces a 112x112 map: the depthwise filter of its
# first block already has stride 2.
#
# What fast downsampling does *not* cost is context. The **receptive field** of a unit, the patch of
# the input it depends on, grows by $(k - 1) \cdot j$ at each $k \times k$ layer, where $j$ is the product
# of all strides before it: an early stride multiplies the growth of every later layer. FD-MobileNet's
# grows faster (111 pixels at layer 12 against 59; the deep dive below walks both networks). What it
# has less of is *processing at fine scale*: fewer nonlinear layers look at the image while one unit
# still covers a few pixels. For ImageNet classification of a centred object that is a good trade at
# small budgets; for small objects, segmentation or fine textures it can be a bad one (the paper reports
# detection on PASCAL VOC 2007 too, FD-MobileNet ahead at 12 MFLOPs): check on your own task.

# %% [markdown] {"jp-MarkdownHeadingCollapsed": true, "tags": ["optional"]}
# ### Deep dive (optional): the receptive field, layer by layer

# %% [markdown]
# We walk the convolutions of each network and apply the rule $r \mathrel{+}= (k - 1) \cdot j$:


# %%
from torch import nn


def receptive_fields(model):
    """Receptive field (one side, input pixels) after each convolution, in order: r += (k - 1) * j."""
    r, j, fields = 1, 1, []
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            r += (module.kernel_size[0] - 1) * j
            j *= module.stride[0]
            fields.append(r)
    return fields


fig, ax = plots.figure(7.0, 3.4)
for name in NAMES:
    fields = receptive_fields(build_meta(name))
    x = np.arange(1, len(fields) + 1)
    ax.plot(x, fields, "o-", ms=3, color=COLOURS[name], label=f"{NAMES[name]}: {fields[-1]} px at the end")
    print(
        f"{NAMES[name]:>12}: receptive field {fields[11]} px at layer 12, {fields[-1]} px after layer {len(x)}"
    )
ax.axhline(224, color="grey", ls="--", lw=1)
ax.text(1, 232, "the whole 224x224 image", fontsize=8, color="grey")
ax.set(xlabel="convolution layer", ylabel="receptive field (pixels)", title="receptive field, layer by layer")
ax.legend(loc="upper left")
fig.tight_layout()

# %% [markdown]
# 111 pixels at layer 12 against 59, and 431 against 315 at the end (a theoretical field can exceed the
# image; the padding fills the rest).

# %% [markdown]
# ## 5. Explore: width and resolution for both networks
#
# Three sliders: a width for each network and one input resolution for both, starting at the paper's
# pair of equal cost, FD-MobileNet 1x against 0.5 MobileNet at 224. The readout gives MACs, parameters
# and peak activation memory (the largest input + output one layer holds, 32-bit values, one image),
# from `chain_cost` (section 3); the chart, both networks' MACs per stage of downsampling.


# %%
def stage_split(rows, resolution):
    """MACs per downsampling factor of a chain_cost table (2, 4, 8, 16, 32; 0 is the classifier)."""
    out = dict.fromkeys((2, 4, 8, 16, 32, 0), 0)
    for kind, s, _, macs, *_ in rows:
        out[0 if kind == "linear" else resolution // s] += macs
    return out


def explorer_costs(fd_width, mobilenet_width, resolution):
    widths = {"fd_mobilenet": round(fd_width, 2), "mobilenet_v1": round(mobilenet_width, 2)}
    return {name: (widths[name], chain_cost(name, widths[name], resolution)) for name in NAMES}


def readout(fd_width, mobilenet_width, resolution):
    costs = explorer_costs(fd_width, mobilenet_width, resolution)
    parts = []
    for name, (width, rows) in costs.items():
        macs, params, peak = totals(rows)
        parts.append(
            f"<b>{NAMES[name]} {width:.2f}</b>: <span class='macs'>{macs / 1e6:.1f}M</span> MACs · "
            f"{params / 1e6:.2f}M parameters · {peak / 2**20:.2f} MiB peak activations"
        )
    ratio = totals(costs["fd_mobilenet"][1])[0] / totals(costs["mobilenet_v1"][1])[0]
    return "<br>".join(parts) + f"<br>at {resolution}x{resolution}: FD-MobileNet costs {ratio:.2f}x MobileNet"


def draw(fd_width, mobilenet_width, resolution):
    costs = explorer_costs(fd_width, mobilenet_width, resolution)
    fig, ax = plots.figure(8.0, 3.4)
    factors = (2, 4, 8, 16, 32, 0)
    x = np.arange(len(factors))
    for offset, (name, (width, rows)) in zip((-0.2, 0.2), costs.items(), strict=True):
        split = stage_split(rows, resolution)
        label = f"{NAMES[name]} {width:.2f}: {totals(rows)[0] / 1e6:.1f}M"
        ax.bar(x + offset, [split[f] / 1e6 for f in factors], 0.4, color=COLOURS[name], label=label)
    ax.set_xticks(x, [f"{resolution // f}x{resolution // f}\n(÷{f})" if f else "FC" for f in factors])
    ax.set(ylabel="million MACs", title=f"MACs per stage at {resolution}x{resolution}")
    ax.legend(loc="upper left")
    fig.tight_layout()
    return fig


explorer = widgets.Explorer(
    {
        "fd_width": widgets.float_slider("FD-MobileNet width", 1.0, 0.25, 1.0, step=0.05),
        "mobilenet_width": widgets.float_slider("MobileNet α", 0.5, 0.25, 1.0, step=0.05),
        "resolution": widgets.int_slider("resolution", 224, 96, 224, step=32),
    },
    plot=draw,
    readout=readout,
    title="FD-MobileNet vs MobileNet",
)
explorer

# %% [markdown]
# Try these:
#
# - Set both widths to 1.0. FD-MobileNet costs a quarter of MobileNet: every stage after the first has
#   moved one step down in resolution. Its parameters, though, are 2.9M against 4.2M only.
# - Back to 1x against 0.5. The costs are equal, but FD-MobileNet holds **2.2 times the parameters**
#   (2.90M against 1.33M): at the same MACs, wide layers on small maps mean many weights.
# - Watch the peak activation memory. It sits in the first layers, at 112x112, and there the two networks
#   of equal cost are alike; make FD-MobileNet narrower and its peak falls with its stem.
# - Lower the resolution: every stage shrinks by the same factor, and the parameters do not move.
# - Find FD-MobileNet 0.5x's partner (about 0.25 MobileNet), then 0.25x's: the MobileNet slider stops at
#   0.25, and there it still costs 3.4 times FD-MobileNet 0.25x. This is the region the paper targets.

# %% [markdown] {"jp-MarkdownHeadingCollapsed": true, "tags": ["optional"]}
# ## Deep dive (optional): the latency angle
# The paper's speed claim: values moved per MAC, and a stopwatch on your CPU.

# %% [markdown]
# The paper's third claim is speed: on an ARM-based device FD-MobileNet runs **1.33x, 1.47x and 1.82x
# faster than ShuffleNet** at its three budgets, and **1.11x faster than MobileNet** at the same
# complexity (the device, its threading and the implementations are the paper's).
# Why should a network of equal MACs be faster? MACs count arithmetic, but a small network's time is
# largely spent *moving data*: every layer reads its input and writes its output. Early layers at high
# resolution with few channels move a lot of data per MAC; a 1x1 convolution on a 7x7 map with 512
# channels is one compact matrix multiply, (49 x 512) times (512 x 512), with little data per MAC.
# The profiles measure this: the values every layer writes, against the MACs it does.

# %%
PAIRS = [  # (FD-MobileNet width, MobileNet width, MobileNet resolution): the nearest published partners
    (1.0, 0.5, 224),
    (0.5, 0.25, 224),
    (0.25, 0.25, 128),
]
rows = []
for fd_width, mob_width, mob_res in PAIRS:
    cells = []
    for name, width, resolution in (("fd_mobilenet", fd_width, 224), ("mobilenet_v1", mob_width, mob_res)):
        p = profile_of(name, width, resolution)
        written = sum(int(np.prod(row.output_shape)) for row in conv_rows(p))
        cells += [f"{p.macs / 1e6:.1f}", f"{written / 1e6:.2f}", f"{p.macs / written:.0f}"]
    rows.append([f"FD {fd_width:g}x vs {mob_width:g} MobileNet-{mob_res}", *cells])
side_head = ["M MACs", "M values written", "MACs per value"]
table(["pair"] + [f"FD: {h}" for h in side_head] + [f"MobileNet: {h}" for h in side_head], rows)

# %% [markdown]
# At 144M MACs FD-MobileNet writes 1.54 million values per image against 0.5 MobileNet's 2.52 million:
# 39% less traffic for the same arithmetic, and more MACs for every value moved. The advantage shrinks
# at 0.25x, where the comparison is with a MobileNet at 128x128 (whose maps are also small).
#
# Now the stopwatch: one image at a time, one CPU thread, as phone benchmarks do. The numbers depend on
# your machine and on what else it is doing (this cell's output is not stored with the course; run it
# twice).

# %% tags=["nbval-ignore-output"]
rows = []
for fd_width, mob_width, mob_res in PAIRS:
    times = {}
    for name, width, resolution in (("fd_mobilenet", fd_width, 224), ("mobilenet_v1", mob_width, mob_res)):
        torch.manual_seed(0)
        net = models.build(name, width_mult=width)
        times[name] = cost.latency(net, resolution, threads=1, min_run_time=budget.current().bench_seconds).median * 1e3
    fd_ms, mob_ms = times["fd_mobilenet"], times["mobilenet_v1"]
    rows.append(
        [
            f"FD {fd_width:g}x vs {mob_width:g} MobileNet-{mob_res}",
            f"{fd_ms:.1f}",
            f"{mob_ms:.1f}",
            f"{mob_ms / fd_ms:.2f}x",
        ]
    )
table(["pair", "FD-MobileNet ms", "MobileNet ms", "FD-MobileNet faster by"], rows)

# %% [markdown]
# On our test machine (a shared two-core server, one thread) the clearest case was the middle pair:
# FD-MobileNet 0.5x ran 1.3 to 1.6 times faster than 0.25 MobileNet-224. In the other two pairs the
# two networks were within the noise of each other, one ahead in one measurement and the other in the
# next, against the paper's 1.11x on an ARM board. Less data moved does not turn into time one for one:
# a server CPU with large caches pays less for moving activations than a phone does, and 1024-channel
# layers bring their own cost, more weights to read. Time your own device before you rely on a
# speed-up; lesson 08 looks inside the milliseconds.

# %% [markdown]
# ## 6. Training at equal cost on 64x64 images
#
# ImageNet is beyond a laptop, and CIFAR-10's 32x32 images are too small for this question: five
# halvings take 32 pixels to 1, so a network for them must drop strides, and FD-MobileNet's `cifar`
# variant drops its fast downsampling (a deep dive below shows how). We train on **Tiny-ImageNet** (Le
# and Yang, 2015): 64x64 images of 200 ImageNet classes, cut to the budget's sizes. Without its archive,
# `data.for_lesson` names the file to fetch and falls back to the offline set **`shapes100`** at 64x64
# (a texture inside an outline), where the stored outputs come from. A short run leaves 200 classes near
# chance, so the short budgets keep the first 20 (`classes=20`: ten textures in a disk or a square).

# %% tags=["nbval-ignore-output"]
from smallnets_edu import data, train

dataset = data.for_lesson("tinyimagenet", classes=20 if budget.current().short else None)
dataset

# %% [markdown]
# Both networks' `tiny` variant changes one thing: the first convolution has stride 1. Every other
# stride stays, and with them the paper's relation; a stride-1 stem on a 64x64 image makes the maps the
# ImageNet network makes from 128x128. So section 3's `chain_cost` counts the `tiny` networks (a deep
# dive below checks it) and `equal_cost_alpha` finds FD-MobileNet's partner of equal MACs. We train
# FD-MobileNet 0.5x, the paper's 40-MFLOP network (1x: 3.6 times the MACs, over twice the training time):

# %%
RESOLUTION, FD_WIDTH = 64, 0.5
at = {"resolution": 2 * RESOLUTION, "num_classes": dataset.num_classes}  # tiny at 64 = ImageNet at 128
alpha, _ = equal_cost_alpha(totals(chain_cost("fd_mobilenet", FD_WIDTH, **at))[0], mobilenet_v1.depth, **at)
CANDIDATES = {f"FD-MobileNet {FD_WIDTH:g}x": ("fd_mobilenet", FD_WIDTH)}  # label -> (name, width)
CANDIDATES[f"MobileNet {alpha:g}"] = ("mobilenet_v1", alpha)


def build_candidate(name, width, **options):
    torch.manual_seed(0)  # the same initialisation stream for both networks
    return models.build(name, width_mult=width, variant="tiny", num_classes=dataset.num_classes, **options)


rows = []
for label, (name, width) in CANDIDATES.items():
    p = profile_of(name, width, RESOLUTION, "tiny", dataset.num_classes)
    sides = [side(row) for row in conv_rows(p)][:-1]  # the classifier's "1" left out
    fine = [row.macs for row in conv_rows(p) if side(row) >= RESOLUTION // 2]
    final = f"{sides[-1]}x{sides[-1]} from layer {sides.index(sides[-1]) + 1} of {len(sides)}"
    rows.append([label, f"{p.macs:,}", f"{p.params:,}", final, f"{len(fine)}, {sum(fine) / p.macs:.0%}"])
table(["network (`tiny`)", "MACs", "parameters", "final map", "layers at 32x32 or more, share of MACs"], rows)

# %% [markdown]
# The 224 story at 64x64: the last map reached at layer 12 against 24, seven layers on 64x64 and 32x32
# maps against three, and with the MACs saved FD-MobileNet has twice the channels, 2.3 times the weights.

# %% [markdown] {"jp-MarkdownHeadingCollapsed": true, "tags": ["optional"]}
# ### Deep dive (optional): why not CIFAR-10's 32x32

# %% [markdown]
# First the check promised above: `chain_cost` at 128x128 counts the `tiny` networks at 64x64 exactly.

# %%
for name in NAMES:
    for width in (1.0, 0.5, 0.25, alpha):
        p = profile_of(name, width, RESOLUTION, "tiny", dataset.num_classes)
        assert totals(chain_cost(name, width, **at))[:2] == (p.macs, p.params)
print("chain_cost at 128x128 = the tiny networks' profile at 64x64 (MACs and parameters)")

# %% [markdown]
# Each family's `cifar` variant drops strides to suit 32x32 images. MobileNet's sets its first
# convolution to stride 1 (as [kuangliu/pytorch-cifar](https://github.com/kuangliu/pytorch-cifar) does);
# FD-MobileNet's sets its first convolution **and its first block** to stride 1, so that it ends on 4x4
# maps (`fd_mobilenet`'s docstring explains why). The output side after every layer that computes, for
# two `cifar` networks of about equal cost at 32x32 and the two `tiny` networks above at 64x64:

# %%
VARIANTS = {  # label -> (name, width, variant, input side)
    "MobileNet 0.5, cifar": ("mobilenet_v1", 0.5, "cifar", 32),
    "FD-MobileNet 0.5x, cifar": ("fd_mobilenet", 0.5, "cifar", 32),
    **{f"{label}, tiny": (name, width, "tiny", RESOLUTION) for label, (name, width) in CANDIDATES.items()},
}
rows = []
for label, (name, width, variant, resolution) in VARIANTS.items():
    p = profile_of(name, width, resolution, variant, num_classes=dataset.num_classes)
    sides = [side(row) for row in conv_rows(p)][:-1]
    smallest = f"{min(sides)}x{min(sides)} at layer {sides.index(min(sides)) + 1} of {len(sides)}"
    rows.append([f"{label} ({resolution}x{resolution})", f"{p.macs / 1e6:.2f}", " ".join(map(str, sides))])
    rows[-1].append(smallest)
table(["network (input)", "M MACs", "output side, layer by layer", "smallest map"], rows)

# %% [markdown]
# At 32x32 the two `cifar` variants follow **the same schedule** up to their 4x4 stage: FD-MobileNet's
# undid one of its early strides, and with it the fast downsampling. They differ only at the end (one
# 512-channel block fewer, and the 1024-channel block on 4x4 maps instead of two on 2x2), so training
# them against each other tests the tail, not the idea. At 64x64 the `tiny` variants give up only the
# stem's stride and keep the paper's schedules (last map at layer 12 against 24, as at 224): this is why
# section 6 trains on 64x64 images. To train the `cifar` pair anyway, build it with `variant="cifar"`
# and load CIFAR-10 (its offline stand-in is the ten-class `shapes`).

# %% [markdown] {"jp-MarkdownHeadingCollapsed": true, "tags": ["optional"]}
# ### Deep dive (optional): how the classifier starts

# %% [markdown]
# The authors' code initialises FD-MobileNet's fully connected layer Kaiming-normal with the fan-out:
# standard deviation $\sqrt{2/C}$ for $C$ classes. With 1000 classes that is 0.045; with 200 classes
# 0.1, with the short budgets' 20 classes 0.32, seven times more, and the untrained network
# starts with large logits and a loss above chance, $\ln C$: its first steps go into undoing its own
# initialisation. The package's builder therefore keeps the 1000-class head's scale at any class count
# (`classifier_init="scaled"`, the default: standard deviation $\sqrt{2/\max(C, 1000)}$, the authors'
# own at 1000 classes); `classifier_init="paper"` builds the authors' initialisation as it is. The next
# cell shows the loss on a batch of training images with each (MobileNet's builder starts its
# classifier at $\mathcal{N}(0, 0.01)$ and has no such option).

# %% tags=["nbval-ignore-output"]
import torch.nn.functional as F

mean, std = (torch.tensor(v).view(1, 3, 1, 1) for v in (dataset.mean, dataset.std))
images, labels = (dataset.train.images[:256].float() / 255 - mean) / std, dataset.train.labels[:256]
print(f"chance: ln {dataset.num_classes} = {np.log(dataset.num_classes):.2f}")
for label, (name, width) in CANDIDATES.items():
    inits = ("paper", "scaled") if name == "fd_mobilenet" else (None,)
    losses = []
    for init in inits:
        net = build_candidate(name, width, **({"classifier_init": init} if init else {}))
        with torch.no_grad():
            losses.append(f"{F.cross_entropy(net(images), labels).item():5.2f} ({init or 'as built'})")
    print(f"{label:<20} loss on 256 training images: {', '.join(losses)}")

# %% [markdown]
# ### The two runs
#
# The same initial seed, the same batches in the same order (`seed=0`), the budget's recipe. Chance is
# 1 in `dataset.num_classes` (5% with 20 classes); at `laptop` these runs take most of the lesson's time.

# %% tags=["nbval-ignore-output"]
histories = {label: train.fit(build_candidate(*net), dataset, seed=0) for label, net in CANDIDATES.items()}

# %% [markdown]
# Left, training loss; right, test accuracy (solid) and training accuracy (dashed, augmented batches):

# %% tags=["nbval-ignore-output"]
fig, (left, right) = plots.figure(10.0, 3.6, ncols=2)
for label, history in histories.items():
    colour, epochs = COLOURS[CANDIDATES[label][0]], history.column("epoch")
    left.plot(epochs, history.column("train_loss"), "o-", color=colour, label=label)
    for column, style in (("test_acc", "s-"), ("train_acc", "x--")):
        accuracy = [100 * a for a in history.column(column)]
        right.plot(epochs, accuracy, style, color=colour, label=f"{label}, {column[:-4]}")
left.set(xlabel="epoch", ylabel="training loss", title="training loss")
right.set(xlabel="epoch", ylabel="accuracy (%)", title=f"accuracy ({dataset.name}, 64x64)")
right.legend(loc="upper left", fontsize=8)
fig.tight_layout()

# %% [markdown]
# **How much to trust this.** A test accuracy measured on $n$ images has a sampling error of about
# $\sqrt{p(1-p)/n}$ from the test set alone: with the `laptop` budget's 2,000 test images, ±0.7 points
# at $p$ = 10% and ±1.1 at 50% (one standard error). Each run's best test accuracy, ±2 standard errors,
# its last epoch's training and test accuracy, and its training time:

# %% tags=["nbval-ignore-output"]
for label, history in histories.items():
    p, last, seconds = history.best_test_acc, history.last, sum(history.column("seconds"))
    margin = 2 * (p * (1 - p) / len(dataset.test)) ** 0.5
    print(f"{label:<20} best test accuracy {p:.1%} ± {margin:.1%}, {seconds:.0f} s;", end=" ")
    print(f"last epoch: train {last['train_acc']:.1%}, test {last['test_acc']:.1%}")

# %% [markdown]
# **One run per network at the `laptop` budget cannot rank them**: seeds alone move a short run by a
# few points, more than the margin above. The reference run (20 classes of the stand-in) ended level,
# 56.1% and 56.2%, FD-MobileNet's training 2.4 times faster (77 s against 184 s). What one run shows:
#
# - **The curves.** Which network learns faster in the first epochs; is either still rising at the end?
# - **The train/test gap.** Do FD-MobileNet's extra weights memorise? Compare dashed and solid lines.
# - **What the high-resolution layers buy.** MobileNet runs seven layers on 64x64 and 32x32 maps, where
#   an outline's corner or a texture's period is a few pixels wide; FD-MobileNet runs three and spends the
#   MACs on channels. And the seconds: equal MACs need not mean equal time (section 5's deep dive).
#
# For the real experiment: Tiny-ImageNet on disk, the `gpu` budget (30 epochs on the whole training set)
# or `full`, and a few seeds per network (`torch.manual_seed(s)` in `build_candidate`, `seed=s`).

# %% [markdown]
# ## Summary
#
# - FD-MobileNet keeps MobileNet's blocks and moves its strides forward: 32x downsampling by layer 12
#   (MobileNet: layer 24), then six of its eleven blocks on 7x7 maps. It has 24 layers to MobileNet's 28.
# - Halving a map cuts a layer's MACs by 4, like halving its width. At the same cost (144.5M MACs)
#   FD-MobileNet 1x has twice the channels of 0.5 MobileNet and spends 59% of its work on 7x7 maps, where
#   0.5 MobileNet spends half of its on 14x14.
# - The paper compared widths at a fixed 224 input, against 0.5, 0.25 and a self-trained 0.125
#   MobileNet. Against all sixteen published MobileNets FD-MobileNet is still ahead, but MobileNets with
#   a smaller input come close.
# - The price is fine-scale processing (3 layers at 112 and 56 instead of 7), not context: the receptive
#   field grows faster.
# - The deep dives match the paper's 144 / 40 / 12 MFLOPs to our MACs (and to a third-party count that
#   adds ReLUs and pooling) and time the paper's speed claim, which our CPU confirms less clearly.
# - At 64x64 and equal MACs, one short run per network shows curves, gaps and costs; it cannot rank them.
#
# Next, lesson 08 puts every network of the course on one bench: accuracy, cost, memory and time.

# %% [markdown]
# ## Exercises
#
# Each checker says whether your answer is right and, if not, what seems wrong, without giving it away.
#
# **Exercise 1: make MobileNet fast.** Keep MobileNet's thirteen blocks and their channels
# (`mobilenet_v1.BLOCKS`), and its stride-2 first convolution. Choose the thirteen blocks' strides
# (each 1 or 2) so that, for a 224x224 image, the network ends on 7x7 maps and reaches them **within the
# first 12 layers** (counting the first convolution, then each depthwise and each pointwise layer).
# There is more than one right answer; the checker builds your network and tells you what it costs.

# %%
from smallnets_edu.exercises import lesson07

print("MobileNet's blocks (channels, stride):", mobilenet_v1.BLOCKS)
my_strides = None  # e.g. [1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1] is MobileNet's own schedule
lesson07.check_fast_strides(my_strides)

# %% [markdown]
# **Exercise 2: the stem at small widths.** What share of FD-MobileNet 0.25x's multiply-accumulates (at
# 224x224) is spent on 112x112 maps? Give a fraction (e.g. `0.1`) or a percentage (e.g. `10`). Section 2's
# `stage_macs(profile_of(...))` will help. Then think about why it is not the share you found for 1x.

# %%
answer = None
lesson07.check_stem_share(answer)

# %% [markdown]
# **Exercise 3: equal cost by resolution.** The paper held the resolution at 224 and shrank MobileNet's
# width. Do it the other way: at which input resolution (a multiple of 16) does the full-width
# 1.0 MobileNet cost closest to FD-MobileNet 1x at 224x224? Count with our models, e.g.
# `profile_of("mobilenet_v1", 1.0, resolution).macs`.

# %%
answer = None  # an input side in pixels, e.g. 160
lesson07.check_equal_resolution(answer)
