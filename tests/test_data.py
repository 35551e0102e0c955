import gzip
import json
import os
import pickle
import socket
import subprocess
import sys
import time

import keras
import numpy as np
import pytest
from conftest import BOOK, SHARED_DATASETS
from reference import cifar10_rows, idx_bytes, write_cifar10_batch, write_idx

from lib import data


@pytest.fixture
def offline(monkeypatch):
    """No RESNET_BOOK_DATA, and every host name fails to resolve, as on a machine without network."""
    monkeypatch.delenv("RESNET_BOOK_DATA", raising=False)

    def no_network(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_network)


def make_idx_folder(root, name, n_train=6, n_test=4):
    rng = np.random.default_rng(0)
    folder = root / data.IDX_FOLDERS[name]
    folder.mkdir(parents=True)
    arrays = {
        "x_train": rng.integers(0, 256, (n_train, 28, 28)),
        "y_train": rng.integers(0, 10, n_train),
        "x_test": rng.integers(0, 256, (n_test, 28, 28)),
        "y_test": rng.integers(0, 10, n_test),
    }
    for part, array in arrays.items():
        write_idx(folder / data.IDX_FILES[part], array)
    return arrays


def make_cifar10_folder(root, sizes=(2, 1, 3, 2, 2, 3)):
    """A small CIFAR-10 in its python version's layout: five training batches and a test batch of ``sizes``."""
    rng = np.random.default_rng(0)
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    batches = []
    for index, (file, n) in enumerate(zip(data.CIFAR10_FILES, sizes, strict=True)):
        images = rng.integers(0, 256, (n, 32, 32, 3)).astype(np.uint8)
        labels = rng.integers(0, 10, n)
        write_cifar10_batch(folder / file, images, labels, numpy1_names=index % 2 == 0)
        batches.append((images, labels))
    (folder / "batches.meta").write_bytes(pickle.dumps({b"label_names": [b"airplane"]}, protocol=2))
    return folder, batches


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist"])
def test_local_idx_files_load_like_keras(tmp_path, monkeypatch, name):
    arrays = make_idx_folder(tmp_path, name)
    monkeypatch.setenv("RESNET_BOOK_DATA", str(tmp_path))
    (x_train, y_train), (x_test, y_test) = data.load(name)
    assert x_train.dtype == np.uint8 and x_train.shape == (6, 28, 28) and y_test.shape == (4,)
    np.testing.assert_array_equal(x_train, arrays["x_train"])
    np.testing.assert_array_equal(y_train, arrays["y_train"])
    np.testing.assert_array_equal(x_test, arrays["x_test"])
    np.testing.assert_array_equal(y_test, arrays["y_test"])


def test_local_cifar10_loads_like_keras(tmp_path, monkeypatch):
    _, batches = make_cifar10_folder(tmp_path)
    monkeypatch.setenv("RESNET_BOOK_DATA", str(tmp_path))
    (x_train, y_train), (x_test, y_test) = data.load("cifar10")
    assert x_train.shape == (10, 32, 32, 3) and x_test.shape == (3, 32, 32, 3)
    assert x_train.dtype == x_test.dtype == y_train.dtype == y_test.dtype == np.uint8
    assert y_train.shape == (10, 1) and y_test.shape == (3, 1), "labels (n, 1), as keras.datasets.cifar10"
    np.testing.assert_array_equal(x_train, np.concatenate([images for images, _ in batches[:5]]))
    np.testing.assert_array_equal(y_train[:, 0], np.concatenate([labels for _, labels in batches[:5]]))
    np.testing.assert_array_equal(x_test, batches[5][0])
    np.testing.assert_array_equal(y_test[:, 0], batches[5][1])
    # Pixel (0, 1) of the first image: its red, green and blue are values 1, 1025 and 2049 of its row.
    row = cifar10_rows(batches[0][0][:1])[0]
    assert x_train[0, 0, 1].tolist() == [row[1], row[1025], row[2049]]


def test_local_cifar10_errors_name_the_file(tmp_path, monkeypatch):
    folder, _ = make_cifar10_folder(tmp_path)
    monkeypatch.setenv("RESNET_BOOK_DATA", str(tmp_path))
    raw = (folder / "data_batch_2").read_bytes()
    (folder / "data_batch_2").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(data.DatasetUnreadable, match="cannot read .*data_batch_2 as a CIFAR-10 batch") as caught:
        data.load("cifar10")
    assert caught.value.__cause__ is not None, "the unpickler's own error is kept"
    write_cifar10_batch(folder / "data_batch_2", np.zeros((2, 32, 32, 3), np.uint8), [1, 2, 3])
    with pytest.raises(data.DatasetUnreadable, match=r"data_batch_2 holds data of uint8 \(2, 3072\) and labels"):
        data.load("cifar10")
    (folder / "data_batch_2").unlink()
    (folder / "test_batch").unlink()
    with pytest.raises(data.DatasetUnavailable, match="lacks data_batch_2, test_batch of CIFAR-10's batches"):
        data.load("cifar10")


def test_local_cifar10_never_runs_code_from_a_pickle(tmp_path, monkeypatch):
    folder, _ = make_cifar10_folder(tmp_path)
    monkeypatch.setenv("RESNET_BOOK_DATA", str(tmp_path))
    witness = tmp_path / "made by the pickle"

    class Payload:
        def __reduce__(self):
            return os.mkdir, (str(witness),)

    (folder / "data_batch_1").write_bytes(pickle.dumps({b"data": Payload(), b"labels": []}, protocol=2))
    with pytest.raises(data.DatasetUnreadable, match=r"data_batch_1 .*asks for (posix|os)\.mkdir"):
        data.load("cifar10")
    assert not witness.exists()


def test_unknown_dataset_lists_the_valid_names():
    with pytest.raises(ValueError, match="unknown dataset 'cifar100'; choose one of mnist, fashion_mnist, cifar10"):
        data.load("cifar100")
    with pytest.raises(ValueError, match="unknown dataset 10; choose one of"):
        data.load(10)


def test_missing_local_files_name_the_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("RESNET_BOOK_DATA", str(tmp_path))
    with pytest.raises(data.DatasetUnavailable, match="RESNET_BOOK_DATA=.* lacks 'mnist'.*keras.datasets"):
        data.load("mnist")
    with pytest.raises(data.DatasetUnavailable, match="CIFAR-10 is not in .*keras.datasets downloads it"):
        data.load("cifar10")
    monkeypatch.setenv("RESNET_BOOK_DATA", str(tmp_path / "nowhere"))
    with pytest.raises(data.DatasetUnavailable, match="RESNET_BOOK_DATA=.*nowhere is not a folder.*mnist/"):
        data.load("mnist")


def test_local_images_and_labels_must_agree(tmp_path, monkeypatch):
    make_idx_folder(tmp_path, "mnist")
    write_idx(tmp_path / "mnist" / data.IDX_FILES["y_test"], np.zeros(5))
    monkeypatch.setenv("RESNET_BOOK_DATA", str(tmp_path))
    with pytest.raises(data.DatasetUnreadable, match=r"t10k-images.* \(4, 28, 28\) and .*t10k-labels.* \(5,\)"):
        data.load("mnist")


def test_no_network_fails_fast_with_both_fixes_and_keeps_the_cause(offline, monkeypatch, tmp_path):
    # What keras.datasets does, through Keras's own get_file, with nothing cached and no network.
    def download():
        keras.utils.get_file("mnist.npz", origin="https://example.invalid/mnist.npz", cache_dir=tmp_path)

    monkeypatch.setattr(data.keras.datasets.mnist, "load_data", download)
    start = time.perf_counter()
    with pytest.raises(data.DatasetUnavailable) as caught:
        data.load("mnist")
    assert time.perf_counter() - start < 5
    message = str(caught.value)
    assert "RESNET_BOOK_DATA" in message and "internet" in message and "URL fetch failure" in message
    assert caught.value.__cause__ is not None, "the download's own error is kept"
    chain, error = [], caught.value
    while error is not None:
        chain.append(type(error).__name__)
        error = error.__cause__ or error.__context__
    assert "URLError" in chain and "gaierror" in chain, chain


def test_a_damaged_keras_cache_is_not_called_a_missing_network(offline, monkeypatch):
    def damaged():
        raise pickle.UnpicklingError("pickle data was truncated")  # what Keras's load_batch meets in a cut file

    monkeypatch.setattr(data.keras.datasets.cifar10, "load_data", damaged)
    with pytest.raises(data.DatasetUnreadable) as caught:
        data.load("cifar10")
    message = str(caught.value)
    assert "UnpicklingError: pickle data was truncated" in message and "not a missing network" in message
    assert "cifar-10-batches-py*" in message and "Delete that copy" in message and "RESNET_BOOK_DATA" in message
    assert "internet" not in message
    assert isinstance(caught.value.__cause__, pickle.UnpicklingError)


def test_a_truncated_file_in_the_real_keras_cache(tmp_path):
    """Keras's own Fashion-MNIST loader, offline, on a cache whose first file was cut short."""
    home = tmp_path / "keras-home"
    cache = home / "datasets" / "fashion-mnist"
    cache.mkdir(parents=True)
    for name in data.IDX_FILES.values():
        write_idx(cache / name, np.zeros((3, 28, 28) if "images" in name else 3))
    labels = (cache / "train-labels-idx1-ubyte.gz").read_bytes()
    (cache / "train-labels-idx1-ubyte.gz").write_bytes(labels[: len(labels) // 2])
    script = (
        "import json, socket\n"
        "def no_network(*args, **kwargs): raise socket.gaierror(-2, 'Name or service not known')\n"
        "socket.getaddrinfo = no_network\n"
        "from lib import data\n"
        "try:\n"
        "    data.load('fashion_mnist')\n"
        "except Exception as error:\n"
        "    cause = error.__cause__\n"
        "    print(json.dumps([type(error).__name__, str(error), type(cause).__name__ if cause else None]))\n"
    )
    environment = {**os.environ, "KERAS_HOME": str(home), "TF_CPP_MIN_LOG_LEVEL": "3"}
    environment.pop("RESNET_BOOK_DATA", None)
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=BOOK, env=environment, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    kind, message, cause = json.loads(result.stdout.strip().splitlines()[-1])
    assert kind == "DatasetUnreadable", message
    assert cause in ("EOFError", "BadGzipFile"), cause
    assert "not a missing network" in message and str(home / "datasets") in message and "fashion-mnist/" in message


def test_read_idx_reads_plain_and_gzip_files_whatever_their_names(tmp_path):
    array = np.random.default_rng(1).integers(0, 256, (3, 5, 7))
    write_idx(tmp_path / "plain.gz", array, gzipped=False)
    write_idx(tmp_path / "zipped", array)
    np.testing.assert_array_equal(data.read_idx(tmp_path / "plain.gz"), array)
    np.testing.assert_array_equal(data.read_idx(str(tmp_path / "zipped")), array)


def test_read_idx_names_a_truncated_or_foreign_file(tmp_path):
    array = np.arange(60).reshape(3, 4, 5)
    raw = idx_bytes(array)

    def reading(name, content, gzipped=False):
        path = tmp_path / name
        path.write_bytes(gzip.compress(content) if gzipped else content)
        return pytest.raises(data.DatasetUnreadable, match=name)

    with reading("cut-data", raw[:-7]) as caught:
        data.read_idx(tmp_path / "cut-data")
    assert "is truncated: it holds 53 values, its header says (3, 4, 5) = 60" in str(caught.value)
    with reading("cut-header", raw[:9]) as caught:
        data.read_idx(tmp_path / "cut-header")
    assert "is truncated: its header announces 3 dimensions, but the file ends after 9 bytes" in str(caught.value)
    with reading("too-long", raw + b"\x00") as caught:
        data.read_idx(tmp_path / "too-long")
    assert "is damaged or not an IDX file: it holds 61 values" in str(caught.value)
    cut_gzip = gzip.compress(raw)[:-20]
    with reading("cut.gz", cut_gzip) as caught:
        data.read_idx(tmp_path / "cut.gz")
    assert "truncated or damaged" in str(caught.value) and isinstance(caught.value.__cause__, EOFError)
    with reading("bad.gz", b"hello world", gzipped=True) as caught:
        data.read_idx(tmp_path / "bad.gz")
    assert "is not an IDX file of unsigned bytes" in str(caught.value)
    with reading("floats", bytes([0, 0, 0x0D, 1]) + (4).to_bytes(4, "big") + bytes(16)):
        data.read_idx(tmp_path / "floats")
    with pytest.raises(FileNotFoundError, match="missing does not exist"):
        data.read_idx(tmp_path / "missing")


def test_a_truncated_local_file_is_named_by_load(tmp_path, monkeypatch):
    make_idx_folder(tmp_path, "fashion_mnist")
    path = tmp_path / "fashion-mnist" / data.IDX_FILES["x_train"]
    path.write_bytes(path.read_bytes()[:-30])
    monkeypatch.setenv("RESNET_BOOK_DATA", str(tmp_path))
    with pytest.raises(data.DatasetUnreadable, match="train-images-idx3-ubyte.gz.*truncated"):
        data.load("fashion_mnist")


@pytest.mark.skipif(not (SHARED_DATASETS / "mnist").is_dir(), reason="the shared offline datasets are not here")
def test_shared_mnist_matches_its_published_label_counts(monkeypatch):
    monkeypatch.setenv("RESNET_BOOK_DATA", str(SHARED_DATASETS))
    (x_train, y_train), (x_test, y_test) = data.load("mnist")
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert np.bincount(y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_as_images_pads_symmetrically():
    x = np.full((2, 28, 28), 255, dtype=np.uint8)
    padded = data.as_images(x, size=32)
    assert padded.shape == (2, 32, 32, 1) and padded.dtype == np.float32
    assert padded[0, 2, 2, 0] == 1.0 and padded[0, 1, 1, 0] == 0.0 and padded[0, 30, 30, 0] == 0.0
    assert padded[0, 29, 29, 0] == 1.0 and padded[0, 2:30, 2:30].all()
    with pytest.raises(ValueError, match="cannot pad"):
        data.as_images(x, size=20)


def test_as_images_refuses_what_it_would_scale_wrongly():
    with pytest.raises(TypeError, match="x must hold integer pixels 0-255.*got float32.*Already scaled"):
        data.as_images(np.zeros((2, 28, 28), np.float32))
    with pytest.raises(ValueError, match=r"x must be images .* got an array of shape \(28, 28\)"):
        data.as_images(np.zeros((28, 28), np.uint8))
    with pytest.raises(ValueError, match="x must hold pixels 0-255; its values run from 0 to 256"):
        data.as_images(np.array([[[0, 256]]]))
    with pytest.raises(ValueError, match="size must be positive; got 0"):
        data.as_images(np.zeros((1, 4, 4), np.uint8), size=0)
    with pytest.raises(TypeError, match=r"size must be a whole number; got 32.0 \(float\)"):
        data.as_images(np.zeros((1, 4, 4), np.uint8), size=32.0)
    np.testing.assert_allclose(data.as_images(np.array([[[0, 51, 255]]], np.int64))[..., 0], [[[0, 0.2, 1]]], rtol=1e-6)


def test_downsample_averages_squares():
    x = np.arange(2 * 4 * 6 * 3, dtype=np.float32).reshape(2, 4, 6, 3)
    small = data.downsample(x)
    assert small.shape == (2, 2, 3, 3)
    expected = np.mean([x[:, i::2, j::2] for i in (0, 1) for j in (0, 1)], axis=0)  # the four corners of each square
    np.testing.assert_allclose(small, expected, rtol=1e-6)
    np.testing.assert_allclose(data.downsample(x, factor=1), x)


def test_downsample_says_what_to_fix():
    with pytest.raises(ValueError, match="multiples of 2.*size=28"):
        data.downsample(np.zeros((1, 27, 28, 1)))
    with pytest.raises(ValueError, match="shape"):
        data.downsample(np.zeros((28, 28, 1)))
    with pytest.raises(ValueError, match="factor"):
        data.downsample(np.zeros((1, 4, 4, 1)), factor=0)


def test_subset_is_reproducible():
    x, y = np.arange(100), np.arange(100) * 2
    a, b = data.subset(x, y, 10, seed=1)
    np.testing.assert_array_equal(a, data.subset(x, y, 10, seed=1)[0])
    assert len(set(a.tolist())) == 10 and (b == 2 * a).all(), "images and labels stay paired"
    assert not np.array_equal(a, data.subset(x, y, 10, seed=2)[0])


def test_subset_checks_its_arguments():
    x, y = np.arange(10), np.arange(10)
    with pytest.raises(ValueError, match="n must be positive; got 0"):
        data.subset(x, y, 0)
    with pytest.raises(TypeError, match=r"n must be a whole number; got 2.5 \(float\)"):
        data.subset(x, y, 2.5)
    with pytest.raises(ValueError, match="x and y must hold as many examples; x has 10, y has 9"):
        data.subset(x, y[:9], 5)
    with pytest.raises(ValueError, match="seed must be at least 0; got -1"):
        data.subset(x, y, 5, seed=-1)
    assert data.subset(x, y, np.int64(20))[0] is x


def make_image_folder(root, classes=("chef", "doctor"), per_class=5, size=(12, 10)):
    rng = np.random.default_rng(0)
    for name in classes:
        (root / name).mkdir(parents=True)
        for index in range(per_class):
            image = rng.integers(0, 256, (*size, 3)).astype(np.uint8)
            keras.utils.save_img(root / name / f"{index}.png", image)
    return root


def test_image_folder_gives_batches_and_class_names(tmp_path):
    folder = make_image_folder(tmp_path / "idenprof")
    dataset, names = data.image_folder(folder, 8, batch_size=4)
    assert names == ["chef", "doctor"]
    batches = list(dataset)
    assert [tuple(images.shape) for images, _ in batches] == [(4, 8, 8, 3), (4, 8, 8, 3), (2, 8, 8, 3)]
    labels = np.concatenate([labels.numpy() for _, labels in batches])
    assert sorted(labels.tolist()) == [0] * 5 + [1] * 5
    assert sorted(np.concatenate([labels.numpy() for _, labels in dataset]).tolist()) == sorted(labels.tolist())


def test_image_folder_splits_by_seed(tmp_path):
    folder = make_image_folder(tmp_path / "idenprof")
    training, validation, names = data.image_folder(folder, (6, 4), batch_size=3, validation_split=0.2, seed=1)
    assert names == ["chef", "doctor"]
    assert sum(len(labels) for _, labels in training) == 8 and sum(len(labels) for _, labels in validation) == 2
    assert tuple(next(iter(training))[0].shape) == (3, 6, 4, 3)
    again = data.image_folder(folder, (6, 4), batch_size=3, validation_split=0.2, seed=1)[1]
    first = np.concatenate([images.numpy() for images, _ in validation])
    np.testing.assert_array_equal(first, np.concatenate([images.numpy() for images, _ in again]))


def test_image_folder_errors_say_what_is_wrong(tmp_path):
    with pytest.raises(FileNotFoundError, match="is not a folder"):
        data.image_folder(tmp_path / "idenprof", 8)
    (tmp_path / "idenprof").mkdir()
    with pytest.raises(data.DataFolderError, match="no class sub-folders"):
        data.image_folder(tmp_path / "idenprof", 8)
    (tmp_path / "idenprof" / "chef").mkdir()
    with pytest.raises(data.DataFolderError, match="chef holds no images"):
        data.image_folder(tmp_path / "idenprof", 8)
    folder = make_image_folder(tmp_path / "other")
    (folder / "doctor" / "labels.txt").write_text("not an image")
    with pytest.raises(data.DataFolderError, match="labels.txt is not an image"):
        data.image_folder(folder, 8)


@pytest.mark.parametrize(
    "damage",
    [
        lambda raw: raw[: len(raw) // 2],  # an interrupted copy
        lambda raw: b"",  # an empty file
        lambda raw: b"<html>404 Not Found</html>",  # a web page saved under an image's name
    ],
    ids=["truncated", "empty", "not-an-image"],
)
def test_image_folder_names_an_image_it_cannot_decode_before_training(tmp_path, damage):
    folder = make_image_folder(tmp_path / "idenprof")
    bad = folder / "doctor" / "nested" / "3.jpg"
    bad.parent.mkdir()
    keras.utils.save_img(bad, np.zeros((12, 10, 3), np.uint8))
    bad.write_bytes(damage(bad.read_bytes()))
    with pytest.raises(data.DataFolderError, match=r"doctor/nested/3.jpg cannot be decoded as an image \(") as caught:
        data.image_folder(folder, 8)
    assert "{{" not in str(caught.value) and "[Op:" not in str(caught.value), "TensorFlow's node names trimmed"
    assert caught.value.__cause__ is not None, "TensorFlow's own error is kept"


def test_image_folder_checks_hidden_images_that_keras_would_read(tmp_path):
    folder = make_image_folder(tmp_path / "idenprof")
    (folder / "chef" / ".thumbnail.png").write_bytes(b"\x89PNG\r\n")
    with pytest.raises(data.DataFolderError, match=r"\.thumbnail\.png cannot be decoded"):
        data.image_folder(folder, 8)


def test_image_folder_checks_its_arguments(tmp_path):
    folder = make_image_folder(tmp_path / "idenprof")
    cases = [
        ({"image_size": 0}, ValueError, "image_size must be positive; got 0"),
        ({"image_size": (8,)}, TypeError, r"image_size must be a side h \(square\) or a pair \(h, w\)"),
        ({"image_size": "8"}, TypeError, "image_size must be a side h"),
        ({"image_size": (8, 4.5)}, TypeError, r"image_size must be a whole number; got 4.5 \(float\)"),
        ({"image_size": 8, "batch_size": 0}, ValueError, "batch_size must be positive; got 0"),
        ({"image_size": 8, "validation_split": 1.5}, ValueError, "validation_split must be a fraction between 0 and 1"),
        ({"image_size": 8, "validation_split": 0}, ValueError, "or None for no split; got 0"),
        ({"image_size": 8, "validation_split": 0.05}, ValueError, "validation_split=0.05 of 10 images leaves 0"),
        ({"image_size": 8, "seed": None}, TypeError, "seed must be a whole number; got None"),
    ]
    for arguments, kind, message in cases:
        with pytest.raises(kind, match=message):
            data.image_folder(folder, **arguments)
    with pytest.raises(TypeError, match="path must be a folder's path"):
        data.image_folder(None, 8)
