"""Independent references for the tests: loops and formulas in NumPy, no Keras.

The blocks' layers; the signal-to-noise ratio; and writers of the datasets'
original file formats (IDX, the python version of CIFAR-10), written from
the formats' descriptions, against which ``lib.data``'s readers are checked.
"""

import gzip
import pickle

import numpy as np

BN_EPSILON = 1e-3  # keras.layers.BatchNormalization's default


def windows_same(x, k, strides, fill=0.0):
    """TensorFlow's 'same' padding: yield (i, j, the k x k window of output pixel i, j) for x: (n, h, w, c)."""
    _, h, w, _ = x.shape
    out_h, out_w = -(-h // strides), -(-w // strides)
    pad_h = max((out_h - 1) * strides + k - h, 0)
    pad_w = max((out_w - 1) * strides + k - w, 0)
    pads = ((0, 0), (pad_h // 2, pad_h - pad_h // 2), (pad_w // 2, pad_w - pad_w // 2), (0, 0))
    x = np.pad(x, pads, constant_values=fill)
    for i in range(out_h):
        for j in range(out_w):
            yield i, j, x[:, i * strides : i * strides + k, j * strides : j * strides + k, :]


def conv2d_same(x, kernel, strides=1):
    """TensorFlow's 'same' convolution. x: (n, h, w, c); kernel: (k, k, c, f)."""
    n, h, w, _ = x.shape
    out = np.zeros((n, -(-h // strides), -(-w // strides), kernel.shape[-1]))
    for i, j, patch in windows_same(x, kernel.shape[0], strides):
        out[:, i, j, :] = np.tensordot(patch, kernel, axes=([1, 2, 3], [0, 1, 2]))
    return out


def conv1d_same(x, kernel, strides=1):
    """TensorFlow's 'same' convolution of signals. x: (n, l, c); kernel: (k, c, f)."""
    length, k = x.shape[1], kernel.shape[0]
    out_length = -(-length // strides)
    pad = max((out_length - 1) * strides + k - length, 0)
    x = np.pad(x, ((0, 0), (pad // 2, pad - pad // 2), (0, 0)))
    windows = [x[:, i * strides : i * strides + k, :] for i in range(out_length)]
    return np.stack([np.tensordot(window, kernel, axes=([1, 2], [0, 1])) for window in windows], axis=1)


def max_pool_same(x, k, strides):
    """TensorFlow's 'same' max pooling (padding never wins). x: (n, h, w, c)."""
    n, h, w, c = x.shape
    out = np.zeros((n, -(-h // strides), -(-w // strides), c))
    for i, j, patch in windows_same(x, k, strides, fill=-np.inf):
        out[:, i, j, :] = patch.max(axis=(1, 2))
    return out


def average_pool(x, k):
    """'valid' average pooling with window and stride k. x: (n, h, w, c), h and w multiples of k."""
    n, h, w, c = x.shape
    return x.reshape(n, h // k, k, w // k, k, c).mean(axis=(2, 4))


def max_pool(x, k):
    """'valid' max pooling with window and stride k (a remainder row or column is dropped). x: (n, h, w, c)."""
    n, h, w, c = x.shape
    return x[:, : h // k * k, : w // k * k].reshape(n, h // k, k, w // k, k, c).max(axis=(2, 4))


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


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def soft_threshold(x, tau):
    """Soft thresholding as ``x`` less its clip to ``[-tau, tau]``."""
    return x - np.clip(x, -tau, tau)


def snr_db(clean, noisy):
    """Per sample of ``(n, length, channels)``: ``10 log10(P_signal / P_noise)``, powers averaged over axes 1, 2."""
    noise = noisy - clean
    return 10 * np.log10(np.mean(clean**2, axis=(1, 2)) / np.mean(noise**2, axis=(1, 2)))


def idx_bytes(array):
    """An IDX file of unsigned bytes: 00 00 08, the number of dimensions, each size in 4 big-endian bytes, values."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_idx(path, array, gzipped=True):
    """Write ``array`` as an IDX file at ``path``, gzip-compressed as the publishers ship them (or plain)."""
    raw = idx_bytes(array)
    if gzipped:
        with gzip.open(path, "wb") as file:
            file.write(raw)
    else:
        path.write_bytes(raw)


def cifar10_rows(images):
    """CIFAR-10's rows from images ``(n, 32, 32, 3)``: 1024 red values, then green, then blue, each row by row."""
    rows = np.zeros((len(images), 3072), dtype=np.uint8)
    for n, image in enumerate(images):
        for channel in range(3):
            for i in range(32):
                for j in range(32):
                    rows[n, 1024 * channel + 32 * i + j] = image[i, j, channel]
    return rows


def write_cifar10_batch(path, images, labels, numpy1_names=False):
    """One batch file of the python version of CIFAR-10: a pickled dict of bytes keys, as Python 2 wrote it.

    ``numpy1_names``: name NumPy's functions as NumPy 1 did (``numpy.core``),
    as in the files the CIFAR-10 site ships.
    """
    entry = {
        b"batch_label": path.name.encode(),
        b"labels": [int(label) for label in labels],
        b"data": cifar10_rows(images),
        b"filenames": [f"image_{n}.png".encode() for n in range(len(images))],
    }
    raw = pickle.dumps(entry, protocol=2)
    if numpy1_names:
        raw = raw.replace(b"numpy._core.multiarray", b"numpy.core.multiarray")
        assert b"numpy.core.multiarray" in raw
    path.write_bytes(raw)
