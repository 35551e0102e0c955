import gzip
import hashlib
import json
import os
import pickle
import shutil
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
from lib.arguments import ArgumentError


@pytest.fixture
def offline(monkeypatch):
    """No RESNET_BOOK_DATA, and every host name fails to resolve, as on a machine without network."""
    monkeypatch.delenv("RESNET_BOOK_DATA", raising=False)

    def no_network(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_network)


def trust(monkeypatch, dataset, *paths):
    """Enter the files a test wrote in lib.data's table of digests, as if they were the originals.

    SHA-256 of the file, or of an IDX file's content after gunzip, computed here with hashlib and gzip.
    """
    for path in paths:
        raw = path.read_bytes()
        if path.name in data.IDX_FILES.values() and raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        monkeypatch.setitem(data.CHECKSUMS[dataset], path.name, hashlib.sha256(raw).hexdigest())


@pytest.fixture
def keras_cache(tmp_path, monkeypatch):
    """An empty folder as Keras's dataset cache, so that what this machine's ~/.keras holds plays no part."""
    cache = tmp_path / "keras-home" / "datasets"
    cache.mkdir(parents=True)
    monkeypatch.setattr(data, "_keras_cache", lambda: cache)
    return cache


def make_idx_folder(root, name, n_train=6, n_test=4, monkeypatch=None):
    """Four small IDX files in ``root``'s folder for ``name``; entered in the table of digests with ``monkeypatch``."""
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
    if monkeypatch is not None:
        trust(monkeypatch, name, *folder.iterdir())
    return arrays


def make_cifar10_folder(root, sizes=(2, 1, 3, 2, 2, 3), monkeypatch=None):
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
    if monkeypatch is not None:
        trust(monkeypatch, "cifar10", *(folder / file for file in data.CIFAR10_FILES))
    return folder, batches


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist"])
def test_local_idx_files_load_like_keras(tmp_path, monkeypatch, name):
    arrays = make_idx_folder(tmp_path, name, monkeypatch=monkeypatch)
    monkeypatch.setenv("RESNET_BOOK_DATA", str(tmp_path))
    (x_train, y_train), (x_test, y_test) = data.load(name)
    assert x_train.dtype == np.uint8 and x_train.shape == (6, 28, 28) and y_test.shape == (4,)
    np.testing.assert_array_equal(x_train, arrays["x_train"])
    np.testing.assert_array_equal(y_train, arrays["y_train"])
    np.testing.assert_array_equal(x_test, arrays["x_test"])
    np.testing.assert_array_equal(y_test, arrays["y_test"])


def test_local_cifar10_loads_like_keras(tmp_path, monkeypatch):
    _, batches = make_cifar10_folder(tmp_path, monkeypatch=monkeypatch)
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
    folder, _ = make_cifar10_folder(tmp_path, monkeypatch=monkeypatch)
    monkeypatch.setenv("RESNET_BOOK_DATA", str(tmp_path))
    raw = (folder / "data_batch_2").read_bytes()
    (folder / "data_batch_2").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(data.DatasetChanged, match="data_batch_2 is not the original cifar10 file data_batch_2"):
        data.load("cifar10")
    trust(monkeypatch, "cifar10", folder / "data_batch_2")  # past the digest, the reader's own checks
    with pytest.raises(data.DatasetUnreadable, match="cannot read .*data_batch_2 as a CIFAR-10 batch") as caught:
        data.load("cifar10")
    assert caught.value.__cause__ is not None, "the unpickler's own error is kept"
    write_cifar10_batch(folder / "data_batch_2", np.zeros((2, 32, 32, 3), np.uint8), [1, 2, 3])
    trust(monkeypatch, "cifar10", folder / "data_batch_2")
    with pytest.raises(data.DatasetUnreadable, match=r"data_batch_2 holds data of uint8 \(2, 3072\) and labels"):
        data.load("cifar10")
    (folder / "data_batch_2").unlink()
    (folder / "test_batch").unlink()
    with pytest.raises(data.DatasetUnavailable, match="lacks data_batch_2, test_batch of CIFAR-10's batches"):
        data.load("cifar10")


def test_local_cifar10_never_runs_code_from_a_pickle(tmp_path, monkeypatch):
    folder, _ = make_cifar10_folder(tmp_path, monkeypatch=monkeypatch)
    monkeypatch.setenv("RESNET_BOOK_DATA", str(tmp_path))
    witness = tmp_path / "made by the pickle"

    class Payload:
        def __reduce__(self):
            return os.mkdir, (str(witness),)

    (folder / "data_batch_1").write_bytes(pickle.dumps({b"data": Payload(), b"labels": []}, protocol=2))
    with pytest.raises(data.DatasetChanged, match="data_batch_1 is not the original"):
        data.load("cifar10")  # refused by its digest before it is unpickled
    assert not witness.exists()
    trust(monkeypatch, "cifar10", folder / "data_batch_1")  # and were its digest entered, the unpickler refuses it
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
    make_idx_folder(tmp_path, "mnist", monkeypatch=monkeypatch)
    write_idx(tmp_path / "mnist" / data.IDX_FILES["y_test"], np.zeros(5))
    trust(monkeypatch, "mnist", tmp_path / "mnist" / data.IDX_FILES["y_test"])
    monkeypatch.setenv("RESNET_BOOK_DATA", str(tmp_path))
    with pytest.raises(data.DatasetUnreadable, match=r"t10k-images.* \(4, 28, 28\) and .*t10k-labels.* \(5,\)"):
        data.load("mnist")


def test_no_network_fails_fast_with_both_fixes_and_keeps_the_cause(offline, keras_cache, monkeypatch, tmp_path):
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


def test_a_damaged_keras_cache_is_not_called_a_missing_network(offline, keras_cache, monkeypatch):
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


def test_keras_caches_files_are_checked_where_keras_reads_them(tmp_path):
    """Keras's own loaders, offline, on a cache of files that are not the originals: each refused before it is read.

    Were lib.data looking elsewhere than Keras, MNIST and CIFAR-10 would fail as downloads (Keras pins their
    archives' hashes and fetches them again) and Fashion-MNIST would load the files given here.
    """
    home = tmp_path / "keras-home"
    cache = home / "datasets"
    (cache / "fashion-mnist").mkdir(parents=True)
    for name in data.IDX_FILES.values():
        write_idx(cache / "fashion-mnist" / name, np.zeros((3, 28, 28) if "images" in name else 3))
    np.savez(cache / "mnist.npz", x_train=np.zeros((3, 28, 28), np.uint8), y_train=np.zeros(3, np.uint8))
    (cache / "cifar-10-batches-py-target_archive").write_bytes(b"not the archive")
    script = (
        "import json, pathlib, socket, sys\n"
        "def no_network(*args, **kwargs): raise socket.gaierror(-2, 'Name or service not known')\n"
        "socket.getaddrinfo = no_network\n"
        "from lib import data\n"
        "def attempt(name):\n"
        "    try:\n"
        "        data.load(name)\n"
        "        return ['loaded', '', None]\n"
        "    except Exception as error:\n"
        "        cause = error.__cause__\n"
        "        return [type(error).__name__, str(error), type(cause).__name__ if cause else None]\n"
        "results = [attempt(name) for name in ('mnist', 'cifar10', 'fashion_mnist')]\n"
        "images = pathlib.Path(sys.argv[1])\n"
        "images.write_bytes(images.read_bytes()[:-20])\n"
        "results.append(attempt('fashion_mnist'))\n"
        "print(json.dumps(results))\n"
    )
    environment = {**os.environ, "KERAS_HOME": str(home), "TF_CPP_MIN_LOG_LEVEL": "3"}
    environment.pop("RESNET_BOOK_DATA", None)
    images = cache / "fashion-mnist" / "train-images-idx3-ubyte.gz"
    result = subprocess.run(
        [sys.executable, "-c", script, images], cwd=BOOK, env=environment, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    mnist, cifar10, fashion, truncated = json.loads(result.stdout.strip().splitlines()[-1])
    delete = "Delete it so that keras.datasets downloads it again."
    assert mnist[0] == "DatasetChanged", mnist
    assert mnist[1].startswith(f"{cache / 'mnist.npz'} is not the original mnist file mnist.npz: its SHA-256 begins")
    assert "the original's 731c5ac60275" in mnist[1] and mnist[1].endswith(delete)
    assert cifar10[0] == "DatasetChanged", cifar10
    archive = cache / "cifar-10-batches-py-target_archive"
    assert f"{archive} is not the original cifar10 file cifar-10-python.tar.gz" in cifar10[1]
    assert "the original's 6d958be07457" in cifar10[1] and cifar10[1].endswith(delete)
    assert fashion[0] == "DatasetChanged", fashion
    assert f"{images} is not the original fashion_mnist file train-images-idx3-ubyte.gz" in fashion[1]
    assert "SHA-256 after gunzip begins" in fashion[1] and "the original's c59f468a2f67" in fashion[1]
    kind, message, cause = truncated
    assert kind == "DatasetUnreadable", message
    assert cause in ("EOFError", "BadGzipFile"), cause
    assert f"cannot read {images}" in message and "truncated or damaged" in message and message.endswith(delete)
    for _, message, _ in (mnist, cifar10, fashion, truncated):
        assert "\n" not in message and "internet" not in message


def test_keras_downloads_are_checked_before_and_after_keras_reads_them(offline, keras_cache, monkeypatch):
    """Before: a file in the cache is refused and keras.datasets never called. After: what it downloaded or unpacked."""

    def never():
        raise AssertionError("keras.datasets read a file that lib.data had not checked")

    (keras_cache / "mnist.npz").write_bytes(b"PK\x05\x06" + bytes(18))  # an empty zip archive
    monkeypatch.setattr(data.keras.datasets.mnist, "load_data", never)
    with pytest.raises(data.DatasetChanged, match=r"mnist\.npz is not the original mnist file mnist\.npz: its SHA-256"):
        data.load("mnist")

    def download_fashion():  # a download that is not Fashion-MNIST, then read as keras.datasets would
        (keras_cache / "fashion-mnist").mkdir()
        write_idx(keras_cache / "fashion-mnist" / data.IDX_FILES["y_train"], np.zeros(3))
        return (np.zeros((3, 28, 28), np.uint8), np.zeros(3, np.uint8)), (None, None)

    monkeypatch.setattr(data.keras.datasets.fashion_mnist, "load_data", download_fashion)
    with pytest.raises(data.DatasetChanged, match="train-labels-idx1-ubyte.gz is not the original") as caught:
        data.load("fashion_mnist")
    assert str(caught.value).endswith("Delete it so that keras.datasets downloads it again.")

    def unpack_cifar10():  # six batches where keras.datasets unpacks the archive, none of them CIFAR-10
        folder = keras_cache / "cifar-10-batches-py-target" / "cifar-10-batches-py"
        folder.mkdir(parents=True)
        for file in data.CIFAR10_FILES:
            write_cifar10_batch(folder / file, np.zeros((1, 32, 32, 3), np.uint8), [0])
        return (None, None), (None, None)

    monkeypatch.setattr(data.keras.datasets.cifar10, "load_data", unpack_cifar10)
    with pytest.raises(
        data.DatasetChanged, match=r"batch_1 is not the original cifar10 file data_batch_1: its md5"
    ) as caught:
        data.load("cifar10")
    unpacked = keras_cache / "cifar-10-batches-py*"
    assert str(caught.value).endswith(f"Delete {unpacked} so that keras.datasets downloads it again.")


def test_a_well_formed_idx_file_that_is_not_the_original_is_refused(tmp_path, monkeypatch):
    """A small, valid IDX folder whose digests were never entered: refused by its first file, in one line."""
    make_idx_folder(tmp_path, "mnist")
    monkeypatch.setenv("RESNET_BOOK_DATA", str(tmp_path))
    path = tmp_path / "mnist" / "train-images-idx3-ubyte.gz"
    found = hashlib.sha256(gzip.decompress(path.read_bytes())).hexdigest()
    with pytest.raises(data.DatasetChanged) as caught:
        data.load("mnist")
    message = str(caught.value)
    assert message.startswith(f"{path} is not the original mnist file train-images-idx3-ubyte.gz: its SHA-256 after")
    assert f"begins {found[:12]}, the original's ba891046e650" in message
    assert "Replace it by the original (delete it, then copy or download it again)" in message
    assert "unset RESNET_BOOK_DATA" in message and "\n" not in message
    assert isinstance(caught.value, data.DatasetUnreadable), "what catches a damaged file catches a changed one"


@pytest.mark.skipif(not (SHARED_DATASETS / "mnist").is_dir(), reason="the shared offline datasets are not here")
def test_the_real_mnist_with_one_label_changed_is_refused(tmp_path, monkeypatch):
    shutil.copytree(SHARED_DATASETS / "mnist", tmp_path / "mnist")
    labels = tmp_path / "mnist" / "t10k-labels-idx1-ubyte.gz"
    raw = bytearray(gzip.decompress(labels.read_bytes()))
    raw[8] = (raw[8] + 1) % 10  # the first test image's label: still a well-formed IDX file of 10000 labels 0-9
    labels.write_bytes(gzip.compress(bytes(raw)))
    assert data.read_idx(labels).shape == (10000,)
    monkeypatch.setenv("RESNET_BOOK_DATA", str(tmp_path))
    with pytest.raises(data.DatasetChanged, match=r"t10k-labels-idx1-ubyte.gz: .* the original's ff7bcfd416de"):
        data.load("mnist")


def test_each_file_is_hashed_once_a_process(tmp_path, monkeypatch):
    make_idx_folder(tmp_path, "fashion_mnist", monkeypatch=monkeypatch)
    monkeypatch.setenv("RESNET_BOOK_DATA", str(tmp_path))
    hashed = []
    real_hash = data._hash

    def counting(chunks, algorithm):
        hashed.append(algorithm)
        return real_hash(chunks, algorithm)

    monkeypatch.setattr(data, "_hash", counting)
    first = data.load("fashion_mnist")
    assert len(hashed) == 4
    again = data.load("fashion_mnist")
    assert len(hashed) == 4, "the second load hashes nothing"
    np.testing.assert_array_equal(first[0][0], again[0][0])
    path = tmp_path / "fashion-mnist" / data.IDX_FILES["y_test"]
    path.unlink()
    write_idx(path, np.ones(4))  # a new file under the same name: hashed again, and refused
    with pytest.raises(data.DatasetChanged, match="t10k-labels-idx1-ubyte.gz is not the original"):
        data.load("fashion_mnist")
    assert len(hashed) == 5


def test_the_table_of_digests_names_every_file_load_reads():
    names = {
        "mnist": {*data.IDX_FILES.values(), "mnist.npz"},
        "fashion_mnist": set(data.IDX_FILES.values()),
        "cifar10": {*data.CIFAR10_FILES, "cifar-10-python.tar.gz"},
    }
    assert {dataset: set(table) for dataset, table in data.CHECKSUMS.items()} == names
    for dataset in data.DATASETS:
        keras_names = {**data.KERAS_DOWNLOADS[dataset], **data.KERAS_UNPACKED.get(dataset, {})}.values()
        assert set(keras_names) <= names[dataset]
    for table in data.CHECKSUMS.values():
        for digest in table.values():
            assert len(digest) in (32, 64) and set(digest) <= set("0123456789abcdef"), digest


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
    make_idx_folder(tmp_path, "fashion_mnist", monkeypatch=monkeypatch)
    path = tmp_path / "fashion-mnist" / data.IDX_FILES["x_train"]
    path.write_bytes(path.read_bytes()[:-30])
    monkeypatch.setenv("RESNET_BOOK_DATA", str(tmp_path))
    with pytest.raises(data.DatasetUnreadable, match="train-images-idx3-ubyte.gz.*truncated"):
        data.load("fashion_mnist")


@pytest.mark.parametrize(
    ("name", "test_counts"),
    [
        ("mnist", [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]),
        ("fashion_mnist", [1000] * 10),
    ],
)
def test_the_shared_originals_pass_their_digests_and_match_their_label_counts(monkeypatch, name, test_counts):
    if not (SHARED_DATASETS / data.IDX_FOLDERS[name]).is_dir():
        pytest.skip("the shared offline datasets are not here")
    monkeypatch.setenv("RESNET_BOOK_DATA", str(SHARED_DATASETS))
    (x_train, y_train), (x_test, y_test) = data.load(name)
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert np.bincount(y_test).tolist() == test_counts


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
    with pytest.raises(ArgumentError, match="size must be a whole number >= 1; got 0. It is the side of the padded"):
        data.as_images(np.zeros((1, 4, 4), np.uint8), size=0)
    with pytest.raises(ArgumentError, match="size must be a whole number >= 1; got 32.0."):
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
    with pytest.raises(ArgumentError, match="factor must be a whole number >= 1; got 0. It is the side of the square"):
        data.downsample(np.zeros((1, 4, 4, 1)), factor=0)


def test_subset_is_reproducible():
    x, y = np.arange(100), np.arange(100) * 2
    a, b = data.subset(x, y, 10, seed=1)
    np.testing.assert_array_equal(a, data.subset(x, y, 10, seed=1)[0])
    assert len(set(a.tolist())) == 10 and (b == 2 * a).all(), "images and labels stay paired"
    assert not np.array_equal(a, data.subset(x, y, 10, seed=2)[0])


def test_subset_checks_its_arguments():
    x, y = np.arange(10), np.arange(10)
    with pytest.raises(ArgumentError, match="n must be a whole number >= 1; got 0. It is how many examples to draw."):
        data.subset(x, y, 0)
    with pytest.raises(ArgumentError, match="n must be a whole number >= 1; got 2.5."):
        data.subset(x, y, 2.5)
    with pytest.raises(ValueError, match="x and y must hold as many examples; x has 10, y has 9"):
        data.subset(x, y[:9], 5)
    with pytest.raises(ArgumentError, match="seed must be a whole number >= 0; got -1."):
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
        ({"image_size": 0}, ArgumentError, "image_size must be a whole number >= 1; got 0. image_size is the"),
        ({"image_size": (8,)}, TypeError, r"image_size must be a side h \(square\) or a pair \(h, w\)"),
        ({"image_size": "8"}, TypeError, "image_size must be a side h"),
        ({"image_size": (8, 4.5)}, ArgumentError, "image_size must be a whole number >= 1; got 4.5."),
        ({"image_size": 8, "batch_size": 0}, ArgumentError, "batch_size must be a whole number >= 1; got 0."),
        ({"image_size": 8, "validation_split": 1.5}, ValueError, "validation_split must be a fraction between 0 and 1"),
        ({"image_size": 8, "validation_split": 0}, ValueError, "or None for no split; got 0"),
        ({"image_size": 8, "validation_split": 0.05}, ValueError, "validation_split=0.05 of 10 images leaves 0"),
        ({"image_size": 8, "seed": None}, ArgumentError, "seed must be a whole number >= 0; got None."),
    ]
    for arguments, kind, message in cases:
        with pytest.raises(kind, match=message):
            data.image_folder(folder, **arguments)
    with pytest.raises(TypeError, match="path must be a folder's path"):
        data.image_folder(None, 8)
