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
# # 00 · Welcome: small convolutional networks
#
# AlexNet won ImageNet in 2012 with 60 million parameters, a 240 MB file. Four years later the
# question turned around: not "how accurate can a network be?" but "how *small* can it be and still
# see well?". Between 2016 and 2018 a handful of papers answered with networks that fit in a few
# megabytes and run on a phone: SqueezeNet, MobileNet, ShuffleNet, MobileNetV2, EffNet and
# FD-MobileNet.
#
# They share a small vocabulary of ideas: 1x1 convolutions, grouped and depthwise convolutions,
# channel shuffles, bottlenecks, width and resolution multipliers. This course takes each idea apart,
# rebuilds every network exactly as its paper describes it, checks our numbers against the paper's
# tables, and trains the networks on data that fits a laptop.
#
# By the end you will be able to
#
# 1. compute by hand what any convolution layer costs, and check it against PyTorch;
# 2. read an architecture table and a results table critically (papers have misprints, and count
#    things differently);
# 3. explain why some of these networks are fast on a phone and others only look fast on paper;
# 4. pick a small network for a device, a dataset and a budget, and defend the choice.
#
# This first lesson is practical: what is in the course, how to use the notebooks, how much computing
# each lesson does, where the data comes from, and the four words every later lesson uses to measure
# a network: **parameters**, **multiply-accumulates**, **activation memory** and **latency**.

# %% [markdown]
# ## The lesson map
#
# | # | lesson | the idea | paper |
# |---|--------|----------|-------|
# | 00 | Welcome | how the course works; the four measures of cost | |
# | 01 | Convolutions | standard, 1x1, grouped, depthwise, depthwise-separable, spatially separable, channel shuffle | |
# | 02 | SqueezeNet | Fire modules: squeeze with 1x1, expand with 1x1 and 3x3 | Iandola et al., 2016, [arXiv:1602.07360](https://arxiv.org/abs/1602.07360) |
# | 03 | MobileNet | a network of depthwise-separable layers; width and resolution multipliers | Howard et al., 2017, [arXiv:1704.04861](https://arxiv.org/abs/1704.04861) |
# | 04 | ShuffleNet | grouped 1x1 convolutions and the channel shuffle | Zhang et al., 2017, [arXiv:1707.01083](https://arxiv.org/abs/1707.01083) |
# | 05 | MobileNetV2 | inverted residuals, linear bottlenecks, activation memory | Sandler et al., 2018, [arXiv:1801.04381](https://arxiv.org/abs/1801.04381) |
# | 06 | EffNet | spatially separable blocks for small images | Freeman, Roese-Koerner and Kummert, 2018, [arXiv:1801.06434](https://arxiv.org/abs/1801.06434) |
# | 07 | FD-MobileNet | fast downsampling: where to spend resolution | Qin et al., 2018, [arXiv:1802.03750](https://arxiv.org/abs/1802.03750) |
# | 08 | Showdown | every network on your machine: accuracy, cost, memory, speed | all of the above |
#
# Lessons 00 and 01 are the foundation: every later lesson assumes the vocabulary of this one and the
# cost formulas of the next.

# %% [markdown]
# ## How to use the notebooks
#
# * **Open them in JupyterLab.** From the course folder, `make lab` installs everything the first time
#   and opens JupyterLab on the `notebooks/` folder. Start with this notebook.
# * **Run the cells in order.** `Shift+Enter` runs a cell and moves to the next; the ▶▶ button (or
#   *Run → Run All Cells*) runs the whole notebook. If something looks odd, *Kernel → Restart Kernel and
#   Run All Cells* gives you a clean start.
# * **Move the sliders.** Many cells end in an *explorer*: sliders, a live line of numbers and a
#   figure. The numbers and the figure update when you release a slider. On a page without a live
#   kernel (a code host, a static site) you see a still picture of the explorer instead.
# * **Read the package.** The code cells are short because the work happens in a small Python package,
#   `smallnets_edu`, next to the notebooks. Every function a lesson calls is plain PyTorch you can open
#   and read: `blocks.py` for the layers, `cost.py` for the formulas, `models/` for the networks.
# * **Do the exercises.** Lessons end with exercises. You type an answer in a cell and a checker tells
#   you, in a coloured box, what is right or what went wrong, with a hint. It never shows the solution.
#
# Every notebook is tested before class: teachers run the whole course under `nbval`, which re-executes
# each notebook and compares the stored outputs with fresh ones.

# %% [markdown]
# ## Your environment
#
# Run the next cell first. It reports the versions of Python and the libraries, the device PyTorch will
# use, the budget this session runs at, whether JupyterLab can show sliders, and where datasets are
# kept. Anything missing is listed at the bottom with what to do about it. (Its output depends on
# your machine, so it differs from the one stored with the course.)

# %% tags=["nbval-ignore-output"]
from smallnets_edu import env, reference

env.check()

# %% tags=["nbval-ignore-output"]
print(reference.banner("00"))

# %% [markdown]
# Now check that sliders work. Drag the slider below: the line under it should show the square of the
# number you pick. If you see a still picture, or an error message where the slider should be,
# JupyterLab lacks the widget extension: `make lab` starts a JupyterLab that has it.

# %%
from smallnets_edu import widgets

widgets.Explorer(
    {"x": widgets.int_slider("x", value=7, min=0, max=20)},
    readout=lambda x: f"x² = {x} × {x} = <b>{x * x}</b>",
)

# %% [markdown]
# ## Budgets: how much work a notebook does
#
# Training a network properly takes hours on a GPU; a lesson should also run on a laptop, and the
# tests must run in seconds. One setting decides: the environment variable `SMALLNETS_BUDGET`.
#
# * `smoke`: seconds per notebook. It only proves that everything runs; its accuracies mean nothing.
# * `laptop`: a few minutes per training run on two CPU cores. Enough to see which network learns
#   faster, not enough to reach the papers' accuracy. The default on a machine without a GPU.
# * `gpu`: a few minutes per training run on one GPU, on the whole training set. The default on a
#   machine with a CUDA GPU.
# * `full`: paper-like training recipes (200 epochs), hours per training even on a GPU: used only when
#   you ask for it.
#
# Here are the four budgets as the package defines them:

# %%
from smallnets_edu import budget

row = "{:<8} {:>6} {:>13} {:>12} {:>6} {:>6} {:>7}"
print(row.format("budget", "epochs", "train images", "test images", "batch", "lr", "timing"))
for b in budget.BUDGETS.values():
    train = "all" if b.train_size is None else f"{b.train_size:,}"
    test = "all" if b.test_size is None else f"{b.test_size:,}"
    print(row.format(b.name, b.epochs, train, test, b.batch_size, b.lr, f"{b.bench_seconds}s"))

# %% [markdown]
# *timing* is how long each latency measurement may run. To change the budget, set the variable before
# starting JupyterLab (`SMALLNETS_BUDGET=laptop make lab`), or inside a notebook with
# `os.environ["SMALLNETS_BUDGET"] = "full"`: lessons ask `budget.current()` each time they train.
# This session runs at:

# %% tags=["nbval-ignore-output"]
budget.current()

# %% [markdown]
# ## Data
#
# The lessons train on small, standard datasets, loaded by `smallnets_edu.data`:
#
# * **CIFAR-10** and **CIFAR-100**: 60,000 colour images of 32×32 pixels in 10 or 100 classes;
# * **Tiny-ImageNet**: 200 classes of 64×64 images, a small cousin of ImageNet;
# * **your own images**: a folder with one sub-folder per class;
# * **shapes**: a dataset the course draws itself (disks, targets, crosses, and patches of stripes,
#   zigzags, checkerboards, dots and grids, in random colours on noisy backgrounds), so that every
#   lesson runs even without a network connection. Colour says nothing about the class, and a linear
#   model of the pixels stays near chance: only spatial features, what convolutions learn, tell the
#   classes apart.
#
# Downloads are kept in one data folder: set `SMALLNETS_DATA` to choose it (the environment check above shows the current one). When a dataset's
# host cannot be reached, the lessons say so and fall back to *shapes*, which needs no download.
#
# ## GPUs
#
# Nothing to configure: when PyTorch sees a CUDA GPU, the lessons train on it, and the default budget
# becomes `gpu`. On a Mac with Apple silicon the environment check reports `mps`. Everything in
# lessons 00 and 01 runs on a CPU in seconds.

# %% [markdown]
# ## Four ways to measure a network
#
# "Small" means different things to different people. A phone maker worries about the download size;
# a battery engineer about arithmetic; a camera app about the time per frame; a microcontroller about
# memory. The papers of this course use four measures, and we will use them in every lesson.
#
# ### 1. Parameters
#
# The learned numbers: every weight (and bias) of every layer. They decide the size of the file and
# of the download (4 bytes each at 32-bit precision). A convolution with a $D_K \times D_K$ kernel
# that turns $M$ input channels into $N$ output channels has $D_K^2 \cdot M \cdot N$ weights.
#
# ### 2. Multiply-accumulates (MACs)
#
# The arithmetic of one forward pass for one image. Each output value of that convolution is a dot
# product over a $D_K \times D_K \times M$ window: $D_K^2 M$ multiplications, each added to a running
# sum. One multiplication and its addition is one **multiply-accumulate**. On a $D_F \times D_F$
# output map there are $N D_F^2$ output values, so the layer costs $D_K^2 \cdot M \cdot N \cdot D_F^2$
# MACs.
#
# Careful with the names. The papers all count MACs, but call them differently, and tools do not agree:
#
# | source | says | counts |
# |--------|------|--------|
# | MobileNet | "Mult-Adds" | MACs |
# | MobileNetV2 | "MAdds" | MACs |
# | ShuffleNet, FD-MobileNet | "FLOPs" | MACs |
# | PyTorch's `FlopCounterMode` | FLOPs | 2 per MAC (the multiply and the add) |
#
# Let us see it on one layer: 32 → 64 channels, a 3×3 kernel, on a 56×56 map.

# %%
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from smallnets_edu import cost

layer = nn.Conv2d(32, 64, kernel_size=3, padding=1, bias=False)
with FlopCounterMode(display=False) as counter:
    layer(torch.zeros(1, 32, 56, 56))

flops = counter.get_total_flops()
macs = cost.conv_macs(32, 64, 3, 56)  # D_K² · M · N · D_F²
params = cost.conv_params(32, 64, 3)  # D_K² · M · N
print(f"parameters by the formula: {params:>11,}   PyTorch: {sum(p.numel() for p in layer.parameters()):,}")
print(f"MACs by the formula:       {macs:>11,}")
print(f"FLOPs by FlopCounterMode:  {flops:>11,}   = 2 × {flops // 2:,}")
assert flops == 2 * macs

# %% [markdown]
# A factor of two is easy to lose. The MobileNet paper lists SqueezeNet at "1700" million mult-adds;
# SqueezeNet's own repository (DeepScale's, now
# [github.com/forresti/SqueezeNet](https://github.com/forresti/SqueezeNet)) says 1.72 GFLOPs, counting
# the multiply and the add separately. In multiply-accumulates SqueezeNet costs about 820 million at
# 224×224 (you will compute it in lesson 02), so the comparison "0.5 MobileNet-160 needs 76 million
# mult-adds where SqueezeNet needs 1700 million" overstates the gap by a factor of two. This course
# always says MACs, and converts.
#
# ### 3. Activation memory
#
# While a network runs, each layer's output (its *activations*) must be kept until the next layer has
# read it. For one 56×56 map with 64 channels at 4 bytes per value, that is 56 · 56 · 64 · 4 bytes =
# 784 KiB. What limits a small device is the **peak**: the largest input and output that must be held
# at the same moment. Parameters are read once and stay put; activations come and go with every image.
# MobileNetV2 (lesson 05) was designed around this number.
#
# ### 4. Latency
#
# The time one forward pass takes on a real device. It is what a user feels, and it is *not*
# proportional to MACs: memory traffic, the number of layers and how well each kind of layer suits the
# hardware all matter. ShuffleNet's paper gives an example (its Table 8, on a phone's ARM core):
# AlexNet needs 19 times the MACs of ShuffleNet 0.5× (720 million against 38 million) but takes only
# 12 times as long (184 ms against 15.2 ms). Lesson 08 measures every network of the course on your
# machine.
#
# ## All four, on a tiny network
#
# Here is a tiny network built from the course's blocks: one 3×3 convolution, two depthwise-separable
# layers (lesson 01 explains them), a global average pool and a classifier for 10 classes.
# `cost.profile` runs one 32×32 image through it and costs every layer.

# %%
from smallnets_edu import blocks

tiny = nn.Sequential(
    blocks.ConvBNAct(3, 16, kernel_size=3, stride=2),
    blocks.DepthwiseSeparable(16, 32, stride=2),
    blocks.DepthwiseSeparable(32, 64, stride=2),
    nn.AdaptiveAvgPool2d(1),
    nn.Flatten(),
    nn.Linear(64, 10),
)
profile = cost.profile(tiny, resolution=32, name="tiny")
print(profile.table())
print()
print(profile.summary())
assert profile.macs == cost.flop_counter_macs(tiny, 32)  # PyTorch agrees, layer by layer summed

# %% [markdown]
# Read the table from top to bottom. The first convolution holds few of the parameters but does more
# than half of the arithmetic, because it works on the largest map. The classifier is the opposite
# extreme: one MAC per weight, because it runs once per image instead of once per pixel. The BatchNorm rows add parameters (its scale and shift)
# but, like the papers, we count no MACs for them. The last column is each layer's output in KiB; the
# total line shows the peak, input and output together.
#
# Latency is measured, not computed. The next cell times a forward pass for as long as the budget
# allows; its result depends on your machine and on what else it is doing, so run it twice and compare.

# %% tags=["nbval-ignore-output"]
print(cost.latency(tiny, resolution=32, min_run_time=budget.current().bench_seconds))

# %% [markdown]
# ## Play: one layer, four numbers
#
# Move the sliders. Which measures depend on the size of the feature map, and which do not? What
# happens to the MACs when you double the channels on both sides?

# %%
def one_layer(m, n, k, size):
    p, a = cost.conv_params(m, n, k), cost.conv_macs(m, n, k, size)
    memory = n * size * size * 4 / 1024
    return (
        f"parameters <b>{p:,}</b> · MACs <b>{a:,}</b> ({cost.human(a)}) · "
        f"FLOPs as PyTorch counts them {2 * a:,} · output activations {memory:,.0f} KiB"
    )


widgets.Explorer(
    {
        "m": widgets.options_slider("input channels M", [8, 16, 32, 64, 128, 256, 512], value=32),
        "n": widgets.options_slider("output channels N", [8, 16, 32, 64, 128, 256, 512], value=64),
        "k": widgets.options_slider("kernel D_K", [1, 3, 5, 7], value=3),
        "size": widgets.options_slider("map size D_F", [7, 14, 28, 56, 112], value=56),
    },
    readout=one_layer,
)

# %% [markdown]
# ## What's next
#
# Lesson 01 takes the standard convolution apart: 1x1, grouped, depthwise, depthwise-separable and
# spatially separable convolutions, and ShuffleNet's channel shuffle. For each you will see which
# inputs feed which outputs, derive its cost, and check the formula against PyTorch.
