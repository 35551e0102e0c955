"""Datasets the book trains on, read exactly as ``keras.datasets`` returns them.

Online (Colab, a laptop) the data comes from ``keras.datasets``. Offline, point
``RESNET_BOOK_DATA`` at a folder holding the original IDX files::

    $RESNET_BOOK_DATA/mnist/train-images-idx3-ubyte.gz     (and the other three)
    $RESNET_BOOK_DATA/fashion-mnist/train-images-idx3-ubyte.gz
    $RESNET_BOOK_DATA/cifar-10-batches-py/data_batch_1 ...  (CIFAR-10, python version)
"""

import gzip
import os
import pathlib
import pickle

import keras
import numpy as np

DATA_VARIABLE = "RESNET_BOOK_DATA"
DATASETS = ("mnist", "fashion_mnist", "cifar10")
IDX_FOLDERS = {"mnist": "mnist", "fashion_mnist": "fashion-mnist"}
IDX_FILES = {
    "x_train": "train-images-idx3-ubyte.gz",
    "y_train": "train-labels-idx1-ubyte.gz",
    "x_test": "t10k-images-idx3-ubyte.gz",
    "y_test": "t10k-labels-idx1-ubyte.gz",
}
CLASS_NAMES = {
    "mnist": [str(d) for d in range(10)],
    "fashion_mnist": [
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ],
    "cifar10": [
        "airplane",
        "automobile",
        "bird",
        "cat",
        "deer",
        "dog",
        "frog",
        "horse",
        "ship",
        "truck",
    ],
}


class DatasetUnavailable(RuntimeError):
    """The dataset is neither in ``RESNET_BOOK_DATA`` nor downloadable."""


def load(name):
    """Load a dataset as ``((x_train, y_train), (x_test, y_test))``.

    Shapes and dtypes are those of ``keras.datasets``: uint8 images
    ``(n, 28, 28)`` for MNIST and Fashion-MNIST, ``(n, 32, 32, 3)`` for
    CIFAR-10; uint8 labels ``(n,)``, or ``(n, 1)`` for CIFAR-10.
    """
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}.")
    folder = os.environ.get(DATA_VARIABLE)
    if folder:
        return _load_local(name, pathlib.Path(folder))
    try:
        return getattr(keras.datasets, name).load_data()
    except Exception as error:
        raise DatasetUnavailable(
            f"could not download {name!r} through keras.datasets ({error}). "
            f"Connect to the internet, or set {DATA_VARIABLE} to a folder that holds "
            f"the original files (see lib/data.py for the layout)."
        ) from None


def _load_local(name, folder):
    if name == "cifar10":
        return _read_cifar10(folder / "cifar-10-batches-py")
    paths = {part: folder / IDX_FOLDERS[name] / file for part, file in IDX_FILES.items()}
    missing = [str(path) for path in paths.values() if not path.exists()]
    if missing:
        raise DatasetUnavailable(
            f"{DATA_VARIABLE}={folder} lacks {name!r}: {missing[0]} does not exist. "
            f"Place the four original IDX files there, or unset {DATA_VARIABLE} "
            f"to download through keras.datasets."
        )
    arrays = {part: read_idx(path) for part, path in paths.items()}
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def read_idx(path):
    """Read one IDX file (gzip or plain) into a NumPy array of its own shape."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as file:
        raw = file.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{path} is not an IDX file of unsigned bytes.")
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"{path} holds {data.size} values, its header says {shape}.")
    return data.reshape(shape)


def _read_cifar10(folder):
    if not folder.is_dir():
        raise DatasetUnavailable(
            f"CIFAR-10 is not in {folder}. Unpack the python version of CIFAR-10 there, "
            f"or unset {DATA_VARIABLE} and run online (keras.datasets downloads it)."
        )

    def batch(file):
        with open(folder / file, "rb") as handle:
            entry = pickle.load(handle, encoding="bytes")
        images = entry[b"data"].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        return images, np.array(entry[b"labels"], dtype=np.uint8).reshape(-1, 1)

    parts = [batch(f"data_batch_{i}") for i in range(1, 6)]
    x_train = np.concatenate([x for x, _ in parts])
    y_train = np.concatenate([y for _, y in parts])
    return (x_train, y_train), batch("test_batch")


def as_images(x, size=None):
    """Scale uint8 images to float32 in [0, 1], with a channel axis.

    ``x``: ``(n, h, w)`` or ``(n, h, w, c)``. With ``size``, zero-pad
    symmetrically to ``(n, size, size, c)`` (Fashion-MNIST 28 -> 32).
    """
    x = np.asarray(x, dtype=np.float32) / 255.0
    if x.ndim == 3:
        x = x[..., None]
    if size is not None:
        extra_h, extra_w = size - x.shape[1], size - x.shape[2]
        if extra_h < 0 or extra_w < 0:
            raise ValueError(f"cannot pad images of {x.shape[1:3]} down to {size}x{size}.")
        pad = ((0, 0), (extra_h // 2, extra_h - extra_h // 2), (extra_w // 2, extra_w - extra_w // 2), (0, 0))
        x = np.pad(x, pad)
    return x


def subset(x, y, n, seed=0):
    """``n`` examples drawn without replacement, the same ones for the same seed."""
    if n >= len(x):
        return x, y
    index = np.random.default_rng(seed).choice(len(x), size=n, replace=False)
    return x[index], y[index]
