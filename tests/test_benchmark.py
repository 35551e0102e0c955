"""lib.benchmark: what it times and what its table says."""

import keras
import pytest

from lib import benchmark, models


def test_training_speed_trains_the_model_on_its_own_shapes_and_reports_a_rate():
    keras.utils.set_random_seed(0)
    model = models.cifar_resnet(8, input_shape=(16, 16, 1), classes=3)
    before = [w.copy() for w in model.get_weights()]
    speed = benchmark.training_speed(model, batch_size=4, steps=2, rounds=2, warmup_steps=1)
    assert 0 < speed < float("inf")
    assert any((w != b).any() for w, b in zip(model.get_weights(), before)), "the timed steps train the model"


def test_training_speed_passes_compile_options_on():
    model = models.cifar_resnet(8, input_shape=(16, 16, 1), classes=3)
    benchmark.training_speed(model, batch_size=2, steps=1, warmup_steps=1, compile_options={"run_eagerly": True})
    assert model.run_eagerly


def test_resnet50_versus_keras_compares_the_same_network():
    table = benchmark.resnet50_versus_keras(image_size=32, batch_size=2, steps=1, rounds=2, warmup_steps=1)
    assert list(table.index) == ["lib.models.resnet50", "keras.applications.ResNet50"]
    assert (table["parameters"] == 25_636_712).all()
    assert table.attrs["ratio"] == pytest.approx(table["images/s"].iloc[0] / table["images/s"].iloc[1])
    assert table["seconds per step"].tolist() == pytest.approx((2 / table["images/s"]).tolist())
    assert table.attrs["setting"] == "32x32, batch 2, 1 steps x 2 round(s), float32"
    text = benchmark.report(table)
    assert text.splitlines()[0].endswith("| 32x32, batch 2, 1 steps x 2 round(s), float32")
    assert "ratio lib / keras:" in text
