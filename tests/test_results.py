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


def test_record_refuses_a_path_as_key_and_no_measurement(tmp_path, monkeypatch):
    monkeypatch.setenv("RESNET_BOOK_RESULTS", str(tmp_path))
    arguments = {"experiment": "E", "quantity": "q", "status": "new", "chapter": "c"}
    with pytest.raises(ValueError, match="plain file name"):
        results.record("../escape", measured=[1.0], **arguments)
    with pytest.raises(ValueError, match="at least one finite value"):
        results.record("empty", measured=[], **arguments)
    assert not list(tmp_path.iterdir())


def test_results_variable_sends_records_to_a_scratch_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("RESNET_BOOK_RESULTS", str(tmp_path))
    before = {path.name: path.read_text() for path in results.FOLDER.glob("*.json")}
    results.record("scratch_only", "E", "q", [1.0, 2.0], status="new", chapter="c")
    assert (tmp_path / "scratch_only.json").exists()
    assert {path.name: path.read_text() for path in results.FOLDER.glob("*.json")} == before
    assert "scratch_only" not in [record["key"] for record in results.load_all("full")]
