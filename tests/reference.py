"""Independent NumPy references for the blocks: loops and formulas, no Keras."""

import numpy as np

BN_EPSILON = 1e-3  # keras.layers.BatchNormalization's default


def conv2d_same(x, kernel, strides=1):
    """TensorFlow's 'same' convolution. x: (n, h, w, c); kernel: (k, k, c, f)."""
    n, h, w, _ = x.shape
    k = kernel.shape[0]
    out_h, out_w = -(-h // strides), -(-w // strides)
    pad_h = max((out_h - 1) * strides + k - h, 0)
    pad_w = max((out_w - 1) * strides + k - w, 0)
    x = np.pad(x, ((0, 0), (pad_h // 2, pad_h - pad_h // 2), (pad_w // 2, pad_w - pad_w // 2), (0, 0)))
    out = np.zeros((n, out_h, out_w, kernel.shape[-1]))
    for i in range(out_h):
        for j in range(out_w):
            patch = x[:, i * strides : i * strides + k, j * strides : j * strides + k, :]
            out[:, i, j, :] = np.tensordot(patch, kernel, axes=([1, 2, 3], [0, 1, 2]))
    return out


def batch_norm(x, gamma, beta, mean, variance, epsilon=BN_EPSILON):
    """Batch normalisation in inference mode, per channel (last axis)."""
    return gamma * (x - mean) / np.sqrt(variance + epsilon) + beta


def relu(x):
    return np.maximum(x, 0.0)


def option_a(x, channels, strides):
    """Subsample by taking every strides-th pixel; zero channels split evenly."""
    x = x[:, ::strides, ::strides, :]
    extra = channels - x.shape[-1]
    before = extra // 2
    out = np.zeros(x.shape[:3] + (channels,))
    out[..., before : before + x.shape[-1]] = x
    return out
