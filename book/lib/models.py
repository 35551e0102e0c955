"""Whole networks built from ``lib.blocks``."""

import keras
from keras import layers

from lib import blocks


def cifar_resnet(depth, residual=True, shortcut="A", input_shape=(32, 32, 1), classes=10, weight_decay=1e-4):
    """He et al.'s CIFAR network of ``depth = 6n + 2`` layers, residual or plain.

    A 3x3 convolution with 16 filters, three stages of ``n`` basic blocks with
    16, 32 and 64 filters (the second and third start with stride 2), global
    average pooling and a softmax layer. ``(batch, *input_shape)`` ->
    ``(batch, classes)``. ``residual=False`` removes every shortcut and keeps
    every other layer, so plain and residual nets have the same parameters
    under option A.
    """
    if not isinstance(depth, int) or depth < 8 or (depth - 2) % 6:
        raise ValueError(f"depth must be 6n + 2 for a whole n >= 1 (8, 14, 20, 32, 44, 56, 110, ...), not {depth!r}.")
    blocks_per_stage = (depth - 2) // 6
    inputs = keras.Input(shape=input_shape, name="image")
    x = blocks.conv(inputs, 16, 3, 1, weight_decay, name="stem_conv")
    x = layers.BatchNormalization(name="stem_bn")(x)
    x = layers.Activation("relu", name="stem_relu")(x)
    for stage, filters in enumerate((16, 32, 64), start=1):
        for unit in range(1, blocks_per_stage + 1):
            strides = 2 if stage > 1 and unit == 1 else 1
            x = blocks.basic_block(
                x, filters, strides, shortcut, residual, weight_decay, name=f"stage{stage}_block{unit}"
            )
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    outputs = layers.Dense(
        classes,
        activation="softmax",
        kernel_regularizer=keras.regularizers.L2(weight_decay) if weight_decay else None,
        name="predictions",
    )(x)
    kind = "resnet" if residual else "plain"
    return keras.Model(inputs, outputs, name=f"{kind}{depth}")
