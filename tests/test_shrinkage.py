"""Soft thresholding, the threshold network and the residual shrinkage unit (Zhao et al. 2020)."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import fixed_input, randomise_batch_norms
from reference import batch_norm, conv1d_same, conv2d_same, option_a, relu, sigmoid, soft_threshold, softmax

from lib import blocks, models, writeups


def test_soft_threshold_by_hand():
    x = np.array([-3.0, -1.0, -0.5, 0.0, 0.5, 1.5, 3.0], np.float32)
    np.testing.assert_allclose(np.asarray(blocks.soft_threshold(x, 1.0)), [-2, 0, 0, 0, 0, 0.5, 2])


@pytest.mark.parametrize("tau_shape", [(), (4,), (2, 1, 1, 4), (2, 1, 1, 1)])
def test_soft_threshold_matches_numpy_and_broadcasts(tau_shape):
    x = fixed_input((2, 3, 3, 4))
    tau = np.random.default_rng(1).uniform(0.0, 1.0, tau_shape).astype(np.float32)
    y = np.asarray(blocks.soft_threshold(x, tau))
    assert y.shape == x.shape
    np.testing.assert_allclose(y, soft_threshold(x, tau), rtol=1e-6, atol=1e-7)
    assert 0 < np.mean(y == 0) < 1


def test_soft_threshold_gradient_is_one_outside_and_zero_inside():
    x = tf.constant(np.linspace(-2.35, 2.35, 12, dtype=np.float32).reshape(3, 4))
    tau = np.array([0.1, 0.5, 1.0, 2.0], np.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = blocks.soft_threshold(x, tau)
    gradient = tape.gradient(y, x).numpy()
    expected = (np.abs(x.numpy()) > tau).astype(np.float32)
    assert 0 < expected.mean() < 1
    np.testing.assert_array_equal(gradient, expected)


SHAPES = {"2d": (6, 5, 5, 4), "1d": (6, 16, 4)}


@pytest.mark.parametrize("thresholds", blocks.THRESHOLDS)
@pytest.mark.parametrize("rank", SHAPES)
@pytest.mark.parametrize("training", [False, True])
def test_thresholds_lie_between_zero_and_the_mean_absolute_value(thresholds, rank, training):
    shape = SHAPES[rank]
    inputs = keras.Input(shape[1:])
    model = keras.Model(inputs, blocks.threshold_network(inputs, thresholds, name="t"))
    randomise_batch_norms(model)
    x = 3 * fixed_input(shape)
    tau = np.asarray(model(x, training=training))
    channels = shape[-1] if thresholds == "channel" else 1
    assert tau.shape == (shape[0], *(1,) * (len(shape) - 2), channels)
    assert np.broadcast_shapes(x.shape, tau.shape) == x.shape
    mean_abs = np.abs(x).mean(axis=tuple(range(1, len(shape) - (channels > 1))), keepdims=True)
    assert np.all(tau > 0) and np.all(tau <= mean_abs * (1 + 1e-6))
    assert len(np.unique(tau)) > 1


@pytest.mark.parametrize("hidden, units", [(None, 8), (2, 2)])
def test_threshold_network_hidden_units(hidden, units):
    inputs = keras.Input((5, 5, 8))
    model = keras.Model(inputs, blocks.threshold_network(inputs, "shared", hidden, name="t"))
    assert model.get_layer("t_1_dense").kernel.shape == (8, units)
    assert model.get_layer("t_2_dense").kernel.shape == (units, 1)


def test_unknown_thresholds_are_a_clear_error():
    with pytest.raises(ValueError, match="unknown thresholds 'layer'; choose one of channel, shared"):
        blocks.shrinkage_block(keras.Input((8, 8, 4)), 4, thresholds="layer")


def randomise_threshold_dense(model, seed=2):
    """Give the threshold nets' dense layers, and the biases before the thresholds, non-zero values of a fixed scale."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, keras.layers.Dense) and "_threshold_" in layer.name:
            layer.set_weights([rng.normal(0, 0.5, w.shape) for w in layer.get_weights()])
        elif layer.name.endswith("_2_conv") and layer.use_bias:
            kernel, bias = layer.get_weights()
            layer.set_weights([kernel, rng.normal(0, 0.5, bias.shape)])


def shrinkage_reference(w, x, filters, strides, thresholds, name="b"):
    """The residual shrinkage unit in NumPy: images ``(n, h, w, c)`` or signals ``(n, l, c)``."""
    conv = conv2d_same if x.ndim == 4 else conv1d_same
    spatial = tuple(range(1, x.ndim - 1))
    preact = relu(batch_norm(x, *w[f"{name}_preact_bn"]))
    y = relu(batch_norm(conv(preact, w[f"{name}_1_conv"][0], strides), *w[f"{name}_1_bn"]))
    y = conv(y, w[f"{name}_2_conv"][0])
    if thresholds is not None:
        y = y + w[f"{name}_2_conv"][1]  # the bias before the threshold
        t = f"{name}_threshold"
        mean_abs = np.abs(y).mean(axis=spatial)
        kernel, bias = w[f"{t}_1_dense"]
        hidden = relu(batch_norm(mean_abs @ kernel + bias, *w[f"{t}_1_bn"]))
        kernel, bias = w[f"{t}_2_dense"]
        alpha = sigmoid(hidden @ kernel + bias)
        scale = mean_abs if thresholds == "channel" else mean_abs.mean(axis=1, keepdims=True)
        y = soft_threshold(y, np.expand_dims(alpha * scale, spatial))
    if x.ndim == 3:
        return y + option_a(x[:, :, None, :], filters, strides)[:, :, 0, :]
    return y + option_a(x, filters, strides)


@pytest.mark.parametrize("thresholds", [*blocks.THRESHOLDS, None])
@pytest.mark.parametrize("rank", SHAPES)
def test_shrinkage_block_matches_numpy(thresholds, rank):
    shape = {"2d": (2, 8, 8, 4), "1d": (2, 15, 4)}[rank]
    inputs = keras.Input(shape[1:])
    model = keras.Model(inputs, blocks.shrinkage_block(inputs, 8, 2, thresholds, name="b"))
    randomise_batch_norms(model)
    randomise_threshold_dense(model)
    w = {layer.name: layer.get_weights() for layer in model.layers}
    x = fixed_input(shape)
    assert model.output_shape == (None, *(-(-n // 2) for n in shape[1:-1]), 8)
    expected = shrinkage_reference(w, x, 8, 2, thresholds)
    np.testing.assert_allclose(np.asarray(model(x, training=False)), expected, rtol=1e-4, atol=1e-4)
    if thresholds is not None:
        shrunk = np.asarray(keras.Model(inputs, model.get_layer("b_shrink").output)(x, training=False))
        assert 0.05 < np.mean(shrunk == 0) < 0.95


def layer_kinds(block, shape=(8, 8, 4), **kwargs):
    inputs = keras.Input(shape, name="x")
    model = keras.Model(inputs, block(inputs, 8, 2, name="b", **kwargs))
    return [(layer.name, type(layer).__name__) for layer in model.layers]


def test_resnet_unit_is_the_preactivation_unit_with_option_a():
    assert layer_kinds(blocks.shrinkage_block, thresholds=None) == layer_kinds(
        blocks.preact_basic_block, shortcut_option="A"
    )


@pytest.mark.parametrize("thresholds, extra", [("channel", 0), ("shared", 1)])
def test_drsn_unit_adds_only_the_threshold_net(thresholds, extra):
    resnet = set(layer_kinds(blocks.shrinkage_block, thresholds=None))
    drsn = set(layer_kinds(blocks.shrinkage_block, thresholds=thresholds))
    added = drsn - resnet
    assert resnet < drsn
    assert {name for name, _ in added if not name.startswith("b_threshold_")} == {"b_shrink"}
    assert len(added) == 7 + extra


def model_of(function, shape, *args, **kwargs):
    inputs = keras.Input(shape)
    return keras.Model(inputs, function(inputs, *args, **kwargs))


@pytest.mark.parametrize("shape", [(16, 4), (6, 6, 4)])
def test_shrinkage_block_keeps_the_shape_at_unit_stride(shape):
    model = model_of(blocks.shrinkage_block, shape, 4, name="b")
    assert model.output_shape == (None, *shape)
    assert model.get_layer("b_add").input[0] is model.input


@pytest.mark.parametrize("channels, strides, length", [(8, 2, 7), (7, 3, 9), (4, 1, 5)])
def test_option_a_on_signals(channels, strides, length):
    x = fixed_input((2, length, 4))
    layer = blocks.ZeroPadShortcut(channels, strides)
    expected = option_a(x[:, :, None, :], channels, strides)[:, :, 0, :]
    np.testing.assert_array_equal(np.asarray(layer(x)), expected)
    assert layer.compute_output_shape((None, length, 4)) == (None, -(-length // strides), channels)


def test_option_a_config_is_unchanged():
    config = blocks.ZeroPadShortcut(8, 2, name="pad").get_config()
    assert set(config) - set(keras.layers.Layer(name="pad").get_config()) == {"channels", "strides"}


def test_conv_is_one_dimensional_for_signals():
    model = model_of(blocks.conv, (16, 2), 4, 3, 2, name="c")
    assert isinstance(model.get_layer("c"), keras.layers.Conv1D)
    assert model.output_shape == (None, 8, 4)


def signal_net():
    return models.drsn((32, 2), 3, stage_filters=(2, 4), units_per_stage=1, thresholds="shared", first_strides=2)


@pytest.mark.parametrize("build", [writeups.e0_drsn, signal_net], ids=["e0_drsn", "signal_drsn_cs"])
def test_shrinkage_nets_survive_save_and_load(build, tmp_path):
    model = build()
    randomise_batch_norms(model)
    randomise_threshold_dense(model)
    x = fixed_input((3, *model.input_shape[1:]))
    model.save(tmp_path / "net.keras")
    loaded = keras.models.load_model(tmp_path / "net.keras")
    assert [type(layer) for layer in loaded.layers] == [type(layer) for layer in model.layers]
    assert any(isinstance(layer, blocks.SoftThreshold) for layer in loaded.layers)
    np.testing.assert_array_equal(np.asarray(loaded(x, training=False)), np.asarray(model(x, training=False)))


def test_e0_drsn_matches_numpy():
    model = writeups.e0_drsn()
    randomise_batch_norms(model)
    randomise_threshold_dense(model)
    w = {layer.name: layer.get_weights() for layer in model.layers}
    x = fixed_input((2, 28, 28, 1))
    y = shrinkage_reference(w, conv2d_same(x, w["stem_conv"][0]), 8, 2, "channel", name="stage1_block1")
    y = relu(batch_norm(y, *w["post_bn"])).mean(axis=(1, 2))
    expected = softmax(y @ w["predictions"][0] + w["predictions"][1])
    np.testing.assert_allclose(np.asarray(model(x, training=False)), expected, atol=1e-5)


def float32_twin(build, shape, seed=0):
    """The net ``build`` makes, built under the float32 policy and under mixed_float16, with the same weights."""
    keras.mixed_precision.set_global_policy("float32")
    keras.utils.set_random_seed(seed)
    reference = build(shape)
    randomise_batch_norms(reference)
    randomise_threshold_dense(reference)
    keras.mixed_precision.set_global_policy("mixed_float16")
    mixed = build(shape)
    mixed.set_weights(reference.get_weights())
    return reference, mixed


def unit(shape, thresholds):
    inputs = keras.Input(shape)
    return keras.Model(inputs, blocks.shrinkage_block(inputs, 8, 2, thresholds, name="b"))


@pytest.mark.parametrize("thresholds", blocks.THRESHOLDS)
@pytest.mark.parametrize("shape", [(8, 8, 4), (2048, 4)], ids=["2d", "1d long"])
def test_shrinkage_unit_in_float16_follows_float32(mixed_precision, thresholds, shape):
    reference, mixed = float32_twin(lambda s: unit(s, thresholds), shape)
    assert {layer.compute_dtype for layer in mixed.layers[1:]} == {"float16"}
    assert {weight.dtype for weight in mixed.weights} == {"float32"}
    x = 3 * fixed_input((2, *shape))
    expected = np.asarray(reference(x, training=False))
    got = mixed(x, training=False)
    assert got.dtype == "float16"
    got = np.asarray(got, np.float32)
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got, expected, atol=2e-2 * np.abs(expected).max())
    shrunk = np.asarray(keras.Model(mixed.input, mixed.get_layer("b_shrink").output)(x, training=False), np.float32)
    assert 0.05 < np.mean(shrunk == 0) < 0.95


def test_mean_absolute_in_float16_does_not_overflow_over_long_signals(mixed_precision):
    # 4,096 values of 30 sum to 122,880, past float16's largest number (65,504): the mean must not pass through it.
    layer = blocks.MeanAbsolute(per_channel=False)
    x = np.full((2, 4096, 3), -30.0, np.float32)
    y = layer(x)
    assert y.dtype == "float16" and y.shape == (2, 1, 1)
    np.testing.assert_array_equal(np.asarray(y, np.float32), 30.0)
    np.testing.assert_array_equal(np.asarray(blocks.MeanAbsolute()(np.full((1, 64, 64, 2), 60_000.0)), np.float32), 6e4)


def test_soft_threshold_layer_in_float16(mixed_precision):
    x = np.array([[-3.0, -1.0, -0.5, 0.0, 0.5, 1.5, 3.0]], np.float32)
    y = blocks.SoftThreshold()([x, np.ones((1, 1), np.float32)])
    assert y.dtype == "float16"
    np.testing.assert_array_equal(np.asarray(y, np.float32), [[-2, 0, 0, 0, 0, 0.5, 2]])


def threshold_net(shape, thresholds):
    inputs = keras.Input(shape)
    return keras.Model(inputs, blocks.threshold_network(inputs, thresholds, name="t"))


@pytest.mark.parametrize("thresholds", blocks.THRESHOLDS)
def test_thresholds_in_float16_follow_float32_within_the_mean_absolute_value(mixed_precision, thresholds):
    reference, mixed = float32_twin(lambda shape: threshold_net(shape, thresholds), (1024, 4))
    x = 100 * fixed_input((3, 1024, 4))  # mean |x| about 80 a channel: sums over 1,024 values pass 65,504
    # In training mode BN rescales the hidden layer, so alpha stays inside (0, 1) rather than saturating.
    expected, tau = np.asarray(reference(x, training=True)), mixed(x, training=True)
    assert tau.dtype == "float16"
    tau = np.asarray(tau, np.float32)
    axes = (1,) if thresholds == "channel" else (1, 2)
    mean_abs = np.abs(x).mean(axis=axes, keepdims=True)
    assert np.isfinite(tau).all() and np.all(tau >= 0) and np.all(tau <= mean_abs * (1 + 2e-3))
    assert tau.max() > 0.1 * mean_abs.max()
    np.testing.assert_allclose(tau, expected, atol=5e-3 * mean_abs.max())


@pytest.mark.parametrize("thresholds", [*blocks.THRESHOLDS, None])
def test_only_a_thresholded_unit_keeps_the_bias_before_its_threshold(thresholds):
    model = model_of(blocks.shrinkage_block, (8, 4), 6, name="b", thresholds=thresholds)
    assert model.get_layer("b_2_conv").use_bias == (thresholds is not None)
    assert not model.get_layer("b_1_conv").use_bias


def test_the_bias_moves_the_zeroed_interval_to_minus_b_plus_or_minus_tau():
    """With the convolution's raw output z and bias b, the unit zeroes z exactly where |z + b| <= tau."""
    model = model_of(blocks.shrinkage_block, (64, 4), 4, name="b", thresholds="channel")
    randomise_batch_norms(model)
    randomise_threshold_dense(model)
    x = fixed_input((3, 64, 4))
    bias = model.get_layer("b_2_conv").bias.numpy()
    kernel_only = keras.Model(model.input, model.get_layer("b_2_conv").output)(x, training=False) - bias
    probe = keras.Model(model.input, [model.get_layer("b_threshold_tau").output, model.get_layer("b_shrink").output])
    tau, shrunk = (np.asarray(t) for t in probe(x, training=False))
    z = np.asarray(kernel_only)
    clear = np.abs(np.abs(z + bias) - tau) > 1e-4  # away from the interval's edges
    np.testing.assert_array_equal((shrunk == 0)[clear], (np.abs(z + bias) <= tau)[clear])
    assert np.any((shrunk == 0) & (np.abs(z) > tau))  # zeroed although |z| exceeds tau: the interval is off zero
