import keras
import numpy as np
import pytest
from conftest import fixed_input, randomise_batch_norms
from reference import batch_norm, conv2d_same, option_a, relu

from lib import blocks


def bn_reference(model, name, x):
    return batch_norm(x, *[w for w in model.get_layer(name).get_weights()])


def block_model(block, shape, *args, **kwargs):
    """A model of one block named 'b', randomised BN statistics, and its weights by layer name."""
    inputs = keras.Input(shape)
    model = keras.Model(inputs, block(inputs, *args, name="b", **kwargs))
    randomise_batch_norms(model)
    return model, {layer.name: layer.get_weights() for layer in model.layers}


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


@pytest.mark.parametrize("strides, filters, scale", [(1, 4, 0.5), (2, 8, 0.5), (1, 4, 2.0)])
def test_scaled_shortcut_matches_numpy(strides, filters, scale):
    x = fixed_input((2, 8, 8, 4))
    model, w = block_model(blocks.basic_block, (8, 8, 4), filters, strides, "A", shortcut_scale=scale)
    y = relu(bn_reference(model, "b_1_bn", conv2d_same(x, w["b_1_conv"][0], strides)))
    y = bn_reference(model, "b_2_bn", conv2d_same(y, w["b_2_conv"][0]))
    expected = relu(y + scale * option_a(x, filters, strides))
    np.testing.assert_allclose(np.asarray(model(x, training=False)), expected, rtol=1e-4, atol=1e-4)


def test_a_block_whose_last_bn_is_zeroed_passes_its_scaled_input_through():
    # gamma = beta = 0 on the branch's last BN makes F(x) = 0: the block is relu(scale * x), x >= 0 here.
    x = np.abs(fixed_input((2, 8, 8, 4)))
    for scale in (1.0, 0.5):
        model, _ = block_model(blocks.basic_block, (8, 8, 4), 4, shortcut_scale=scale)
        bn = model.get_layer("b_2_bn")
        gamma, beta, mean, variance = bn.get_weights()
        bn.set_weights([np.zeros_like(gamma), np.zeros_like(beta), mean, variance])
        np.testing.assert_allclose(np.asarray(model(x, training=False)), scale * x, atol=1e-6)


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
    with pytest.raises(ValueError, match="pad: option A cannot shrink 8 channels to 4; use a projection shortcut"):
        blocks.ZeroPadShortcut(4, 1, name="pad")(np.zeros((1, 2, 2, 8), np.float32))


def test_a_block_that_would_shrink_channels_under_option_a_fails_when_built():
    # The error comes while the model is defined, naming the block's layer, not at the first training step.
    with pytest.raises(ValueError, match="unit_0_pad: option A cannot shrink 16 channels to 8; use a projection"):
        blocks.basic_block(keras.Input((8, 8, 16)), 8, 1, "A", name="unit")
    inputs = keras.Input((8, 8, 16))
    assert blocks.basic_block(inputs, 8, 1, "B", name="unit").shape == (None, 8, 8, 8)  # a projection can


def post_shortcut(model, w, x, filters, strides):
    """Projection + BN where the block has one, else identity or option A."""
    if "b_0_conv" in w:
        return bn_reference(model, "b_0_bn", conv2d_same(x, w["b_0_conv"][0], strides))
    return option_a(x, filters, strides)


def preact_shortcut(w, x, preact, filters, strides):
    """A BN-free projection of the pre-activated input where the block has one, else identity or option A."""
    if "b_0_conv" in w:
        assert "b_0_bn" not in w
        return conv2d_same(preact, w["b_0_conv"][0], strides)
    return option_a(x, filters, strides)


@pytest.mark.parametrize("strides, filters, option", [(1, 1, "B"), (2, 2, "B"), (2, 2, "A"), (1, 2, "B"), (1, 1, "C")])
def test_bottleneck_block_matches_numpy(strides, filters, option):
    x = fixed_input((2, 8, 8, 4))
    model, w = block_model(blocks.bottleneck_block, (8, 8, 4), filters, strides, option)
    y = relu(bn_reference(model, "b_1_bn", conv2d_same(x, w["b_1_conv"][0], strides)))
    y = relu(bn_reference(model, "b_2_bn", conv2d_same(y, w["b_2_conv"][0])))
    y = bn_reference(model, "b_3_bn", conv2d_same(y, w["b_3_conv"][0]))
    expected = relu(y + post_shortcut(model, w, x, 4 * filters, strides))
    assert model.output_shape == (None, 8 // strides, 8 // strides, 4 * filters)
    assert w["b_1_conv"][0].shape == (1, 1, 4, filters)
    np.testing.assert_allclose(np.asarray(model(x, training=False)), expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("strides, filters, option", [(1, 4, "B"), (2, 8, "B"), (2, 8, "A"), (1, 4, "C")])
def test_preact_basic_block_matches_numpy(strides, filters, option):
    x = fixed_input((2, 8, 8, 4))
    model, w = block_model(blocks.preact_basic_block, (8, 8, 4), filters, strides, option)
    preact = relu(bn_reference(model, "b_preact_bn", x))
    y = relu(bn_reference(model, "b_1_bn", conv2d_same(preact, w["b_1_conv"][0], strides)))
    y = conv2d_same(y, w["b_2_conv"][0])
    expected = y + preact_shortcut(w, x, preact, filters, strides)
    np.testing.assert_allclose(np.asarray(model(x, training=False)), expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("strides, filters, option", [(1, 1, "B"), (2, 2, "B"), (2, 2, "A"), (1, 2, "B"), (1, 1, "C")])
def test_preact_bottleneck_block_matches_numpy(strides, filters, option):
    x = fixed_input((2, 8, 8, 4))
    model, w = block_model(blocks.preact_bottleneck_block, (8, 8, 4), filters, strides, option)
    preact = relu(bn_reference(model, "b_preact_bn", x))
    y = relu(bn_reference(model, "b_1_bn", conv2d_same(preact, w["b_1_conv"][0])))
    y = relu(bn_reference(model, "b_2_bn", conv2d_same(y, w["b_2_conv"][0], strides)))
    y = conv2d_same(y, w["b_3_conv"][0])
    expected = y + preact_shortcut(w, x, preact, 4 * filters, strides)
    assert model.output_shape == (None, 8 // strides, 8 // strides, 4 * filters)
    np.testing.assert_allclose(np.asarray(model(x, training=False)), expected, rtol=1e-4, atol=1e-4)


BLOCKS = [blocks.basic_block, blocks.bottleneck_block, blocks.preact_basic_block, blocks.preact_bottleneck_block]


@pytest.mark.parametrize("block", BLOCKS, ids=lambda block: block.__name__)
def test_plain_blocks_have_no_shortcut(block):
    model, w = block_model(block, (8, 8, 4), 4, 2, "B", residual=False)
    assert not any(isinstance(layer, keras.layers.Add) for layer in model.layers)
    assert not any(name.startswith("b_0_") for name in w)


KINDS = [("basic", False), ("basic", True), ("bottleneck", False), ("bottleneck", True)]


@pytest.mark.parametrize("kind, preactivation", KINDS)
def test_identity_block_adds_the_input_itself(kind, preactivation):
    filters = 8 // blocks.EXPANSION[kind]
    model, w = block_model(blocks.identity_block, (8, 8, 8), filters, kind, preactivation)
    assert model.output_shape == (None, 8, 8, 8)
    assert not any(name.startswith("b_0_") for name in w)
    assert model.get_layer("b_add").input[0] is model.input


@pytest.mark.parametrize("kind, preactivation", KINDS)
@pytest.mark.parametrize("strides", [1, 2])
def test_projection_block_projects_the_shortcut(kind, preactivation, strides):
    model, w = block_model(blocks.projection_block, (8, 8, 8), 8, strides, kind, preactivation)
    channels = 8 * blocks.EXPANSION[kind]
    assert model.output_shape == (None, 8 // strides, 8 // strides, channels)
    assert w["b_0_conv"][0].shape == (1, 1, 8, channels)
    assert ("b_0_bn" in w) is not preactivation


def test_identity_block_refuses_to_change_the_shape():
    with pytest.raises(
        ValueError,
        match="unit: an identity block keeps the shape, but a bottleneck block of 8 filters turns 8 channels "
        "into 32; use projection_block",
    ):
        blocks.identity_block(keras.Input((8, 8, 8)), 8, "bottleneck", name="unit")


@pytest.mark.parametrize("wrapper", [blocks.identity_block, blocks.projection_block])
def test_unknown_block_kind(wrapper):
    with pytest.raises(ValueError, match="unknown block kind 'wide'; choose one of basic, bottleneck"):
        wrapper(keras.Input((8, 8, 4)), 4, kind="wide")


def test_bias_adds_one_learned_value_per_channel_and_saves(tmp_path):
    inputs = keras.Input((2, 2, 3))
    model = keras.Model(inputs, blocks.Bias(keras.initializers.Constant(0.1), name="bias")(inputs))
    assert model.count_params() == 3
    np.testing.assert_allclose(model.get_layer("bias").get_weights()[0], [0.1] * 3)
    model.get_layer("bias").set_weights([np.array([1.0, -2.0, 3.0], np.float32)])
    x = fixed_input((2, 2, 2, 3))
    np.testing.assert_allclose(np.asarray(model(x)), x + [1.0, -2.0, 3.0], rtol=1e-6)
    model.save(tmp_path / "bias.keras")
    np.testing.assert_allclose(np.asarray(keras.models.load_model(tmp_path / "bias.keras")(x)), np.asarray(model(x)))


def test_batch_norm_momentum_is_the_books_except_in_e2():
    from lib import writeups

    inputs = keras.Input((8, 8, 4))
    model = keras.Model(inputs, blocks.basic_block(inputs, 4, name="b"))
    assert {layer.momentum for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)} == {0.9}
    e2 = writeups.e2_fashion_resnet()
    assert {layer.momentum for layer in e2.layers if isinstance(layer, keras.layers.BatchNormalization)} == {0.99}


@pytest.fixture
def mixed_precision():
    """Keras' global policy ``mixed_float16`` for one test (what an accelerated lib.setup sets)."""
    keras.mixed_precision.set_global_policy("mixed_float16")
    yield
    keras.mixed_precision.set_global_policy("float32")


def test_option_a_and_bias_compute_in_float16(mixed_precision):
    x = fixed_input((2, 5, 5, 4))
    padded = blocks.ZeroPadShortcut(8, 2)(x)
    assert padded.dtype == "float16"
    np.testing.assert_array_equal(np.asarray(padded), option_a(x.astype(np.float16), 8, 2))
    bias = blocks.Bias(keras.initializers.Constant(0.1))
    shifted = bias(x)
    assert shifted.dtype == "float16" and bias.bias.dtype == "float32"
    np.testing.assert_allclose(np.asarray(shifted, np.float32), x + 0.1, atol=4e-3)


@pytest.mark.parametrize(
    "block, filters, option",
    [
        (blocks.basic_block, 8, "A"),
        (blocks.bottleneck_block, 2, "B"),
        (blocks.preact_basic_block, 8, "A"),
        (blocks.preact_bottleneck_block, 2, "C"),
    ],
    ids=lambda value: getattr(value, "__name__", str(value)),
)
def test_blocks_in_float16_follow_float32(mixed_precision, block, filters, option):
    def build():
        inputs = keras.Input((8, 8, 4))
        return keras.Model(inputs, block(inputs, filters, 2, option, name="b"))

    keras.mixed_precision.set_global_policy("float32")
    reference = build()
    randomise_batch_norms(reference)
    keras.mixed_precision.set_global_policy("mixed_float16")
    mixed = build()
    mixed.set_weights(reference.get_weights())
    assert {layer.compute_dtype for layer in mixed.layers[1:]} == {"float16"}
    x = fixed_input((2, 8, 8, 4))
    expected, got = np.asarray(reference(x, training=False)), mixed(x, training=False)
    assert got.dtype == "float16"
    np.testing.assert_allclose(np.asarray(got, np.float32), expected, atol=1e-2 * np.abs(expected).max())
