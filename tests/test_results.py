import json
import math

import numpy as np
import pytest

from lib import results

ARGUMENTS = {"experiment": "E", "quantity": "q", "status": "new", "chapter": "c"}


@pytest.fixture(autouse=True)
def results_folder(tmp_path, monkeypatch):
    """``book/results`` moved to a temporary folder; the full profile and no ``RESNET_BOOK_RESULTS``, whatever the
    environment says.

    For every test here, so that even a broken ``record`` never writes over the committed records.
    """
    monkeypatch.delenv("RESNET_BOOK_RESULTS", raising=False)
    monkeypatch.setenv("RESNET_BOOK_PROFILE", "full")
    monkeypatch.setattr(results, "FOLDER", tmp_path / "results")
    return tmp_path / "results"


def written(folder):
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*")) if folder.exists() else []


def test_full_records_go_to_the_book_and_quick_ones_aside(results_folder, monkeypatch):
    entry = results.record(
        "e9", "E9", "test accuracy (%)", [97.0, 98.0, 99.0], reported=97.77, status="reproduced", chapter="x"
    )
    # The sample standard deviation of 97, 98, 99, by its formula.
    assert (entry["mean"], entry["std"], entry["runs"]) == (98.0, math.sqrt((1 + 0 + 1) / (3 - 1)), 3)
    assert json.loads((results_folder / "e9.json").read_text()) == entry
    monkeypatch.setenv("RESNET_BOOK_PROFILE", "quick")
    results.record("e9", "E9", "test accuracy (%)", 50.0, status="new", chapter="x")
    assert results.load_all("quick")[0]["std"] is None
    assert results.load_all("full") == [entry]
    assert written(results_folder) == ["e9.json", "quick", "quick/e9.json"], "nothing else, no partial file"


def test_unknown_status_is_refused(results_folder):
    with pytest.raises(ValueError, match="not one of reproduced"):
        results.record("e9", "E9", "q", 1.0, status="close enough", chapter="x")


@pytest.mark.parametrize("key", ["../escape", "a/b", "/tmp/x", ".hidden", "", "two words", "e9.json\n", 9, None])
def test_record_refuses_a_key_that_is_not_a_plain_file_name(results_folder, tmp_path, key):
    with pytest.raises(ValueError, match="must be a plain file name: letters, digits, '_', '-' and '.'"):
        results.record(key, measured=[1.0], **ARGUMENTS)
    assert written(tmp_path) == []


def test_record_accepts_letters_digits_underscores_dashes_and_dots(results_folder):
    results.record("E2_test-accuracy.v2", measured=[1.0], **ARGUMENTS)
    assert written(results_folder) == ["E2_test-accuracy.v2.json"]


@pytest.mark.parametrize(
    ("measured", "kind", "message"),
    [
        ([], ValueError, "measured must hold at least one finite value"),
        ([1.0, float("nan")], ValueError, "measured must hold at least one finite value"),
        ([[1.0, 2.0], [3.0, 4.0]], ValueError, r"one per run \(a flat list\)"),
        ("high", TypeError, "measured must be a number or a list of numbers"),
        (None, TypeError, "measured must be a number or a list of numbers"),
    ],
    ids=["empty", "nan", "table", "text", "none"],
)
def test_record_refuses_measurements_it_cannot_summarise(results_folder, measured, kind, message):
    with pytest.raises(kind, match=message):
        results.record("bad", measured=measured, **ARGUMENTS)
    assert written(results_folder) == [], "no record with NaN written"


@pytest.mark.parametrize(
    ("arguments", "kind", "message"),
    [
        ({"reported": "92%"}, ValueError, r"reported must be the published figure \(a finite number\) or None"),
        ({"reported": True}, ValueError, "reported must be the published figure"),
        ({"reported": float("inf")}, ValueError, "reported must be the published figure"),
        ({"experiment": ""}, TypeError, "experiment must be a non-empty string; got ''"),
        ({"quantity": 3}, TypeError, "quantity must be a non-empty string; got 3"),
        ({"chapter": None}, TypeError, "chapter must be a non-empty string; got None"),
        ({"note": 0.5}, TypeError, "note must be a string; got 0.5"),
    ],
    ids=["reported text", "reported bool", "reported inf", "no experiment", "quantity number", "no chapter", "note"],
)
def test_record_refuses_what_the_results_page_could_not_show(results_folder, arguments, kind, message):
    with pytest.raises(kind, match=message):
        results.record("bad", measured=[1.0], **{**ARGUMENTS, **arguments})
    assert written(results_folder) == []


def test_reported_keeps_its_kind_of_number(results_folder):
    assert results.record("n", measured=[1.0], reported=np.int64(1_749_210), **ARGUMENTS)["reported"] == 1_749_210
    assert '"reported": 1749210,' in (results_folder / "n.json").read_text(), "an integer stays one in JSON"
    entry = results.record("f", measured=[1.0], reported=np.float32(0.5), **ARGUMENTS)
    assert type(entry["reported"]) is float and entry["reported"] == 0.5


@pytest.mark.parametrize("profile", ["full", "quick"])
def test_results_variable_wins_over_the_profile_and_load_all_ignores_it(results_folder, tmp_path, monkeypatch, profile):
    monkeypatch.setenv("RESNET_BOOK_PROFILE", profile)
    committed = results.record("e9", measured=[1.0], **ARGUMENTS)
    scratch = tmp_path / "scratch" / "made on demand"
    monkeypatch.setenv("RESNET_BOOK_RESULTS", str(scratch))
    entry = results.record("e9", measured=[2.0, 3.0], **ARGUMENTS)
    assert json.loads((scratch / "e9.json").read_text()) == entry
    assert results.load_all(profile) == [committed], "the results page reads the committed records"
    assert results.target_folder() == scratch and results.folder() == results_folder / (
        "" if profile == "full" else profile
    )


def test_results_variable_naming_a_file_is_refused(results_folder, tmp_path, monkeypatch):
    (tmp_path / "a file").write_text("")
    monkeypatch.setenv("RESNET_BOOK_RESULTS", str(tmp_path / "a file"))
    with pytest.raises(NotADirectoryError, match="RESNET_BOOK_RESULTS=.*a file names a file .* or unset it"):
        results.record("e9", measured=[1.0], **ARGUMENTS)


def test_load_all_names_a_damaged_record_and_an_unknown_profile(results_folder):
    results_folder.mkdir()
    (results_folder / "cut.json").write_text('{"key": "cut", "mea')
    with pytest.raises(ValueError, match="cannot read the record .*cut.json") as caught:
        results.load_all("full")
    assert isinstance(caught.value.__cause__, json.JSONDecodeError)
    with pytest.raises(ValueError, match="profile 'slow' is not one of quick, full"):
        results.load_all("slow")


def test_a_trained_net_carries_each_runs_final_training_accuracy(results_folder):
    entry = results.record("e9", measured=[91.0, 92.5], training=[0.99, 0.985], **ARGUMENTS)
    assert entry["training"] == [0.99, 0.985] and results.load_all()[0]["training"] == [0.99, 0.985]
    assert results.record("e8", measured=1.0, **ARGUMENTS)["training"] is None


@pytest.mark.parametrize("training", [[0.9], [0.9, 1.2], [0.9, float("nan")], [[0.9, 0.8]]])
def test_training_accuracy_must_be_one_fraction_per_run(results_folder, training):
    with pytest.raises(ValueError, match="final training accuracy, a fraction in"):
        results.record("e9", measured=[91.0, 92.5], training=training, **ARGUMENTS)
