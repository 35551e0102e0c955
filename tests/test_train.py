import pathlib

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


class FakeHandle:
    """Stands in for IPython's display handle: records what the line showed."""

    def __init__(self, shown):
        self.shown = [shown]

    def update(self, data, raw=False):
        assert raw
        self.shown.append(data)


def test_progress_line_draws_and_then_empties_itself():
    x, y = tiny_problem()
    handles = []
    line = train.ProgressLine(every=0.0, display=lambda data: handles.append(FakeHandle(data)) or handles[-1])
    train.fit(compiled(), x, y, epochs=2, batch_size=8, callbacks=[line], progress=False)
    (handle,) = handles
    assert handle.shown[0] == handle.shown[-1] == train.ProgressLine.EMPTY
    drawn = [shown["text/plain"] for shown in handle.shown[1:-1]]
    assert len(drawn) == 8  # 2 epochs x 4 steps
    assert drawn[0].startswith("epoch 1/2 · step 1/4 · loss ")
    assert drawn[-1].startswith("epoch 2/2 · step 4/4 · loss ") and "accuracy" in drawn[-1]
    assert '<progress value="1.000"' in handle.shown[-2]["text/html"]


def test_progress_line_shows_nothing_outside_a_notebook(capsys):
    x, y = tiny_problem()
    train.fit(compiled(), x, y, epochs=1, batch_size=8)
    assert capsys.readouterr().out == ""


def test_progress_line_leaves_an_empty_output_in_a_stored_notebook():
    # Run fit in a real kernel, as a reader and nbval do: the cell keeps one
    # display output, empty, after the line was redrawn 16 times.
    import nbclient
    import nbformat

    book = str(pathlib.Path(train.__file__).parents[1])
    setup = f"import sys; sys.path.insert(0, {book!r})\nimport numpy as np, keras\nfrom lib import models, train\n"
    fit = (
        "model = models.cifar_resnet(8, input_shape=(16, 16, 1))\n"
        "model.compile('adam', loss='sparse_categorical_crossentropy')\n"
        "x = np.zeros((64, 16, 16, 1), 'float32'); y = np.zeros(64, int)\n"
        "line = train.ProgressLine(every=0.0)  # redrawn after every step\n"
        "table = train.fit(model, x, y, epochs=2, batch_size=8, callbacks=[line], progress=False)"
    )
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(setup), nbformat.v4.new_code_cell(fit)])
    nbclient.NotebookClient(notebook, timeout=300).execute()
    (output,) = notebook.cells[1].outputs
    assert output.output_type == "display_data" and dict(output.data) == train.ProgressLine.EMPTY
