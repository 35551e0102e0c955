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


def test_compare_blocks_verdicts(capsys):
    import keras

    def reference(x, filters, strides, name):
        return lib.blocks.shortcut(x, filters, strides, "C", name=name)

    def right(x, filters, strides, name):
        x = keras.layers.Conv2D(filters, 1, strides=strides, use_bias=False, name=f"{name}_0_conv")(x)
        return keras.layers.BatchNormalization(name=f"{name}_0_bn")(x)

    def no_bn(x, filters, strides, name):
        return keras.layers.Conv2D(filters, 1, strides=strides, use_bias=False, name=f"{name}_0_conv")(x)

    def unstrided(x, filters, strides, name):
        return right(x, filters, 1, name)

    def missing(x, filters, strides, name):
        raise NotImplementedError

    for candidate in (right, no_bn, unstrided, missing):
        lib.checks.compare_blocks(candidate, reference, input_shape=(8, 8, 4), filters=8, strides=2)
    verdicts = capsys.readouterr().out.splitlines()
    assert verdicts[0] == "✓ your block matches lib's on a fixed input"
    assert verdicts[1] == "✗ your block has no layer named 'exercise_0_bn'"
    assert verdicts[2].startswith("✗ outputs differ")
    assert verdicts[3].startswith("✗ not implemented yet")


def test_show_source_refuses_a_file_changed_since_import(monkeypatch):
    assert "def expect" in lib.show.source(lib.checks.expect).data
    monkeypatch.setattr(lib.show, "IMPORTED_AT", 0.0)
    with pytest.raises(RuntimeError, match="changed after lib was imported; restart the kernel"):
        lib.show.source(lib.checks.expect)
