"""lib.writeups: the seed write-ups' nets, against their specs' counts and against NumPy."""

import re

import keras
import numpy as np
import pytest
from conftest import count, fixed_input, randomise_batch_norms, trainable
from reference import average_pool, batch_norm, conv2d_same, max_pool, max_pool_same, relu, softmax

from lib import blocks, writeups
from lib.arguments import ArgumentError


def features_and_predictions(model, x):
    """The outputs of 'fc1' (before the softmax saturates) and of the model, inference mode."""
    both = keras.Model(model.input, [model.get_layer("fc1").output, model.output])
    return [np.asarray(y) for y in both(x, training=False)]


def test_e1_has_the_spec_layers_and_no_batch_norm():
    model = writeups.e1_mnist_bottleneck()
    assert model.name == "e1_mnist_bottleneck"
    assert model.count_params() == 13_071_050 and not model.non_trainable_weights
    assert count(model, keras.layers.BatchNormalization) == 0
    assert (count(model, keras.layers.Conv2D), count(model, keras.layers.Dense)) == (11, 2)
    assert (count(model, keras.layers.Add), count(model, blocks.Bias)) == (3, 1)
    assert len(model.layers) == 25
    assert model.get_layer("block3_out").output.shape == (None, 14, 14, 256)
    assert model.get_layer("pool").output.shape == (None, 7, 7, 256)
    y = np.asarray(model(np.zeros((3, 28, 28, 1), np.float32)))
    assert y.shape == (3, 10)
    assert model.get_layer("logits").activation is keras.activations.linear


def test_e1_matches_numpy():
    model = writeups.e1_mnist_bottleneck()
    w = {layer.name: layer.get_weights() for layer in model.layers}

    def conv(name, x, strides=1):
        kernel, bias = w[name]
        return relu(conv2d_same(x, kernel, strides) + bias)

    x = fixed_input((2, 28, 28, 1)) / 4
    y = max_pool_same(conv("stem_conv", x, 2), 3, 1)
    for unit in (1, 2, 3):
        b = f"block{unit}"
        residual = conv(f"{b}_3_conv", conv(f"{b}_2_conv", conv(f"{b}_1_conv", y)))
        if unit == 1:
            y = relu(conv2d_same(y, w["block1_0_conv"][0]) + residual + w["block1_bias"][0])
        else:
            y = relu(y + residual)
    y = max_pool_same(y, 2, 2).reshape(2, -1)
    features = relu(y @ w["fc1"][0] + w["fc1"][1])
    predictions = features @ w["logits"][0] + w["logits"][1]
    got_features, got_predictions = features_and_predictions(model, x)
    np.testing.assert_allclose(got_features, features, rtol=1e-4, atol=1e-4 * np.abs(features).max())
    np.testing.assert_allclose(got_predictions, predictions, rtol=1e-4, atol=1e-4 * np.abs(predictions).max())


def test_e2_has_the_reported_parameters():
    model = writeups.e2_fashion_resnet()
    assert model.name == "e2_fashion_resnet"
    total = model.count_params()
    assert (total, trainable(model), total - trainable(model)) == (1_749_210, 1_748_154, 1_056)
    assert model.get_layer("pool").output.shape == (None, 7, 7, 64)
    assert model.output_shape == (None, 10)


def test_e2_matches_numpy():
    model = writeups.e2_fashion_resnet()
    randomise_batch_norms(model)
    w = {layer.name: layer.get_weights() for layer in model.layers}

    def bn_relu(name, x):
        return relu(batch_norm(x, *w[name]))

    def conv(name, x):
        return conv2d_same(x, w[name][0])

    x = fixed_input((2, 28, 28, 1))
    y = conv2d_same(x, w["stem_conv"][0], 2)
    for unit in (1, 2, 3, 4):
        b = f"block{unit}"
        shortcut = conv(f"{b}_0_conv", bn_relu(f"{b}_0_bn", y))
        residual = bn_relu(f"{b}_2_bn", conv(f"{b}_2_conv", bn_relu(f"{b}_1_bn", conv(f"{b}_1_conv", y))))
        y = relu(shortcut + conv(f"{b}_3_conv", residual))
    y = average_pool(y, 2).reshape(2, -1)
    features = relu(y @ w["fc1"][0] + w["fc1"][1])
    predictions = softmax(features @ w["predictions"][0] + w["predictions"][1])
    got_features, got_predictions = features_and_predictions(model, x)
    np.testing.assert_allclose(got_features, features, rtol=1e-4, atol=1e-4 * np.abs(features).max())
    np.testing.assert_allclose(got_predictions, predictions, atol=1e-4)


E_PARAMETERS = {
    "e0_resnet": (1_410, 1_362),
    "e0_drsn": (1_468, 1_416),
    "e3_resnet": (1_410, 1_362),
    "e3_drsn": (1_594, 1_530),
}


@pytest.mark.parametrize("name", sorted(E_PARAMETERS))
def test_e0_e3_parameters(name):
    model = getattr(writeups, name)()
    assert model.name == name
    assert (model.count_params(), trainable(model)) == E_PARAMETERS[name]
    assert model.output_shape == (None, 10)
    assert model.get_layer("stage1_block1_add").output.shape == (None, 14, 14, 8)
    assert model.get_layer("stage1_block1_0_pad").strides == 2


def test_drsns_add_parameters_and_e0_e3_resnets_are_the_same_net():
    e0_resnet, e0_drsn, e3_resnet, e3_drsn = (getattr(writeups, name)() for name in E_PARAMETERS)
    assert e0_resnet.count_params() < e0_drsn.count_params() < e3_drsn.count_params()
    assert [layer.get_config() for layer in e0_resnet.layers] == [layer.get_config() for layer in e3_resnet.layers]
    assert count(e0_resnet, blocks.SoftThreshold) == 0 and count(e0_drsn, blocks.SoftThreshold) == 1
    assert e0_drsn.get_layer("stage1_block1_threshold_1_dense").units == 2
    assert e3_drsn.get_layer("stage1_block1_threshold_1_dense").units == 8
    assert e3_drsn.get_layer("stage1_block1_threshold_2_dense").units == 8


def test_random_shift_moves_each_image_by_whole_pixels_and_only_while_training():
    x = np.random.default_rng(0).random((64, 6, 5, 2)).astype("float32") + 1  # no zero pixel: zeros mark the fill
    keras.utils.set_random_seed(0)
    shift = writeups.RandomShift(2)
    np.testing.assert_array_equal(np.asarray(shift(x, training=False)), x)
    y = np.asarray(shift(x, training=True))
    padded = np.pad(x, [(0, 0), (2, 2), (2, 2), (0, 0)])
    seen = set()
    for image, out in zip(padded, y):
        matches = [
            (dy, dx) for dy in range(5) for dx in range(5) if np.array_equal(out, image[dy : dy + 6, dx : dx + 5])
        ]
        assert len(matches) == 1, "each output is exactly one integer shift of its input, zero-filled"
        seen.update(matches)
    assert len(seen) > 15, "the offsets vary from image to image over the whole range"
    with pytest.raises(ArgumentError, match=re.escape("max_shift must be a whole number >= 1; got 0.5. It is the")):
        writeups.RandomShift(0.5)


def test_fashion_resnet_parameters_by_hand():
    def conv_bn(c_in, c_out):  # a 3x3 kernel without bias, BN's four vectors
        return 9 * c_in * c_out + 4 * c_out

    model = writeups.fashion_resnet()
    stem, stage1, stage2, stage3 = conv_bn(1, 16), conv_bn(16, 32), conv_bn(32, 64), conv_bn(64, 128)
    blocks_ = 2 * conv_bn(32, 32) + 2 * conv_bn(128, 128)
    assert model.count_params() == stem + stage1 + stage2 + stage3 + blocks_ + 128 * 10 + 10 == 413_786
    assert model.count_params() < writeups.e2_fashion_resnet().count_params() / 4
    assert model.get_layer("stage3_block_out").output.shape == (None, 3, 3, 128)


def test_fashion_resnet_matches_numpy():
    model = writeups.fashion_resnet(width=4)
    randomise_batch_norms(model)
    w = {layer.name: layer.get_weights() for layer in model.layers}

    def conv_bn(name, x, activate=True):
        y = batch_norm(conv2d_same(x, w[f"{name}_conv"][0]), *w[f"{name}_bn"])
        return relu(y) if activate else y

    x = fixed_input((2, 28, 28, 1))
    y = conv_bn("stem", (x - writeups.FASHION_MNIST_MEAN) / writeups.FASHION_MNIST_STD)
    for stage, residual in (("stage1", True), ("stage2", False), ("stage3", True)):
        y = max_pool(conv_bn(stage, y), 2)
        if residual:
            b = f"{stage}_block"
            y = relu(y + conv_bn(f"{b}_2", conv_bn(f"{b}_1", y), activate=False))
    predictions = softmax(y.max(axis=(1, 2)) @ w["predictions"][0] + w["predictions"][1])
    np.testing.assert_allclose(model.predict(x, verbose=0), predictions, atol=1e-4)


def test_the_write_ups_nets_live_here_and_not_in_models():
    from lib import models

    pattern = r"_?e\d_|_?fashion|FASHION|RandomShift"
    assert not [name for name in vars(models) if re.match(pattern, name)], "lib.models keeps the book's architectures"
    assert {"e0_drsn", "e1_mnist_bottleneck", "e2_fashion_resnet", "e3_drsn", "RandomShift"} <= set(vars(writeups))
