"""Datasets the book trains on: ``keras.datasets``, synthetic vibration signals and folders of files.

Online (Colab, a laptop) the data comes from ``keras.datasets``. Offline, point
``RESNET_BOOK_DATA`` at a folder holding the original IDX files::

    $RESNET_BOOK_DATA/mnist/train-images-idx3-ubyte.gz     (and the other three)
    $RESNET_BOOK_DATA/fashion-mnist/train-images-idx3-ubyte.gz
    $RESNET_BOOK_DATA/cifar-10-batches-py/data_batch_1 ...  (CIFAR-10, python version)

Chapter 5's vibration signals are synthetic (``vibration``, ``add_noise``);
``signal_folder`` and ``image_folder`` read a reader's own recordings and
photographs, one sub-folder per class.
"""

import gzip
import os
import pathlib
import pickle

import keras
import numpy as np
import tensorflow as tf

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


# Chapter 5's machine: a shaft turning at about 1,797 rpm (a jitter of +-4% per
# sample models speed and load), sampled at 12 kHz as in the CWRU bearing data.
SAMPLING_RATE = 12_000
SHAFT_HZ = 29.95
# Bearing fault frequencies as multiples of the shaft frequency (a 6205 deep-groove
# ball bearing, 9 balls): outer race (BPFO), inner race (BPFI), ball spin (BSF),
# cage (FTF). A ball defect strikes both races, so it rings at twice BSF.
BEARING_ORDERS = {"BPFO": 3.585, "BPFI": 5.415, "BSF": 2.357, "FTF": 0.398}
GEAR_TEETH = 20
# Structural resonances the impacts excite, in Hz, and their decay time in seconds.
BEARING_RESONANCE_HZ = 3_000
GEAR_RESONANCE_HZ = 1_800
RESONANCE_DECAY_S = 0.0012
VIBRATION_CLASSES = (
    "healthy",
    "inner race, mild",
    "inner race, severe",
    "outer race, mild",
    "outer race, severe",
    "rolling element",
    "gear tooth, chipped",
    "gear tooth, broken",
)
# Per class: the impacts' rate in shaft orders, their amplitude, what modulates
# them (in shaft orders; 0 = nothing), and which resonance they excite.
FAULTS = {
    "healthy": None,
    "inner race, mild": (BEARING_ORDERS["BPFI"], 1.5, 1.0, BEARING_RESONANCE_HZ),
    "inner race, severe": (BEARING_ORDERS["BPFI"], 3.0, 1.0, BEARING_RESONANCE_HZ),
    "outer race, mild": (BEARING_ORDERS["BPFO"], 1.5, 0.0, BEARING_RESONANCE_HZ),
    "outer race, severe": (BEARING_ORDERS["BPFO"], 3.0, 0.0, BEARING_RESONANCE_HZ),
    "rolling element": (2 * BEARING_ORDERS["BSF"], 2.0, BEARING_ORDERS["FTF"], BEARING_RESONANCE_HZ),
    "gear tooth, chipped": (1.0, 3.0, 0.0, GEAR_RESONANCE_HZ),
    "gear tooth, broken": (1.0, 6.0, 0.0, GEAR_RESONANCE_HZ),
}
NOISE_KINDS = ("gaussian", "laplacian", "pink")


def fault_frequency(name, shaft_hz=SHAFT_HZ):
    """The rate, in Hz, at which the fault of class ``name`` strikes (None when healthy)."""
    return None if FAULTS[name] is None else FAULTS[name][0] * shaft_hz


def _impacts(rng, n, length, orders, shaft_hz, modulation, resonance_hz):
    """Impact trains ringing a resonance: ``(n, length)``, one row per sample.

    Impacts arrive every ``1 / (orders * shaft_hz)`` seconds with a random
    first arrival and a jitter of 1% of that period (rollers slip); each one
    excites ``exp(-t / decay) * sin(2 pi f_res t)``. With ``modulation`` > 0,
    their amplitudes follow ``1 + 0.6 cos`` at ``modulation`` shaft orders: the
    inner race carries its defect through the load zone once a turn, a ball
    once per turn of the cage.
    """
    period = SAMPLING_RATE / (orders * shaft_hz)
    count = int(np.ceil(length / period.min())) + 1
    arrivals = rng.uniform(0, period)[:, None] * np.ones(count) + period[:, None] * np.arange(count)
    arrivals += rng.normal(0, 0.01, (n, count)) * period[:, None]
    strength = rng.uniform(0.8, 1.2, (n, count))
    if modulation:
        phase = rng.uniform(0, 2 * np.pi, (n, 1))
        strength *= 1 + 0.6 * np.cos(2 * np.pi * modulation * shaft_hz[:, None] * arrivals / SAMPLING_RATE + phase)
    index = np.round(arrivals).astype(int)
    inside = index < length
    train = np.zeros((n, length))
    np.add.at(train, (np.nonzero(inside)[0], index[inside]), strength[inside])
    t = np.arange(length) / SAMPLING_RATE
    ringing = np.exp(-t / RESONANCE_DECAY_S) * np.sin(2 * np.pi * resonance_hz * t)
    size = 2 * length
    return np.fft.irfft(np.fft.rfft(train, size) * np.fft.rfft(ringing, size), size)[:, :length]


def vibration(n_per_class, length=2048, seed=0):
    """Synthetic machinery vibration, ``n_per_class`` samples of each of ``VIBRATION_CLASSES``.

    Returns ``(x, y)``: float32 signals ``(8 * n_per_class, length, 1)``
    sampled at ``SAMPLING_RATE`` Hz and int64 labels ``(8 * n_per_class,)``,
    shuffled, the same for the same seed. Every sample has the shaft's
    harmonics 1x, 2x, 3x (random phases and amplitudes), a gear-mesh tone at
    ``GEAR_TEETH`` x and a little background noise; a fault adds the impacts
    of ``FAULTS`` (see ``_impacts``). The shaft speed varies by +-4% from
    sample to sample.
    """
    rng = np.random.default_rng(seed)
    t = np.arange(length) / SAMPLING_RATE
    signals = []
    for name in VIBRATION_CLASSES:
        shaft_hz = SHAFT_HZ * rng.uniform(0.96, 1.04, n_per_class)
        x = np.zeros((n_per_class, length))
        for order, amplitude in ((1, 0.5), (2, 0.3), (3, 0.15), (GEAR_TEETH, 0.3)):
            phase = rng.uniform(0, 2 * np.pi, (n_per_class, 1))
            scale = amplitude * rng.uniform(0.7, 1.3, (n_per_class, 1))
            x += scale * np.sin(2 * np.pi * order * shaft_hz[:, None] * t + phase)
        if FAULTS[name] is not None:
            orders, amplitude, modulation, resonance_hz = FAULTS[name]
            x += amplitude * _impacts(rng, n_per_class, length, orders, shaft_hz, modulation, resonance_hz)
        x += rng.normal(0, 0.05, x.shape)
        signals.append(x)
    x = np.concatenate(signals)[..., None].astype(np.float32)
    y = np.repeat(np.arange(len(VIBRATION_CLASSES)), n_per_class)
    order = rng.permutation(len(y))
    return x[order], y[order]


def _pink(rng, shape):
    """Noise with a 1/f power spectrum along axis 1 of ``shape`` ``(n, length, channels)``."""
    length = shape[1]
    frequencies = np.fft.rfftfreq(length)
    spectrum = rng.normal(size=(shape[0], len(frequencies), shape[2])) + 1j * rng.normal(
        size=(shape[0], len(frequencies), shape[2])
    )
    gain = np.zeros_like(frequencies)
    gain[1:] = 1 / np.sqrt(frequencies[1:])
    return np.fft.irfft(spectrum * gain[None, :, None], length, axis=1)


def add_noise(signal, snr_db, kind="gaussian", seed=0):
    """``signal`` plus noise of ``kind`` at a signal-to-noise ratio of exactly ``snr_db`` dB per sample.

    ``signal``: ``(length,)``, ``(n, length)`` or ``(n, length, channels)``;
    returns float32 of the same shape. The SNR of a sample is
    ``10 log10(P_signal / P_noise)``, each power the mean of the squared
    values over that sample's own length (and channels), so every sample gets
    its own noise level. ``kind``: ``"gaussian"``, ``"laplacian"`` (heavy
    tails: excess kurtosis 3) or ``"pink"`` (Gaussian with a 1/f power
    spectrum, made in the frequency domain). The same seed gives the same noise.
    """
    if kind not in NOISE_KINDS:
        raise ValueError(f"unknown noise kind {kind!r}; choose one of {', '.join(NOISE_KINDS)}.")
    x = np.asarray(signal, dtype=np.float64)
    shape = x.shape
    if x.ndim == 1:
        x = x[None, :, None]
    elif x.ndim == 2:
        x = x[..., None]
    rng = np.random.default_rng(seed)
    if kind == "gaussian":
        noise = rng.normal(size=x.shape)
    elif kind == "laplacian":
        noise = rng.laplace(size=x.shape)
    else:
        noise = _pink(rng, x.shape)
    signal_power = np.mean(x**2, axis=(1, 2), keepdims=True)
    if np.any(signal_power == 0):
        raise ValueError("a sample is all zeros: its signal-to-noise ratio is undefined.")
    noise_power = np.mean(noise**2, axis=(1, 2), keepdims=True)
    noise *= np.sqrt(signal_power / noise_power / 10 ** (snr_db / 10))
    return (x + noise).reshape(shape).astype(np.float32)


class DataFolderError(ValueError):
    """A folder of recordings or images is not laid out as ``signal_folder`` or ``image_folder`` expect."""


SIGNAL_EXTENSIONS = (".npy", ".csv")
IMAGE_EXTENSIONS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")


def _class_folders(path, what):
    """The class sub-folders of ``path``, sorted by name; clear errors when there are none."""
    path = pathlib.Path(path)
    if not path.is_dir():
        raise FileNotFoundError(
            f"{path} is not a folder. Give the folder that holds one sub-folder of {what} per class."
        )
    folders = sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not folders:
        raise DataFolderError(
            f"{path} has no class sub-folders. Put the {what} of each class in a sub-folder "
            f"named after the class, e.g. {path / 'healthy'}."
        )
    return folders


def _read_recording(path):
    """One recording as a 1-D float array: a ``.npy`` array or a ``.csv`` column."""
    try:
        values = np.load(path) if path.suffix == ".npy" else np.loadtxt(path, delimiter=",", ndmin=2)
    except Exception as error:
        raise DataFolderError(
            f"cannot read {path} ({error}). Save it with np.save or as one column of numbers."
        ) from None
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 2 and 1 in values.shape:
        values = values.ravel()
    if values.ndim != 1:
        raise DataFolderError(f"{path} holds an array of shape {values.shape}; save one 1-D signal (or column) a file.")
    return values


def signal_folder(path, length=2048, step=None):
    """Cut recordings, one sub-folder of ``.npy`` or ``.csv`` files per class, into segments.

    Each file is one 1-D signal (or one column). Segments of ``length``
    points start every ``step`` points (default ``length``: no overlap).
    Returns ``(x, y, class_names)``: float32 ``(n, length, 1)``, int64
    labels ``(n,)`` indexing ``class_names``, the sub-folders' names sorted.
    Other files are skipped; a class with no ``.npy``/``.csv`` file, an
    unreadable file or a recording shorter than ``length`` raises
    ``DataFolderError`` naming it.
    """
    step = step or length
    segments, labels = [], []
    folders = _class_folders(path, "recordings (.npy or .csv files)")
    for label, folder in enumerate(folders):
        files = sorted(p for p in folder.iterdir() if p.suffix.lower() in SIGNAL_EXTENSIONS)
        if not files:
            raise DataFolderError(f"class folder {folder} has no .npy or .csv file; add recordings or remove it.")
        for file in files:
            values = _read_recording(file)
            if len(values) < length:
                raise DataFolderError(
                    f"{file} has {len(values)} points, fewer than one segment of {length}; "
                    f"use a shorter length or remove the file."
                )
            starts = np.arange(0, len(values) - length + 1, step)
            segments.append(values[starts[:, None] + np.arange(length)])
            labels.append(np.full(len(starts), label))
    x = np.concatenate(segments)[..., None].astype(np.float32)
    return x, np.concatenate(labels).astype(np.int64), [folder.name for folder in folders]


def image_folder(path, image_size, batch_size=32, validation_split=None, seed=0):
    """Images, one sub-folder per class, as cached and prefetched ``tf.data`` datasets.

    Wraps ``keras.utils.image_dataset_from_directory``: batches of float32
    ``(batch, h, w, 3)`` in [0, 255] and int32 labels ``(batch,)``;
    ``image_size`` is ``h`` (square) or ``(h, w)``. Without
    ``validation_split`` returns ``(dataset, class_names)``; with it,
    ``(training, validation, class_names)``, split by ``seed``. Decoded images
    are cached in memory after the first epoch (``h * w * 12`` bytes each), and
    the training images reshuffled every epoch after the cache. A file that is
    not a .bmp, .gif, .jpeg, .jpg or .png image raises ``DataFolderError``
    naming it, before Keras reads anything.
    """
    folders = _class_folders(path, "images")
    for folder in folders:
        files = [p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")]
        strangers = [p for p in files if p.suffix.lower() not in IMAGE_EXTENSIONS]
        if strangers:
            raise DataFolderError(
                f"{strangers[0]} is not an image ({', '.join(IMAGE_EXTENSIONS)}); move it out of {folder}."
            )
        if not files:
            raise DataFolderError(f"class folder {folder} holds no images; add some or remove the folder.")
    size = (image_size, image_size) if isinstance(image_size, int) else tuple(image_size)
    datasets = keras.utils.image_dataset_from_directory(
        path,
        image_size=size,
        batch_size=None,
        seed=seed,
        validation_split=validation_split,
        subset="both" if validation_split else None,
    )
    if not validation_split:
        return _batched(datasets, batch_size, seed), datasets.class_names
    training, validation = datasets
    return _batched(training, batch_size, seed), _batched(validation, batch_size), training.class_names


def _batched(images, batch_size, seed=None):
    """Cache single images, reshuffle each epoch when ``seed`` is given, batch, prefetch."""
    images = images.cache()
    if seed is not None:
        images = images.shuffle(8 * batch_size, seed=seed)
    return images.batch(batch_size).prefetch(tf.data.AUTOTUNE)
