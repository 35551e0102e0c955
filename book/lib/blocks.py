"""Residual blocks and their shortcuts, in Keras 3 functional style.

Every function takes a tensor and returns a tensor, naming its layers
``{name}_{part}`` in the manner of ``keras.applications``. Shapes are
channels-last: images ``(batch, height, width, channels)``.
"""

import keras
from keras import layers, ops

SHORTCUT_OPTIONS = ("A", "B", "C")


@keras.saving.register_keras_serializable(package="lib")
class ZeroPadShortcut(layers.Layer):
    """He et al.'s option A: subsample by ``strides``, zero-pad new channels.

    ``(batch, h, w, c)`` -> ``(batch, ceil(h / s), ceil(w / s), channels)``;
    the ``channels - c`` zero channels are split evenly before and after.
    No parameters.
    """

    def __init__(self, channels, strides=1, **kwargs):
        super().__init__(**kwargs)
        self.channels = channels
        self.strides = strides

    def call(self, x):
        if self.strides > 1:
            x = x[:, :: self.strides, :: self.strides, :]
        extra = self.channels - x.shape[-1]
        if extra < 0:
            raise ValueError(f"option A cannot shrink {x.shape[-1]} channels to {self.channels}.")
        return ops.pad(x, [[0, 0], [0, 0], [0, 0], [extra // 2, extra - extra // 2]])

    def compute_output_shape(self, input_shape):
        batch, height, width, _ = input_shape

        def shrink(size):
            return None if size is None else -(-size // self.strides)

        return (batch, shrink(height), shrink(width), self.channels)

    def get_config(self):
        return {**super().get_config(), "channels": self.channels, "strides": self.strides}


def conv(x, filters, kernel_size, strides=1, weight_decay=0.0, name=None):
    """A bias-free 'same' convolution with He-normal initialisation."""
    return layers.Conv2D(
        filters,
        kernel_size,
        strides=strides,
        padding="same",
        use_bias=False,
        kernel_initializer="he_normal",
        kernel_regularizer=keras.regularizers.L2(weight_decay) if weight_decay else None,
        name=name,
    )(x)


def shortcut(x, filters, strides=1, option="A", weight_decay=0.0, name="shortcut"):
    """The shortcut of a residual block: what is added to the residual branch.

    Option A: identity, or subsample + zero-pad when the shape changes.
    Option B: identity, or a strided 1x1 projection + BN when the shape changes.
    Option C: a 1x1 projection + BN always.
    """
    if option not in SHORTCUT_OPTIONS:
        raise ValueError(f"unknown shortcut option {option!r}; choose one of {', '.join(SHORTCUT_OPTIONS)}.")
    changes_shape = strides != 1 or x.shape[-1] != filters
    if option == "C" or (option == "B" and changes_shape):
        x = conv(x, filters, 1, strides, weight_decay, name=f"{name}_0_conv")
        return layers.BatchNormalization(name=f"{name}_0_bn")(x)
    if changes_shape:
        return ZeroPadShortcut(filters, strides, name=f"{name}_0_pad")(x)
    return x


def add(shortcut_tensor, residual_tensor, name):
    """Add shortcut and residual, with a clear error when the shapes differ."""
    if tuple(shortcut_tensor.shape[1:]) != tuple(residual_tensor.shape[1:]):
        raise ValueError(
            f"{name}: cannot add a shortcut of shape {tuple(shortcut_tensor.shape)} to a "
            f"residual branch of shape {tuple(residual_tensor.shape)}; use a projection "
            f"shortcut (option B or C) or option A to match them."
        )
    return layers.Add(name=f"{name}_add")([shortcut_tensor, residual_tensor])


def basic_block(x, filters, strides=1, shortcut_option="A", residual=True, weight_decay=0.0, name="block"):
    """Two 3x3 convolutions, post-activation (He et al. 2016, CIFAR nets).

    ``(batch, h, w, c)`` -> ``(batch, h / strides, w / strides, filters)``:
    conv-BN-ReLU-conv-BN, add the shortcut, ReLU. With ``residual=False``
    there is no shortcut: the same layers form a plain block.
    """
    y = conv(x, filters, 3, strides, weight_decay, name=f"{name}_1_conv")
    y = layers.BatchNormalization(name=f"{name}_1_bn")(y)
    y = layers.Activation("relu", name=f"{name}_1_relu")(y)
    y = conv(y, filters, 3, 1, weight_decay, name=f"{name}_2_conv")
    y = layers.BatchNormalization(name=f"{name}_2_bn")(y)
    if residual:
        y = add(shortcut(x, filters, strides, shortcut_option, weight_decay, name=name), y, name)
    return layers.Activation("relu", name=f"{name}_out")(y)
