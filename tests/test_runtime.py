import pytest

import lib
from lib import runtime


def test_default_profile_is_full(monkeypatch):
    monkeypatch.delenv("RESNET_BOOK_PROFILE", raising=False)
    assert runtime.read_profile() == "full"


@pytest.mark.parametrize("profile", ["quick", "full", " QUICK "])
def test_known_profiles(monkeypatch, profile):
    monkeypatch.setenv("RESNET_BOOK_PROFILE", profile)
    assert runtime.read_profile() == profile.strip().lower()


def test_unknown_profile_names_the_valid_ones(monkeypatch):
    monkeypatch.setenv("RESNET_BOOK_PROFILE", "fast")
    with pytest.raises(runtime.UnknownProfile, match=r"'fast' is not a profile; use one of quick, full"):
        lib.setup()


def test_setup_prints_one_line_and_picks(monkeypatch, capsys):
    monkeypatch.setenv("RESNET_BOOK_PROFILE", "quick")
    run = lib.setup(seed=3)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and lines[0].startswith("profile quick | seed 3 |")
    assert "TensorFlow" in lines[0] and "Keras" in lines[0]
    assert run.profile == "quick" and run.pick(quick=1, full=2) == 1
    assert runtime.Run("full", 0).pick(quick=1, full=2) == 2


def test_expect_prints_or_raises(capsys):
    lib.expect(True, "a true claim")
    assert capsys.readouterr().out == "✓ a true claim\n"
    with pytest.raises(lib.checks.ClaimFailed, match="a false claim"):
        lib.expect(False, "a false claim")
