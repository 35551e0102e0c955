import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
from conftest import BOOK

from lib import models

PAPER_PARAMETERS = {20: 0.27e6, 32: 0.46e6, 44: 0.66e6, 56: 0.85e6, 110: 1.7e6}


@pytest.mark.parametrize("depth", sorted(PAPER_PARAMETERS))
def test_parameters_match_he_et_al_within_two_percent(depth):
    model = models.cifar_resnet(depth, input_shape=(32, 32, 3))
    assert abs(model.count_params() / PAPER_PARAMETERS[depth] - 1) < 0.02


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


@pytest.mark.parametrize("depth", [19, 2, 0, 20.0, "20"])
def test_invalid_depth_is_a_clear_error(depth):
    with pytest.raises(ValueError, match="depth must be 6n \\+ 2"):
        models.cifar_resnet(depth)


def test_output_shape_and_probabilities():
    model = models.cifar_resnet(8, input_shape=(28, 28, 1), classes=7)
    y = np.asarray(model(np.zeros((3, 28, 28, 1), np.float32)))
    assert y.shape == (3, 7)
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-5)


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
    def losses():
        env = {**os.environ, "RESNET_BOOK_PROFILE": "quick", "PYTHONPATH": str(BOOK)}
        out = subprocess.run([sys.executable, "-c", TRAIN_TWICE], capture_output=True, text=True, env=env, check=True)
        return json.loads(out.stdout.splitlines()[-1])

    first, second = losses(), losses()
    assert first == second
    assert len(set(first)) == 3
