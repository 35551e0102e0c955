import os
import random

import keras
import numpy as np
import pytest
import tensorflow as tf

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
    monkeypatch.setenv("RESNET_BOOK_ACCELERATE", "off")
    run = lib.setup(seed=3)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"profile quick | seed 3 | {runtime.device_name()} | float32 |")
    assert lines[0].endswith(f"| TensorFlow {tf.__version__}, Keras {keras.__version__}")
    assert run.profile == "quick" and run.pick(quick=1, full=2) == 1
    assert runtime.Run("full", 0).pick(quick=1, full=2) == 2


def test_default_mode_is_auto(monkeypatch):
    monkeypatch.delenv("RESNET_BOOK_ACCELERATE", raising=False)
    assert runtime.read_accelerate() == "auto"


@pytest.mark.parametrize("mode", ["auto", "on", "off", " ON ", "Off", ""])
def test_known_modes_in_any_case(monkeypatch, mode):
    monkeypatch.setenv("RESNET_BOOK_ACCELERATE", mode)
    assert runtime.read_accelerate() == (mode.strip().lower() or "auto")


def test_unknown_mode_names_the_valid_ones(monkeypatch):
    monkeypatch.setenv("RESNET_BOOK_ACCELERATE", "gpu")
    with pytest.raises(runtime.UnknownAccelerate, match=r"'gpu' is not a mode; use one of auto, on, off"):
        lib.setup()


@pytest.mark.parametrize(
    "mode, gpus, expected",
    [("auto", [], False), ("auto", ["GPU:0"], True), ("on", [], True), ("off", ["GPU:0"], False)],
)
def test_auto_accelerates_exactly_when_a_gpu_is_seen(monkeypatch, mode, gpus, expected):
    monkeypatch.setenv("RESNET_BOOK_ACCELERATE", mode)
    monkeypatch.setattr(runtime, "gpus", lambda: gpus)
    assert runtime.accelerated() is expected


def test_this_machine_has_no_gpu_so_auto_keeps_float32(monkeypatch, capsys):
    monkeypatch.delenv("RESNET_BOOK_ACCELERATE", raising=False)
    assert not runtime.gpus() and runtime.device_name() == f"CPU ({os.cpu_count()} cores)"
    run = lib.setup()
    assert not run.accelerated and run.compile_options == {} and run.precision == "float32"
    assert keras.mixed_precision.global_policy().name == "float32"
    assert "| float32 |" in capsys.readouterr().out


def test_setup_on_sets_mixed_precision_and_a_second_setup_off_undoes_it(monkeypatch, capsys):
    monkeypatch.setenv("RESNET_BOOK_ACCELERATE", "on")
    try:
        run = lib.setup()
        assert run.accelerated and run.compile_options == {"jit_compile": True}
        assert keras.mixed_precision.global_policy().name == "mixed_float16"
        assert "| mixed precision + XLA |" in capsys.readouterr().out
        dense = keras.layers.Dense(2)
        dense.build((None, 3))
        assert (dense.compute_dtype, dense.kernel.dtype) == ("float16", "float32")
    finally:
        monkeypatch.setenv("RESNET_BOOK_ACCELERATE", "off")
        run = lib.setup()
    assert not run.accelerated and keras.mixed_precision.global_policy().name == "float32"
    assert "| float32 |" in capsys.readouterr().out


def test_the_device_line_reads_the_gpus_once(monkeypatch):
    assert lib.train.gpus is runtime.gpus  # one reading of the devices, for the line and for strategy()
    monkeypatch.setattr(runtime, "gpus", lambda: ["GPU:0", "GPU:1"])
    monkeypatch.setattr(tf.config.experimental, "get_device_details", lambda gpu: {"device_name": "NVIDIA H100"})
    assert runtime.device_name() == "2 x NVIDIA H100"
    monkeypatch.setattr(runtime, "gpus", lambda: ["GPU:0"])
    assert runtime.device_name() == "NVIDIA H100"


def test_seed_everything_seeds_python_and_numpy():
    def draws():
        runtime.seed_everything(5)
        return random.random(), np.random.rand(), float(keras.random.uniform(()))

    assert draws() == draws()


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


def test_compare_blocks_tests_the_wiring_of_a_basic_block_with_option_a(capsys):
    import keras

    def reference(x, filters, strides, name):
        return lib.blocks.basic_block(x, filters, strides, "A", name=name)

    def option_a(x, filters, strides):
        x = x[:, ::strides, ::strides, :]
        extra = filters - x.shape[-1]
        return keras.ops.pad(x, [[0, 0], [0, 0], [0, 0], [extra // 2, extra - extra // 2]])

    def branch(x, filters, strides, name):
        y = lib.blocks.bn_relu(lib.blocks.conv(x, filters, 3, strides, name=f"{name}_1_conv"), f"{name}_1")
        return lib.blocks.bn_relu(lib.blocks.conv(y, filters, 3, name=f"{name}_2_conv"), f"{name}_2", relu=False)

    def right(x, filters, strides, name):  # option A in keras.ops: no layer of lib's name, no weights
        return keras.layers.ReLU()(
            keras.layers.Add()([option_a(x, filters, strides), branch(x, filters, strides, name)])
        )

    def relu_before_the_sum(x, filters, strides, name):
        y = keras.layers.ReLU()(branch(x, filters, strides, name))
        return keras.layers.Add()([option_a(x, filters, strides), y])

    def padded_at_the_end(x, filters, strides, name):
        s = keras.ops.pad(x[:, ::strides, ::strides, :], [[0, 0], [0, 0], [0, 0], [0, filters - x.shape[-1]]])
        return keras.layers.ReLU()(keras.layers.Add()([s, branch(x, filters, strides, name)]))

    def unsubsampled(x, filters, strides, name):
        return keras.layers.ReLU()(keras.layers.Add()([option_a(x, filters, 1), branch(x, filters, strides, name)]))

    for candidate in (right, relu_before_the_sum, padded_at_the_end, unsubsampled):
        lib.checks.compare_blocks(candidate, reference, input_shape=(8, 8, 4), filters=8, strides=2)
    verdicts = capsys.readouterr().out.splitlines()
    assert verdicts[0] == "✓ your block matches lib's on a fixed input"
    assert verdicts[1].startswith("✗ outputs differ")
    assert verdicts[2].startswith("✗ outputs differ")
    assert verdicts[3].startswith("✗ your block cannot be built on an input of shape (None, 8, 8, 4)")


def test_show_source_refuses_a_file_changed_since_import(monkeypatch):
    assert "def expect" in lib.show.source(lib.checks.expect).data
    monkeypatch.setattr(lib.show, "IMPORTED_AT", 0.0)
    with pytest.raises(RuntimeError, match="changed after lib was imported; restart the kernel"):
        lib.show.source(lib.checks.expect)
