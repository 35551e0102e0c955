import keras
import numpy as np
import pytest
from reference import batch_norm, conv2d_same, option_a, relu

from lib import blocks


def fixed_input(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


def randomise_batch_norms(model, seed=1):
    """Give every BN layer non-trivial statistics so the references test them."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            c = layer.gamma.shape[0]
            layer.set_weights(
                [rng.uniform(0.5, 1.5, c), rng.normal(0, 0.1, c), rng.normal(0, 0.1, c), rng.uniform(0.5, 2.0, c)]
            )


def bn_reference(model, name, x):
    return batch_norm(x, *[w for w in model.get_layer(name).get_weights()])


@pytest.mark.parametrize("channels, strides", [(8, 2), (12, 2), (7, 1), (4, 1)])
def test_option_a_matches_numpy(channels, strides):
    x = fixed_input((2, 6, 6, 4))
    layer = blocks.ZeroPadShortcut(channels, strides)
    np.testing.assert_allclose(np.asarray(layer(x)), option_a(x, channels, strides), atol=0)
    assert layer.compute_output_shape((None, 6, 6, 4)) == (None, -(-6 // strides), -(-6 // strides), channels)


def test_option_a_pads_symmetrically_by_hand():
    x = np.ones((1, 2, 2, 2), np.float32)
    y = np.asarray(blocks.ZeroPadShortcut(6, 2)(x))
    assert y.shape == (1, 1, 1, 6)
    assert y[0, 0, 0].tolist() == [0, 0, 1, 1, 0, 0]


@pytest.mark.parametrize("strides, filters, option", [(1, 4, "A"), (2, 8, "A"), (2, 8, "B"), (1, 4, "C"), (1, 4, "B")])
def test_basic_block_matches_numpy(strides, filters, option):
    x = fixed_input((2, 8, 8, 4))
    inputs = keras.Input((8, 8, 4))
    model = keras.Model(inputs, blocks.basic_block(inputs, filters, strides, option, name="b"))
    randomise_batch_norms(model)
    w = {layer.name: layer.get_weights() for layer in model.layers}
    y = relu(bn_reference(model, "b_1_bn", conv2d_same(x, w["b_1_conv"][0], strides)))
    y = bn_reference(model, "b_2_bn", conv2d_same(y, w["b_2_conv"][0]))
    if "b_0_conv" in w:
        s = bn_reference(model, "b_0_bn", conv2d_same(x, w["b_0_conv"][0], strides))
    else:
        s = option_a(x, filters, strides)
    expected = relu(y + s)
    np.testing.assert_allclose(np.asarray(model(x, training=False)), expected, rtol=1e-4, atol=1e-4)


def test_plain_block_has_no_shortcut():
    x = fixed_input((1, 8, 8, 4))
    inputs = keras.Input((8, 8, 4))
    model = keras.Model(inputs, blocks.basic_block(inputs, 4, residual=False, name="p"))
    w = {layer.name: layer.get_weights() for layer in model.layers}
    y = relu(bn_reference(model, "p_1_bn", conv2d_same(x, w["p_1_conv"][0])))
    y = relu(bn_reference(model, "p_2_bn", conv2d_same(y, w["p_2_conv"][0])))
    np.testing.assert_allclose(np.asarray(model(x, training=False)), y, rtol=1e-4, atol=1e-4)
    assert not any("add" in layer.name for layer in model.layers)


@pytest.mark.parametrize("option, projections", [("A", 0), ("B", 1), ("C", 2)])
def test_shortcut_options_differ_where_he_et_al_say(option, projections):
    inputs = keras.Input((8, 8, 4))
    x = blocks.basic_block(inputs, 4, 1, option, name="same")
    blocks.basic_block(x, 8, 2, option, name="down")
    model = keras.Model(inputs, blocks.basic_block(x, 8, 2, option, name="down"))
    assert sum(layer.name.endswith("_0_conv") for layer in model.layers) == projections


def test_shapes_that_cannot_be_added_are_named():
    a, b = keras.Input((8, 8, 4)), keras.Input((4, 4, 8))
    with pytest.raises(
        ValueError,
        match=r"unit: cannot add a shortcut of shape \(None, 8, 8, 4\) to a residual branch of shape \(None, 4, 4, 8\)",
    ):
        blocks.add(a, b, name="unit")


def test_unknown_shortcut_option():
    with pytest.raises(ValueError, match="unknown shortcut option 'D'; choose one of A, B, C"):
        blocks.shortcut(keras.Input((8, 8, 4)), 8, 2, option="D")


def test_option_a_cannot_shrink_channels():
    with pytest.raises(ValueError, match="cannot shrink 8 channels to 4"):
        blocks.ZeroPadShortcut(4, 1)(np.zeros((1, 2, 2, 8), np.float32))
