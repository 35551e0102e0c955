import json

import pytest

from lib import results


@pytest.fixture
def results_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(results, "FOLDER", tmp_path)
    return tmp_path


def test_full_records_go_to_the_book_and_quick_ones_aside(results_folder, monkeypatch):
    monkeypatch.setenv("RESNET_BOOK_PROFILE", "full")
    entry = results.record(
        "e9", "E9", "test accuracy (%)", [97.0, 98.0, 99.0], reported=97.77, status="reproduced", chapter="x"
    )
    assert (entry["mean"], entry["std"], entry["runs"]) == (98.0, 1.0, 3)
    assert json.loads((results_folder / "e9.json").read_text()) == entry
    monkeypatch.setenv("RESNET_BOOK_PROFILE", "quick")
    results.record("e9", "E9", "test accuracy (%)", 50.0, status="new", chapter="x")
    assert results.load_all("quick")[0]["std"] is None
    assert results.load_all("full") == [entry]


def test_unknown_status_is_refused(results_folder):
    with pytest.raises(ValueError, match="not one of reproduced"):
        results.record("e9", "E9", "q", 1.0, status="close enough", chapter="x")
