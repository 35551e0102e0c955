import gzip
import os
import pathlib
import time

import numpy as np
import pytest

from lib import data

SHARED = pathlib.Path(
    os.environ.get("RESNET_BOOK_DATA", pathlib.Path(__file__).resolve().parents[2] / "shared" / "datasets")
)


def write_idx(path, array):
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    with gzip.open(path, "wb") as file:
        file.write(header + array.astype(np.uint8).tobytes())


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


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist"])
def test_local_idx_files_load_like_keras(tmp_path, monkeypatch, name):
    arrays = make_idx_folder(tmp_path, name)
    monkeypatch.setenv("RESNET_BOOK_DATA", str(tmp_path))
    (x_train, y_train), (x_test, y_test) = data.load(name)
    assert x_train.dtype == np.uint8 and x_train.shape == (6, 28, 28) and y_test.shape == (4,)
    np.testing.assert_array_equal(x_train, arrays["x_train"])
    np.testing.assert_array_equal(y_test, arrays["y_test"])


def test_unknown_dataset_lists_the_valid_names():
    with pytest.raises(ValueError, match="unknown dataset 'cifar100'; choose one of mnist, fashion_mnist, cifar10"):
        data.load("cifar100")


def test_missing_local_files_name_the_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("RESNET_BOOK_DATA", str(tmp_path))
    with pytest.raises(data.DatasetUnavailable, match="RESNET_BOOK_DATA=.* lacks 'mnist'.*keras.datasets"):
        data.load("mnist")
    with pytest.raises(data.DatasetUnavailable, match="CIFAR-10 is not in .*keras.datasets downloads it"):
        data.load("cifar10")


def test_no_network_fails_fast_with_both_fixes(monkeypatch):
    monkeypatch.delenv("RESNET_BOOK_DATA", raising=False)

    def refuse(*args, **kwargs):
        raise Exception("URL fetch failure on https://example.invalid: None -- Name or service not known")

    monkeypatch.setattr(data.keras.datasets.cifar10, "load_data", refuse)
    start = time.perf_counter()
    with pytest.raises(data.DatasetUnavailable) as caught:
        data.load("cifar10")
    message = str(caught.value)
    assert "RESNET_BOOK_DATA" in message and "internet" in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert time.perf_counter() - start < 5


def test_not_an_idx_file(tmp_path):
    path = tmp_path / "bad.gz"
    with gzip.open(path, "wb") as file:
        file.write(b"hello world")
    with pytest.raises(ValueError, match="not an IDX file"):
        data.read_idx(path)


@pytest.mark.skipif(not (SHARED / "mnist").is_dir(), reason="the shared offline datasets are not beside this checkout")
def test_shared_mnist_matches_its_published_label_counts(monkeypatch):
    monkeypatch.setenv("RESNET_BOOK_DATA", str(SHARED))
    (x_train, y_train), (x_test, y_test) = data.load("mnist")
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert np.bincount(y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_as_images_pads_symmetrically():
    x = np.full((2, 28, 28), 255, dtype=np.uint8)
    padded = data.as_images(x, size=32)
    assert padded.shape == (2, 32, 32, 1) and padded.dtype == np.float32
    assert padded[0, 2, 2, 0] == 1.0 and padded[0, 1, 1, 0] == 0.0 and padded[0, 30, 30, 0] == 0.0
    with pytest.raises(ValueError, match="cannot pad"):
        data.as_images(x, size=20)


def test_subset_is_reproducible():
    x, y = np.arange(100), np.arange(100)
    a, _ = data.subset(x, y, 10, seed=1)
    b, _ = data.subset(x, y, 10, seed=1)
    np.testing.assert_array_equal(a, b)
    assert len(set(a.tolist())) == 10


def make_image_folder(root, classes=("chef", "doctor"), per_class=5, size=(12, 10)):
    rng = np.random.default_rng(0)
    for name in classes:
        (root / name).mkdir(parents=True)
        for index in range(per_class):
            image = rng.integers(0, 256, (*size, 3)).astype(np.uint8)
            data.keras.utils.save_img(root / name / f"{index}.png", image)
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
