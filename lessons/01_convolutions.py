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
# # 01 · Convolutions, one variant at a time
#
# Every network in this course is a stack of convolutions, and almost everything that makes them small
# happens inside a single layer. A standard convolution does two jobs at once: it looks at a
# neighbourhood of pixels, and it combines all the input channels. The small networks save their
# arithmetic by doing less of one job, or by doing the two jobs separately.
#
# In this lesson you will meet seven variants: the **standard** convolution, the **pointwise** (1×1)
# convolution, the **grouped** convolution, the **depthwise** convolution, the **depthwise-separable**
# convolution, the **spatially separable** convolution and the **channel shuffle**. For each one you
# will
#
# 1. see which input channels, and which pixels, feed each output channel;
# 2. derive how many parameters and multiply-accumulates (MACs) it costs;
# 3. check the formula against PyTorch's own count, `FlopCounterMode` (lesson 00 showed that it counts
#    2 FLOPs per MAC);
# 4. meet the block of `smallnets_edu.blocks` that later lessons build networks from.
#
# Then an explorer lets you vary every size at once, and four exercises check what you learned.
#
# **Notation.** We follow the MobileNet paper (Howard et al., 2017,
# [arXiv:1704.04861](https://arxiv.org/abs/1704.04861)): a layer turns $M$ input channels into $N$ output
# channels with a $D_K \times D_K$ kernel, producing a $D_F \times D_F$ output map. We use stride 1 and
# "same" padding ($D_K / 2$ rounded down), so the output map is as large as the input map.

# %%
import torch

from smallnets_edu import blocks, cost, diagrams, reference
from smallnets_edu.exercises import lesson01

M, N, Dk, Df = 32, 64, 3, 28  # the layer we cost in every section


def compare(formula_macs, formula_params, layer, in_channels=M):
    """Print our formulas beside PyTorch's counts for one Df x Df input; return the two MAC counts."""
    counted = cost.flop_counter_macs(layer, Df, in_channels=in_channels)
    weights = cost.count_params(layer, include_bn=False)
    print(f"MACs    formula {formula_macs:>12,}   FlopCounterMode {counted:>12,}  ({2 * counted:,} FLOPs / 2)")
    print(f"params  formula {formula_params:>12,}   PyTorch         {weights:>12,}")
    assert formula_params == weights
    return formula_macs, counted


# %% tags=["nbval-ignore-output"]
print(reference.banner("01"))

# %% [markdown]
# Two notes on `compare`. PyTorch's parameter count here leaves out BatchNorm's scale and shift, because
# the papers count only the convolution's weights. And every block of the course is a convolution
# followed by BatchNorm and an activation; neither of those is counted as MACs, by the papers or by
# `FlopCounterMode`.
#
# ## 1. The standard convolution
#
# A standard convolution has $N$ filters, each of size $D_K \times D_K \times M$. At every position
# of the map, each filter takes the dot product with the $D_K \times D_K$ window of **all** $M$ input
# channels: $D_K^2 M$ multiply-accumulates for one output value. There are $N \cdot D_F^2$ output
# values, so
#
# $$\text{params} = D_K^2 \cdot M \cdot N, \qquad \text{MACs} = D_K^2 \cdot M \cdot N \cdot D_F^2 .$$
#
# In the diagram below, each line is a $D_K \times D_K$ filter slice connecting one input channel to one
# output channel; the grid on the right is the window of pixels one output pixel sees. Everything is
# connected to everything.

# %%
diagrams.connectivity("standard", in_channels=8, out_channels=8, kernel=3)

# %%
layer = blocks.ConvBNAct(M, N, kernel_size=Dk)
formula, counted = compare(cost.standard_conv_macs(M, N, Dk, Df), cost.conv_params(M, N, Dk), layer)
assert formula == counted
layer

# %% [markdown]
# The cost is a product of four factors. Doubling the channels on both sides quadruples it, and so does
# doubling the map's side. A 3×3 kernel costs 9 times a 1×1 kernel. Each small network attacks one or
# more of these factors.
#
# ## 2. The pointwise (1×1) convolution
#
# Set $D_K = 1$. Each output value is now a weighted sum of the $M$ input values **at the same pixel**:
# the layer mixes channels but sees no neighbours. It is a fully connected layer applied at every pixel.
#
# $$\text{params} = M \cdot N, \qquad \text{MACs} = M \cdot N \cdot D_F^2 .$$
#
# 1×1 convolutions were popularised by *Network in Network* (Lin, Chen and Yan, 2013,
# [arXiv:1312.4400](https://arxiv.org/abs/1312.4400)) and GoogLeNet (Szegedy et al., 2014,
# [arXiv:1409.4842](https://arxiv.org/abs/1409.4842)) to shrink the channel count cheaply before an
# expensive layer; SqueezeNet's "squeeze" layers (lesson 02) do exactly that. In MobileNet, 1×1 layers
# perform 94.86% of all multiply-accumulates (its Table 2, lesson 03).

# %%
diagrams.connectivity("pointwise", in_channels=8, out_channels=8)

# %%
layer = blocks.pointwise(M, N)
formula, counted = compare(cost.pointwise_macs(M, N, Df), cost.conv_params(M, N, 1), layer)
assert formula == counted
layer

# %% [markdown]
# ## 3. The grouped convolution
#
# Split the $M$ input channels into $g$ groups of $M/g$, and the $N$ filters into $g$ groups of $N/g$.
# Each group of filters sees only its own group of inputs: $g$ independent, narrower convolutions side
# by side. Each filter now spans $D_K \times D_K \times M/g$ values, so the layer is $g$ times cheaper:
#
# $$\text{params} = D_K^2 \cdot \frac{M}{g} \cdot N, \qquad
#   \text{MACs} = D_K^2 \cdot \frac{M}{g} \cdot N \cdot D_F^2 .$$
#
# $g$ must divide both $M$ and $N$. AlexNet (Krizhevsky, Sutskever and Hinton, 2012) used two groups to
# split a network across two GPUs; ResNeXt (Xie et al., 2017, [arXiv:1611.05431](https://arxiv.org/abs/1611.05431))
# used many groups as a design choice; ShuffleNet (lesson 04) uses grouped 1×1 convolutions.
#
# The diagram highlights one output channel: only the inputs of its own group reach it. The node colours
# show which group of the input each channel's information comes from.

# %%
diagrams.connectivity("grouped", in_channels=8, out_channels=8, groups=2, kernel=3, highlight=1)

# %%
g = 4
layer = blocks.grouped(M, N, groups=g, kernel_size=Dk)
formula, counted = compare(cost.grouped_macs(M, N, Dk, Df, g), cost.conv_params(M, N, Dk, groups=g), layer)
assert formula == counted
assert formula * g == cost.standard_conv_macs(M, N, Dk, Df)  # exactly g times cheaper
layer

# %% [markdown]
# The price of the saving is visible in the diagram: the groups never exchange information. One grouped
# layer is fine; a stack of them is $g$ separate networks. Keep this in mind until section 7.
#
# ## 4. The depthwise convolution
#
# Take grouping to its limit, $g = M$: every input channel is its own group, filtered by its own
# $D_K \times D_K$ filter. The output has as many channels as the input ($N = M$), and no channel is
# mixed with another:
#
# $$\text{params} = D_K^2 \cdot M, \qquad \text{MACs} = D_K^2 \cdot M \cdot D_F^2 .$$
#
# That is $N$ times cheaper than a standard convolution with $N = M$ outputs. A depthwise layer does
# only the spatial half of the work. Depthwise convolutions came to deep learning through Laurent Sifre's
# thesis (2014) and Xception (Chollet, 2017, [arXiv:1610.02357](https://arxiv.org/abs/1610.02357)).

# %%
diagrams.connectivity("depthwise", in_channels=8, kernel=3)

# %%
layer = blocks.depthwise(M, kernel_size=Dk)
formula, counted = compare(cost.depthwise_macs(M, Dk, Df), cost.conv_params(M, M, Dk, groups=M), layer)
assert formula == counted
layer

# %% [markdown]
# ## 5. The depthwise-separable convolution
#
# A depthwise layer filters space; a pointwise layer mixes channels. One after the other they do both
# jobs of a standard convolution, at a fraction of the cost. This is MobileNet's building block:
#
# $$\text{MACs} = \underbrace{D_K^2 \cdot M \cdot D_F^2}_{\text{depthwise}}
#   + \underbrace{M \cdot N \cdot D_F^2}_{\text{pointwise}},
# \qquad
# \frac{\text{depthwise-separable}}{\text{standard}}
#   = \frac{D_K^2 M D_F^2 + M N D_F^2}{D_K^2 M N D_F^2} = \frac{1}{N} + \frac{1}{D_K^2} .$$
#
# The parameters follow the same ratio. With 3×3 kernels and many output channels, the saving approaches
# 9 times: "8 to 9 times less computation", as the MobileNet paper puts it. Every output channel is still
# fed by every input channel and by the whole $D_K \times D_K$ window, as the diagram shows; what is
# lost is only the freedom of a standard convolution to use a *different* spatial filter for every pair
# of input and output channels.

# %%
diagrams.connectivity("separable", in_channels=8, out_channels=8, kernel=3)

# %%
layer = blocks.DepthwiseSeparable(M, N, kernel_size=Dk)
params = cost.conv_params(M, M, Dk, groups=M) + cost.conv_params(M, N, 1)
formula, counted = compare(cost.separable_macs(M, N, Dk, Df), params, layer)
assert formula == counted
ratio = formula / cost.standard_conv_macs(M, N, Dk, Df)
print(f"separable / standard = {ratio:.4f};  1/N + 1/Dk² = {cost.separable_reduction(N, Dk):.4f}")
assert abs(ratio - cost.separable_reduction(N, Dk)) < 1e-12
layer

# %% [markdown]
# ### MobileNet's worked example
#
# The MobileNet paper's Table 3 costs one layer from the middle of its network: a 14×14 map, a 3×3
# kernel, 512 channels in and out. Each row adds one change to the previous one: depthwise-separable,
# then a width multiplier $\alpha = 0.75$ (384 channels), then a resolution multiplier $\rho = 0.714$
# (a 10×10 map). Here are our formulas beside the paper's numbers, rounded as the paper rounds them.

# %%
rows = [  # (layer, M = N, D_F, factored?, paper's million mult-adds, paper's million parameters)
    ("Conv 3x3", 512, 14, False, "462", "2.36"),
    ("Depthwise separable", 512, 14, True, "52.3", "0.27"),
    ("alpha = 0.75", 384, 14, True, "29.6", "0.15"),
    ("rho = 0.714", 384, 10, True, "15.1", "0.15"),
]
print(f"{'MobileNet Table 3':<20} {'our MACs':>12} {'(M)':>6} {'paper':>6}   {'our params':>10} {'(M)':>5} {'paper':>6}")
for name, channels, size, separable, paper_macs, paper_params in rows:
    if separable:
        macs = cost.separable_macs(channels, channels, 3, size)
        params = cost.conv_params(channels, channels, 3, groups=channels) + cost.conv_params(channels, channels, 1)
    else:
        macs, params = cost.standard_conv_macs(channels, channels, 3, size), cost.conv_params(channels, channels, 3)
    digits_macs, digits_params = len(paper_macs.partition(".")[2]), len(paper_params.partition(".")[2])
    ours_macs, ours_params = f"{macs / 1e6:.{digits_macs}f}", f"{params / 1e6:.{digits_params}f}"
    print(f"{name:<20} {macs:>12,} {ours_macs:>6} {paper_macs:>6}   {params:>10,} {ours_params:>5} {paper_params:>6}")
    assert (ours_macs, ours_params) == (paper_macs, paper_params)
print(f"\n14 x 0.714 = {14 * 0.714:.2f}, so the last row uses a {round(14 * 0.714)}x{round(14 * 0.714)} map")

# %% [markdown]
# All eight numbers agree. Notice *where* the cost of the separable layer goes: the depthwise part is
# $9 \cdot 512 \cdot 14^2 = 903{,}168$ MACs, the pointwise part $512^2 \cdot 14^2 = 51{,}380{,}224$. The
# 1×1 convolution now does 98% of the work, which is why ShuffleNet (lesson 04) goes after the 1×1
# layers next.
#
# ## 6. The spatially separable convolution
#
# A different way to factor a $D_K \times D_K$ convolution: a $1 \times D_K$ convolution (along rows)
# followed by a $D_K \times 1$ convolution (along columns). Together they see the same
# $D_K \times D_K$ window. Our block goes from $M$ to $N$ channels in the first step and from $N$ to $N$
# in the second:
#
# $$\text{MACs} = D_K \cdot M \cdot N \cdot D_F^2 + D_K \cdot N \cdot N \cdot D_F^2 .$$
#
# With $M = N$ that is $2 / D_K$ of a standard convolution: two thirds for 3×3, two sevenths for 7×7.
# The saving grows with the kernel, and the price is expressiveness: for a single channel, a row filter
# followed by a column filter can only make a $D_K \times D_K$ kernel that is an outer product of the
# two (a rank-one kernel). Inception-v3 (Szegedy et al., 2016, [arXiv:1512.00567](https://arxiv.org/abs/1512.00567))
# factored 7×7 convolutions this way. EffNet (Freeman et al., 2018, lesson 06) does it depthwise, one
# channel at a time.

# %%
diagrams.connectivity("spatial", in_channels=8, out_channels=8, kernel=3)

# %%
layer = blocks.SpatiallySeparable(M, N, kernel_size=Dk)
params = cost.conv_params(M, N, (1, Dk)) + cost.conv_params(N, N, (Dk, 1))
formula, counted = compare(cost.spatially_separable_macs(M, N, Dk, Df), params, layer)
assert formula == counted
same_width = cost.spatially_separable_macs(N, N, Dk, Df) / cost.standard_conv_macs(N, N, Dk, Df)
print(f"vs standard: {formula / cost.standard_conv_macs(M, N, Dk, Df):.3f} here (N = 2M), {same_width:.3f} with M = N")
layer

# %% [markdown]
# A surprise: for our running layer the factored version saves nothing at all. Its second step works on
# the $N = 2M$ output channels, and $D_K M N + D_K N^2 = D_K^2 M N$ exactly when $N = (D_K - 1) M$,
# which for $D_K = 3$ is our $N = 2M$. A factorisation only pays where its formula says it does, so
# always compute before you factor.

# %% [markdown]
# ## 7. The channel shuffle
#
# Back to the problem of section 3: in a stack of grouped convolutions, information never crosses from
# one group to another. ShuffleNet (Zhang, Zhou, Lin and Sun, 2017, [arXiv:1707.01083](https://arxiv.org/abs/1707.01083))
# fixes it with a **channel shuffle** between grouped layers. With $g$ groups of $n$ channels each:
#
# 1. view the $g \cdot n$ channels as a $g \times n$ table (one row per group);
# 2. transpose it to $n \times g$;
# 3. read it out row by row.
#
# The next layer's first group then receives the first channel of every group, its second group the
# second channel of every group, and so on. Here is the new order for 12 channels in 3 groups:

# %%
order = blocks.shuffle_permutation(12, groups=3)
print("position:     ", list(range(12)))
print("takes channel:", order)
assert order == [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]

# %% [markdown]
# Our course notes once described the shuffle as "randomly mixing" the channels. It does not: it is a
# **fixed permutation**, the same at every call, with no parameters and no arithmetic. Being a
# permutation, it can be undone: shuffling again with $n = C/g$ groups restores the original order.
# Both facts, checked:

# %%
x = torch.randn(2, 12, 5, 5)
once = blocks.channel_shuffle(x, 3)
assert torch.equal(once, blocks.channel_shuffle(x, 3))  # deterministic: same input, same output
assert torch.equal(blocks.channel_shuffle(once, 12 // 3), x)  # invertible: C/g groups undo it
shuffle = blocks.ChannelShuffle(3)
print(f"{shuffle}: {cost.count_params(shuffle)} parameters, "
      f"{cost.flop_counter_macs(shuffle, Df, in_channels=12)} MACs by FlopCounterMode")

# %%
diagrams.connectivity("shuffle", in_channels=12, groups=3)

# %% [markdown]
# Now the point of it. Below, two grouped 1×1 layers with 3 groups are stacked, first without and then
# with a shuffle between them. Follow output channel 0 back to the input. Without the shuffle it depends
# on 4 of the 12 input channels, one group; with the shuffle it depends on all 12. It matters: in the
# ShuffleNet paper's Table 3, adding the shuffle to a network with 8 groups lowers its ImageNet top-1
# error from 37.6% to 32.4% (lesson 04).

# %%
diagrams.stack([3, 3], channels=12, shuffle=False, highlight=0)

# %%
diagrams.stack([3, 3], channels=12, shuffle=True, highlight=0)

# %% [markdown]
# A shuffle costs no MACs, but it is not free on real hardware: it copies every activation to a new
# place in memory. ShuffleNet V2 (Ma et al., 2018, [arXiv:1807.11164](https://arxiv.org/abs/1807.11164))
# made this point; lesson 08 times real networks on your machine.
#
# ## 8. All seven side by side
#
# | variant | params | MACs | sees neighbours | mixes channels |
# |---------|--------|------|-----------------|----------------|
# | standard | $D_K^2 M N$ | $D_K^2 M N D_F^2$ | yes | all |
# | pointwise 1×1 | $M N$ | $M N D_F^2$ | no | all |
# | grouped | $D_K^2 \frac{M}{g} N$ | $D_K^2 \frac{M}{g} N D_F^2$ | yes | within a group |
# | depthwise | $D_K^2 M$ | $D_K^2 M D_F^2$ | yes | none |
# | depthwise-separable | $D_K^2 M + M N$ | $(D_K^2 M + M N) D_F^2$ | yes | all |
# | spatially separable | $D_K M N + D_K N^2$ | $(D_K M N + D_K N^2) D_F^2$ | yes | all |
# | channel shuffle | 0 | 0 | no | reorders them |
#
# Notice that every MAC count is the parameter count times $D_F^2$: with stride 1, each weight is used
# once per output pixel. Here are the numbers for MobileNet's 14×14, 512-channel layer, with $g = 4$:

# %%
for row in diagrams.variant_costs(kernel=3, in_channels=512, out_channels=512, groups=4, size=14):
    print(f"{diagrams.VARIANT_LABELS[row.name]:<22} {row.params:>10,} params {row.macs:>13,} MACs")

# %% [markdown]
# ## 9. Play: what each variant costs
#
# The explorer below costs all seven variants for the layer you choose, and draws each one's MACs as a
# percentage of the standard convolution's (parameters follow the same percentages). The dashed line is
# $1/N + 1/D_K^2$: the depthwise-separable bar, green for its depthwise part and orange for its pointwise
# part, should always end on it. Things to try:
#
# * Set the kernel to 1. Which variants stop making sense?
# * Raise $N$ to 1024 with a 3×3 kernel: how close does the separable layer get to $1/9$?
# * Move the feature map size. Why do the percentages not change at all?
# * Set $M$ much smaller than $N$. What happens to the spatially separable layer, and why?

# %%
diagrams.cost_explorer()

# %% [markdown]
# ## 10. Exercises
#
# Write your answer in each cell and run it: a box tells you what is right, or what to look at again.
# The cells start with a placeholder, so the notebook runs as it is.
#
# **Exercise 1.** A grouped 3×3 convolution has 12 input channels, 12 output channels and 3 groups.
# Which input channels feed output channel 5? (Count channels from 0.)

# %%
answer = None  # a set of channel numbers, e.g. {0, 1, 2}
lesson01.check_grouped_inputs(answer)

# %% [markdown]
# **Exercise 2.** One of MobileNet's layers is a depthwise-separable convolution with a 3×3 kernel,
# 128 input channels, 256 output channels and a 28×28 output map. How many multiply-accumulates does it
# cost? Compute it in Python if you like, but try it without the `cost` module.

# %%
answer = None  # a number of MACs
lesson01.check_separable_macs(answer)

# %% [markdown]
# **Exercise 3.** A 3×3 convolution from 256 to 256 channels on a 14×14 map must cost at most
# 30,000,000 MACs. You may make it a grouped convolution. What is the *smallest* number of groups that
# meets the target? (Why the smallest? Fewer groups let each output see more channels.)

# %%
answer = None  # a number of groups
lesson01.check_groups_for_target(answer)

# %% [markdown]
# **Exercise 4.** Write the channel shuffle yourself. Your function receives a tensor `x` of shape
# (batch, channels, height, width) and a number of groups, and returns the shuffled tensor. The checker
# runs it on random tensors of several shapes and compares with the package's `channel_shuffle`.

# %%
def my_channel_shuffle(x, groups):
    batch, channels, height, width = x.shape
    # Your code here: view, transpose, reshape.
    raise NotImplementedError


lesson01.check_channel_shuffle(my_channel_shuffle)

# %% [markdown]
# ## Summary
#
# * A standard convolution costs $D_K^2 \cdot M \cdot N \cdot D_F^2$ MACs: it filters space and mixes
#   all channels at once.
# * A pointwise convolution mixes channels only; a depthwise convolution filters space only. Together,
#   as a depthwise-separable convolution, they cost $1/N + 1/D_K^2$ of a standard one: 8 to 9 times less
#   for 3×3 kernels (MobileNet's Table 3, reproduced above).
# * A grouped convolution is $g$ times cheaper, but its groups never talk. A channel shuffle, a fixed
#   permutation with no cost in MACs, lets them.
# * A spatially separable convolution factors the kernel into a row and a column, costing $2/D_K$ of a
#   standard one when $M = N$.
#
# Next, lesson 02 builds SqueezeNet, whose whole design is an argument about where to put 1×1 and 3×3
# convolutions.
#
# ### References
#
# * Howard et al., *MobileNets: Efficient Convolutional Neural Networks for Mobile Vision Applications*,
#   2017, [arXiv:1704.04861](https://arxiv.org/abs/1704.04861).
# * Zhang, Zhou, Lin and Sun, *ShuffleNet: An Extremely Efficient Convolutional Neural Network for Mobile
#   Devices*, 2017, [arXiv:1707.01083](https://arxiv.org/abs/1707.01083).
# * Chollet, *Xception: Deep Learning with Depthwise Separable Convolutions*, 2017,
#   [arXiv:1610.02357](https://arxiv.org/abs/1610.02357).
# * Lin, Chen and Yan, *Network In Network*, 2013, [arXiv:1312.4400](https://arxiv.org/abs/1312.4400).
# * Xie et al., *Aggregated Residual Transformations for Deep Neural Networks* (ResNeXt), 2017,
#   [arXiv:1611.05431](https://arxiv.org/abs/1611.05431).
# * Szegedy et al., *Rethinking the Inception Architecture for Computer Vision*, 2016,
#   [arXiv:1512.00567](https://arxiv.org/abs/1512.00567).
# * Ma, Zhang, Zheng and Sun, *ShuffleNet V2: Practical Guidelines for Efficient CNN Architecture Design*,
#   2018, [arXiv:1807.11164](https://arxiv.org/abs/1807.11164).
# * Yusuke Uchida (yu4u), *Why MobileNet and Its Variants (e.g. ShuffleNet) Are Fast*, Medium, April 2018,
#   [medium.com/@yu4u](https://medium.com/@yu4u/why-mobilenet-and-its-variants-e-g-shufflenet-are-fast-1c7048b9618d):
#   the connectivity diagrams of this lesson follow its pictures.
