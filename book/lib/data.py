"""Datasets the book trains on: ``keras.datasets`` and folders of files.

Online (Colab, a laptop) the data comes from ``keras.datasets``. Offline, point
``RESNET_BOOK_DATA`` at a folder holding the original files::

    $RESNET_BOOK_DATA/mnist/train-images-idx3-ubyte.gz     (and the other three)
    $RESNET_BOOK_DATA/fashion-mnist/train-images-idx3-ubyte.gz
    $RESNET_BOOK_DATA/cifar-10-batches-py/data_batch_1 ...  (CIFAR-10, python version)

Every file ``load`` reads, local or downloaded, is checked against its digest
in ``CHECKSUMS`` before it is parsed (each file once a process).

What goes wrong is said by what is raised: ``DatasetUnavailable`` when the data
are neither in that folder nor downloadable (no network), ``DatasetUnreadable``
when files are there but truncated or damaged (a local file, or what
``keras.datasets`` cached), naming the file where one is to blame, and its kind
``DatasetChanged`` when a file is well formed but not the original.

``signal_folder`` and ``image_folder`` read a reader's own recordings and
photographs, one sub-folder per class. Chapter 5's synthetic vibration signals
and the noise added to them are made by ``lib.signals``.
"""

import gzip
import hashlib
import http.client
import numbers
import os
import pathlib
import pickle
import re
import tempfile
import urllib.error
import zlib

import keras
import numpy as np
import tensorflow as tf

from lib.arguments import whole_number

DATA_VARIABLE = "RESNET_BOOK_DATA"
DATASETS = ("mnist", "fashion_mnist", "cifar10")
IDX_FOLDERS = {"mnist": "mnist", "fashion_mnist": "fashion-mnist"}
IDX_FILES = {
    "x_train": "train-images-idx3-ubyte.gz",
    "y_train": "train-labels-idx1-ubyte.gz",
    "x_test": "t10k-images-idx3-ubyte.gz",
    "y_test": "t10k-labels-idx1-ubyte.gz",
}
CIFAR10_FOLDER = "cifar-10-batches-py"
CIFAR10_FILES = tuple(f"data_batch_{i}" for i in range(1, 6)) + ("test_batch",)
# What keras.datasets keeps in its cache, $KERAS_HOME/datasets (default ~/.keras/datasets), per dataset.
KERAS_CACHE_NAMES = {"mnist": "mnist.npz", "fashion_mnist": "fashion-mnist/", "cifar10": "cifar-10-batches-py*"}
# The files keras.datasets reads there, {path in the cache: name in CHECKSUMS}. Downloads stay between runs and are
# checked before keras.datasets reads them (and after, when it has just downloaded them); CIFAR-10's batches are
# unpacked again from the (checked) archive at every load, and checked after it.
KERAS_DOWNLOADS = {
    "mnist": {"mnist.npz": "mnist.npz"},
    "fashion_mnist": {f"fashion-mnist/{file}": file for file in IDX_FILES.values()},
    "cifar10": {"cifar-10-batches-py-target_archive": "cifar-10-python.tar.gz"},
}
KERAS_UNPACKED = {"cifar10": {f"cifar-10-batches-py-target/{CIFAR10_FOLDER}/{file}": file for file in CIFAR10_FILES}}
# The digest of every file that load reads, per dataset and file name: SHA-256 (64 hex digits), or md5 (32) where
# md5 is the only digest published. An IDX file (the .gz names) is checked by the digest of its content after gunzip,
# so that a copy gzipped again, or not at all, passes when its data are the originals'.
CHECKSUMS = {
    "mnist": {
        # The decompressed IDX files, computed from ../shared/datasets/mnist: their md5s are the well-known ones
        # (6bbc9ace..., a25bea73..., 2646ac64..., 27ae3e4e...), and third-party pins of MNIST list these SHA-256s.
        "train-images-idx3-ubyte.gz": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "train-labels-idx1-ubyte.gz": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "t10k-images-idx3-ubyte.gz": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "t10k-labels-idx1-ubyte.gz": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        # What keras.datasets.mnist downloads: the SHA-256 its own loader pins (keras/src/datasets/mnist.py).
        "mnist.npz": "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
    },
    "fashion_mnist": {
        # The decompressed IDX files, computed from ../shared/datasets/fashion-mnist (Debian's copy); their md5s
        # (f4a8712d..., 9018921c..., 8181f547..., 15d48437...) and these SHA-256s are those published by others for
        # Zalando's files. keras.datasets.fashion_mnist downloads the same four names and pins no hash of its own.
        "train-images-idx3-ubyte.gz": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "train-labels-idx1-ubyte.gz": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "t10k-images-idx3-ubyte.gz": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "t10k-labels-idx1-ubyte.gz": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    },
    "cifar10": {
        # What keras.datasets.cifar10 downloads (kept as cifar-10-batches-py-target_archive): the SHA-256 its loader
        # pins (keras/src/datasets/cifar10.py); the Toronto page publishes the archive's md5, c58f3010....
        "cifar-10-python.tar.gz": "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
        # The python version's batches: md5, the only per-file digest published (torchvision pins these). No copy of
        # CIFAR-10 was at hand to compute their SHA-256 from.
        "data_batch_1": "c99cafc152244af753f735de768cd75f",
        "data_batch_2": "d4bba439e000b95fd0a9bffe97cbabec",
        "data_batch_3": "54ebc095f3ab1f0389bbae665268c751",
        "data_batch_4": "634d18415352ddfa80567beed471001a",
        "data_batch_5": "482c414d41f54cd18b22e5b47cb7c3cb",
        "test_batch": "40351d587109b95175f43aff81a1287e",
    },
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
# What a failed download raises, anywhere in the chain of causes (Keras wraps it in a plain Exception).
NETWORK_ERRORS = (urllib.error.URLError, ConnectionError, TimeoutError, http.client.HTTPException)


class DatasetUnavailable(RuntimeError):
    """The dataset is neither in ``RESNET_BOOK_DATA`` nor downloadable."""


class DatasetUnreadable(ValueError):
    """The dataset's files are there but cannot be read: truncated, damaged or not in their format."""


class DatasetChanged(DatasetUnreadable):
    """A dataset file is not the original: its digest differs from the one in ``CHECKSUMS``."""


# {(file, its version: device, inode, size, times), algorithm, what is hashed}: the digest found, so that each file
# is hashed once a process however often it is loaded, and again when it is replaced or rewritten.
_DIGESTS = {}


def _hash(chunks, algorithm):
    """The hex digest of the bytes in ``chunks``."""
    hasher = hashlib.new(algorithm, usedforsecurity=False)
    for chunk in chunks:
        hasher.update(chunk)
    return hasher.hexdigest()


def _file_chunks(path):
    with open(path, "rb") as file:
        yield from iter(lambda: file.read(1 << 20), b"")


def _verify(path, dataset, name, fix, content=None):
    """Refuse ``path`` with ``DatasetChanged`` unless its digest is ``CHECKSUMS[dataset][name]``.

    ``content``: for an IDX file, a function returning its bytes after gunzip,
    which are hashed instead of the file (called only when not hashed yet).
    """
    expected = CHECKSUMS[dataset][name]
    algorithm = "sha256" if len(expected) == 64 else "md5"
    stat = os.stat(path)
    version = (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
    key = (os.path.abspath(path), version, algorithm, content is not None)
    if key not in _DIGESTS:
        _DIGESTS[key] = _hash([content()] if content is not None else _file_chunks(path), algorithm)
    found = _DIGESTS[key]
    if found != expected:
        what = "SHA-256" if algorithm == "sha256" else "md5"
        of = " after gunzip" if content is not None else ""
        raise DatasetChanged(
            f"{path} is not the original {dataset} file {name}: its {what}{of} begins {found[:12]}, the original's "
            f"{expected[:12]} (cut short, damaged or another version). {fix}"
        )


def _keras_cache():
    """The folder where ``keras.datasets`` keeps what it downloaded, found as Keras finds it.

    ``$KERAS_HOME``, else ``~/.keras`` (``/tmp/.keras`` when the home folder
    is not writable), as Keras read it when imported; ``get_file`` falls back
    to ``/tmp/.keras`` when that folder is not writable.
    """
    try:
        from keras.src.backend.config import keras_home  # noqa: PLC0415 (Keras's own, fixed when Keras was imported)

        home = keras_home()
    except ImportError:  # another Keras layout: the same rule, read now
        home = os.environ.get("KERAS_HOME") or os.path.join(
            "~" if os.access(os.path.expanduser("~"), os.W_OK) else "/tmp", ".keras"
        )
    home = os.path.expanduser(home)
    if not os.access(home, os.W_OK):
        home = os.path.join("/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir(), ".keras")
    return pathlib.Path(home) / "datasets"


def _check_keras_files(name, files, fix):
    """Check the files of ``files`` ({path in Keras's cache: name in CHECKSUMS}) that are there."""
    cache = _keras_cache()
    for relative, file in files.items():
        path = cache / relative
        if path.is_file():
            content = (lambda path=path: _idx_content(path, fix)) if file in IDX_FILES.values() else None
            _verify(path, name, file, fix, content)


def _network_failure(error):
    """Whether ``error`` (or anything in its chain of causes) says that a download found no network."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, NETWORK_ERRORS) or str(error).startswith("URL fetch failure"):
            return True
        error = error.__cause__ or error.__context__
    return False


def load(name):
    """Load a dataset as ``((x_train, y_train), (x_test, y_test))``.

    Shapes and dtypes are those of ``keras.datasets``: uint8 images
    ``(n, 28, 28)`` for MNIST and Fashion-MNIST, ``(n, 32, 32, 3)`` for
    CIFAR-10; uint8 labels ``(n,)``, or ``(n, 1)`` for CIFAR-10.
    Every file is checked against ``CHECKSUMS`` before it is parsed: in
    ``RESNET_BOOK_DATA``, or in Keras's cache before ``keras.datasets`` reads
    it (a file it has just downloaded, or unpacked, right after).
    ``DatasetUnavailable``: no local copy and no network;
    ``DatasetUnreadable``: a damaged file, local or in Keras's cache;
    ``DatasetChanged`` (a ``DatasetUnreadable``): a file that is not the original.
    """
    if not isinstance(name, str) or name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}.")
    folder = os.environ.get(DATA_VARIABLE)
    if folder:
        return _load_local(name, pathlib.Path(folder).expanduser().absolute())
    delete = "Delete it so that keras.datasets downloads it again."
    _check_keras_files(name, KERAS_DOWNLOADS[name], delete)
    try:
        arrays = getattr(keras.datasets, name).load_data()
    except MemoryError:
        raise
    except Exception as error:
        reason = f"{type(error).__name__}: {error}"
        if _network_failure(error):
            raise DatasetUnavailable(
                f"could not download {name!r} through keras.datasets ({reason}), and {DATA_VARIABLE} "
                f"is not set. Connect to the internet (keras.datasets downloads it once and keeps it in "
                f"{_keras_cache()}), or set {DATA_VARIABLE} to a folder that holds the original files "
                f"(see lib/data.py for the layout)."
            ) from error
        raise DatasetUnreadable(
            f"keras.datasets could not load {name!r} ({reason}). This is not a missing network: its "
            f"copy in {_keras_cache()} ({KERAS_CACHE_NAMES[name]}) is probably damaged, e.g. by an "
            f"interrupted download or a full disk. Delete that copy so that keras.datasets downloads it "
            f"again, or set {DATA_VARIABLE} to a folder that holds the original files."
        ) from error
    _check_keras_files(name, KERAS_DOWNLOADS[name], delete)  # what it has just downloaded
    unpacked = f"Delete {_keras_cache() / KERAS_CACHE_NAMES[name]} so that keras.datasets downloads it again."
    _check_keras_files(name, KERAS_UNPACKED.get(name, {}), unpacked)
    return arrays


def _load_local(name, folder):
    if not folder.is_dir():
        raise DatasetUnavailable(
            f"{DATA_VARIABLE}={os.environ[DATA_VARIABLE]} is not a folder ({folder}). Point it at the "
            f"folder that holds {IDX_FOLDERS.get(name, CIFAR10_FOLDER)}/, or unset it to download "
            f"through keras.datasets."
        )
    if name == "cifar10":
        return _read_cifar10(folder / CIFAR10_FOLDER)
    paths = {part: folder / IDX_FOLDERS[name] / file for part, file in IDX_FILES.items()}
    missing = [str(path) for path in paths.values() if not path.is_file()]
    if missing:
        raise DatasetUnavailable(
            f"{DATA_VARIABLE}={folder} lacks {name!r}: {missing[0]} does not exist. "
            f"Place the four original IDX files there, or unset {DATA_VARIABLE} "
            f"to download through keras.datasets."
        )
    fix = (
        f"Replace it by the original (delete it, then copy or download it again), or unset {DATA_VARIABLE} "
        f"so that keras.datasets downloads {name!r}."
    )
    arrays = {}
    for part, path in paths.items():
        raw = _idx_content(path, "Download it again.")
        _verify(path, name, path.name, fix, content=lambda raw=raw: raw)
        arrays[part] = _parse_idx(path, raw)
    for split in ("train", "test"):
        images, labels = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise DatasetUnreadable(
                f"{paths[f'x_{split}']} holds images of shape {images.shape} and {paths[f'y_{split}']} labels "
                f"of shape {labels.shape}; expected (n, h, w) and (n,), the same n. One of them is not "
                f"the file its name says: download both again."
            )
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def read_idx(path):
    """Read one IDX file of unsigned bytes (gzip or plain) into a NumPy array of its own shape.

    A missing file raises ``FileNotFoundError``; a truncated, damaged or
    foreign one ``DatasetUnreadable`` naming it.
    """
    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist (or is not a file); give the path of an IDX file.")
    return _parse_idx(path, _idx_content(path, "Download it again."))


def _idx_content(path, fix):
    """The bytes of the IDX file at ``path``, gunzipped when it is gzipped; ``DatasetUnreadable`` when it cannot be."""
    try:
        with open(path, "rb") as file:
            gzipped = file.read(2) == b"\x1f\x8b"
        with (gzip.open if gzipped else open)(path, "rb") as file:
            return file.read()
    except (OSError, EOFError, zlib.error) as error:
        raise DatasetUnreadable(
            f"cannot read {path} ({type(error).__name__}: {error}): it is truncated or damaged. {fix}"
        ) from error


def _parse_idx(path, raw):
    """The array that the IDX bytes ``raw`` (read from ``path``, named in errors) hold."""
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08 or raw[3] == 0:
        raise DatasetUnreadable(
            f"{path} is not an IDX file of unsigned bytes (it starts with {raw[:4]!r}, not "
            f"00 00 08 and a number of dimensions). Give one of the original MNIST-style files."
        )
    ndim = raw[3]
    start = 4 + 4 * ndim
    if len(raw) < start:
        raise DatasetUnreadable(
            f"{path} is truncated: its header announces {ndim} dimensions, but the file ends after "
            f"{len(raw)} bytes. Download it again."
        )
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected, held = int(np.prod(shape)), len(raw) - start
    if held != expected:
        problem = "is truncated" if held < expected else "is damaged or not an IDX file"
        raise DatasetUnreadable(
            f"{path} {problem}: it holds {held} values, its header says {shape} = {expected}. Download it again."
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=start).reshape(shape)


class _ArraysOnly(pickle.Unpickler):
    """Unpickles dictionaries, lists and NumPy arrays, never code: a CIFAR-10 batch is only these."""

    ALLOWED = {
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("_codecs", "encode"),
    }

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"it asks for {module}.{name}, which a CIFAR-10 batch never holds")
        if module == "numpy.core.multiarray" and hasattr(np, "_core"):
            module = "numpy._core.multiarray"  # NumPy 2's name of NumPy 1's module, without its deprecation warning
        return super().find_class(module, name)


def _read_cifar10_batch(path):
    """One CIFAR-10 batch file: uint8 images ``(n, 32, 32, 3)`` and uint8 labels ``(n, 1)``."""
    try:
        with open(path, "rb") as handle:
            entry = _ArraysOnly(handle, encoding="bytes").load()
        images, labels = np.asarray(entry[b"data"]), np.asarray(entry[b"labels"])
    except FileNotFoundError:
        raise
    except Exception as error:
        raise DatasetUnreadable(
            f"cannot read {path} as a CIFAR-10 batch ({type(error).__name__}: {error}): it is truncated, "
            f"damaged or not from the python version of CIFAR-10. Unpack cifar-10-python.tar.gz again."
        ) from error
    if (
        images.dtype != np.uint8
        or images.ndim != 2
        or images.shape[1] != 3 * 32 * 32
        or labels.shape != (len(images),)
        or not np.issubdtype(labels.dtype, np.integer)
        or not np.all((labels >= 0) & (labels < 10))
    ):
        raise DatasetUnreadable(
            f"{path} holds data of {images.dtype} {images.shape} and labels of {labels.dtype} {labels.shape}; "
            f"a CIFAR-10 batch holds uint8 rows of 3072 pixels and one label 0-9 per row. "
            f"Unpack cifar-10-python.tar.gz again."
        )
    return images.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), labels.astype(np.uint8).reshape(-1, 1)


def _read_cifar10(folder):
    if not folder.is_dir():
        raise DatasetUnavailable(
            f"CIFAR-10 is not in {folder}. Unpack the python version of CIFAR-10 there, "
            f"or unset {DATA_VARIABLE} and run online (keras.datasets downloads it)."
        )
    missing = [file for file in CIFAR10_FILES if not (folder / file).is_file()]
    if missing:
        raise DatasetUnavailable(
            f"{folder} lacks {', '.join(missing)} of CIFAR-10's batches. Unpack all of "
            f"cifar-10-python.tar.gz there, or unset {DATA_VARIABLE} and run online."
        )
    fix = f"Unpack the original cifar-10-python.tar.gz there again, or unset {DATA_VARIABLE} and run online."
    for file in CIFAR10_FILES:  # all six before any is unpickled
        _verify(folder / file, "cifar10", file, fix)
    parts = [_read_cifar10_batch(folder / file) for file in CIFAR10_FILES]
    x_train = np.concatenate([x for x, _ in parts[:-1]])
    y_train = np.concatenate([y for _, y in parts[:-1]])
    return (x_train, y_train), parts[-1]


def as_images(x, size=None):
    """Scale uint8 images to float32 in [0, 1], with a channel axis.

    ``x``: ``(n, h, w)`` or ``(n, h, w, c)`` of pixel values 0-255 (what
    ``load`` returns). With ``size``, zero-pad symmetrically to
    ``(n, size, size, c)`` (Fashion-MNIST 28 -> 32).
    """
    x = np.asarray(x)
    if x.ndim not in (3, 4):
        raise ValueError(f"x must be images (n, h, w) or (n, h, w, channels); got an array of shape {x.shape}.")
    if not np.issubdtype(x.dtype, np.integer):
        raise TypeError(
            f"x must hold integer pixels 0-255 (what lib.data.load returns); got {x.dtype}. "
            f"Already scaled to [0, 1]? Then use it as it is."
        )
    if x.dtype != np.uint8 and x.size and (x.min() < 0 or x.max() > 255):
        raise ValueError(f"x must hold pixels 0-255; its values run from {x.min()} to {x.max()}.")
    x = x.astype(np.float32) / 255.0
    if x.ndim == 3:
        x = x[..., None]
    if size is not None:
        size = whole_number(size, "size", hint=" It is the side of the padded square images, or None.")
        extra_h, extra_w = size - x.shape[1], size - x.shape[2]
        if extra_h < 0 or extra_w < 0:
            raise ValueError(f"cannot pad images of {x.shape[1:3]} down to {size}x{size}.")
        pad = ((0, 0), (extra_h // 2, extra_h - extra_h // 2), (extra_w // 2, extra_w - extra_w // 2), (0, 0))
        x = np.pad(x, pad)
    return x


def downsample(x, factor=2):
    """Shrink images by averaging each ``factor`` x ``factor`` square of pixels.

    ``(n, h, w, c)`` -> ``(n, h // factor, w // factor, c)``; ``h`` and ``w``
    must be multiples of ``factor`` (pad first with ``as_images(x, size=...)``).
    Chapters 1 and 2 train on Fashion-MNIST padded to 32x32 and halved to 16x16.
    """
    factor = whole_number(factor, "factor", hint=" It is the side of the square of pixels averaged into one.")
    x = np.asarray(x)
    if x.ndim != 4:
        raise ValueError(f"x must be images (n, h, w, channels); got an array of shape {x.shape}.")
    n, h, w, c = x.shape
    if h % factor or w % factor:
        raise ValueError(
            f"cannot average {factor}x{factor} squares of {h}x{w} images: the sides must be multiples of {factor}; "
            f"pad them first, for example lib.data.as_images(x, size={-(-max(h, w) // factor) * factor})."
        )
    return x.reshape(n, h // factor, factor, w // factor, factor, c).mean(axis=(2, 4))


def subset(x, y, n, seed=0):
    """``n`` examples drawn without replacement, the same ones for the same seed (all of them when ``n >= len(x)``)."""
    n = whole_number(n, "n", hint=" It is how many examples to draw.")
    seed = whole_number(seed, "seed", minimum=0)
    if len(x) != len(y):
        raise ValueError(f"x and y must hold as many examples; x has {len(x)}, y has {len(y)}.")
    if n >= len(x):
        return x, y
    index = np.random.default_rng(seed).choice(len(x), size=n, replace=False)
    return x[index], y[index]


class DataFolderError(ValueError):
    """A folder of recordings or images is not laid out as ``signal_folder`` or ``image_folder`` expect."""


SIGNAL_EXTENSIONS = (".npy", ".csv")
IMAGE_EXTENSIONS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")


def _class_folders(path, what):
    """The class sub-folders of ``path``, sorted by name; clear errors when there are none."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a folder's path (a str or pathlib.Path); got {type(path).__name__}.")
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
        if path.suffix.lower() == ".npy":
            values = np.load(path, allow_pickle=False)
        else:
            values = np.loadtxt(path, delimiter=",", ndmin=2)
        values = np.asarray(values, dtype=np.float64)
    except Exception as error:
        raise DataFolderError(
            f"cannot read {path} ({type(error).__name__}: {error}). Save it with np.save or as one column of numbers."
        ) from error
    if values.ndim == 2 and 1 in values.shape:
        values = values.ravel()
    if values.ndim != 1:
        raise DataFolderError(f"{path} holds an array of shape {values.shape}; save one 1-D signal (or column) a file.")
    if not np.all(np.isfinite(values)):
        where = int(np.flatnonzero(~np.isfinite(values))[0])
        raise DataFolderError(
            f"{path} holds {values[where]} at point {where}; a recording must be finite numbers throughout. "
            f"Fill or cut the gap, or remove the file."
        )
    return values


def signal_folder(path, length=2048, step=None):
    """Cut recordings, one sub-folder of ``.npy`` or ``.csv`` files per class, into segments.

    Each file is one 1-D signal (or one column). Segments of ``length``
    points start every ``step`` points (default ``length``: no overlap).
    Returns ``(x, y, class_names)``: float32 ``(n, length, 1)``, int64
    labels ``(n,)`` indexing ``class_names``, the sub-folders' names sorted.
    Other files are skipped; a class with no ``.npy``/``.csv`` file, an
    unreadable file, one with NaN or infinite values or a recording shorter
    than ``length`` raises ``DataFolderError`` naming it.
    """
    length = whole_number(length, "length", hint=" It is the number of points in a segment, e.g. 2048.")
    if step is not None:
        step = whole_number(step, "step", hint=" It is the points from one segment's start to the next (None: length).")
    step = length if step is None else step
    segments, labels = [], []
    folders = _class_folders(path, "recordings (.npy or .csv files)")
    for label, folder in enumerate(folders):
        files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in SIGNAL_EXTENSIONS)
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


def _image_files(folder):
    """The files Keras reads as images in a class folder: all below it with an image extension, hidden ones too."""
    return sorted(
        pathlib.Path(root) / name
        for root, _, names in os.walk(folder)
        for name in names
        if name.lower().endswith(IMAGE_EXTENSIONS)
    )


def _decode(path):
    """The image at ``path`` decoded as ``image_dataset_from_directory`` decodes it (a tensor)."""
    return tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)


def _check_images(files):
    """Decode every image once, in parallel; ``DataFolderError`` naming the first that TensorFlow cannot decode."""
    paths = tf.data.Dataset.from_tensor_slices([os.fspath(file) for file in files])
    decoded = paths.map(
        lambda path: (path, tf.shape(_decode(path))[0]), num_parallel_calls=tf.data.AUTOTUNE, deterministic=False
    ).ignore_errors()
    readable = {os.fsdecode(path.numpy()) for path, _ in decoded}
    for file in files:
        if os.fspath(file) in readable:
            continue
        try:
            _decode(os.fspath(file))
        except tf.errors.OpError as error:
            reason = re.sub(r"\{\{.*?\}\}|\[Op:.*", "", error.message).strip().rstrip(".")
            raise DataFolderError(
                f"{file} cannot be decoded as an image ({reason}); it is damaged, empty or not "
                f"the format its name says. Replace it or move it out of the folder."
            ) from error
        raise DataFolderError(f"{file} could not be decoded as an image; replace it or move it out of the folder.")


def image_folder(path, image_size, batch_size=32, validation_split=None, seed=0):
    """Images, one sub-folder per class, as cached and prefetched ``tf.data`` datasets.

    Wraps ``keras.utils.image_dataset_from_directory``: batches of float32
    ``(batch, h, w, 3)`` in [0, 255] and int32 labels ``(batch,)``;
    ``image_size`` is ``h`` (square) or ``(h, w)``. Without
    ``validation_split`` returns ``(dataset, class_names)``; with it (a
    fraction between 0 and 1), ``(training, validation, class_names)``,
    split by ``seed``. Decoded images are cached in memory after the first
    epoch (``h * w * 12`` bytes each), and the training images reshuffled
    every epoch after the cache. Before Keras reads anything, every image is
    decoded once (in parallel): a file that is not a .bmp, .gif, .jpeg, .jpg
    or .png image, or one that cannot be decoded (truncated, empty, another
    format), raises ``DataFolderError`` naming it.
    """
    if isinstance(image_size, numbers.Integral) and not isinstance(image_size, bool):
        image_size = (image_size, image_size)
    if not isinstance(image_size, (tuple, list)) or len(image_size) != 2:
        raise TypeError(f"image_size must be a side h (square) or a pair (h, w) of whole numbers; got {image_size!r}.")
    hint = " image_size is the images' side h, or (h, w), in pixels after resizing."
    size = tuple(whole_number(side, "image_size", hint=hint) for side in image_size)
    batch_size = whole_number(batch_size, "batch_size")
    seed = whole_number(seed, "seed", minimum=0)
    if validation_split is not None and (
        isinstance(validation_split, bool)
        or not isinstance(validation_split, numbers.Real)
        or not 0 < validation_split < 1
    ):
        raise ValueError(
            f"validation_split must be a fraction between 0 and 1 (e.g. 0.2), or None for no split; "
            f"got {validation_split!r}."
        )
    folders = _class_folders(path, "images")
    images = []
    for folder in folders:
        files = [pathlib.Path(root) / name for root, _, names in os.walk(folder) for name in names]
        files = [file for file in files if not file.name.startswith(".")]
        strangers = sorted(p for p in files if p.suffix.lower() not in IMAGE_EXTENSIONS)
        if strangers:
            raise DataFolderError(
                f"{strangers[0]} is not an image ({', '.join(IMAGE_EXTENSIONS)}); move it out of {folder}."
            )
        if not files:
            raise DataFolderError(f"class folder {folder} holds no images; add some or remove the folder.")
        images += _image_files(folder)
    if validation_split and not 0 < int(validation_split * len(images)) < len(images):
        raise ValueError(
            f"validation_split={validation_split} of {len(images)} images leaves "
            f"{int(validation_split * len(images))} for validation; choose a split that keeps some for both."
        )
    _check_images(images)
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
