"""lib.recordings on a tiny CWRU built by bearing-datasets itself (tests/fixtures/cwru, made by its make_fixture.py).

Offline, and without the package or pyarrow: the fixture's table is also stored as CSV and its signals as
NumPy arrays. Where the package is installed, one more test reads the same fixture through it.
"""

import importlib.util
import pathlib
import re
import sys
import types

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT
from scipy import signal as scipy_signal

from lib import recordings
from lib.arguments import ArgumentError

FIXTURE = ROOT / "tests" / "fixtures" / "cwru"
HAVE_PACKAGE = importlib.util.find_spec("bearing_datasets") is not None and importlib.util.find_spec("pyarrow")
LENGTH = 32  # the fixture's signals are 80 points at 12 kHz (48 kHz: 320): two windows of 32, 16 points left over


@pytest.fixture(scope="module")
def meta():
    return pd.read_csv(FIXTURE / "metadata.csv")


@pytest.fixture(scope="module")
def signals():
    stored = np.load(FIXTURE / "signals.npz")
    offsets = stored["offsets"]
    return {key: stored["values"][offsets[i] : offsets[i + 1]] for i, key in enumerate(stored["signal_id"])}


def standardised(x):
    x = np.asarray(x, dtype=np.float64)
    return (x - x.mean()) / x.std()


def test_the_fixture_is_what_make_fixture_says():
    assert (FIXTURE / "make_fixture.py").is_file()
    assert (FIXTURE / "built" / "cwru" / "manifest.json").is_file()
    assert (FIXTURE / "built" / "cwru" / "metadata.parquet").is_file()
    total = sum(path.stat().st_size for path in FIXTURE.rglob("*") if path.is_file())
    assert total < 100_000, f"the fixture is meant to be small; it is {total:,} bytes"


def test_select_keeps_the_drive_end_channel_of_the_12_khz_drive_end_faults_and_the_healthy_baseline(meta):
    chosen = recordings.select(meta)
    assert set(chosen["channel"]) == {"DE"}
    faults = chosen[chosen["class"] != "healthy"]
    assert set(faults["fs"]) == {12_000} and set(faults["fault_location"]) == {"motor_bearing_de"}
    healthy = chosen[chosen["class"] == "healthy"]
    assert sorted(healthy["load"]) == [0, 1, 2, 3] and set(healthy["fs"]) == {48_000}
    # left out: the drive-end fault at 48 kHz, the fan-end fault at 12 kHz, every FE and BA channel
    assert "48k_DE_IR007_0" not in set(chosen["recording_id"])
    assert "12k_FE_IR021_0" not in set(chosen["recording_id"])
    assert len(chosen) == chosen["recording_id"].nunique() == 18


def test_labels_name_the_fault_types(meta):
    chosen = recordings.select(meta)
    expected = {"normal": "healthy", "inner": "inner race", "outer": "outer race", "rolling_element": "rolling element"}
    assert [recordings.CLASSES[label] for label in chosen["label"]] == list(chosen["fault_type"].map(expected))
    assert recordings.CLASSES == ("healthy", "inner race", "outer race", "rolling element")
    three = recordings.select(meta, healthy=False)
    assert "healthy" not in set(three["class"])
    assert [recordings.CLASSES[1:][label] for label in three["label"]] == list(three["class"])


@pytest.mark.parametrize("fold", [0, 1, 2])
def test_the_split_keeps_each_damaged_bearing_and_each_recording_on_one_side(meta, signals, fold):
    split = recordings.cwru_windows(meta, signals, fold=fold, length=LENGTH)
    train, test = split.train, split.test
    assert not set(train["recording_id"]) & set(test["recording_id"]), "a recording on both sides"
    faulty_train = set(train.loc[train["class"] != "healthy", "bearing_id"])
    faulty_test = set(test.loc[test["class"] != "healthy", "bearing_id"])
    assert not faulty_train & faulty_test, "a damaged bearing on both sides"
    level, load = recordings.FOLDS[fold]
    assert set(test.loc[test["class"] != "healthy", "fault_severity_level"]) == {level}
    assert set(train["fault_severity_level"]) == {0, 1, 2, 3, 4} - {level}
    assert set(test.loc[test["class"] == "healthy", "load"]) == {load}
    assert load not in set(train.loc[train["class"] == "healthy", "load"])
    assert set(train["class"]) == set(test["class"]) == set(recordings.CLASSES)


def test_every_recording_of_a_held_out_bearing_is_held_out(meta, signals):
    test = recordings.cwru_windows(meta, signals, fold=0, length=LENGTH).test
    # DE_OR007 is one bearing_id for the outer race at 6:00 and at 3:00; DE_IR007 was recorded at two loads here
    assert {"12k_DE_OR007@6_0", "12k_DE_OR007@3_0", "12k_DE_IR007_0", "12k_DE_IR007_1"} <= set(test["recording_id"])


def test_the_split_follows_the_bearing_even_where_sizes_disagree(meta):
    """A bearing_id with a recording at the held-out size sends all its recordings to the test side."""
    chosen = recordings.select(meta)
    odd = chosen["recording_id"] == "12k_DE_IR007_1"
    chosen.loc[odd, "fault_severity_level"] = 2  # DE_IR007's other recording stays at level 1
    sides = recordings.split(chosen, 1)
    assert set(sides.loc[sides["bearing_id"] == "DE_IR007", "side"]) == {"test"}


def test_a_leaking_split_is_refused():
    train = pd.DataFrame({"recording_id": ["a", "b"], "bearing_id": ["DE_IR007", "DE_B007"], "class": ["x", "y"]})
    test = pd.DataFrame({"recording_id": ["c"], "bearing_id": ["DE_IR007"], "class": ["x"]})
    with pytest.raises(RuntimeError, match=r"the split leaks: .*DE_IR007"):
        recordings._refuse_leaks(train, test)
    with pytest.raises(RuntimeError, match=r"recordings \['a'\]"):
        recordings._refuse_leaks(train, train.iloc[:1].assign(bearing_id="other"))


def test_windows_are_the_drive_end_samples_standardised_one_by_one(meta, signals):
    split = recordings.cwru_windows(meta, signals, fold=1, length=LENGTH)
    for x, y, index in ((split.x_train, split.y_train, split.train), (split.x_test, split.y_test, split.test)):
        assert x.dtype == np.float32 and x.shape == (len(index), LENGTH, 1)
        assert y.dtype == np.int64 and y.shape == (len(index),) and (y == index["label"]).all()
        np.testing.assert_allclose(x.mean(axis=1), 0, atol=1e-6)
        np.testing.assert_allclose(x.std(axis=1, dtype=np.float64), 1, atol=1e-5)
        for window, row in zip(x[..., 0], index.to_dict("records")):
            raw = signals[row["signal_id"]]
            assert row["signal_id"].endswith("/DE")
            if row["class"] == "healthy":  # 48 kHz, brought to 12 kHz
                raw = scipy_signal.decimate(raw, 4, ftype="fir", zero_phase=True)
            start = row["start"]
            np.testing.assert_allclose(window, standardised(raw[start : start + LENGTH]), atol=1e-5)


def test_windows_count_stride_and_carried_columns(meta, signals):
    split = recordings.cwru_windows(meta, signals, fold=2, length=LENGTH)
    per_recording = pd.concat([split.train, split.test]).groupby("recording_id")["start"].apply(list)
    assert (per_recording.map(lambda starts: starts == [0, 32])).all(), "80 points: two windows, 16 dropped"
    overlapping = recordings.cwru_windows(meta, signals, fold=2, length=LENGTH, stride=16)
    assert overlapping.train.groupby("recording_id")["start"].apply(list).map(lambda s: s == [0, 16, 32, 48]).all()
    assert {"speed_rpm", "bpfo", "bpfi", "bsf", "ftf", "native_label"} <= set(split.train.columns)
    assert split.classes == recordings.CLASSES and split.fold == 2


def test_the_chapters_window_length_is_the_default(meta, signals):
    """Chapter 5's nets take (2048, 1): long stand-in signals give two windows a recording."""
    long = {key: np.resize(x, len(x) * 64) + np.arange(len(x) * 64) % 7 for key, x in signals.items()}
    split = recordings.cwru_windows(meta, long, fold=1)
    assert split.x_train.shape[1:] == (2048, 1) and split.x_test.shape[1:] == (2048, 1)
    assert split.train.groupby("recording_id").size().eq(2).all()  # 5,120 points at 12 kHz


def test_three_fault_classes_without_the_healthy_one(meta, signals):
    split = recordings.cwru_windows(meta, signals, fold=0, length=LENGTH, healthy=False)
    assert split.classes == ("inner race", "outer race", "rolling element")
    assert set(split.y_train) == set(split.y_test) == {0, 1, 2}
    assert not split.train["recording_id"].str.contains("Normal").any()


def test_windows_standardise_and_refuse_a_constant_window():
    cut, starts = recordings.windows(np.arange(10.0), length=4)
    assert cut.shape == (2, 4) and starts.tolist() == [0, 4]
    np.testing.assert_allclose(cut[0], standardised([0, 1, 2, 3]), atol=1e-6)
    with pytest.raises(ValueError, match="the window at point 4 is constant"):
        recordings.windows(np.r_[np.arange(4.0), np.ones(4)], length=4)
    with pytest.raises(ArgumentError, match=re.escape("a signal must be one-dimensional, (points,); got shape")):
        recordings.windows(np.zeros((2, 8)), length=4)


@pytest.mark.parametrize("column", ["bearing_id", "fault_severity_level", "channel"])
def test_a_table_without_a_column_is_refused_in_one_line(meta, signals, column):
    with pytest.raises(ArgumentError) as caught:
        recordings.cwru_windows(meta.drop(columns=column), signals)
    message = str(caught.value)
    assert f"lacks the column(s) {column}" in message and "bearing-datasets==0.3.0" in message
    assert "\n" not in message


def test_what_is_not_a_table_or_a_reader_is_refused(meta, signals):
    with pytest.raises(ArgumentError, match="meta must be the package's metadata table, a pandas DataFrame"):
        recordings.cwru_windows(meta.to_dict(), signals)
    with pytest.raises(ArgumentError, match="signal must read one signal by its signal_id"):
        recordings.cwru_windows(meta, [1, 2, 3])


@pytest.mark.parametrize("fold", [3, -1, True, 1.0, "1"])
def test_a_fold_outside_the_three_is_refused(meta, signals, fold):
    with pytest.raises(ArgumentError, match=re.escape("fold must be 0, 1 or 2 (it holds out the 0.007")):
        recordings.cwru_windows(meta, signals, fold=fold, length=LENGTH)


def test_a_missing_class_and_a_short_signal_are_named(meta, signals):
    with pytest.raises(ValueError, match="no drive-end signal of the class\\(es\\) outer race"):
        recordings.select(meta[meta["fault_type"] != "outer"])
    with pytest.raises(ValueError, match=r"fold 1 leaves no test recording of the class\(es\) healthy"):
        recordings.split(recordings.select(meta[meta["load"] != 2]), 1)
    with pytest.raises(ValueError, match="has 80 points at 12 kHz, fewer than one window"):
        recordings.cwru_windows(meta, signals, length=100)


def fake_package(monkeypatch, tmp_path, build=None):
    """A stand-in for bearing_datasets: what open_cwru calls, recording its calls."""
    module = types.ModuleType("bearing_datasets")
    module.__version__ = "0.3.0"
    module.calls = []
    module.get_root = lambda: (None, "not set")
    module.build = build or (lambda name, root: module.calls.append(("build", name, root)))
    module.open = lambda name, root: pytest.fail("open is not reached in these tests")
    monkeypatch.setitem(sys.modules, "bearing_datasets", module)
    monkeypatch.delenv("BEARING_DATASETS_ROOT", raising=False)
    return module


def test_without_the_package_open_cwru_says_what_to_install_in_one_line(monkeypatch):
    monkeypatch.setitem(sys.modules, "bearing_datasets", None)  # import raises ImportError
    with pytest.raises(recordings.Unavailable) as caught:
        recordings.open_cwru()
    message = str(caught.value)
    assert message == (
        "bearing-datasets is not installed (pip install bearing-datasets==0.3.0; building CWRU with it then needs "
        "network)."
    )
    assert caught.value.__suppress_context__, "no import traceback beneath the one line"


def test_cwru_not_built_is_unavailable_until_a_build_is_asked_for(monkeypatch, tmp_path):
    package = fake_package(monkeypatch, tmp_path)
    with pytest.raises(recordings.Unavailable) as caught:
        recordings.open_cwru(tmp_path)
    message = str(caught.value)
    assert message.startswith(f"CWRU is not built in {tmp_path} (build it once where there is network")
    assert f"bearing-datasets --root {tmp_path} build cwru" in message and "\n" not in message
    assert package.calls == []


def test_a_failed_build_says_why_in_one_line(monkeypatch, tmp_path):
    def offline(name, root):
        raise OSError("cwru: no source could provide 105.mat (network unreachable)")

    fake_package(monkeypatch, tmp_path, build=offline)
    with pytest.raises(RuntimeError) as caught:
        recordings.open_cwru(tmp_path, build=True)
    assert str(caught.value) == (
        f"bearing-datasets could not build CWRU in {tmp_path}: cwru: no source could provide 105.mat "
        "(network unreachable)"
    )
    assert caught.value.__suppress_context__


def test_the_datasets_root_comes_from_the_argument_the_variable_or_the_default(monkeypatch, tmp_path):
    fake_package(monkeypatch, tmp_path)
    assert recordings.datasets_root(tmp_path / "a") == tmp_path / "a"
    monkeypatch.setenv("BEARING_DATASETS_ROOT", str(tmp_path / "b"))
    assert recordings.datasets_root() == tmp_path / "b"
    monkeypatch.delenv("BEARING_DATASETS_ROOT")
    assert recordings.datasets_root() == pathlib.Path("~/bearing_datasets").expanduser().absolute()


@pytest.mark.skipif(not HAVE_PACKAGE, reason="bearing-datasets is not installed (pip install bearing-datasets==0.3.0)")
def test_the_package_reads_the_fixture_as_the_csv_and_arrays_hold_it(meta, signals, monkeypatch):
    monkeypatch.delenv("BEARING_DATASETS_ROOT", raising=False)
    table, read = recordings.open_cwru(FIXTURE / "built")
    pd.testing.assert_frame_equal(table.reset_index(drop=True), meta, check_dtype=False)
    for signal_id in table["signal_id"]:
        np.testing.assert_array_equal(read(signal_id), signals[signal_id])
    through_package = recordings.cwru_windows(table, read, fold=1, length=LENGTH)
    through_csv = recordings.cwru_windows(meta, signals, fold=1, length=LENGTH)
    np.testing.assert_array_equal(through_package.x_train, through_csv.x_train)
    np.testing.assert_array_equal(through_package.y_test, through_csv.y_test)
