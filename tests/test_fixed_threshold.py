"""lib.blocks' fixed-threshold control: one learned threshold per channel, the same for every sample."""

import keras
import numpy as np
import tensorflow as tf
from conftest import fixed_input

from lib import blocks, models


def softplus(w):
    return np.log1p(np.exp(w))


def numpy_soft(x, tau):
    return np.sign(x) * np.maximum(np.abs(x) - tau, 0.0)


def test_fixed_threshold_matches_numpy():
    x = 2 * fixed_input((3, 10, 4))
    layer = blocks.FixedSoftThreshold()
    layer.build(x.shape)
    raw = np.array([-1.0, 0.0, 0.5, 1.5], np.float32)
    layer.raw.assign(raw)
    np.testing.assert_allclose(np.asarray(layer(x)), numpy_soft(x, softplus(raw)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(layer.tau), softplus(raw), rtol=1e-6)


def test_fixed_threshold_starts_at_its_initial_value_and_ignores_the_sample():
    layer = blocks.FixedSoftThreshold(initial=0.3)
    x = fixed_input((2, 8, 5))
    y = np.asarray(layer(x))
    np.testing.assert_allclose(np.asarray(layer.tau), np.full(5, 0.3), rtol=1e-5)
    np.testing.assert_allclose(y, numpy_soft(x, 0.3), rtol=1e-5, atol=1e-6)
    y10 = np.asarray(layer(10 * x))  # a louder sample: the same threshold
    np.testing.assert_allclose(y10, numpy_soft(10 * x, 0.3), rtol=1e-5, atol=1e-5)


def test_fixed_threshold_gradient_matches_numpy():
    x = tf.constant(2 * fixed_input((2, 6, 3)))
    layer = blocks.FixedSoftThreshold(initial=0.7)
    layer.build(x.shape)
    with tf.GradientTape() as tape:
        total = tf.reduce_sum(layer(x))
    gradient = tape.gradient(total, layer.raw).numpy()
    w = layer.raw.numpy()
    outside = np.abs(x.numpy()) > softplus(w)
    expected = -np.sum(np.sign(x.numpy()) * outside, axis=(0, 1)) / (1 + np.exp(-w))  # d tau / d w = sigmoid(w)
    np.testing.assert_allclose(gradient, expected, rtol=1e-5, atol=1e-6)


def test_fixed_unit_has_the_resnet_unit_plus_a_bias_and_a_threshold_per_channel():
    def unit(thresholds):
        inputs = keras.Input((16, 4))
        return keras.Model(inputs, blocks.shrinkage_block(inputs, 8, 2, thresholds, name="u")).count_params()

    assert unit(blocks.FIXED) == unit(None) + 2 * 8
    assert unit(blocks.FIXED) < unit("channel")


def test_fixed_net_builds_and_its_thresholds_do_not_depend_on_the_input():
    model = models.drsn((64, 1), 3, stage_filters=(4, 8), units_per_stage=1, thresholds=blocks.FIXED, name="fixed")
    shrink = [layer for layer in model.layers if isinstance(layer, blocks.FixedSoftThreshold)]
    assert [layer.name for layer in shrink] == ["stage1_block1_shrink", "stage2_block1_shrink"]
    assert not any("threshold" in layer.name for layer in model.layers)
    restored = keras.models.clone_model(model)
    assert restored.count_params() == model.count_params()
