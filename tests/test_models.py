import json
import os
import re
import subprocess
import sys

import keras
import numpy as np
import pytest
from conftest import BOOK, count, fixed_input, trainable

from lib import blocks, models
from lib.arguments import ArgumentError

PAPER_PARAMETERS = {20: 0.27e6, 32: 0.46e6, 44: 0.66e6, 56: 0.85e6, 110: 1.7e6}


@pytest.mark.parametrize("depth", sorted(PAPER_PARAMETERS))
def test_parameters_match_he_et_al_within_two_percent(depth):
    model = models.cifar_resnet(depth, input_shape=(32, 32, 3))
    assert abs(trainable(model) / PAPER_PARAMETERS[depth] - 1) < 0.02


@pytest.mark.parametrize("depth", [20, 56])
def test_plain_net_has_exactly_the_residual_nets_parameters(depth):
    residual, plain = models.cifar_resnet(depth), models.cifar_resnet(depth, residual=False)
    assert plain.count_params() == residual.count_params()
    assert plain.name == f"plain{depth}" and residual.name == f"resnet{depth}"
    assert not any(isinstance(layer, keras.layers.Add) for layer in plain.layers)
    assert sum(isinstance(layer, keras.layers.Add) for layer in residual.layers) == (depth - 2) // 2


def test_depth_counts_weighted_layers():
    model = models.cifar_resnet(20)
    weighted = [layer for layer in model.layers if isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense))]
    assert len(weighted) == 20


def test_projection_options_add_parameters():
    a, b, c = (models.cifar_resnet(20, shortcut=option).count_params() for option in "ABC")
    assert a < b < c


@pytest.mark.parametrize("depth", [19, 2, 0, 20.0, "20", True])
def test_invalid_depth_is_a_clear_error(depth):
    with pytest.raises(ValueError, match="depth must be 6n \\+ 2"):
        models.cifar_resnet(depth)


@pytest.mark.parametrize("shape", [(32, 32), (32, 32, 3, 1), 32, (32.0, 32, 3), (0, 32, 3), (32, 32, 0), None])
def test_cifar_input_shape_is_checked_first(shape):
    with pytest.raises(ValueError, match=r"input_shape must be \(height, width, channels\), e.g. \(32, 32, 3\)"):
        models.cifar_resnet(20, input_shape=shape)


def test_cifar_input_shape_may_leave_sizes_open():
    assert models.cifar_resnet(8, input_shape=[None, None, 3]).output_shape == (None, 10)


@pytest.mark.parametrize("classes", [1, 0, 2.5, "10"])
def test_classes_must_be_two_or_more(classes):
    for build in (
        lambda: models.cifar_resnet(8, classes=classes),
        lambda: models.drsn((64, 1), classes),
    ):
        with pytest.raises(ArgumentError, match=re.escape(f"classes must be a whole number >= 2; got {classes!r}.")):
            build()


@pytest.mark.parametrize("scale", [0, -0.5, "0.5", True])
def test_shortcut_scale_must_be_a_positive_number(scale):
    with pytest.raises(
        ValueError, match=rf"shortcut_scale must be a positive number \(1 is the identity\), not {scale!r}"
    ):
        models.cifar_resnet(8, shortcut_scale=scale)


def test_shortcut_scale_is_refused_with_preactivation():
    with pytest.raises(ValueError, match="shortcut_scale applies to post-activation blocks only"):
        models.cifar_resnet(8, preactivation=True, shortcut_scale=0.5)


def test_a_scaled_shortcut_adds_no_parameters_and_a_scale_layer_per_block():
    scaled = models.cifar_resnet(20, shortcut_scale=0.5)
    assert scaled.count_params() == models.cifar_resnet(20).count_params()
    assert sum(layer.name.endswith("_scale") for layer in scaled.layers) == 9
    assert not any(layer.name.endswith("_scale") for layer in models.cifar_resnet(20).layers)


def test_unknown_shortcut_names_the_argument():
    with pytest.raises(ValueError, match="shortcut must be one of A, B, C, not 'D'"):
        models.cifar_resnet(8, shortcut="D")


@pytest.mark.parametrize(
    "options, message",
    [
        ({"input_shape": (64,)}, r"input_shape must be \(length, channels\) or \(height, width, channels\)"),
        ({"input_shape": (8, 8, 8, 1)}, r"input_shape must be \(length, channels\)"),
        ({"stage_filters": ()}, "stage_filters must be a sequence of whole numbers"),
        ({"stage_filters": 8}, "stage_filters must be a sequence of whole numbers"),
        ({"stage_filters": (4, 0)}, "each entry of stage_filters must be a whole number >= 1; got 0."),
        ({"units_per_stage": 0}, "units_per_stage must be a whole number >= 1; got 0."),
        ({"first_strides": 0}, "first_strides must be a whole number >= 1; got 0."),
        ({"stem_strides": 1.5}, "stem_strides must be a whole number >= 1; got 1.5."),
        ({"stem_filters": -4}, "stem_filters must be a whole number >= 1; got -4."),
        ({"reduction": 8}, "reduction=8 leaves no units in the threshold net of a stage of 4 channels"),
    ],
)
def test_drsn_inputs_are_checked_with_the_argument_named(options, message):
    arguments = {"input_shape": (64, 1), "classes": 4, **options}
    with pytest.raises(ArgumentError, match=message):
        models.drsn(**arguments)


def test_output_shape_and_probabilities():
    model = models.cifar_resnet(8, input_shape=(28, 28, 1), classes=7)
    y = np.asarray(model(np.zeros((3, 28, 28, 1), np.float32)))
    assert y.shape == (3, 7)
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-5)


def run_quietly(script, accelerate):
    """Run ``script`` in a fresh Python with ``RESNET_BOOK_ACCELERATE=accelerate``; its last line, read as JSON."""
    env = {**os.environ, "RESNET_BOOK_PROFILE": "quick", "RESNET_BOOK_ACCELERATE": accelerate, "PYTHONPATH": str(BOOK)}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr[-4000:]
    return json.loads(out.stdout.splitlines()[-1])


TRAIN_TWICE = """
import json, sys
import lib, numpy as np, keras
lib.setup(seed=7)
rng = np.random.default_rng(0)
x = rng.random((64, 16, 16, 1), dtype=np.float32)
y = rng.integers(0, 10, 64)
model = lib.models.cifar_resnet(8, input_shape=(16, 16, 1))
model.compile(keras.optimizers.SGD(0.1, momentum=0.9), loss="sparse_categorical_crossentropy")
table = lib.train.fit(model, x, y, epochs=3, batch_size=16)
print(json.dumps([float(v).hex() for v in table["loss"]]))
"""


def test_two_fresh_processes_train_to_identical_losses():
    first, second = run_quietly(TRAIN_TWICE, "off"), run_quietly(TRAIN_TWICE, "off")
    assert first == second
    assert len(set(first)) == 3


def test_multiply_adds_by_hand():
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(4, 3, strides=2, padding="same")(inputs)
    x = keras.layers.Flatten()(x)
    model = keras.Model(inputs, keras.layers.Dense(5)(x))
    assert models.multiply_adds(model) == 4 * 4 * 3 * 3 * 3 * 4 + 64 * 5


def test_preactivation_net_has_no_relu_after_the_sums():
    model = models.cifar_resnet(20, preactivation=True)
    assert model.name == "preact_resnet20"
    assert not any(layer.name.endswith("_out") for layer in model.layers)
    assert model.get_layer("post_relu") is not None
    weighted = [layer for layer in model.layers if isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense))]
    assert len(weighted) == 20
    y = np.asarray(model(np.zeros((2, 32, 32, 1), np.float32)))
    assert y.shape == (2, 10)


TABLE_II = {None: ("resnet", 8_644), "shared": ("drsn_cs", 10_784), "channel": ("drsn_cw", 12_116)}


@pytest.mark.parametrize("thresholds", TABLE_II, ids=str)
def test_zhao_et_al_table_ii_nets(thresholds):
    model = models.drsn((2048, 1), 8, thresholds=thresholds, stem_strides=2, first_strides=2)
    assert (model.name, model.count_params()) == TABLE_II[thresholds]
    assert model.get_layer("stem_conv").output.shape == (None, 1024, 4)
    for stage, (length, channels) in enumerate([(512, 4), (256, 8), (128, 16)], start=1):
        assert model.get_layer(f"stage{stage}_block4_add").output.shape == (None, length, channels)
    assert count(model, keras.layers.Add) == 12
    assert count(model, blocks.SoftThreshold) == (0 if thresholds is None else 12)
    assert np.asarray(model(fixed_input((3, 2048, 1)))).shape == (3, 8)


def test_drsn_default_strides_are_he_et_als():
    model = models.drsn((16, 16, 3), 5, stage_filters=(4, 8), units_per_stage=2, thresholds=None)
    assert model.get_layer("stage1_block2_add").output.shape == (None, 16, 16, 4)
    assert model.get_layer("stage2_block2_add").output.shape == (None, 8, 8, 8)
    assert model.output_shape == (None, 5)


def test_table_ii_convnet_is_the_resnet_without_shortcuts():
    plain = models.drsn((2048, 1), 8, thresholds=None, stem_strides=2, first_strides=2, residual=False)
    resnet = models.drsn((2048, 1), 8, thresholds=None, stem_strides=2, first_strides=2)
    assert (plain.name, plain.count_params()) == ("convnet", resnet.count_params())
    assert count(plain, keras.layers.Add) == 0
    assert plain.get_layer("stage3_block4_2_conv").output.shape == (None, 128, 16)


# Every network of lib.models and lib.writeups under RESNET_BOOK_ACCELERATE=on, on this CPU: mixed precision and XLA,
# two training steps through lib.train.fit; then every layer's output on four examples.
ACCELERATED = """
import json
import keras, numpy as np
import lib
from lib import models, writeups
run = lib.setup(seed=0)
NETS = {  # name: (build, logits, train)
    "resnet8": (lambda: models.cifar_resnet(8, input_shape=(16, 16, 1)), False, True),
    "preact_resnet8": (lambda: models.cifar_resnet(8, "B", input_shape=(16, 16, 1), preactivation=True), False, True),
    "resnet50": (lambda: models.resnet50((32, 32, 3), classes=10), False, False),
    "e1_mnist_bottleneck": (writeups.e1_mnist_bottleneck, True, True),
    "e2_fashion_resnet": (writeups.e2_fashion_resnet, False, True),
    "fashion_resnet16": (writeups.fashion_resnet, False, True),
    "drsn_cs": (lambda: models.drsn((64, 1), 4, (4, 8), 1, "shared"), False, True),
    "e0_resnet": (writeups.e0_resnet, False, True),
    "e0_drsn": (writeups.e0_drsn, False, True),
    "e3_resnet": (writeups.e3_resnet, False, True),
    "e3_drsn": (writeups.e3_drsn, False, True),
}
report = {"run": [run.accelerated, run.compile_options]}
for name, (build, logits, train) in NETS.items():
    keras.utils.set_random_seed(0)
    model = build()
    rng = np.random.default_rng(0)
    x = rng.random((16, *model.input_shape[1:]), dtype=np.float32)
    y = rng.integers(0, model.output_shape[-1], len(x))
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=logits))
    entry = report[name] = {}
    if train:
        table = lib.train.fit(model, x, y, epochs=1, batch_size=8)
        entry.update(loss=float(table["loss"].iloc[-1]), xla=table.attrs["xla"], policy=table.attrs["dtype_policy"])
    outputs = keras.Model(model.input, [layer.output for layer in model.layers[1:]])(x[:4], training=False)
    entry.update(
        name=model.name,
        loss_scaling=isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer),
        variables=sorted({weight.dtype for weight in model.weights}),
        compute=sorted({layer.compute_dtype for layer in model.layers[1:-1]}),
        last=[model.layers[-1].name, model.layers[-1].compute_dtype],
        computed=sorted({str(np.asarray(y).dtype) for y in outputs[:-1]}),
        output=str(np.asarray(outputs[-1]).dtype),
        finite=bool(all(np.isfinite(np.asarray(y, np.float32)).all() for y in outputs)),
        sums=np.asarray(outputs[-1]).sum(axis=1).tolist(),
    )
print(json.dumps(report))
"""
LOGITS = {"e1_mnist_bottleneck"}
UNTRAINED = {"resnet50"}  # float16 without XLA is emulated on a CPU: 2 steps take ~35 s (XLA: ~70 s to compile)


@pytest.fixture(scope="module")
def accelerated():
    return run_quietly(ACCELERATED, "on")


def test_the_forced_run_is_accelerated(accelerated):
    assert accelerated["run"] == [True, {"jit_compile": True}]


NETS = [
    "resnet8",
    "preact_resnet8",
    "resnet50",
    "e1_mnist_bottleneck",
    "e2_fashion_resnet",
    "fashion_resnet16",
    "drsn_cs",
    "e0_resnet",
    "e0_drsn",
    "e3_resnet",
    "e3_drsn",
]


@pytest.mark.parametrize("name", NETS)
def test_every_net_trains_in_float16_with_xla_and_answers_in_float32(accelerated, name):
    entry = accelerated[name]
    assert entry["variables"] == ["float32"] and entry["compute"] == ["float16"]
    assert entry["computed"] == ["float16"] and entry["finite"]
    assert entry["last"][1] == "float32" and entry["output"] == "float32"
    assert entry["loss_scaling"], "compile wraps the optimizer in loss scaling under mixed_float16"
    if name not in LOGITS:
        assert entry["last"][0] == "predictions"
        np.testing.assert_allclose(entry["sums"], 1.0, rtol=1e-5)
    if name not in UNTRAINED:
        assert np.isfinite(entry["loss"]) and entry["policy"] == "mixed_float16"
        assert entry["xla"]


TRAIN_TWICE_ACCELERATED = """
import hashlib, json
import lib, numpy as np, keras
lib.setup(seed=7)
digests = []
nets = ((lambda: lib.models.cifar_resnet(8, input_shape=(16, 16, 1)), (16, 16, 1)), (lib.writeups.e0_drsn, (28, 28, 1)))
for build, shape in nets:
    rng = np.random.default_rng(0)
    x, y = rng.random((64, *shape), dtype=np.float32), rng.integers(0, 10, 64)
    keras.utils.set_random_seed(7)
    model = build()
    model.compile(keras.optimizers.SGD(0.1, momentum=0.9), loss="sparse_categorical_crossentropy")
    table = lib.train.fit(model, x, y, epochs=2, batch_size=16, seed=7)
    assert table.attrs["xla"]
    digests.append(hashlib.sha256(b"".join(w.tobytes() for w in model.get_weights())).hexdigest())
print(json.dumps(digests))
"""


def test_two_fresh_accelerated_processes_train_to_identical_weights():
    # XLA rules out TensorFlow's op determinism (lib.setup leaves it off), yet on a CPU training still repeats.
    first, second = run_quietly(TRAIN_TWICE_ACCELERATED, "on"), run_quietly(TRAIN_TWICE_ACCELERATED, "on")
    assert first == second and len(set(first)) == 2
