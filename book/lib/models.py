"""The book's architectures, built from ``lib.blocks``: He et al.'s CIFAR nets, ResNet-50, the DRSN.

He et al.'s ImageNet family, ResNet-18 to -152 (``imagenet_resnet``), and its
costs stage by stage (``stage_costs``) rebuild their Table 1.

Every network's last layer computes in float32 whatever Keras' dtype
policy: under ``mixed_float16`` (an accelerated run, see ``lib.setup``) a
softmax in float16 would round small probabilities away. The seed
write-ups' one-notebook nets (E0 to E3) are in ``lib.writeups``.
"""

import types

import keras
import numpy as np
import pandas as pd
from keras import layers

from lib import blocks
from lib.arguments import ArgumentError, whole_number


def _is_whole(value, minimum):
    """Whether ``value`` passes ``whole_number`` with this ``minimum``."""
    try:
        whole_number(value, "value", minimum=minimum)
    except ArgumentError:
        return False
    return True


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
        raise ArgumentError(f"input_shape must be {what}; got input_shape={input_shape!r}.")
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
        raise ArgumentError(
            f"depth must be 6n + 2 for a whole n >= 1 (8, 14, 20, 32, 44, 56, 110, ...), not {depth!r}."
        )
    input_shape = _input_shape(input_shape, (3,), "(height, width, channels), e.g. (32, 32, 3)")
    classes = whole_number(classes, "classes", minimum=2)
    if shortcut not in blocks.SHORTCUT_OPTIONS:
        raise ArgumentError(f"shortcut must be one of {', '.join(blocks.SHORTCUT_OPTIONS)}, not {shortcut!r}.")
    if not isinstance(shortcut_scale, (int, float)) or isinstance(shortcut_scale, bool) or shortcut_scale <= 0:
        raise ArgumentError(f"shortcut_scale must be a positive number (1 is the identity), not {shortcut_scale!r}.")
    if preactivation and shortcut_scale != 1:
        raise ArgumentError(
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
        raise ArgumentError(
            f"ResNet-50 halves its input five times, so it needs images of at least 32x32 "
            f"(height, width, channels); got input_shape={tuple(input_shape)}."
        )
    if pooling not in (None, "avg"):
        raise ArgumentError(f"pooling must be None or 'avg', not {pooling!r}.")
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


# He et al.'s Table 1: depth -> the block kind and the units of each stage, conv2_x ... conv5_x.
IMAGENET_RESNETS = {
    18: ("basic", (2, 2, 2, 2)),
    34: ("basic", (3, 4, 6, 3)),
    50: ("bottleneck", (3, 4, 6, 3)),
    101: ("bottleneck", (3, 4, 23, 3)),
    152: ("bottleneck", (3, 8, 36, 3)),
}
# The filters of each stage's 3x3 convolutions, conv2_x ... conv5_x (a bottleneck's output has four times as many).
IMAGENET_FILTERS = (64, 128, 256, 512)


def imagenet_resnet(
    depth,
    input_shape=(224, 224, 3),
    classes=1000,
    include_top=True,
    pooling=None,
    stride_on="1x1",
    momentum=blocks.BN_MOMENTUM,
):
    """He et al.'s ImageNet ResNet of ``depth`` 18, 34, 50, 101 or 152 (their Table 1), from ``lib.blocks``.

    ``(batch, h, w, c)`` -> ``(batch, classes)`` softmax probabilities, or with
    ``include_top=False`` the last stage's features, ``(batch, h / 32, w / 32,
    512 or 2048)`` (``pooling="avg"``: ``(batch, 512 or 2048)``). The stem of
    ``resnet50`` (7x7/2 convolution, 3x3/2 max-pool), four stages ``conv2``
    ... ``conv5`` of ``IMAGENET_RESNETS[depth]`` units with
    ``IMAGENET_FILTERS``, the first unit of ``conv3`` on halving the
    resolution, global average pooling and a Dense softmax; layers are named
    as in ``keras.applications``.

    Depths 50, 101 and 152 are bottleneck nets, layer for layer
    ``keras.applications.ResNet50``, ``ResNet101`` and ``ResNet152``
    (``imagenet_resnet(50)`` is ``resnet50()``): every convolution has a bias,
    batch norm's epsilon is 1.001e-5, each stage starts with a projection
    block. Depths 18 and 34, which Keras does not have, are the book's basic
    blocks (``blocks.basic_block``, bias-free, lib's batch norm) with option B
    shortcuts: a strided 1x1 projection + BN where a stage changes the shape,
    the identity elsewhere. ``stride_on`` and ``momentum`` are the bottleneck
    block's (see ``resnet50``); the basic nets take only their defaults.
    """
    if not isinstance(depth, int) or isinstance(depth, bool) or depth not in IMAGENET_RESNETS:
        raise ArgumentError(
            f"depth must be one of {', '.join(map(str, IMAGENET_RESNETS))} (He et al.'s Table 1), not {depth!r}."
        )
    kind, units_per_stage = IMAGENET_RESNETS[depth]
    height, width = input_shape[:2]
    if len(input_shape) != 3 or any(size is not None and size < 32 for size in (height, width)):
        raise ArgumentError(
            f"ResNet-{depth} halves its input five times, so it needs images of at least 32x32 "
            f"(height, width, channels); got input_shape={tuple(input_shape)}."
        )
    if pooling not in (None, "avg"):
        raise ArgumentError(f"pooling must be None or 'avg', not {pooling!r}.")
    if kind == "basic" and (stride_on != "1x1" or momentum != blocks.BN_MOMENTUM):
        raise ArgumentError(
            f"stride_on and momentum are options of the bottleneck nets (depth 50, 101, 152); "
            f"ResNet-{depth} is built of basic blocks and takes their defaults."
        )
    options = {"use_bias": True, "momentum": momentum, "epsilon": RESNET50_EPSILON} if kind == "bottleneck" else {}
    inputs = keras.Input(shape=input_shape, name="image")
    x = layers.ZeroPadding2D(3, name="conv1_pad")(inputs)
    x = layers.Conv2D(
        64, 7, strides=2, use_bias=kind == "bottleneck", kernel_initializer="he_normal", name="conv1_conv"
    )(x)
    x = blocks.bn_relu(x, "conv1", momentum=momentum, epsilon=options.get("epsilon", blocks.BN_EPSILON))
    x = layers.ZeroPadding2D(1, name="pool1_pad")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    for stage, (filters, units) in enumerate(zip(IMAGENET_FILTERS, units_per_stage), start=2):
        strides = 1 if stage == 2 else 2
        for unit in range(1, units + 1):
            name = f"conv{stage}_block{unit}"
            if kind == "basic":
                x = blocks.basic_block(x, filters, strides if unit == 1 else 1, "B", name=name)
            elif unit == 1:
                x = blocks.projection_block(
                    x, filters, strides, kind="bottleneck", name=name, stride_on=stride_on, **options
                )
            else:
                x = blocks.identity_block(x, filters, kind="bottleneck", name=name, **options)
    if include_top or pooling == "avg":
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    if include_top:
        # float32 even under a mixed-precision policy: a softmax in float16 loses small probabilities.
        x = layers.Dense(classes, activation="softmax", dtype="float32", name="predictions")(x)
    version = "_v1_5" if stride_on == "3x3" else ""
    return keras.Model(inputs, x, name=f"resnet{depth}{version}")


def _stage(layer_name):
    """The stage of a layer named as in ``keras.applications``' ResNets: conv1 (with pool1), conv2_x ..., head."""
    prefix = layer_name.split("_")[0]
    if prefix in ("conv1", "pool1"):
        return "conv1"
    if prefix in ("avg", "predictions"):
        return "head"
    return f"{prefix}_x"


def _as_in_table1(layer):
    """A layer as He et al.'s Table 1 writes it: "3×3, 64" (kernel, filters), "7×7, 64, /2", "3×3 max pool, /2"."""
    if isinstance(layer, layers.Dense):
        return f"{layer.units}-way dense"
    if isinstance(layer, layers.GlobalAveragePooling2D):
        return "average pool"
    stride = f", /{layer.strides[0]}" if layer.strides[0] > 1 else ""
    if isinstance(layer, layers.MaxPooling2D):
        return f"{layer.pool_size[0]}×{layer.pool_size[1]} max pool{stride}"
    return f"{layer.kernel_size[0]}×{layer.kernel_size[1]}, {layer.filters}{stride}"


def stage_costs(model):
    """Per stage of an ImageNet ResNet, a table: He et al.'s Table 1 measured on ``model``.

    ``model``: ``imagenet_resnet``, ``resnet50`` or a ``keras.applications``
    ResNet (v1), whose layers are named alike. One row per stage, ``conv1``
    (the 7x7 convolution and the max-pool), ``conv2_x`` ... ``conv5_x`` and
    ``head`` (pooling and classifier), in that order; columns ``output size``
    (height, width, channels of the stage's last layer), ``units`` (residual
    units), ``unit`` (the layers of the stage's first unit, shortcut aside, as
    Table 1 writes them, e.g. "1×1, 128, /2 · 3×3, 128 · 1×1, 512"),
    ``weighted layers`` (convolutions off the shortcut, and the dense layer:
    they add up to the depth), ``parameters`` (Keras' ``count_params``, BN's
    moving statistics included), ``learned parameters`` (the trainable weights)
    and ``multiply-adds`` (``multiply_adds`` of the stage's layers, one image).
    """
    shown = (layers.Conv2D, layers.Dense, layers.MaxPooling2D, layers.GlobalAveragePooling2D)
    stages = {}
    for layer in model.layers[1:]:
        stages.setdefault(_stage(layer.name), []).append(layer)
    table = {}
    for stage, stage_layers in stages.items():
        off_shortcut = [layer for layer in stage_layers if not layer.name.endswith("_0_conv")]
        first_unit = [layer for layer in off_shortcut if "_block" not in layer.name or "_block1_" in layer.name]
        table[stage] = {
            "output size": tuple(stage_layers[-1].output.shape[1:]),
            "units": len({layer.name.split("_")[1] for layer in stage_layers if "_block" in layer.name}),
            "unit": " · ".join(_as_in_table1(layer) for layer in first_unit if isinstance(layer, shown)),
            "weighted layers": sum(isinstance(layer, (layers.Conv2D, layers.Dense)) for layer in off_shortcut),
            "parameters": sum(layer.count_params() for layer in stage_layers),
            "learned parameters": sum(int(np.prod(w.shape)) for layer in stage_layers for w in layer.trainable_weights),
            # multiply_adds reads nothing of a model but its .layers
            "multiply-adds": multiply_adds(types.SimpleNamespace(layers=stage_layers)),
        }
    frame = pd.DataFrame.from_dict(table, orient="index")
    frame.index.name = "stage"
    return frame


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
    classes = whole_number(classes, "classes", minimum=2)
    if isinstance(stage_filters, (str, bytes)) or not hasattr(stage_filters, "__len__") or not stage_filters:
        raise ArgumentError(f"stage_filters must be a sequence of whole numbers, one a stage; not {stage_filters!r}.")
    for filters in stage_filters:
        whole_number(filters, "each entry of stage_filters")
    whole_number(units_per_stage, "units_per_stage")
    for value, argument in ((stem_strides, "stem_strides"), (first_strides, "first_strides")):
        whole_number(value, argument)
    if stem_filters is not None:
        whole_number(stem_filters, "stem_filters")
    if whole_number(reduction, "reduction") > min(stage_filters):
        raise ArgumentError(
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
