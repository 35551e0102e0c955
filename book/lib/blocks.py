"""Residual blocks and their shortcuts, in Keras 3 functional style.

Every function takes a tensor and returns a tensor, naming its layers
``{name}_{part}`` in the manner of ``keras.applications``. Shapes are
channels-last: images ``(batch, height, width, channels)``; ``conv``,
``ZeroPadShortcut`` and the shrinkage blocks also take signals
``(batch, length, channels)``.
"""

import keras
import numpy as np
from keras import layers, ops

SHORTCUT_OPTIONS = ("A", "B", "C")
# Batch norm's moving averages: x_avg <- m * x_avg + (1 - m) * x_batch. Keras'
# default m = 0.99 averages over about the last 100 steps, too slow for the
# short budgets of this book: a net tested after a few hundred steps would be
# tested with statistics of weights it no longer has. 0.9 (PyTorch's default,
# there written 0.1) follows within about 10 steps.
BN_MOMENTUM = 0.9
# Keras' default epsilon, added to the variance before the square root.
# keras.applications' ResNets use 1.001e-5 instead (the Caffe original's 1e-5,
# nudged above cuDNN's minimum); lib.models.resnet50 passes that.
BN_EPSILON = 1e-3
EXPANSION = {"basic": 1, "bottleneck": 4}
# Where a bottleneck block puts its stride: on the first 1x1 (ResNet v1, as in
# He et al.'s paper and keras.applications) or on the 3x3 ("v1.5", torchvision).
STRIDE_ON = ("1x1", "3x3")
# Zhao et al.'s thresholds: one per channel (DRSN-CW) or one per sample (DRSN-CS).
THRESHOLDS = ("channel", "shared")
# A control for them: one learned threshold per channel that does not depend on the sample (no threshold network).
FIXED = "fixed"


@keras.saving.register_keras_serializable(package="lib")
class ZeroPadShortcut(layers.Layer):
    """He et al.'s option A: subsample by ``strides``, zero-pad new channels.

    ``(batch, h, w, c)`` -> ``(batch, ceil(h / s), ceil(w / s), channels)``,
    and likewise ``(batch, l, c)`` -> ``(batch, ceil(l / s), channels)``;
    the ``channels - c`` zero channels are split evenly before and after.
    No parameters.
    """

    def __init__(self, channels, strides=1, **kwargs):
        super().__init__(**kwargs)
        self.channels = channels
        self.strides = strides

    def _extra(self, channels):
        """How many zero channels option A adds to ``channels``; an error if it would have to remove some."""
        if channels > self.channels:
            raise ValueError(
                f"{self.name}: option A cannot shrink {channels} channels to {self.channels}; "
                "use a projection shortcut (option B or C) to reduce channels."
            )
        return self.channels - channels

    def call(self, x):
        spatial = len(x.shape) - 2
        if self.strides > 1:
            x = x[(slice(None),) + (slice(None, None, self.strides),) * spatial]
        extra = self._extra(x.shape[-1])
        return ops.pad(x, [[0, 0]] * (spatial + 1) + [[extra // 2, extra - extra // 2]])

    def compute_output_shape(self, input_shape):
        batch, *spatial, channels = input_shape
        self._extra(channels)

        def shrink(size):
            return None if size is None else -(-size // self.strides)

        return (batch, *(shrink(size) for size in spatial), self.channels)

    def get_config(self):
        return {**super().get_config(), "channels": self.channels, "strides": self.strides}


@keras.saving.register_keras_serializable(package="lib")
class Bias(layers.Layer):
    """A learned bias per channel, added on its own: ``(batch, ..., c)`` -> the same shape.

    ``c`` parameters. TensorFlow 1 code adds such a bias after a sum
    (``tf.nn.relu(shortcut + residual + b)``); a layer makes it visible.
    """

    def __init__(self, initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        self.initializer = keras.initializers.get(initializer)

    def build(self, input_shape):
        self.bias = self.add_weight(shape=(input_shape[-1],), initializer=self.initializer, name="bias")

    def call(self, x):
        return ops.add(x, self.bias)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "initializer": keras.initializers.serialize(self.initializer)}


def soft_threshold(x, tau):
    """Soft thresholding ``sign(x) * max(|x| - tau, 0)``: ``x`` any shape, ``tau >= 0`` broadcast against it.

    Values within ``[-tau, tau]`` become 0, the others move ``tau`` towards 0;
    the gradient with respect to ``x`` is 0 inside and 1 outside.
    """
    return ops.multiply(ops.sign(x), ops.maximum(ops.subtract(ops.abs(x), tau), 0.0))


@keras.saving.register_keras_serializable(package="lib")
class SoftThreshold(layers.Layer):
    """``soft_threshold`` as a layer: ``[x, tau]`` -> ``x``'s shape, ``tau`` broadcast against ``x``. No parameters."""

    def call(self, inputs):
        x, tau = inputs
        return soft_threshold(x, tau)

    def compute_output_shape(self, input_shape):
        return input_shape[0]


@keras.saving.register_keras_serializable(package="lib")
class FixedSoftThreshold(layers.Layer):
    """Soft thresholding by a learned threshold per channel, the same for every sample: ``x``'s shape out.

    ``(batch, *spatial, c)`` -> the same shape, ``soft_threshold(x, tau)``
    with ``tau = softplus(w)`` (``c`` weights ``w``, so ``tau > 0``),
    starting at ``initial`` in every channel. The control for Zhao et al.'s
    threshold network: the same soft thresholding, without adapting to the
    sample.
    """

    def __init__(self, initial=0.5, **kwargs):
        super().__init__(**kwargs)
        if not initial > 0:
            raise ValueError(f"FixedSoftThreshold's initial threshold must be positive; got {initial!r}.")
        self.initial = float(initial)

    def build(self, input_shape):
        inverse = float(np.log(np.expm1(self.initial)))  # softplus(inverse) = initial
        self.raw = self.add_weight(
            shape=(input_shape[-1],), initializer=keras.initializers.Constant(inverse), name="threshold"
        )

    @property
    def tau(self):
        """The thresholds, one per channel: ``(c,)``."""
        return ops.softplus(self.raw)

    def call(self, x):
        return soft_threshold(x, ops.cast(self.tau, x.dtype))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "initial": self.initial}


@keras.saving.register_keras_serializable(package="lib")
class MeanAbsolute(layers.Layer):
    """The mean of ``|x|`` over the spatial axes, kept so that it broadcasts against ``x``.

    ``(batch, *spatial, c)`` -> ``(batch, 1, ..., 1, c)``; with
    ``per_channel=False`` over the channels too -> ``(batch, 1, ..., 1, 1)``.
    No parameters.
    """

    def __init__(self, per_channel=True, **kwargs):
        super().__init__(**kwargs)
        self.per_channel = per_channel

    def call(self, x):
        axes = tuple(range(1, len(x.shape) - (1 if self.per_channel else 0)))
        return ops.mean(ops.abs(x), axis=axes, keepdims=True)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *(1,) * (len(input_shape) - 2), input_shape[-1] if self.per_channel else 1)

    def get_config(self):
        return {**super().get_config(), "per_channel": self.per_channel}


def conv(x, filters, kernel_size, strides=1, weight_decay=0.0, name=None, *, use_bias=False):
    """A 'same' convolution with He-normal initialisation, bias-free unless ``use_bias=True``.

    ``Conv2D`` for images ``(batch, h, w, c)``, ``Conv1D`` for signals ``(batch, l, c)``.
    """
    convolution = layers.Conv1D if len(x.shape) == 3 else layers.Conv2D
    return convolution(
        filters,
        kernel_size,
        strides=strides,
        padding="same",
        use_bias=use_bias,
        kernel_initializer="he_normal",
        kernel_regularizer=keras.regularizers.L2(weight_decay) if weight_decay else None,
        name=name,
    )(x)


def bn_relu(x, name, relu=True, momentum=BN_MOMENTUM, *, epsilon=BN_EPSILON):
    """Batch normalisation ``{name}_bn``, then (unless ``relu=False``) ReLU ``{name}_relu``; shape unchanged."""
    x = layers.BatchNormalization(momentum=momentum, epsilon=epsilon, name=f"{name}_bn")(x)
    return layers.Activation("relu", name=f"{name}_relu")(x) if relu else x


def _projects(x, filters, strides, option):
    """Whether shortcut ``option`` is a 1x1 projection for this input, ``filters`` and ``strides``."""
    if option not in SHORTCUT_OPTIONS:
        raise ValueError(f"unknown shortcut option {option!r}; choose one of {', '.join(SHORTCUT_OPTIONS)}.")
    return option == "C" or (option == "B" and (strides != 1 or x.shape[-1] != filters))


def shortcut(x, filters, strides=1, option="A", weight_decay=0.0, name="shortcut"):
    """The shortcut of a residual block: what is added to the residual branch.

    Option A: identity, or subsample + zero-pad when the shape changes.
    Option B: identity, or a strided 1x1 projection + BN when the shape changes.
    Option C: a 1x1 projection + BN always.
    """
    if _projects(x, filters, strides, option):
        return bn_relu(conv(x, filters, 1, strides, weight_decay, name=f"{name}_0_conv"), f"{name}_0", relu=False)
    if strides != 1 or x.shape[-1] != filters:
        return ZeroPadShortcut(filters, strides, name=f"{name}_0_pad")(x)
    return x


def preact_shortcut(x, preact, filters, strides=1, option="B", weight_decay=0.0, name="shortcut"):
    """The shortcut of a pre-activation block (He et al. 2016, "Identity Mappings").

    A projection is a 1x1 convolution of the pre-activated input ``preact``,
    without BN (the next block normalises the sum); identity and option A
    take the raw input ``x``. ``(batch, h, w, c)`` -> ``(batch, h / strides, w / strides, filters)``.
    """
    if _projects(x, filters, strides, option):
        return conv(preact, filters, 1, strides, weight_decay, name=f"{name}_0_conv")
    return shortcut(x, filters, strides, option, weight_decay, name)


def add(shortcut_tensor, residual_tensor, name):
    """Add shortcut and residual, with a clear error when the shapes differ."""
    if tuple(shortcut_tensor.shape[1:]) != tuple(residual_tensor.shape[1:]):
        raise ValueError(
            f"{name}: cannot add a shortcut of shape {tuple(shortcut_tensor.shape)} to a "
            f"residual branch of shape {tuple(residual_tensor.shape)}; use a projection "
            f"shortcut (option B or C) or option A to match them."
        )
    return layers.Add(name=f"{name}_add")([shortcut_tensor, residual_tensor])


def basic_block(
    x, filters, strides=1, shortcut_option="A", residual=True, weight_decay=0.0, name="block", *, shortcut_scale=1.0
):
    """Two 3x3 convolutions, post-activation (He et al. 2016, CIFAR nets).

    ``(batch, h, w, c)`` -> ``(batch, h / strides, w / strides, filters)``:
    conv-BN-ReLU-conv-BN, add the shortcut, ReLU. With ``residual=False``
    there is no shortcut: the same layers form a plain block.
    ``shortcut_scale`` multiplies the shortcut before the sum (layer
    ``{name}_scale``), the constant-scaling ablation of He et al.'s "Identity
    Mappings"; the default 1 is the identity shortcut.
    """
    y = bn_relu(conv(x, filters, 3, strides, weight_decay, name=f"{name}_1_conv"), f"{name}_1")
    y = bn_relu(conv(y, filters, 3, 1, weight_decay, name=f"{name}_2_conv"), f"{name}_2", relu=False)
    if residual:
        s = shortcut(x, filters, strides, shortcut_option, weight_decay, name=name)
        if shortcut_scale != 1:
            s = layers.Rescaling(shortcut_scale, name=f"{name}_scale")(s)
        y = add(s, y, name)
    return layers.Activation("relu", name=f"{name}_out")(y)


def bottleneck_block(
    x,
    filters,
    strides=1,
    shortcut_option="B",
    residual=True,
    weight_decay=0.0,
    name="block",
    *,
    stride_on="1x1",
    use_bias=False,
    momentum=BN_MOMENTUM,
    epsilon=BN_EPSILON,
):
    """A 1x1-3x3-1x1 bottleneck, post-activation (He et al. 2016, ResNet-50 and deeper).

    ``(batch, h, w, c)`` -> ``(batch, h / strides, w / strides, 4 * filters)``:
    1x1 conv (``filters``, carrying the stride, as in ``keras.applications``
    ResNet50)-BN-ReLU, 3x3 conv-BN-ReLU, 1x1 conv (``4 * filters``)-BN, add
    the shortcut, ReLU. ``residual=False`` drops the shortcut.
    ``stride_on="3x3"`` moves the stride to the 3x3 ("ResNet v1.5");
    ``use_bias`` gives every convolution a bias; ``momentum`` and ``epsilon``
    go to every batch norm.
    """
    if stride_on not in STRIDE_ON:
        raise ValueError(f"unknown stride_on {stride_on!r}; choose one of {', '.join(STRIDE_ON)}.")
    first, middle = (strides, 1) if stride_on == "1x1" else (1, strides)
    bn = {"momentum": momentum, "epsilon": epsilon}
    y = bn_relu(conv(x, filters, 1, first, weight_decay, name=f"{name}_1_conv", use_bias=use_bias), f"{name}_1", **bn)
    y = bn_relu(conv(y, filters, 3, middle, weight_decay, name=f"{name}_2_conv", use_bias=use_bias), f"{name}_2", **bn)
    y = conv(y, 4 * filters, 1, 1, weight_decay, name=f"{name}_3_conv", use_bias=use_bias)
    y = bn_relu(y, f"{name}_3", relu=False, **bn)
    if residual:
        if _projects(x, 4 * filters, strides, shortcut_option):
            s = conv(x, 4 * filters, 1, strides, weight_decay, name=f"{name}_0_conv", use_bias=use_bias)
            s = bn_relu(s, f"{name}_0", relu=False, **bn)
        else:
            s = shortcut(x, 4 * filters, strides, shortcut_option, weight_decay, name=name)
        y = add(s, y, name)
    return layers.Activation("relu", name=f"{name}_out")(y)


def preact_basic_block(x, filters, strides=1, shortcut_option="B", residual=True, weight_decay=0.0, name="block"):
    """Two 3x3 convolutions, pre-activation (He et al. 2016, "Identity Mappings").

    ``(batch, h, w, c)`` -> ``(batch, h / strides, w / strides, filters)``:
    BN-ReLU-conv-BN-ReLU-conv, add the shortcut (see ``preact_shortcut``);
    no ReLU after the sum. ``residual=False`` drops the shortcut.
    """
    preact = bn_relu(x, f"{name}_preact")
    y = bn_relu(conv(preact, filters, 3, strides, weight_decay, name=f"{name}_1_conv"), f"{name}_1")
    y = conv(y, filters, 3, 1, weight_decay, name=f"{name}_2_conv")
    if residual:
        y = add(preact_shortcut(x, preact, filters, strides, shortcut_option, weight_decay, name), y, name)
    return y


def preact_bottleneck_block(x, filters, strides=1, shortcut_option="B", residual=True, weight_decay=0.0, name="block"):
    """A 1x1-3x3-1x1 bottleneck, pre-activation (He et al. 2016, "Identity Mappings").

    ``(batch, h, w, c)`` -> ``(batch, h / strides, w / strides, 4 * filters)``:
    BN-ReLU-1x1 conv-BN-ReLU-3x3 conv (carrying the stride, as in the paper's
    code and ``keras.applications`` ResNet50V2)-BN-ReLU-1x1 conv
    (``4 * filters``), add the shortcut; no ReLU after the sum.
    """
    preact = bn_relu(x, f"{name}_preact")
    y = bn_relu(conv(preact, filters, 1, 1, weight_decay, name=f"{name}_1_conv"), f"{name}_1")
    y = bn_relu(conv(y, filters, 3, strides, weight_decay, name=f"{name}_2_conv"), f"{name}_2")
    y = conv(y, 4 * filters, 1, 1, weight_decay, name=f"{name}_3_conv")
    if residual:
        y = add(preact_shortcut(x, preact, 4 * filters, strides, shortcut_option, weight_decay, name), y, name)
    return y


def _block_function(kind, preactivation=False):
    """The block function for ``kind`` ('basic' or 'bottleneck') and ``preactivation``."""
    if kind not in EXPANSION:
        raise ValueError(f"unknown block kind {kind!r}; choose one of {', '.join(EXPANSION)}.")
    if kind == "basic":
        return preact_basic_block if preactivation else basic_block
    return preact_bottleneck_block if preactivation else bottleneck_block


def identity_block(x, filters, kind="basic", preactivation=False, weight_decay=0.0, name="block", **options):
    """The identity block: the shortcut is the input, so the shape is kept.

    ``(batch, h, w, c)`` -> ``(batch, h, w, c)``; ``filters`` must be ``c``
    for a basic block and ``c / 4`` for a bottleneck, else a ValueError.
    ``options``: keyword options of the block function (``bottleneck_block``'s
    ``use_bias``, ``momentum``, ``epsilon``).
    """
    block = _block_function(kind, preactivation)
    channels = EXPANSION[kind] * filters
    if channels != x.shape[-1]:
        raise ValueError(
            f"{name}: an identity block keeps the shape, but a {kind} block of {filters} filters turns "
            f"{x.shape[-1]} channels into {channels}; use projection_block to change the shape."
        )
    return block(x, filters, 1, "B", True, weight_decay, name, **options)


def projection_block(
    x, filters, strides=2, kind="basic", preactivation=False, weight_decay=0.0, name="block", **options
):
    """The projection ("convolutional") block: a 1x1 convolution on the shortcut.

    ``(batch, h, w, c)`` -> ``(batch, h / strides, w / strides, e * filters)``,
    ``e`` being 1 (basic) or 4 (bottleneck). The shortcut is a strided 1x1
    conv + BN (post-activation) or a 1x1 conv of the pre-activated input.
    ``options``: keyword options of the block function (``bottleneck_block``'s
    ``stride_on``, ``use_bias``, ``momentum``, ``epsilon``).
    """
    return _block_function(kind, preactivation)(x, filters, strides, "C", True, weight_decay, name, **options)


def threshold_network(x, thresholds="channel", hidden=None, weight_decay=0.0, name="threshold"):
    """Zhao et al.'s thresholds for soft thresholding ``x``: ``(batch, *spatial, c)`` -> ``tau``.

    The mean of ``|x|`` per channel (``{name}_gap``) -> Dense(``hidden``,
    default ``c``) -> BN -> ReLU -> Dense(``c``, or 1 for ``"shared"``) ->
    sigmoid = ``alpha`` in (0, 1); ``tau = alpha * mean|x|`` (``{name}_tau``),
    so ``0 <= tau <= mean|x|``. ``"channel"`` (DRSN-CW): one threshold per
    channel and sample, ``(batch, 1, ..., 1, c)``; ``"shared"`` (DRSN-CS): one
    per sample, ``alpha`` times the mean of ``|x|`` over the channels too,
    ``(batch, 1, ..., 1, 1)``.
    """
    if thresholds not in THRESHOLDS:
        raise ValueError(f"unknown thresholds {thresholds!r}; choose one of {', '.join(THRESHOLDS)}.")
    channels = x.shape[-1]
    regularizer = keras.regularizers.L2(weight_decay) if weight_decay else None
    mean_abs = MeanAbsolute(name=f"{name}_gap")(x)
    alpha = layers.Dense(
        hidden or channels, kernel_initializer="he_normal", kernel_regularizer=regularizer, name=f"{name}_1_dense"
    )(mean_abs)
    alpha = bn_relu(alpha, f"{name}_1")
    alpha = layers.Dense(
        channels if thresholds == "channel" else 1,
        activation="sigmoid",
        kernel_regularizer=regularizer,
        name=f"{name}_2_dense",
    )(alpha)
    if thresholds == "shared":
        mean_abs = MeanAbsolute(per_channel=False, name=f"{name}_mean")(x)
    return layers.Multiply(name=f"{name}_tau")([alpha, mean_abs])


def shrinkage_block(
    x, filters, strides=1, thresholds="channel", hidden=None, weight_decay=0.0, residual=True, name="block"
):
    """Zhao et al.'s residual shrinkage building unit (RSBU), for images or signals.

    ``(batch, h, w, c)`` -> ``(batch, h / strides, w / strides, filters)`` with
    3x3 convolutions, ``(batch, l, c)`` -> ``(batch, l / strides, filters)``
    with convolutions of width 3: BN-ReLU-conv (``strides``)-BN-ReLU-conv,
    soft thresholding (``{name}_shrink``) by ``tau`` from
    ``threshold_network`` (``{name}_threshold_*``), add the option-A shortcut
    of the raw input. The second convolution keeps its bias ``b`` (one per
    channel) when it feeds the threshold, as in Zhao et al.'s code: the
    thresholding then zeroes the convolution's raw outputs in ``[-b - tau,
    -b + tau]``, an interval the net can place off zero. ``thresholds=None``
    drops the thresholding and that bias (the next unit's batch norm would
    cancel it): He et al.'s pre-activation unit, the layers of
    ``preact_basic_block`` under option A. ``residual=False`` also drops the
    shortcut: the plain ConvNet of Zhao et al.'s comparison, with the same
    layers and parameters as the ResNet. ``thresholds="fixed"`` (``FIXED``)
    is the control: the same unit, bias included, with one learned threshold
    per channel that is the same for every sample (``FixedSoftThreshold``,
    ``{name}_shrink``) instead of the threshold network.
    """
    preact = bn_relu(x, f"{name}_preact")
    y = bn_relu(conv(preact, filters, 3, strides, weight_decay, name=f"{name}_1_conv"), f"{name}_1")
    y = conv(y, filters, 3, 1, weight_decay, name=f"{name}_2_conv", use_bias=thresholds is not None)
    if thresholds == FIXED:
        y = FixedSoftThreshold(name=f"{name}_shrink")(y)
    elif thresholds is not None:
        tau = threshold_network(y, thresholds, hidden, weight_decay, name=f"{name}_threshold")
        y = SoftThreshold(name=f"{name}_shrink")([y, tau])
    if not residual:
        return y
    return add(shortcut(x, filters, strides, "A", name=name), y, name)
