"""E3's two controls in lib.writeups: a ResNet widened to the DRSN-CW's parameters, and fixed thresholds.

The E0/E3 notebook decides the DRSN-CW against each of them; these tests pin what each control is:
its parameter count beside the DRSN-CW's, the layers it shares with it, and what it lacks.
"""

import keras
import numpy as np
import pytest
from conftest import trainable

from lib import blocks, writeups


def names(model):
    return {layer.name for layer in model.layers}


def test_the_widened_resnet_has_the_drsn_cws_parameters_within_five_percent():
    drsn, widened = writeups.e3_drsn(), writeups.e3_resnet_widened()
    assert widened.name == "e3_resnet_widened"
    assert (widened.count_params(), trainable(widened)) == (1_653, 1_601)
    assert abs(widened.count_params() / drsn.count_params() - 1) < 0.05
    assert abs(trainable(widened) / trainable(drsn) - 1) < 0.05


def test_the_widened_resnet_is_the_resnet_with_a_unit_of_nine_channels():
    resnet, widened = writeups.e3_resnet(), writeups.e3_resnet_widened()
    assert widened.get_layer("stem_conv").filters == 8
    assert widened.get_layer("stage1_block1_1_conv").filters == 9
    assert widened.get_layer("stage1_block1_add").output.shape == (None, 14, 14, 9)
    assert names(widened) == names(resnet), "the same layers, only wider: no threshold, no extra bias"
    assert not [layer for layer in widened.layers if "threshold" in layer.name or "shrink" in layer.name]
    assert widened.get_layer("stage1_block1_2_conv").use_bias is False
    # The next width, a unit of 10 channels, would be far outside 5%.
    ten = writeups._one_unit_net(None, 1, "e3_resnet_ten", filters=10)
    assert ten.count_params() > 1.05 * writeups.e3_drsn().count_params()


def test_the_fixed_threshold_net_is_the_drsn_cw_without_its_threshold_network():
    drsn, fixed, resnet = writeups.e3_drsn(), writeups.e3_fixed_threshold(), writeups.e3_resnet()
    assert fixed.name == "e3_fixed_threshold"
    assert (fixed.count_params(), trainable(fixed)) == (1_426, 1_378)
    assert fixed.count_params() - resnet.count_params() == 8 + 8, "8 biases and 8 thresholds"
    shrink = fixed.get_layer("stage1_block1_shrink")
    assert isinstance(shrink, blocks.FixedSoftThreshold) and tuple(shrink.raw.shape) == (8,)
    assert fixed.get_layer("stage1_block1_2_conv").use_bias, "the bias that places the zeroed interval stays"
    threshold_network = {name for name in names(drsn) if "_threshold_" in name}
    assert threshold_network and not threshold_network & names(fixed)
    assert names(fixed) == names(drsn) - threshold_network
    for layer in fixed.layers:
        theirs = drsn.get_layer(layer.name)
        if not isinstance(layer, blocks.FixedSoftThreshold):
            assert [w.shape for w in layer.weights] == [w.shape for w in theirs.weights], layer.name


def test_the_fixed_thresholds_are_the_same_for_every_image():
    keras.utils.set_random_seed(0)
    fixed = writeups.e3_fixed_threshold()
    shrink = fixed.get_layer("stage1_block1_shrink")
    shrink.raw.assign(np.log(np.expm1(np.linspace(0.1, 0.8, 8))).astype("float32"))  # tau = 0.1 ... 0.8
    probe = keras.Model(fixed.input, [fixed.get_layer("stage1_block1_2_conv").output, shrink.output])
    rng = np.random.default_rng(0)
    for x in (rng.random((3, 28, 28, 1), dtype=np.float32), 0.5 + rng.random((3, 28, 28, 1), dtype=np.float32)):
        y, shrunk = (np.asarray(v) for v in probe(x, training=False))
        tau = np.linspace(0.1, 0.8, 8)
        expected = np.sign(y) * np.maximum(np.abs(y) - tau, 0)
        np.testing.assert_allclose(shrunk, expected, atol=1e-5)


@pytest.mark.parametrize("build", [writeups.e3_resnet_widened, writeups.e3_fixed_threshold])
def test_the_controls_train_and_their_thresholds_learn(build):
    keras.utils.set_random_seed(0)
    model = build()
    model.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    x, y = rng.random((64, 28, 28, 1), dtype=np.float32), rng.integers(0, 10, 64)
    before = [keras.ops.convert_to_numpy(w) for w in model.trainable_weights]
    history = model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert all(not np.array_equal(b, np.asarray(w)) for b, w in zip(before, model.trainable_weights))
