"""Whole networks built from ``lib.blocks``.

Every network's last layer computes in float32 whatever Keras' dtype
policy: under ``mixed_float16`` (an accelerated run, see ``lib.setup``) a
softmax in float16 would round small probabilities away.
"""

import numbers

import keras
from keras import layers, ops

from lib import blocks


def _is_whole(value, minimum):
    """Whether ``value`` is an integer (not a bool) of at least ``minimum``."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= minimum


def _whole(value, name, minimum=1):
    """``value`` if it is a whole number >= ``minimum``, else a ValueError naming the argument."""
    if not _is_whole(value, minimum):
        raise ValueError(f"{name} must be a whole number >= {minimum}, not {value!r}.")
    return int(value)


def _input_shape(input_shape, ranks, what, smallest=1):
    """``input_shape`` as a tuple if it has one of ``ranks`` entries, each ``None`` or a whole number.

    Spatial sizes (all but the last entry) must be at least ``smallest``, the
    channels at least 1; else a ValueError that says ``what`` is expected.
    """
    try:
        shape = tuple(input_shape)
    except TypeError:
        shape = ()
    spatial_ok = all(size is None or _is_whole(size, smallest) for size in shape[:-1])
    if len(shape) not in ranks or not spatial_ok or not (shape[-1] is None or _is_whole(shape[-1], 1)):
        raise ValueError(f"input_shape must be {what}; got input_shape={input_shape!r}.")
    return shape


def cifar_resnet(
    depth,
    residual=True,
    shortcut="A",
    input_shape=(32, 32, 1),
    classes=10,
    weight_decay=1e-4,
    preactivation=False,
    shortcut_scale=1.0,
):
    """He et al.'s CIFAR network of ``depth = 6n + 2`` layers, residual or plain.

    A 3x3 convolution with 16 filters, three stages of ``n`` basic blocks with
    16, 32 and 64 filters (the second and third start with stride 2), global
    average pooling and a softmax layer. ``(batch, *input_shape)`` ->
    ``(batch, classes)``. ``residual=False`` removes every shortcut and keeps
    every other layer, so plain and residual nets have the same parameters
    under option A. ``preactivation=True`` uses He et al.'s pre-activation
    blocks ("Identity Mappings") and a final BN-ReLU before the pooling.
    ``shortcut_scale`` multiplies every shortcut (post-activation blocks only;
    see ``blocks.basic_block``).
    """
    if not isinstance(depth, int) or isinstance(depth, bool) or depth < 8 or (depth - 2) % 6:
        raise ValueError(f"depth must be 6n + 2 for a whole n >= 1 (8, 14, 20, 32, 44, 56, 110, ...), not {depth!r}.")
    input_shape = _input_shape(input_shape, (3,), "(height, width, channels), e.g. (32, 32, 3)")
    classes = _whole(classes, "classes", 2)
    if shortcut not in blocks.SHORTCUT_OPTIONS:
        raise ValueError(f"shortcut must be one of {', '.join(blocks.SHORTCUT_OPTIONS)}, not {shortcut!r}.")
    if not isinstance(shortcut_scale, (int, float)) or isinstance(shortcut_scale, bool) or shortcut_scale <= 0:
        raise ValueError(f"shortcut_scale must be a positive number (1 is the identity), not {shortcut_scale!r}.")
    if preactivation and shortcut_scale != 1:
        raise ValueError(
            "shortcut_scale applies to post-activation blocks only; leave it at 1 with preactivation=True."
        )
    blocks_per_stage = (depth - 2) // 6
    block = blocks.preact_basic_block if preactivation else blocks.basic_block
    scale = {} if preactivation else {"shortcut_scale": shortcut_scale}
    inputs = keras.Input(shape=input_shape, name="image")
    x = blocks.conv(inputs, 16, 3, 1, weight_decay, name="stem_conv")
    if not preactivation:
        x = blocks.bn_relu(x, "stem")
    for stage, filters in enumerate((16, 32, 64), start=1):
        for unit in range(1, blocks_per_stage + 1):
            strides = 2 if stage > 1 and unit == 1 else 1
            x = block(x, filters, strides, shortcut, residual, weight_decay, name=f"stage{stage}_block{unit}", **scale)
    if preactivation:
        x = blocks.bn_relu(x, "post")
    outputs = classifier(x, classes, weight_decay)
    kind = ("preact_resnet" if preactivation else "resnet") if residual else "plain"
    return keras.Model(inputs, outputs, name=f"{kind}{depth}")


# ResNet-50: (filters of the 3x3, units) per stage, conv2 ... conv5 as keras.applications names them.
RESNET50_STAGES = ((64, 3), (128, 4), (256, 6), (512, 3))
# keras.applications' batch-norm epsilon for its ResNets.
RESNET50_EPSILON = 1.001e-5


def resnet50(
    input_shape=(224, 224, 3),
    classes=1000,
    include_top=True,
    pooling=None,
    stride_on="1x1",
    momentum=blocks.BN_MOMENTUM,
):
    """ResNet-50 v1 (He et al. 2016) from ``lib.blocks``, layer for layer ``keras.applications.ResNet50``.

    ``(batch, h, w, c)`` -> ``(batch, classes)`` softmax probabilities, or
    with ``include_top=False`` the features of ``conv5_block3_out``,
    ``(batch, h / 32, w / 32, 2048)`` (``pooling="avg"``: ``(batch, 2048)``).
    Stem: zero-pad 3, 7x7/2 conv (64), BN, ReLU, zero-pad 1, 3x3/2 max-pool;
    four stages of 3, 4, 6, 3 bottleneck blocks (``conv2`` ... ``conv5``),
    the first of each a projection block (stride 2 from ``conv3`` on), the
    others identity blocks; global average pooling, a Dense softmax.

    As in ``keras.applications``: every convolution has a bias, batch norm's
    epsilon is 1.001e-5, the stride sits on a stage's first 1x1
    (``stride_on="3x3"``: "v1.5"), and every layer carries the same name, so
    weights move between the two by name. Inference is identical; ``momentum``
    (lib's 0.9, Keras' 0.99) only changes how training updates BN's moving
    statistics. 25,636,712 parameters with the 1000-class top, 23,587,712 without.
    """
    height, width = input_shape[:2]
    if len(input_shape) != 3 or any(size is not None and size < 32 for size in (height, width)):
        raise ValueError(
            f"ResNet-50 halves its input five times, so it needs images of at least 32x32 "
            f"(height, width, channels); got input_shape={tuple(input_shape)}."
        )
    if pooling not in (None, "avg"):
        raise ValueError(f"pooling must be None or 'avg', not {pooling!r}.")
    options = {"use_bias": True, "momentum": momentum, "epsilon": RESNET50_EPSILON}
    inputs = keras.Input(shape=input_shape, name="image")
    x = layers.ZeroPadding2D(3, name="conv1_pad")(inputs)
    x = layers.Conv2D(64, 7, strides=2, kernel_initializer="he_normal", name="conv1_conv")(x)
    x = blocks.bn_relu(x, "conv1", momentum=momentum, epsilon=RESNET50_EPSILON)
    x = layers.ZeroPadding2D(1, name="pool1_pad")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    for stage, (filters, units) in enumerate(RESNET50_STAGES, start=2):
        x = blocks.projection_block(
            x,
            filters,
            strides=1 if stage == 2 else 2,
            kind="bottleneck",
            name=f"conv{stage}_block1",
            stride_on=stride_on,
            **options,
        )
        for unit in range(2, units + 1):
            x = blocks.identity_block(x, filters, kind="bottleneck", name=f"conv{stage}_block{unit}", **options)
    if include_top or pooling == "avg":
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    if include_top:
        # float32 even under a mixed-precision policy: a softmax in float16 loses small probabilities.
        x = layers.Dense(classes, activation="softmax", dtype="float32", name="predictions")(x)
    version = "" if stride_on == "1x1" else "_v1_5"
    return keras.Model(inputs, x, name=f"resnet50{version}")


def classifier(x, classes, weight_decay=0.0):
    """Global average pooling (``pool``) and a softmax layer (``predictions``).

    ``(batch, *spatial, c)`` -> ``(batch, classes)``, for images and signals.
    """
    pool = layers.GlobalAveragePooling1D if len(x.shape) == 3 else layers.GlobalAveragePooling2D
    x = pool(name="pool")(x)
    return layers.Dense(
        classes,
        activation="softmax",
        kernel_regularizer=keras.regularizers.L2(weight_decay) if weight_decay else None,
        dtype="float32",  # a float32 softmax, even under a mixed-precision policy
        name="predictions",
    )(x)


def multiply_adds(model):
    """Multiply-adds of one forward pass of one example, over convolutions and dense layers."""
    total = 0
    for layer in model.layers:
        if isinstance(layer, layers.Conv2D):
            height, width, filters = layer.output.shape[1:]
            kh, kw, channels, _ = layer.kernel.shape
            total += height * width * kh * kw * channels * filters
        elif isinstance(layer, layers.Conv1D):
            length, filters = layer.output.shape[1:]
            k, channels, _ = layer.kernel.shape
            total += length * k * channels * filters
        elif isinstance(layer, layers.Dense):
            total += layer.kernel.shape[0] * layer.kernel.shape[1]
    return int(total)


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
        if isinstance(max_shift, bool) or not isinstance(max_shift, numbers.Integral) or max_shift < 1:
            raise ValueError(f"max_shift must be a whole number of pixels >= 1, not {max_shift!r}.")
        self.max_shift = int(max_shift)
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


def drsn(
    input_shape,
    classes,
    stage_filters=(4, 8, 16),
    units_per_stage=4,
    thresholds="channel",
    stem_filters=None,
    stem_strides=1,
    first_strides=1,
    reduction=1,
    weight_decay=1e-4,
    residual=True,
    name=None,
):
    """A deep residual shrinkage network (Zhao et al. 2020), or with ``thresholds=None`` its ResNet.

    ``(batch, *input_shape)`` -> ``(batch, classes)``; ``input_shape``
    ``(length, channels)`` builds a 1-D net, ``(h, w, channels)`` a 2-D one.
    A bias-free 3x3 (images) or width-3 (signals) stem convolution
    (``stem_filters``, default ``stage_filters[0]``, stride ``stem_strides``); per entry of
    ``stage_filters``, ``units_per_stage`` ``blocks.shrinkage_block`` units,
    the first with stride 2 (in the first stage, ``first_strides``); BN-ReLU,
    global average pooling, Dense softmax. Thresholds ``"channel"``
    (DRSN-CW), ``"shared"`` (DRSN-CS) or ``None`` (ResNet); each threshold
    net's first Dense has ``filters // reduction`` units. ``residual=False``
    (with ``thresholds=None``) removes every shortcut: the plain ConvNet, with
    the ResNet's parameters. Zhao et al.'s
    Table II: ``drsn((2048, 1), 8, stem_strides=2, first_strides=2)``, the
    defaults giving three stages of 4, 8, 16 channels and 4 units each.
    """
    input_shape = _input_shape(input_shape, (2, 3), "(length, channels) or (height, width, channels)")
    classes = _whole(classes, "classes", 2)
    if isinstance(stage_filters, (str, bytes)) or not hasattr(stage_filters, "__len__") or not stage_filters:
        raise ValueError(f"stage_filters must be a sequence of whole numbers, one a stage; not {stage_filters!r}.")
    for filters in stage_filters:
        _whole(filters, "each entry of stage_filters")
    _whole(units_per_stage, "units_per_stage")
    for value, argument in ((stem_strides, "stem_strides"), (first_strides, "first_strides")):
        _whole(value, argument)
    if stem_filters is not None:
        _whole(stem_filters, "stem_filters")
    if _whole(reduction, "reduction") > min(stage_filters):
        raise ValueError(
            f"reduction={reduction} leaves no units in the threshold net of a stage of {min(stage_filters)} "
            "channels: use a reduction no larger than the smallest entry of stage_filters."
        )
    inputs = keras.Input(shape=input_shape, name="signal" if len(input_shape) == 2 else "image")
    x = blocks.conv(inputs, stem_filters or stage_filters[0], 3, stem_strides, weight_decay, name="stem_conv")
    for stage, filters in enumerate(stage_filters, start=1):
        for unit in range(1, units_per_stage + 1):
            strides = (first_strides if stage == 1 else 2) if unit == 1 else 1
            x = blocks.shrinkage_block(
                x,
                filters,
                strides,
                thresholds,
                filters // reduction,
                weight_decay,
                residual=residual,
                name=f"stage{stage}_block{unit}",
            )
    x = blocks.bn_relu(x, "post")
    outputs = classifier(x, classes, weight_decay)
    default_name = {"channel": "drsn_cw", "shared": "drsn_cs"}.get(thresholds, "resnet" if residual else "convnet")
    return keras.Model(inputs, outputs, name=name or default_name)


def _one_unit_net(thresholds, reduction, name):
    """E0's and E3's net: ``(batch, 28, 28, 1)`` -> ``(batch, 10)``, one unit of 8 channels with stride 2."""
    return drsn(
        (28, 28, 1),
        10,
        stage_filters=(8,),
        units_per_stage=1,
        thresholds=thresholds,
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
