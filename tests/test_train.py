import keras
import numpy as np
import pytest
import tensorflow as tf

from lib import models, train


def tiny_problem():
    rng = np.random.default_rng(0)
    return rng.random((32, 16, 16, 1), dtype=np.float32), rng.integers(0, 10, 32)


def compiled():
    keras.utils.set_random_seed(0)
    model = models.cifar_resnet(8, input_shape=(16, 16, 1))
    model.compile("adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_fit_returns_a_tidy_table():
    x, y = tiny_problem()
    table = train.fit(compiled(), x, y, epochs=2, batch_size=16, validation_data=(x, y))
    assert list(table["epoch"]) == [1, 2]
    assert {"loss", "accuracy", "error", "val_error", "seconds", "images_per_second"} <= set(table.columns)
    np.testing.assert_allclose(table["error"], 1 - table["accuracy"])
    assert (table["images_per_second"] > 0).all() and table.attrs["model"] == "resnet8"


def test_tensorboard_logs_and_best_checkpoint(tmp_path):
    x, y = tiny_problem()
    train.fit(
        compiled(),
        x,
        y,
        epochs=2,
        batch_size=16,
        validation_data=(x, y),
        log_dir=tmp_path / "logs",
        best_checkpoint=tmp_path / "best.keras",
    )
    assert list((tmp_path / "logs").rglob("events.out.tfevents.*"))
    restored = keras.saving.load_model(tmp_path / "best.keras")
    assert restored.count_params() == compiled().count_params()


def test_best_checkpoint_needs_validation_data(tmp_path):
    x, y = tiny_problem()
    with pytest.raises(ValueError, match="best_checkpoint needs validation_data"):
        train.fit(compiled(), x, y, epochs=1, best_checkpoint=tmp_path / "best.keras")


def test_error_rate():
    x, y = tiny_problem()
    model = compiled()
    predicted = model.predict(x, verbose=0).argmax(axis=1)
    assert train.error_rate(model, x, y) == pytest.approx(np.mean(predicted != y))


def test_strategy_on_one_device_changes_nothing():
    x, y = tiny_problem()
    plain = train.fit(compiled(), x, y, epochs=2, batch_size=16, seed=0)
    chosen = train.strategy()
    assert chosen.num_replicas_in_sync == 1 and not isinstance(chosen, tf.distribute.MirroredStrategy)
    with chosen.scope():
        model = compiled()
    scoped = train.fit(model, x, y, epochs=2, batch_size=16, seed=0)
    np.testing.assert_array_equal(scoped["loss"], plain["loss"])


def test_strategy_mirrors_over_two_or_more_gpus(monkeypatch):
    monkeypatch.setattr(train, "gpus", lambda: ["GPU:0", "GPU:1"])
    assert isinstance(train.strategy(), tf.distribute.MirroredStrategy)
    monkeypatch.setattr(train, "gpus", lambda: ["GPU:0"])
    assert not isinstance(train.strategy(), tf.distribute.MirroredStrategy)


def test_accelerate_on_cpu_changes_nothing_and_says_so(capsys):
    assert not train.gpus()
    assert train.accelerate() == {}
    assert keras.mixed_precision.global_policy().name == "float32"
    assert "no GPU visible" in capsys.readouterr().out


def test_accelerate_on_a_gpu_sets_mixed_precision_and_xla(monkeypatch, capsys):
    monkeypatch.setattr(train, "gpus", lambda: ["GPU:0"])
    try:
        assert train.accelerate() == {"jit_compile": True}
        assert keras.mixed_precision.global_policy().name == "mixed_float16"
        assert "mixed_float16" in capsys.readouterr().out
        model = models.resnet50((32, 32, 3), classes=10)
        assert model.get_layer("conv1_conv").compute_dtype == "float16"
        assert model.get_layer("predictions").compute_dtype == "float32"
        assert train.accelerate(mixed_precision=False, xla=False) == {}
    finally:
        keras.mixed_precision.set_global_policy("float32")
