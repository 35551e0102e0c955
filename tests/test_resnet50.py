"""lib.models.resnet50 against keras.applications.ResNet50: counts, names, and outputs with copied weights."""

import keras
import numpy as np
import pytest
from conftest import randomise_batch_norms

from lib import blocks, models

SMALL = (64, 64, 3)


def weighted_names(model):
    return {layer.name for layer in model.layers if layer.weights}


def randomise(model, seed=1):
    """Non-default weights everywhere: random BN statistics and affine parameters, random conv biases."""
    randomise_batch_norms(model, seed)
    rng = np.random.default_rng(seed + 1)
    for layer in model.layers:
        if isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense)):
            kernel, bias = layer.get_weights()
            layer.set_weights([kernel, rng.normal(0, 0.1, bias.shape)])


def copy_by_name(source, target):
    """Copy every weighted layer of ``source`` into the layer of ``target`` with the same name."""
    for layer in source.layers:
        if layer.weights:
            target.get_layer(layer.name).set_weights(layer.get_weights())


@pytest.fixture(scope="module")
def pair():
    keras.utils.set_random_seed(0)
    reference = keras.applications.ResNet50(weights=None, input_shape=SMALL, classes=10)
    randomise(reference)
    ours = models.resnet50(SMALL, classes=10)
    copy_by_name(reference, ours)
    return reference, ours


def test_parameter_counts_match_keras_applications():
    assert models.resnet50().count_params() == 25_636_712
    assert models.resnet50(include_top=False).count_params() == 23_587_712
    assert models.resnet50(include_top=False, pooling="avg").output.shape == (None, 2048)


def test_layer_names_are_keras_applications_names(pair):
    reference, ours = pair
    assert weighted_names(ours) == weighted_names(reference)
    assert len(weighted_names(ours)) == 107  # 53 convolutions, 53 batch norms, the top
    others = {layer.name for layer in ours.layers[1:]} ^ {layer.name for layer in reference.layers[1:]}
    assert not others, others


def test_structure_follows_v1():
    model = models.resnet50(SMALL)
    assert model.get_layer("conv1_bn").epsilon == pytest.approx(1.001e-5)
    assert model.get_layer("conv3_block1_1_conv").strides == (2, 2)
    assert model.get_layer("conv3_block1_2_conv").strides == (1, 1)
    assert model.get_layer("conv3_block1_2_conv").use_bias
    assert model.get_layer("conv2_block1_1_conv").strides == (1, 1)
    assert model.get_layer("conv5_block3_out").output.shape == (None, 2, 2, 2048)
    v15 = models.resnet50(SMALL, stride_on="3x3")
    assert v15.get_layer("conv3_block1_1_conv").strides == (1, 1)
    assert v15.get_layer("conv3_block1_2_conv").strides == (2, 2)
    assert v15.count_params() == model.count_params() and v15.name == "resnet50_v1_5"


def test_copied_weights_give_identical_outputs(pair):
    reference, ours = pair
    x = np.random.default_rng(2).normal(size=(2, *SMALL)).astype("float32")
    features = [
        keras.Model(model.input, [model.get_layer("conv5_block3_out").output, model.get_layer("predictions").output])
        for model in pair
    ]
    (expected_features, expected), (got_features, got) = (
        [np.asarray(y) for y in model(x, training=False)] for model in features
    )
    scale = np.abs(expected_features).max()
    assert scale > 1.0 and expected.std(axis=1).min() > 1e-3  # a test that can fail: outputs are not trivial
    assert np.abs(got_features - expected_features).max() < 1e-5 * scale
    assert np.abs(got - expected).max() < 1e-5
    # A wrong epsilon, the most likely slip, would be seen.
    wrong = models.resnet50(SMALL, classes=10)
    copy_by_name(reference, wrong)
    for layer in wrong.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.epsilon = 1e-3
    wrong_features = np.asarray(keras.Model(wrong.input, wrong.get_layer("conv5_block3_out").output)(x))
    assert np.abs(wrong_features - expected_features).max() > 1e-4 * scale


def test_open_sizes_are_allowed():
    model = models.resnet50((None, None, 3), include_top=False, pooling="avg")
    assert model.output_shape == (None, 2048)


def test_unknown_options_are_errors():
    with pytest.raises(ValueError, match="stride_on"):
        models.resnet50(SMALL, stride_on="7x7")
    with pytest.raises(ValueError, match="pooling"):
        models.resnet50(SMALL, pooling="max")


def test_bottleneck_keyword_options_leave_the_defaults_alone():
    inputs = keras.Input((8, 8, 16))
    plain = keras.Model(inputs, blocks.projection_block(inputs, 4, kind="bottleneck", name="b"))
    assert not plain.get_layer("b_1_conv").use_bias and plain.get_layer("b_1_bn").epsilon == pytest.approx(1e-3)
    assert plain.get_layer("b_1_bn").momentum == pytest.approx(blocks.BN_MOMENTUM)
    inputs = keras.Input((8, 8, 16))
    options = {"use_bias": True, "epsilon": 1e-5, "momentum": 0.99}
    tuned = keras.Model(inputs, blocks.identity_block(inputs, 4, kind="bottleneck", name="b", **options))
    assert tuned.get_layer("b_3_conv").use_bias and tuned.get_layer("b_3_bn").epsilon == pytest.approx(1e-5)
    assert tuned.get_layer("b_2_bn").momentum == pytest.approx(0.99)
