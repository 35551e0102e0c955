"""The seed write-ups' networks, exactly as they ran, one Part III notebook each.

E0 and E3 (``e0_*``, ``e3_*``: notebook ``e0_e3_drsn``, with E3's two controls), E1 (``e1_mnist_bottleneck``) and E2
(``e2_fashion_resnet``), each layer for layer the write-up's spec, its quirks included; and
``fashion_resnet``, the small net that ``e2_fashion_mnist`` builds to beat E2 (with its
``RandomShift``). The book's own architectures, used across chapters, are in ``lib.models``;
these nets are built from the same ``lib.blocks`` and keep the write-ups' layer names.
"""

import keras
from keras import layers, ops

from lib import blocks
from lib.arguments import whole_number
from lib.models import drsn


def _e1_conv(x, filters, kernel_size, strides=1, activation="relu", use_bias=True, name=None):
    """E1's convolution: 'same', truncated normal weights (stddev 0.1), biases 0.1."""
    return layers.Conv2D(
        filters,
        kernel_size,
        strides=strides,
        padding="same",
        activation=activation,
        use_bias=use_bias,
        kernel_initializer=keras.initializers.TruncatedNormal(stddev=0.1),
        bias_initializer=keras.initializers.Constant(0.1),
        name=name,
    )(x)


def _e1_dense(x, units, activation, name, dtype=None):
    """E1's dense layer: truncated normal weights (stddev 0.1), biases 0.1; ``dtype``: Keras' policy if None."""
    return layers.Dense(
        units,
        activation=activation,
        kernel_initializer=keras.initializers.TruncatedNormal(stddev=0.1),
        bias_initializer=keras.initializers.Constant(0.1),
        dtype=dtype,
        name=name,
    )(x)


def _e1_block(x, projection, name):
    """E1's bottleneck block, no BN: ``(batch, h, w, c)`` -> ``(batch, h, w, 256)``.

    1x1 (64), 3x3 (64) and 1x1 (256) convolutions, each with bias and ReLU.
    ``projection=True`` is the "convolutional block": a bias-free 1x1
    convolution to 256 on the shortcut, add, a bias of its own, ReLU.
    Otherwise the "identity block": add the input, ReLU.
    """
    y = _e1_conv(x, 64, 1, name=f"{name}_1_conv")
    y = _e1_conv(y, 64, 3, name=f"{name}_2_conv")
    y = _e1_conv(y, 256, 1, name=f"{name}_3_conv")
    if projection:
        s = _e1_conv(x, 256, 1, activation=None, use_bias=False, name=f"{name}_0_conv")
        y = blocks.Bias(keras.initializers.Constant(0.1), name=f"{name}_bias")(blocks.add(s, y, name))
    else:
        y = blocks.add(x, y, name)
    return layers.Activation("relu", name=f"{name}_out")(y)


def e1_mnist_bottleneck():
    """Experiment E1: a bottleneck ResNet for MNIST, no batch norm (TensorFlow 1 original).

    ``(batch, 28, 28, 1)`` -> ``(batch, 10)``. Conv 2x2/2 (64, ReLU) ->
    14x14x64, max-pool 3x3/1 'same', one "convolutional block" and two
    "identity blocks" (64, 64, 256) -> 14x14x256, max-pool 2x2 -> 7x7x256,
    flatten, dense 1024 ReLU, dropout 0.5, dense 10 giving *logits*, as the
    original did: train with ``from_logits=True``. Its initial logits are
    large (weights of stddev 0.1 over 12,544 inputs), and a softmax inside
    the model would saturate and stall Keras' cross-entropy, which clips
    probabilities. Weights truncated normal (stddev 0.1), biases 0.1.

    Reading of the spec: every main-path convolution, the last 1x1 included,
    has bias and ReLU ("each with bias and ReLU", as in the TensorFlow 1
    code); the convolutional block's shortcut convolution has no bias, and
    the "bias" after its sum is a ``Bias`` layer of 256 parameters (the
    identity blocks have none). 13,071,050 parameters.
    """
    inputs = keras.Input(shape=(28, 28, 1), name="image")
    x = _e1_conv(inputs, 64, 2, strides=2, name="stem_conv")
    x = layers.MaxPooling2D(3, strides=1, padding="same", name="stem_pool")(x)
    for unit in range(1, 4):
        x = _e1_block(x, projection=unit == 1, name=f"block{unit}")
    x = layers.MaxPooling2D(2, name="pool")(x)
    x = layers.Flatten(name="flatten")(x)
    x = _e1_dense(x, 1024, "relu", name="fc1")
    x = layers.Dropout(0.5, name="dropout")(x)
    outputs = _e1_dense(x, 10, None, name="logits", dtype="float32")  # float32 logits under any policy
    return keras.Model(inputs, outputs, name="e1_mnist_bottleneck")


def _e2_conv(x, filters, kernel_size, name):
    """E2's convolution: 'same', no bias, Keras's default initialiser."""
    return layers.Conv2D(filters, kernel_size, padding="same", use_bias=False, name=name)(x)


def _e2_block(x, base, name):
    """E2's block: ``(batch, h, w, c)`` -> ``(batch, h, w, base)``.

    Shortcut BN-ReLU-1x1 (``base``); main 1x1 (``base``)-BN-ReLU-3x3
    (``2 * base``)-BN-ReLU-1x1 (``base``); add, ReLU.
    """
    s = _e2_conv(blocks.bn_relu(x, f"{name}_0", momentum=0.99), base, 1, name=f"{name}_0_conv")
    y = blocks.bn_relu(_e2_conv(x, base, 1, name=f"{name}_1_conv"), f"{name}_1", momentum=0.99)
    y = blocks.bn_relu(_e2_conv(y, 2 * base, 3, name=f"{name}_2_conv"), f"{name}_2", momentum=0.99)
    y = _e2_conv(y, base, 1, name=f"{name}_3_conv")
    return layers.Activation("relu", name=f"{name}_out")(blocks.add(s, y, name))


def e2_fashion_resnet():
    """Experiment E2: a four-block ResNet for Fashion-MNIST (Keras 2 original).

    ``(batch, 28, 28, 1)`` -> ``(batch, 10)``. Conv 3x3/2 'same' (16, no
    bias, random-normal init) -> 14x14x16, four blocks of base 16, 32, 32, 64
    (stride 1) -> 14x14x64, average-pool 2x2 -> 7x7x64, flatten, dense 512
    ReLU, dense 10 softmax.

    The spec read literally gives the reported counts: BN on the block input
    (shortcut), after the first 1x1 and after the 3x3, all convolutions
    'same' and bias-free, Keras's default initialiser except in the stem,
    and Keras' default batch-norm momentum (0.99), as the write-up had.
    1,749,210 parameters: 1,748,154 trainable, 1,056 non-trainable (BN means
    and variances over 528 channels).
    """
    inputs = keras.Input(shape=(28, 28, 1), name="image")
    x = layers.Conv2D(
        16, 3, strides=2, padding="same", use_bias=False, kernel_initializer="random_normal", name="stem_conv"
    )(inputs)
    for unit, base in enumerate((16, 32, 32, 64), start=1):
        x = _e2_block(x, base, name=f"block{unit}")
    x = layers.AveragePooling2D(2, name="pool")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(512, activation="relu", name="fc1")(x)
    outputs = layers.Dense(10, activation="softmax", dtype="float32", name="predictions")(x)  # a float32 softmax
    return keras.Model(inputs, outputs, name="e2_fashion_resnet")


FASHION_MNIST_MEAN, FASHION_MNIST_STD = 0.2860, 0.3530  # pixel mean and std of the 60,000 training images


class RandomShift(layers.Layer):
    """While training, shift each image by up to ``max_shift`` whole pixels each way, filling with zeros.

    ``(batch, h, w, c)`` -> ``(batch, h, w, c)``; at inference the identity.
    Each image draws its own offsets; the shift is two products with one-hot
    selection matrices, so it is exact (no interpolation), deterministic and
    compiles with XLA, unlike ``keras.layers.RandomTranslation``.
    """

    def __init__(self, max_shift, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.max_shift = whole_number(max_shift, "max_shift", hint=" It is the largest shift, in whole pixels.")
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, x, training=False):
        if not training:
            return x
        m, (h, w) = self.max_shift, x.shape[1:3]
        padded = ops.pad(x, [[0, 0], [m, m], [m, m], [0, 0]])
        offsets = keras.random.randint((ops.shape(x)[0], 2), 0, 2 * m + 1, seed=self.seed_generator)
        # rows[b, i, k] = 1 where k = i + offset: output row i is padded row i + offset (likewise columns).
        rows = ops.one_hot(ops.arange(h)[None, :] + offsets[:, :1], h + 2 * m, dtype=x.dtype)
        columns = ops.one_hot(ops.arange(w)[None, :] + offsets[:, 1:], w + 2 * m, dtype=x.dtype)
        return ops.einsum("bilc,bjl->bijc", ops.einsum("bik,bklc->bilc", rows, padded), columns)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "max_shift": self.max_shift, "seed": self.seed}


def _fashion_stage(x, filters, residual, name):
    """Conv-BN-ReLU and a 2x2 max-pool, then (if ``residual``) an identity basic block.

    ``(batch, h, w, c)`` -> ``(batch, h // 2, w // 2, filters)``.
    """
    x = blocks.bn_relu(blocks.conv(x, filters, 3, name=f"{name}_conv"), name)
    x = layers.MaxPooling2D(2, name=f"{name}_pool")(x)
    if residual:
        x = blocks.basic_block(x, filters, name=f"{name}_block")
    return x


def fashion_resnet(width=16):
    """A small, fast residual net for Fashion-MNIST, after Page's ResNet-9 for CIFAR-10.

    ``(batch, 28, 28, 1)`` pixels in [0, 1] -> ``(batch, 10)`` softmax.
    While training, random horizontal flips and shifts of up to 2 whole
    pixels (``RandomShift``); then standardisation with the training set's mean and std, a 3x3 stem
    (``width``) and three stages, each a conv-BN-ReLU and a 2x2 max-pool:
    ``2 * width`` at 28 -> 14 with an identity basic block, ``4 * width``
    at 14 -> 7, ``8 * width`` at 7 -> 3 with an identity basic block; global
    max-pool, dense 10. 413,786 parameters at ``width=16``.
    """
    inputs = keras.Input(shape=(28, 28, 1), name="image")
    x = layers.RandomFlip("horizontal", name="flip")(inputs)
    x = RandomShift(2, name="shift")(x)
    x = layers.Normalization(mean=FASHION_MNIST_MEAN, variance=FASHION_MNIST_STD**2, name="standardise")(x)
    x = blocks.bn_relu(blocks.conv(x, width, 3, name="stem_conv"), "stem")
    for stage, (multiple, residual) in enumerate(((2, True), (4, False), (8, True)), start=1):
        x = _fashion_stage(x, multiple * width, residual, name=f"stage{stage}")
    x = layers.GlobalMaxPooling2D(name="pool")(x)
    outputs = layers.Dense(10, activation="softmax", dtype="float32", name="predictions")(x)  # a float32 softmax
    return keras.Model(inputs, outputs, name=f"fashion_resnet{width}")


def _one_unit_net(thresholds, reduction, name, filters=8):
    """E0's and E3's net: ``(batch, 28, 28, 1)`` -> ``(batch, 10)``, a stem of 8 channels, one unit of ``filters``.

    The unit has stride 2; with more than 8 ``filters`` its option-A shortcut pads the extra channels with zeros.
    """
    return drsn(
        (28, 28, 1),
        10,
        stage_filters=(filters,),
        units_per_stage=1,
        thresholds=thresholds,
        stem_filters=8,
        first_strides=2,
        reduction=reduction,
        name=name,
    )


def e0_resnet():
    """Experiment E0's ResNet (TFLearn original): one pre-activation unit on MNIST.

    ``(batch, 28, 28, 1)`` -> ``(batch, 10)``. Conv 3x3 (8, He-normal, L2
    1e-4) -> 28x28x8; one unit of 8 channels, stride 2 (BN-ReLU-conv 3x3/2-
    BN-ReLU-conv 3x3, option-A shortcut by subsampling) -> 14x14x8;
    BN-ReLU-GAP-Dense(10, softmax). The per-channel zero-centering of the
    input is data preparation, left to the chapter. Convolutions are
    bias-free, as everywhere in ``lib`` but before a threshold (the
    original's all had biases). 1,410 parameters (1,362 trainable).
    """
    return _one_unit_net(None, 1, "e0_resnet")


def e0_drsn():
    """Experiment E0's DRSN: ``e0_resnet`` with channel-wise soft thresholds on the residual branch.

    The threshold net: GAP of ``|x|`` -> Dense(C/4 = 2) -> BN -> ReLU ->
    Dense(8) -> sigmoid = alpha; ``tau = alpha * mean|x|`` per channel. The
    unit's second convolution keeps its 8 biases, before the threshold.
    1,468 parameters (1,416 trainable). Input zero-centering: see ``e0_resnet``.
    """
    return _one_unit_net("channel", 4, "e0_drsn")


def e3_resnet():
    """Experiment E3's ResNet (Keras 2 original, noisy MNIST): the same net as ``e0_resnet``.

    1,410 parameters (1,362 trainable). The noise is data preparation, left to the chapter.
    """
    return _one_unit_net(None, 1, "e3_resnet")


def e3_drsn():
    """Experiment E3's DRSN: ``e0_drsn`` with C = 8 units (not C/4) in the threshold net's first Dense.

    1,594 parameters (1,530 trainable).
    """
    return _one_unit_net("channel", 1, "e3_drsn")


def e3_resnet_widened():
    """E3's control for parameters: ``e3_resnet`` with 9 channels in its unit instead of 8 (the stem keeps 8).

    The width that brings the ResNet closest to ``e3_drsn``'s parameters: 1,653 (1,601 trainable)
    against 1,594 (1,530), 3.7% more (4.6% more trainable); 9 channels in the stem too would give 1,747.
    The shortcut pads the unit's ninth channel with zeros.
    """
    return _one_unit_net(None, 1, "e3_resnet_widened", filters=9)


def e3_fixed_threshold():
    """E3's control for adaptivity: ``e3_drsn``'s unit with thresholds that do not depend on the image.

    The second convolution keeps its 8 biases and is soft-thresholded by one learned threshold per
    channel (``blocks.FixedSoftThreshold``, ``stage1_block1_shrink``), the same for every image,
    instead of the threshold network. 1,426 parameters (1,378 trainable): the ResNet's, plus 8 biases
    and 8 thresholds.
    """
    return _one_unit_net(blocks.FIXED, 1, "e3_fixed_threshold")
