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
# # 09 · From paper to device: fold, quantize, export, time
#
# **After this lesson you can**
#
# - compute a folded convolution from a convolution and its BatchNorm, by hand and for every network;
# - explain why PyTorch's graph tracer cannot read some networks, and make them readable;
# - build 8-bit versions of every network with PyTorch's tooling, one scale per channel or per tensor,
#   and explain where 8 bits hurt;
# - measure every network exported to ONNX and run in ONNX Runtime, in 32-bit floats and in 8-bit
#   integers, against eager PyTorch;
# - choose a deployment from a table of size, latency and accuracy, and say which papers' claims it
#   confirms.
#
# **The idea in one paragraph**
#
# Every paper of this course ends with a table of parameters and multiply-accumulates, and a few end
# with a timing on a phone. Between the two lies a step the papers mention in a sentence: the trained
# network is **deployed**. Its BatchNorm layers disappear into the convolutions, its weights become
# 8-bit integers, and it leaves PyTorch as a file that an **inference runtime** loads and runs with
# its own kernels. Jacob et al. (2018, [arXiv:1712.05877](https://arxiv.org/abs/1712.05877)) showed
# how a network can run on integers alone: each tensor is stored as 8-bit integers with a scale and a
# zero point, and only the results are rescaled. SqueezeNet's "0.5 MB" is a deployed size; MobileNetV2
# chose ReLU6 for 8-bit arithmetic; ShuffleNet's Table 8 timed a deployed network on a phone. This lesson
# takes every network of the course through those steps, on your machine.
#
# **About the measurements.** As in lesson 08, every measurement is stored the first time it is made,
# keyed by your machine, your library versions, the budget and the data: run the notebook again and the
# results appear at once. The networks are the ones lesson 08's showdown trained, read from its cache
# (trained now, the same way, if lesson 08 has not run on this machine). At the `smoke` budget (what the
# tests run) the lesson deploys three of the seven networks at one resolution, trained on a few
# batches: the code runs, the accuracies mean nothing. At `laptop` all seven are deployed and timed at
# three resolutions, with sizes and times worth reading (section 3 says how far the accuracies go).

# %%
import math
import textwrap

import torch
from torch import nn

from smallnets_edu import budget, cost, deploy, models, plots, reference, widgets
from smallnets_edu.blocks import ConvBNAct
from smallnets_edu.deploy import study
from smallnets_edu.display import table

print(f"networks deployed at this budget: {', '.join(study.networks(budget.current()))}")

# %% tags=["nbval-ignore-output"]
print(reference.banner("09"))

# %% [markdown]
# ## 1. Folding BatchNorm
#
# During training, BatchNorm normalises each channel with the statistics of the batch. Once training
# is over it uses fixed running estimates, and becomes a fixed affine map per channel $c$:
#
# $$y_c = \gamma_c \, \frac{x_c - \mu_c}{\sqrt{\sigma_c^2 + \epsilon}} + \beta_c = s_c \, (x_c - \mu_c) + \beta_c,
# \qquad s_c = \frac{\gamma_c}{\sqrt{\sigma_c^2 + \epsilon}}.$$
#
# The convolution before it is linear: $x_c = w_c * \text{input} + b_c$, where $w_c$ is the filter of
# output channel $c$. Put one into the other and the two layers become one convolution,
#
# $$w'_c = s_c \, w_c, \qquad b'_c = \beta_c + (b_c - \mu_c) \, s_c,$$
#
# with the same number of multiply-accumulates as the convolution alone. Every inference runtime does
# this (Jacob et al. 2018, section 3.2). Here it is on one layer of the course, `ConvBNAct`, with
# BatchNorm statistics set as if it had been trained:

# %%
torch.manual_seed(0)
unit = ConvBNAct(8, 16, kernel_size=3, act="relu").eval()
conv, bn = unit[0], unit[1]
with torch.no_grad():  # statistics as after training: every channel its own mean, spread and scale
    bn.running_mean.uniform_(-1, 1)
    bn.running_var.uniform_(0.1, 4)
    bn.weight.uniform_(0.5, 2)
    bn.bias.uniform_(-0.5, 0.5)

s = bn.weight / torch.sqrt(bn.running_var + bn.eps)  # one scale per output channel
w_folded = conv.weight * s.reshape(-1, 1, 1, 1)  # scales the whole filter of that channel
b_folded = bn.bias - bn.running_mean * s  # the conv has no bias: b = 0

x = torch.randn(2, 8, 12, 12)
with torch.no_grad():
    by_hand = nn.functional.conv2d(x, w_folded, b_folded, padding=1)
    gap = (by_hand - bn(conv(x))).abs().max().item()
    package = deploy.fold_conv_bn(conv, bn)
print(f"conv weight {tuple(conv.weight.shape)}, scale s {tuple(s.shape)}, folded bias {tuple(b_folded.shape)}")
print(f"conv + BatchNorm and the folded conv agree to float precision: {gap < 1e-5}")
print(f"deploy.fold_conv_bn gives the same weights: {torch.allclose(package.weight, w_folded, atol=1e-6)}")

# %% [markdown]
# `deploy.fold_batchnorm(model)` does this for every BatchNorm that directly follows a convolution,
# and replaces the BatchNorm by `nn.Identity`. For every network of the course: the parameters and MACs
# before and after (from `cost.count_params` and `cost.profile`), how many BatchNorms were folded and
# how many are left, the largest output difference relative to the largest output, and the batch-1
# latency in eager PyTorch before and after.

# %% tags=["nbval-ignore-output"]
folding = study.fold_study(budget=budget.current())
table(
    [
        "network",
        "params before",
        "after",
        "M MACs before",
        "after",
        "BatchNorms folded",
        "left",
        "max |diff| / max |output|",
        "ms before",
        "ms after",
    ],
    [
        [
            r["name"],
            f"{r['params_before']:,}",
            f"{r['params_after']:,}",
            f"{r['macs_before'] / 1e6:.1f}",
            f"{r['macs_after'] / 1e6:.1f}",
            r["folded"],
            r["left"],
            f"{r['max_difference'] / r['max_output']:.0e}",
            f"{r['latency_before'] * 1e3:.2f}",
            f"{r['latency_after'] * 1e3:.2f}",
        ]
        for r in folding
    ],
)

# %% tags=["nbval-ignore-output"]
fig, ax = plots.figure(7.5, 3.2)
names = [r["name"] for r in folding]
ax.barh([i + 0.2 for i in range(len(names))], [r["latency_before"] * 1e3 for r in folding], 0.4, label="with BatchNorm")
ax.barh([i - 0.2 for i in range(len(names))], [r["latency_after"] * 1e3 for r in folding], 0.4, label="folded")
ax.set_yticks(range(len(names)), names)
ax.invert_yaxis()
ax.set_xlabel("ms per image, batch 1, eager PyTorch, this CPU")
ax.set_title("BatchNorm folded: same arithmetic, fewer passes over memory")
ax.legend()
fig.tight_layout()

# %% [markdown]
# What to read in the table and the figure:
#
# - **The outputs agree** to float rounding (a relative difference around $10^{-7}$): folding is exact
#   arithmetic, not an approximation.
# - **The MACs do not change**: the course, like the papers, never counted BatchNorm's work. The
#   parameters drop by one per channel: $\gamma$ and $\beta$ (two per channel) become one bias.
# - **The time does drop**, on most machines by a few to twenty-odd percent: each BatchNorm was a
#   separate pass over a whole activation tensor, reading and writing every value for two operations
#   per value. Lesson 08 measured what such memory-bound passes cost; folding removes them outright.
#   (The networks with nothing to fold show how much two timings of the same network differ here: that
#   is the noise of the measurement.)
# - **SqueezeNet** has no BatchNorm to fold. **EffNet** folds none: it puts BatchNorm *after* its
#   LeakyReLU (the order of its Keras code), and a non-linearity between the two stops the arithmetic
#   above. Folding such a BatchNorm into the *next* convolution is not exact either: that convolution
#   pads its input with zeros, and the zeros would not be shifted as BatchNorm would shift them.

# %% [markdown]
# ## 2. Can the tools read our networks?
#
# Quantization and export need the network as a **graph** of operations, not as Python code. PyTorch
# gets the graph by *tracing*: it runs `forward` with symbolic tensors and records each operation.
# An `if` on a tensor's shape or values cannot be recorded, because a symbolic tensor has no value to
# test. Two places of the course do that: the input check at the start of every network's `forward`,
# and ShuffleNet's channel shuffle. `deploy.traceable(model)` makes a copy without them that traces,
# computes the same outputs, and lets all seven networks of the course quantize and export (section 4
# checks the export for every network the budget deploys; the tests check all seven).

# %% [markdown] {"jp-MarkdownHeadingCollapsed": true, "tags": ["optional"]}
# ### Deep dive (optional): what stops the tracer, and the traceable copy
#
# The tracer fails on a course network, and the copy that it can read.

# %%
net = models.build("shufflenet_v1", num_classes=10, variant="cifar").eval()
try:
    torch.fx.symbolic_trace(net)
except Exception as error:
    print(f"{type(error).__name__}: {str(error).splitlines()[0]}")

# %% [markdown]
# Two places of the course stop the tracer:
#
# - `SmallNet.check_input`, run at the start of every network's `forward`, checks the input's rank and
#   size so that a wrong input gets a clear message instead of a shape error from deep inside. It
#   tests `x.dim()` and `x.shape`: every network fails.
# - `channel_shuffle` (ShuffleNet) checks that the groups divide the channels and picks a code path by
#   memory layout.
#
# `deploy.traceable(model)` makes a copy that traces: `features` then `classifier` without the input
# check (the deployed int8 network runs the check in Python, before the graph), and each
# `ChannelShuffle` replaced by `deploy.TraceableShuffle`, the same permutation written with `reshape`
# and `transpose` alone. A network that still cannot be traced gets a `ValueError` that names it:

# %%
body = deploy.traceable(net)
x = torch.randn(2, 3, 32, 32)
with torch.no_grad():
    print("traceable copy, same outputs:", torch.equal(body(x), net(x)))
print("operations in the traced graph:", len(torch.fx.symbolic_trace(body).graph.nodes))


class Moody(nn.Module):
    """A network whose path depends on the values of its input: no graph can hold it."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)

    def forward(self, x):
        return self.conv(x) if x.mean() > 0 else self.conv(-x)


try:
    deploy.quantize(Moody(), torch.randn(4, 3, 32, 32), name="moody")
except ValueError as error:
    print("ValueError:", textwrap.fill(str(error), 100))

# %% [markdown]
# ## 3. Eight bits
#
# An 8-bit network stores each tensor as integers $q$ and one or more pairs of a **scale** $\Delta$ and
# a **zero point** $z$: the integer $q$ stands for the real number $\Delta\,(q - z)$ (Jacob et al.
# 2018). A convolution then multiplies 8-bit integers and adds them in 32-bit integers, and only the
# result is rescaled. Four times fewer bytes to store and to move, and vector instructions that work on
# four times as many 8-bit values at once as 32-bit floats.
#
# PyTorch's **post-training static quantization** (FX graph mode, `torch.ao.quantization.quantize_fx`)
# does it in three steps, which `deploy.quantize` calls for you:
#
# 1. `prepare_fx` traces the network, folds BatchNorm, fuses each convolution with its ReLU, and puts
#    an **observer** on every tensor that will become 8-bit;
# 2. **calibration**: a few hundred training images go through, and the observers record each
#    activation's range (a histogram, to ignore the rare outliers);
# 3. `convert_fx` swaps every float operator for its int8 kernel, with the scales the observers chose.
#
# The kernels come from a backend: `x86` on Intel and AMD processors, `qnnpack` on ARM (phones, a
# Raspberry Pi, Apple silicon). This machine uses:

# %% tags=["nbval-ignore-output"]
import platform

print(f"processor: {platform.machine()}, quantized backend: {deploy.backend()}")

# %% [markdown]
# **Per channel or per tensor.** Weights are quantized symmetrically: the step is the largest $|w|$
# divided by 127. With **one scale per tensor**, one channel with large weights sets the step for all;
# with **one scale per output channel**, each channel gets all 255 levels for its own range. Folding
# BatchNorm multiplies each channel by its own $s_c$, so after folding the channels of a layer can be
# very unequal, and most of all in depthwise layers, where each channel is a single 3x3 filter with its
# own BatchNorm (Krishnamoorthi 2018, section 3.1). PyTorch and ONNX Runtime default to per-channel
# weights; `deploy.quantize(..., per_channel=False)` makes the per-tensor version to compare.
#
# Now the main measurement. `study.run` takes each network as the showdown of lesson 08 trained it
# (its weights, kept in the showdown's cache, so the float accuracy is the showdown's), deploys it
# five ways, plus per-tensor int8, and measures each: test accuracy, size in bytes, batch-1 latency.
# The data:

# %% tags=["nbval-ignore-output"]
from smallnets_edu import data

dataset = data.for_lesson("cifar10")
print(
    f"calibration: {study.calibration_size(budget.current())} training images; "
    f"resolutions timed: {study.resolutions(budget.current())}"
)
dataset

# %% tags=["nbval-ignore-output"]
deployed = study.run(dataset=dataset, budget=budget.current())
print(deployed.caption())
print(f"{deployed.cached} networks from the cache, {deployed.measured} measured now")

# %% [markdown]
# First, what 8 bits cost in accuracy and buy in size, in PyTorch:

# %% tags=["nbval-ignore-output"]
rows = []
for name, r in deployed.results.items():
    acc, size = r["accuracy"], r["size"]
    rows.append(
        [
            name,
            f"{acc['pytorch/32']:.1%}",
            f"{acc['pytorch/8']:.1%}",
            f"{acc[study.PER_TENSOR]:.1%}",
            f"{size['pytorch/32']:,}",
            f"{size['pytorch/8']:,}",
            f"{size['pytorch/8'] / size['pytorch/32']:.2f}",
        ]
    )
table(
    [
        "network",
        "fp32 accuracy",
        "int8, per-channel",
        "int8, per-tensor",
        "fp32 bytes",
        "int8 bytes",
        "int8 / fp32",
    ],
    rows,
)

# %% [markdown]
# - **Size**: an int8 network is a little more than a quarter of the float one. The weights shrink
#   four times; the biases stay 32-bit floats, and each output channel keeps its scale and zero point
#   (exercise 2 counts them).
# - **Accuracy** needs a trained network: at `smoke` the networks have seen a few batches and a point up
#   or down is noise. At `laptop` these are lesson 08's partly trained networks, so compare float and
#   int8 network by network. Per-channel int8 stayed within a point of float for six networks, and
#   lost 10.4 points on MobileNetV2 (fixed below). On trained ImageNet networks,
#   Krishnamoorthi (2018) found per-channel int8 within a few points of float, per-tensor much worse.

# %% [markdown]
# ### When 8 bits cost too much
#
# - **8-bit or 7-bit activations.** PyTorch's x86 defaults use 7 bits (`reduce_range`): processors
#   without VNNI add 8-bit products in 16 bits, which can saturate. With VNNI, `deploy.qconfig_mapping`
#   gives activations all 8 (`deploy.full_range_activations()`). It cut both ways in an earlier run
#   (networks trained by an earlier recipe): EffNet 50.0% -> 55.5% of its float 57.9%, MobileNetV2
#   77.6% -> 68.7% of its 77.9%.
# - **Ranges that ignore outliers.** ONNX Runtime takes activation ranges from the calibration images'
#   extremes by default (min-max); the course's int8 clips at the 99.999th percentile (EffNet: 63.9%
#   with min-max, 65.9% with percentile ranges, of its float 65.1%).
# - **Quantization-aware fine-tuning** (Jacob et al. 2018, section 3), where post-training int8 loses
#   more than 2 points: `deploy.quantize_aware(net, dataset, steps=...)` trains *through* fake-quantize
#   nodes that round in the forward pass and pass gradients unchanged, then converts to the same int8
#   graph. Fine-tuning also trains, so `deploy.fine_tune` gives the float network the same steps: only
#   the gap between the two is what 8 bits cost. Reference run: MobileNetV2 82.1% against 82.8%. After
#   the fixes, every network's int8 was within a point of float in both runtimes.

# %% tags=["nbval-ignore-output"]
print(f"8-bit activations on this processor: {deploy.full_range_activations(deploy.backend())}")
print(f"fine-tuned where int8 loses more than {study.QAT_THRESHOLD:.0%}: {study.qat_steps(budget.current())} steps")
rows = []
for name, r in deployed.results.items():
    acc = r["accuracy"]
    fine_tuned = study.QAT in acc
    rows.append(
        [
            name,
            f"{acc['pytorch/32']:.1%}",
            f"{acc['pytorch/8']:.1%}",
            f"{acc[study.ORT_MINMAX]:.1%}",
            f"{acc['onnxruntime/8']:.1%}",
            f"{acc[study.QAT]:.1%}" if fine_tuned else "not needed",
            f"{acc[study.QAT_FLOAT]:.1%}" if fine_tuned else "",
        ]
    )
table(
    [
        "network",
        "fp32",
        "PyTorch int8",
        "ORT int8, min-max",
        "ORT int8, percentile",
        "PyTorch int8 after QAT",
        "fp32 after the same steps",
    ],
    rows,
)

# %% [markdown] {"jp-MarkdownHeadingCollapsed": true, "tags": ["optional"]}
# ### Deep dive (optional): where per-tensor scales hurt, layer kind by layer kind

# %% [markdown]
# Where does per-tensor quantization hurt? For each layer kind of the (folded) trained networks: the
# error of rounding the weights to 8 bits, $\lVert w - q(w) \rVert / \lVert w \rVert$, per tensor and per
# channel, and the **spread**, the largest channel's largest weight over the median channel's.

# %% tags=["nbval-ignore-output"]
rows = []
for name, r in deployed.results.items():
    for kind, e in r["weight_errors"].items():
        rows.append(
            [
                name,
                kind,
                int(e["layers"]),
                f"{e['per_tensor']:.2%}",
                f"{e['per_channel']:.2%}",
                f"{e['per_tensor'] / e['per_channel']:.1f}x",
                f"{e['spread']:.1f}",
            ]
        )
table(["network", "layer kind", "layers", "error per tensor", "per channel", "ratio", "spread"], rows)

# %% [markdown]
# The larger the spread, the more per-tensor scales lose: the small channels get only a few of the 255
# levels (exercise 3 counts them). Training makes the channels unequal, so this table says more at
# `laptop` than at `smoke`, where one batch has barely moved the BatchNorm statistics.

# %% [markdown]
# ## 4. ONNX and ONNX Runtime
#
# PyTorch is built for training; a deployed network usually runs elsewhere. **ONNX** is a file format
# for a network's graph and weights, and **ONNX Runtime** one of the engines that run such files (on
# servers, phones and browsers). `deploy.export_onnx` uses PyTorch's `torch.export`-based exporter
# (`torch.onnx.export(..., dynamo=True)`) and falls back to the older TorchScript exporter, saying so,
# if that fails. One network, from file to answer:

# %% tags=["nbval-ignore-output"]
example = study.build("squeezenet1_1").eval()
onnx_model = deploy.export_onnx(example, resolution=32)
print(f"{onnx_model.name}: {onnx_model.size:,} bytes, exporter: {onnx_model.exporter} {onnx_model.note}")
print("operators in the file:", onnx_model.operators())
print(f"largest |PyTorch - ONNX Runtime| on random images: {deploy.max_difference(example, onnx_model):.1e}")

# %% [markdown]
# ONNX Runtime optimises the graph when it loads it: it fuses each convolution with its activation,
# removes operations that do nothing, and on many processors changes the memory layout to blocks of
# channels. Its **static int8 quantization** (`deploy.quantize_onnx`, ONNX Runtime's `quantize_static`)
# is a second 8-bit runtime: calibration as before, then QuantizeLinear / DequantizeLinear pairs around
# each operator (the "QDQ" format), which the runtime fuses into integer kernels when it loads the file.

# %% tags=["nbval-ignore-output"]
int8_model = deploy.quantize_onnx(onnx_model, deploy.calibration_batches(dataset, 32))
print(f"int8 file: {int8_model.size:,} bytes ({int8_model.size / onnx_model.size:.2f} of the float file)")
print("operators:", int8_model.operators())

# %% [markdown]
# Now all of it: every network of this budget in five deployments, at 32x32, one image at a time:

# %% tags=["nbval-ignore-output"]
table(study.DeployStudy.HEADER, deployed.rows())

# %% tags=["nbval-ignore-output"]
notes = {f"{n} {k}": note for n, r in deployed.results.items() for k, note in r["notes"].items()}
print("fallbacks:", notes or "none: every network exported with the dynamo exporter and quantized with x86 kernels")
deployed.plot()

# %% [markdown]
# How to read the figure: each network is a column of five markers (its MACs do not change between
# deployments), and a marker's height is its time. If time followed MACs, each colour would form a
# rising line. What you will typically see on an x86 laptop:
#
# - **ONNX Runtime is several times faster than eager PyTorch at batch 1**, with the very same
#   arithmetic. Eager PyTorch runs one Python-dispatched operator at a time; ONNX Runtime runs a fused,
#   pre-planned graph. For a small network at 32x32, the fixed cost per operator is a large share of
#   the time (lesson 08, guideline G3).
# - **Channels-last** helps eager PyTorch on some networks, whose convolution kernels prefer it.
# - **8 bits are not automatically faster.** Integer kernels win on dense 1x1 convolutions that move
#   many bytes; on the course's machine (the README's benchmark section) ONNX Runtime int8 ran MobileNet
#   and FD-MobileNet 1.3-1.4x faster than ONNX Runtime fp32, but ShuffleNet, the SqueezeNets, EffNet
#   and MobileNetV2 slower. Their graphs hold what breaks an int8 graph into pieces: concatenations
#   (SqueezeNet's Fire modules, ShuffleNet's stride-2 units), whose inputs must share one scale; grouped
#   convolutions and the channel shuffle, with less tuned int8 kernels; EffNet's BatchNorms and
#   LeakyReLUs after the convolutions, which cannot be fused. Each piece adds conversions and small
#   kernels, and on networks this small that costs more than 8 bits save.
# - **The ranking of networks changes between runtimes**, and neither matches the ranking by MACs.

# %% [markdown]
# ## 5. Back to the papers
#
# Three of the course's papers made claims about deployment. SqueezeNet's "less than 0.5 MB" is a
# stored size, and its table is reconciled in the deep dive below: plain 8-bit quantization gives a
# quarter of the 32-bit file, and the paper's smallest sizes need Deep Compression's pruning and
# entropy coding as well (lesson 02).

# %% [markdown] {"jp-MarkdownHeadingCollapsed": true, "tags": ["optional"]}
# ### Deep dive (optional): SqueezeNet's 0.66 MB

# %% [markdown]
# SqueezeNet's abstract: "50x fewer parameters" than AlexNet and, with Deep Compression, a model of less
# than 0.5 MB. Its Table 2 gives 4.8 MB in 32-bit floats, 0.66 MB with 33% of the weights kept at
# 8 bits, 0.47 MB at 6 bits. Our SqueezeNet 1.0 (ImageNet, 1000 classes), as files:

# %%
from smallnets_edu import compression

torch.manual_seed(0)
squeezenet = models.build("squeezenet1_0", num_classes=1000, variant="imagenet").eval()
MB = 2**20  # the paper's megabytes, as in lesson 02
fp32_bytes = deploy.model_bytes(squeezenet)
int8_size = deploy.model_bytes(deploy.quantize(squeezenet, torch.randn(2, 3, 224, 224)))
pruned = {bits: compression.compress(squeezenet, 0.33, bits) for bits in (8, 6)}
deep = {bits: compression.stored_size(pruned[bits], bits=bits, huffman=True) for bits in (8, 6)}
table(
    ["storage", "paper (MB)", "ours (MB)", "how"],
    [
        ["32-bit floats", 4.8, f"{fp32_bytes / MB:.2f}", "state_dict, torch.save"],
        ["8-bit, dense", "—", f"{int8_size / MB:.2f}", "deploy.quantize (FX int8, per-channel)"],
        ["33% kept, 8-bit", 0.66, f"{deep[8] / MB:.2f}", "lesson 02: prune, k-means, Huffman"],
        ["33% kept, 6-bit", 0.47, f"{deep[6] / MB:.2f}", "lesson 02: prune, k-means, Huffman"],
    ],
)

# %% [markdown]
# Plain 8-bit quantization reaches about 1.3 MB: a quarter of 4.8, and what a runtime can execute
# directly. The paper's 0.66 MB needs pruning and entropy coding as well (lesson 02), and such a file is
# decoded back to dense weights before it runs: Deep Compression shrinks the *download*, int8 shrinks
# the *memory and the arithmetic*. Our compressed sizes come from untrained weights and no retraining,
# so they only show the orders of magnitude.

# %% [markdown]
# ### MobileNetV2 and 8 bits
#
# MobileNetV2 uses ReLU6 "because of its robustness when used with low-precision computation"
# (lesson 05, section 3): a bounded range gives each activation a step fixed in advance. Its blocks end
# in *linear* bottlenecks, whose outputs are not bounded, and its depthwise layers are exactly those
# with the most unequal channels after folding: per-channel weight scales are meant for them. Yet in
# the reference run its per-tensor int8 kept 77.6% (float: 77.5%) and per-channel fell to 67.1%, with
# 8-bit activations (section 3): a measured surprise, which quantization-aware fine-tuning repaired.

# %% [markdown] {"jp-MarkdownHeadingCollapsed": true, "tags": ["optional"]}
# ### Deep dive (optional): ShuffleNet's "FLOPs are not time"
#
# ShuffleNet's Table 8 timed its networks on a phone because MACs and time disagreed; ShuffleNet V2 made
# that its first principle. Here is the same check in real runtimes: for each deployment, the time of
# each network relative to the fastest, against its MACs relative to the cheapest.

# %% tags=["nbval-ignore-output"]
macs = {n: r["macs"]["32"] for n, r in deployed.results.items()}
cheapest = min(macs.values())
rows = []
for runtime, bits in deploy.CONFIGS:
    times = {n: deployed.value("latency", n, runtime, bits) for n in deployed.names}
    fastest = min(times.values())
    rows.append(
        [deploy.label(runtime, bits)]
        + [f"{times[n] / fastest:.1f}x time, {macs[n] / cheapest:.1f}x MACs" for n in deployed.names]
    )
table(["deployment", *deployed.names], rows)

# %% [markdown] {"jp-MarkdownHeadingCollapsed": true, "tags": ["optional"]}
# ### Deep dive (optional): which network is fastest per accuracy point?
#
# Milliseconds per point of accuracy, lowest wins, in each deployment. (At `smoke` the accuracies are
# noise, so this only shows how to ask the question.)

# %% tags=["nbval-ignore-output"]
table(["deployment", "fewest ms per accuracy point"], list(deployed.fastest().items()))

# %% [markdown]
# Why the winner changes with the runtime, with lesson 08's per-operator profile in mind:
#
# - In **eager PyTorch** every operator pays a fixed cost, so networks with few, large layers
#   (SqueezeNet, MobileNet) gain on deep networks of many small ones (ShuffleNet, MobileNetV2).
# - **ONNX Runtime fuses**: convolution, BatchNorm and activation become one kernel, the channel
#   shuffle becomes a reshape and a transpose in a planned graph, and the element-wise operations that
#   lesson 08 found so costly largely vanish. What remains is closer to the MACs and the memory traffic.
# - **int8** moves a quarter of the bytes, which helps memory-bound layers most (depthwise convolutions,
#   lesson 08's roofline), as long as the whole block stays in integers. A network whose operators fall
#   out of the int8 graph pays for every conversion.

# %% [markdown]
# ## 6. Explore: network, runtime, bits, resolution
#
# The explorer reads the measurements above; moving a slider never measures anything. Pick a network,
# a runtime, the bits and an input size: the readout gives the deployed size, the batch-1 latency, and
# the test accuracy (measured at 32x32, the training resolution, only). The bars show all five
# deployments of that network at that resolution, the chosen one outlined. At `smoke` only 32x32 is
# measured; `laptop` adds 64 and 128.

# %% tags=["nbval-ignore-output"]
COLOURS = ["#4C72B0", "#8172B3", "#55A868", "#DD8452", "#C44E52"]


def deploy_readout(network, runtime, bits, resolution):
    try:
        deploy.check_config(runtime, bits)
    except ValueError:
        return "PyTorch's int8 kernels pick their own layout: choose runtime <b>pytorch</b> for 8 bits"
    ms = deployed.value("latency", network, runtime, bits, resolution) * 1e3
    size = deployed.value("size", network, runtime, bits)
    acc = deployed.value("accuracy", network, runtime, bits, resolution)
    accuracy = "measured at 32x32 only" if math.isnan(acc) else f"<b>{acc:.1%}</b>"
    return (
        f"{network}, {deploy.label(runtime, bits)}, {resolution}x{resolution}: <b>{size / 1024:,.0f} KiB</b> · "
        f"<b>{ms:.2f} ms</b> per image · accuracy {accuracy}"
    )


def deploy_plot(network, runtime, bits, resolution):
    fig, (left, right) = plots.figure(9.0, 3.4, ncols=2)
    labels = [deploy.label(r, b).replace(" (FX)", "").replace(" channels-last", "\nchannels-last") for r, b in deploy.CONFIGS]
    times = [deployed.value("latency", network, r, b, resolution) * 1e3 for r, b in deploy.CONFIGS]
    sizes = [deployed.value("size", network, r, b) / 1024 for r, b in deploy.CONFIGS]
    edges = ["black" if (r, b) == (runtime, bits) else "white" for r, b in deploy.CONFIGS]
    for ax, values, title in ((left, times, f"ms per image at {resolution}x{resolution}"), (right, sizes, "size, KiB")):
        ax.barh(range(5), values, color=COLOURS, edgecolor=edges, linewidth=2)
        ax.set_yticks(range(5), labels, fontsize=8)
        ax.invert_yaxis()
        ax.set_title(title)
    right.set_yticks(range(5), [""] * 5)
    fig.suptitle(network, fontsize=10)
    fig.tight_layout()
    return fig


widgets.Explorer(
    {
        "network": widgets.options_slider("network", deployed.names, value=deployed.names[0]),
        "runtime": widgets.options_slider("runtime", list(deploy.RUNTIMES), value="onnxruntime"),
        "bits": widgets.options_slider("bits", [32, 8], value=8),
        "resolution": widgets.options_slider("resolution", list(deployed.resolutions), value=32),
    },
    plot=deploy_plot,
    readout=deploy_readout,
    height="300px",
)

# %% [markdown] {"jp-MarkdownHeadingCollapsed": true, "tags": ["optional"]}
# ## Deep dive (optional): measuring again
#
# Where the measurements are kept, and how to make them again.

# %% [markdown]
# Results live in the cache folder printed below (`~/.cache/smallnets-edu/deploy/`, or
# `$SMALLNETS_CACHE/deploy/` if you set that variable), as JSON files. As in lesson 08, they are
# measured again by themselves when their key changes (another machine, library version, number of
# threads, budget or dataset). To measure anyway, after closing the programs that compete for your CPU:
#
# ```python
# deployed = study.run(dataset=dataset, budget=budget.current(), refresh=True)
# folding = study.fold_study(budget=budget.current(), refresh=True)
# ```
#
# For the whole course on this machine without the notebook, `make bench` runs
# `benchmarks/bench_runtimes.py`, which prints the table of every network in every runtime.

# %% tags=["nbval-ignore-output"]
print(study.deploy_cache_dir())

# %% [markdown]
# ## Summary
#
# - **Folding** BatchNorm into the convolution before it is exact, saves a pass over every activation,
#   and costs nothing; it needs the BatchNorm right after the convolution (EffNet's is not).
# - **Tracing** needs code without Python control flow on tensors; the course's input checks and channel
#   shuffle needed a traceable copy.
# - **8-bit** post-training quantization makes a network three to four times smaller (biases, scales
#   and zero points stay wider than a byte) and, on trained networks with per-channel weight scales,
#   costs little accuracy; per-tensor scales hurt layers whose channels differ, depthwise layers after
#   folding first of all.
# - **A runtime** matters as much as the network: the same network, in the same CPU, runs several times
#   faster in ONNX Runtime than in eager PyTorch at batch 1, and 8 bits help some networks and not
#   others. Rankings by MACs, by eager time and by deployed time all differ: measure the deployment you
#   will ship.
#
# This closes the course's arc: from a paper's table to a file that runs on your device. Lesson 10 opens
# the one thing every lesson used and none explained: the training recipe inside `train.fit`.

# %% [markdown]
# ## Exercises
#
# Each exercise has a checker that tells you whether your answer is right and, if not, what seems to
# have gone wrong, without giving the answer away.
#
# **Exercise 1: fold a BatchNorm by hand.** `lesson09.fold_exercise()` gives you a convolution (4
# filters of 3x3 on 3 channels, no bias) and its BatchNorm with trained statistics. Compute the folded
# convolution's weight and bias with tensor arithmetic (not with `deploy.fold_conv_bn`, which the
# checker compares with).

# %%
from smallnets_edu.exercises import lesson09

conv, bn = lesson09.fold_exercise()
folded_weight = None  # a tensor shaped like conv.weight
folded_bias = None  # a tensor of 4 values
lesson09.check_fold(folded_weight, folded_bias)

# %% [markdown]
# **Exercise 2: the size of an 8-bit network.** Predict how many bytes MobileNetV2's (`cifar`, 10
# classes) weights take once quantized to 8 bits, from its parameters (`cost.count_params`) and what
# you know of folding: weights become one byte each, the biases stay 32-bit floats. Within 5% is right.

# %%
print(f"mobilenet_v2 parameters: {cost.count_params(study.build('mobilenet_v2', meta=True)):,}")
int8_bytes = None  # bytes
lesson09.check_int8_size(int8_bytes)

# %% [markdown]
# **Exercise 3: where 8 bits hurt.** After folding, the four channels of a small depthwise layer have
# largest weights $|w|$ of 2.4, 0.9, 0.15 and 0.03 (`lesson09.DEPTHWISE_PEAKS`). Weights are quantized
# symmetrically to the integers $-127 \dots 127$. How many distinct levels can the last channel's
# weights take with one scale for the whole tensor, and how many with one scale per channel?

# %%
levels_per_tensor = None
levels_per_channel = None
lesson09.check_levels(levels_per_tensor, levels_per_channel)

# %% [markdown]
# ## References
#
# * Jacob, Kligys, Chen, Zhu, Tang, Howard, Adam and Kalenichenko, *Quantization and Training of Neural
#   Networks for Efficient Integer-Arithmetic-Only Inference*, CVPR 2018,
#   [arXiv:1712.05877](https://arxiv.org/abs/1712.05877).
# * Krishnamoorthi, *Quantizing deep convolutional networks for efficient inference: A whitepaper*,
#   2018, [arXiv:1806.08342](https://arxiv.org/abs/1806.08342).
# * Sheng, Feng, Zhuo, Zhang, Xu and Aleksic, *A Quantization-Friendly Separable Convolution for
#   MobileNets*, 2018, [arXiv:1803.08607](https://arxiv.org/abs/1803.08607).
# * PyTorch, *Quantization* (FX graph mode post-training static quantization),
#   [pytorch.org/docs/stable/quantization.html](https://pytorch.org/docs/stable/quantization.html);
#   *torch.onnx*, [pytorch.org/docs/stable/onnx.html](https://pytorch.org/docs/stable/onnx.html).
# * ONNX, [onnx.ai](https://onnx.ai); ONNX Runtime, *Quantize ONNX models*,
#   [onnxruntime.ai/docs/performance/model-optimizations/quantization.html](https://onnxruntime.ai/docs/performance/model-optimizations/quantization.html).
# * The papers of lessons 02, 04 and 05: Iandola et al. 2016,
#   [arXiv:1602.07360](https://arxiv.org/abs/1602.07360); Zhang et al. 2017,
#   [arXiv:1707.01083](https://arxiv.org/abs/1707.01083); Sandler et al. 2018,
#   [arXiv:1801.04381](https://arxiv.org/abs/1801.04381); and Han, Mao and Dally 2016 (Deep Compression),
#   [arXiv:1510.00149](https://arxiv.org/abs/1510.00149).
