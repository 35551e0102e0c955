import json
import os
import pathlib
import re
import subprocess
import sys

import keras
import numpy as np
import pandas as pd
import pytest
import tensorflow as tf
from conftest import BOOK

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
    np.testing.assert_allclose(table["images_per_second"] * table["seconds"], len(x))
    assert table.attrs == {"model": "resnet8", "xla": False, "dtype_policy": "float32"}


def batched(x, y, batch_size, drop_remainder=False):
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(batch_size, drop_remainder=drop_remainder)


def test_a_dataset_of_full_batches_counts_images_not_batches():
    x, y = tiny_problem()
    table = train.fit(compiled(), batched(x[:30], y[:30], 8, drop_remainder=True), epochs=1)
    np.testing.assert_allclose(table["images_per_second"] * table["seconds"], 24)  # 3 full batches of 8


def test_a_dataset_with_a_short_last_batch_needs_images_per_epoch():
    x, y = tiny_problem()
    with pytest.raises(ValueError, match=r"pass images_per_epoch=<examples in one epoch>"):
        train.fit(compiled(), batched(x[:30], y[:30], 8), epochs=1)
    table = train.fit(compiled(), batched(x[:30], y[:30], 8), epochs=1, images_per_epoch=30)
    np.testing.assert_allclose(table["images_per_second"] * table["seconds"], 30)


def test_a_dataset_takes_no_labels_or_batch_size_and_arrays_no_images_per_epoch():
    x, y = tiny_problem()
    with pytest.raises(ValueError, match="pass neither y nor batch_size"):
        train.fit(compiled(), batched(x, y, 8), y, epochs=1, images_per_epoch=32)
    with pytest.raises(ValueError, match="pass neither y nor batch_size"):
        train.fit(compiled(), batched(x, y, 8), epochs=1, batch_size=8, images_per_epoch=32)
    with pytest.raises(ValueError, match="images_per_epoch is for a tf.data.Dataset"):
        train.fit(compiled(), x, y, epochs=1, images_per_epoch=32)
    with pytest.raises(TypeError, match="fit trains on arrays"):
        train.fit(compiled(), (batch for batch in [(x, y)]), epochs=1)


@pytest.mark.parametrize("argument", ["epochs", "batch_size", "steps_per_execution"])
@pytest.mark.parametrize("value", [0, -2, 1.5, 2.0, "2", True, None])
def test_epochs_and_batch_size_must_be_positive_whole_numbers(argument, value):
    x, y = tiny_problem()
    options = {"epochs": 1, "batch_size": 8, argument: value}
    if argument in ("batch_size", "steps_per_execution") and value is None:
        return  # None asks for the default (a batch of 128; 16 steps a call on one device)
    with pytest.raises(ValueError, match=rf"{argument} must be a whole number >= 1; got {re.escape(repr(value))}"):
        train.fit(compiled(), x, y, **options)


class WeightsEachEpoch(keras.callbacks.Callback):
    """The model's weights at the end of every epoch (after validation, when ModelCheckpoint saves)."""

    def on_train_begin(self, logs=None):
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(self.model.get_weights())


def test_tensorboard_logs_and_the_best_epoch_is_the_one_kept(tmp_path):
    x, y = tiny_problem()
    # Validation labels shifted by one: once the net fits y, its val_loss grows, so the
    # best epoch (here the 4th of 6, saved over the 1st and 3rd) is not the last.
    keras.utils.set_random_seed(0)
    model = models.cifar_resnet(8, input_shape=(16, 16, 1))
    model.compile(keras.optimizers.SGD(0.1, momentum=0.9), loss="sparse_categorical_crossentropy")
    seen = WeightsEachEpoch()
    table = train.fit(
        model,
        x,
        y,
        epochs=6,
        batch_size=16,
        validation_data=(x, (y + 1) % 10),
        log_dir=tmp_path / "logs",
        best_checkpoint=tmp_path / "best.keras",
        callbacks=[seen],
    )
    assert list((tmp_path / "logs").rglob("events.out.tfevents.*"))
    best = int(table["val_loss"].idxmin())
    assert best < len(table) - 1, "the test needs a best epoch before the last"
    saved = keras.saving.load_model(tmp_path / "best.keras").get_weights()
    for got, kept in zip(saved, seen.weights[best], strict=True):
        np.testing.assert_array_equal(got, kept)
    assert any(not np.array_equal(got, last) for got, last in zip(saved, seen.weights[-1]))


def test_best_checkpoint_needs_validation_data(tmp_path):
    x, y = tiny_problem()
    with pytest.raises(ValueError, match="best_checkpoint needs validation_data"):
        train.fit(compiled(), x, y, epochs=1, best_checkpoint=tmp_path / "best.keras")


def argmax_model():
    """Predicts the class of the largest input: a softmax over the inputs themselves, no weights."""
    inputs = keras.Input((3,))
    return keras.Model(inputs, keras.layers.Softmax()(inputs))


# Five examples whose predicted classes are 0, 1, 2, 2, 0; the labels get examples 2 and 4 wrong.
SCORES = np.array([[5, 1, 0], [0, 3, 1], [1, 0, 2], [0, 1, 9], [4, 2, 3]], np.float32)
LABELS = np.array([0, 1, 1, 2, 2])


@pytest.mark.parametrize("labels", [LABELS, LABELS[:, None], LABELS.tolist()], ids=["(n,)", "(n, 1)", "list"])
def test_error_rate_against_a_hand_count(labels):
    assert train.error_rate(argmax_model(), SCORES, labels) == pytest.approx(2 / 5)
    assert train.error_rate(argmax_model(), SCORES, labels, batch_size=2) == pytest.approx(2 / 5)


@pytest.mark.parametrize("labels", [np.eye(3)[LABELS], LABELS[:4], LABELS[None, :]], ids=["one-hot", "short", "row"])
def test_error_rate_refuses_labels_of_another_shape(labels):
    with pytest.raises(ValueError, match=r"one integer label per example, shape \(5,\) or \(5, 1\)"):
        train.error_rate(argmax_model(), SCORES, labels)


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


def test_with_op_determinism_on_keras_refuses_xla(monkeypatch):
    # lib.setup turns op determinism on unless the run is accelerated; Keras then keeps XLA off.
    x, y = tiny_problem()
    tf.config.experimental.enable_op_determinism()
    with pytest.raises(ValueError, match="Keras cannot compile resnet8 with XLA"):
        train.fit(compiled(), x, y, epochs=1, jit_compile=True)
    monkeypatch.setenv("RESNET_BOOK_ACCELERATE", "on")  # asked for by the run, not by the call: XLA is skipped
    assert train.fit(compiled(), x, y, epochs=1, batch_size=16).attrs["xla"] is False


ACCELERATED_FIT = """
import json
import keras, numpy as np
import lib
lib.setup(seed=0)
rng = np.random.default_rng(0)
x, y = rng.random((32, 16, 16, 1), dtype=np.float32), rng.integers(0, 10, 32)
model = lib.models.cifar_resnet(8, input_shape=(16, 16, 1))
model.compile("adam", "sparse_categorical_crossentropy")  # Keras' default: no XLA on a CPU
model.fit(x, y, batch_size=16, verbose=0)
before = (model.jit_compile, model.train_function)
table = lib.train.fit(model, x, y, epochs=1, batch_size=16)
rebuilt = model.train_function is not before[1]
plain = lib.train.fit(model, x, y, epochs=1, batch_size=16, jit_compile=False)
print(json.dumps([before[0], table.attrs, rebuilt, plain.attrs["xla"], model.jit_compile]))
"""


def test_an_accelerated_run_trains_with_xla_and_an_explicit_false_turns_it_off():
    env = {**os.environ, "RESNET_BOOK_ACCELERATE": "on", "PYTHONPATH": str(BOOK)}
    out = subprocess.run([sys.executable, "-c", ACCELERATED_FIT], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    jit_before, attrs, rebuilt, plain_xla, jit_after = json.loads(out.stdout.splitlines()[-1])
    assert jit_before is False and rebuilt
    assert attrs == {"model": "resnet8", "xla": True, "dtype_policy": "mixed_float16"}
    assert plain_xla is False and jit_after is False


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
    # One step a call, so that the line is drawn after every step (fit's default, 16 a call, draws once a call).
    train.fit(compiled(), x, y, epochs=2, batch_size=8, callbacks=[line], progress=False, steps_per_execution=1)
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


MIRRORED_ACCELERATED = """
import json
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import keras, numpy as np
import lib
run = lib.setup(seed=0)
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
with strategy.scope():
    model = lib.models.cifar_resnet(8, input_shape=(16, 16, 1))
    options = run.compile_options
    model.compile(keras.optimizers.SGD(0.1), "sparse_categorical_crossentropy", **options)
rng = np.random.default_rng(0)
x, y = rng.random((32, 16, 16, 1), dtype=np.float32), rng.integers(0, 10, 32)
table = lib.train.fit(model, x, y, epochs=1, batch_size=16)
loss = float(table["loss"].iloc[0])
print(json.dumps([strategy.num_replicas_in_sync, options, run.compile_options, table.attrs, loss]))
"""


def test_an_accelerated_run_leaves_xla_off_for_a_model_mirrored_over_two_devices():
    # Two logical CPUs stand in for two GPUs. XLA cannot reach variables mirrored on the other
    # device ("Trying to access resource ... located in device CPU:1 from device CPU:0").
    env = {**os.environ, "RESNET_BOOK_ACCELERATE": "on", "PYTHONPATH": str(BOOK)}
    out = subprocess.run([sys.executable, "-c", MIRRORED_ACCELERATED], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    replicas, inside, outside, attrs, loss = json.loads(out.stdout.splitlines()[-1])
    assert replicas == 2 and inside == {} and outside == {"jit_compile": True}
    assert attrs == {"model": "resnet8", "xla": False, "dtype_policy": "mixed_float16"} and np.isfinite(loss)


def history(losses, accuracy=None):
    """A fit-like table of the given training losses (and accuracies)."""
    table = pd.DataFrame({"epoch": np.arange(1, len(losses) + 1), "loss": losses})
    if accuracy is not None:
        table["accuracy"] = accuracy
    return table


def test_convergence_reads_the_loss_over_the_last_tenth():
    criterion = train.Convergence(tolerance=0.02, tail=0.1)
    # 20 epochs: the last tenth is 2 epochs, compared with epoch 18: 1.00 -> 0.99 is 1%, 1.00 -> 0.97 is 3%.
    flat = history([2.0] * 17 + [1.00, 0.995, 0.99])
    falling = history([2.0] * 17 + [1.00, 0.985, 0.97])
    assert criterion.loss_change(flat) == pytest.approx(0.01) and criterion.met(flat)
    assert criterion.loss_change(falling) == pytest.approx(0.03) and not criterion.met(falling)


def test_convergence_by_accuracy_and_in_words():
    criterion = train.Convergence(tolerance=0.02, tail=0.1, accuracy=0.95)
    still_falling = history(np.linspace(1.0, 0.1, 20), accuracy=np.linspace(0.5, 0.96, 20))
    assert criterion.met(still_falling)
    assert not criterion.met(history(np.linspace(1.0, 0.1, 20), accuracy=np.linspace(0.5, 0.9, 20)))
    assert str(criterion) == (
        "the training loss changes by less than 2% over the last 10% of the epochs, "
        "or the training accuracy reaches 95%"
    )


@pytest.mark.parametrize("options", [{"tolerance": 0}, {"tail": 0.9}, {"accuracy": 95}])
def test_convergence_refuses_meaningless_settings(options):
    with pytest.raises(ValueError, match="Convergence"):
        train.Convergence(**options)


def test_convergence_needs_epochs_before_the_tail():
    with pytest.raises(ValueError, match="train for more epochs"):
        train.Convergence().loss_change(history([0.9]))


def test_plateau_reads_the_held_out_accuracy_over_the_last_fifth():
    criterion = train.Plateau("val_accuracy", change=0.01, tail=0.2)
    # 12 epochs: the last fifth is 3 epochs, compared with epoch 9. The training loss keeps halving
    # (Convergence's relative change never settles); only the held-out accuracy decides.
    losses = 0.5 ** np.arange(12)
    flat = history(losses).assign(val_accuracy=[0.5] * 8 + [0.900, 0.905, 0.895, 0.909])
    rising = history(losses).assign(val_accuracy=[0.5] * 8 + [0.900, 0.905, 0.910, 0.912])
    assert criterion.met(flat) and not criterion.met(rising)
    assert criterion.metric_change(rising) == pytest.approx(0.012)
    assert not train.Convergence(0.02, 0.2).met(flat)
    # Ten signals of a thousand is one point, not less, though float32 makes 0.866 - 0.856 = 0.0099999905.
    exactly_one_point = history(losses).assign(val_accuracy=np.float32([0.5] * 8 + [0.856, 0.86, 0.86, 0.866]))
    assert not criterion.met(exactly_one_point) and criterion.metric_change(exactly_one_point) == 0.01
    assert str(criterion) == "the held-out accuracy changes by less than 1 point over the last 20% of the epochs"


@pytest.mark.parametrize(
    "options, message",
    [
        ({"metric": "loss"}, "'accuracy' or 'val_accuracy'"),
        ({"change": 0}, "change in \\(0, 1\\)"),
        ({"change": 1.5}, "change in \\(0, 1\\)"),
        ({"tail": 0.6}, "tail in \\(0, 0.5\\]"),
    ],
)
def test_plateau_refuses_options_that_cannot_be_met(options, message):
    with pytest.raises(ValueError, match=message):
        train.Plateau(**options)


def test_plateau_names_a_missing_column_and_too_few_epochs():
    with pytest.raises(ValueError, match="no 'val_accuracy' column: fit with validation_data"):
        train.Plateau().met(history([1.0, 0.5, 0.2]))
    with pytest.raises(ValueError, match="train for more epochs"):
        train.Plateau().met(history([1.0]).assign(val_accuracy=[0.5]))


def test_sixteen_steps_a_call_give_the_losses_of_one_bit_for_bit():
    # 48 examples in batches of 8: 6 steps an epoch, fewer than 16, so the remainder path runs too.
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(48, 64, 1)).astype("float32"), rng.integers(0, 4, 48)
    losses = {}
    for steps in (1, 16, 4):
        keras.utils.set_random_seed(0)
        model = models.drsn((64, 1), 4, stage_filters=(4, 8), units_per_stage=1)
        model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        table = train.fit(model, x, y, epochs=3, batch_size=8, seed=0, steps_per_execution=steps, progress=False)
        assert model.steps_per_execution == steps
        losses[steps] = table[["loss", "accuracy"]].to_numpy()
    np.testing.assert_array_equal(losses[16], losses[1])
    np.testing.assert_array_equal(losses[4], losses[1])


def dropout_net(key):
    """A small 1-D net with batch norm and a random layer (dropout): (batch, 64, 1) -> (batch, 4)."""
    inputs = keras.Input((64, 1))
    h = keras.layers.Conv1D(8, 3, name="conv")(inputs)
    h = keras.layers.BatchNormalization(name="bn")(h)
    h = keras.layers.Dropout(0.3, name="dropout")(keras.layers.ReLU()(h))
    return keras.Model(inputs, keras.layers.Dense(4)(keras.layers.GlobalAveragePooling1D()(h)), name=key)


def drsn_cw(key):
    return models.drsn((64, 1), 4, stage_filters=(4, 8), units_per_stage=1, thresholds="channel", name=key)


def compile_adam(model, key):
    # A fixed learning rate is an optimizer variable too: restarting must not zero it.
    rate = 3e-3 if key == "dropout" else keras.optimizers.schedules.CosineDecay(3e-3, decay_steps=12)
    model.compile(keras.optimizers.Adam(rate), "sparse_categorical_crossentropy", metrics=["accuracy"])


@pytest.mark.parametrize("key, build", [("dropout", dropout_net), ("drsn_cw", drsn_cw)])
def test_a_restarted_net_trains_as_a_fresh_one_bit_for_bit_without_tracing_again(key, build):
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(48, 64, 1)).astype("float32"), rng.integers(0, 4, 48)

    def trained(model, seed):
        table = train.fit(model, x, y, epochs=2, batch_size=8, validation_data=(x, y), seed=seed, progress=False)
        return table[["loss", "accuracy", "val_loss"]].to_numpy(), model.get_weights()

    nets = train.CompiledNets(build, compile_adam)
    first = nets.start(key, seed=0)
    trained(first, seed=0)
    traced = first.train_function
    again = nets.start(key, seed=1)
    assert again is first and again.train_function is traced  # the kept model, its graph not traced anew
    restarted_losses, restarted_weights = trained(again, seed=1)

    keras.utils.set_random_seed(1)
    fresh = build(key)
    compile_adam(fresh, key)
    fresh_losses, fresh_weights = trained(fresh, seed=1)
    np.testing.assert_array_equal(restarted_losses, fresh_losses)
    for restarted, new in zip(restarted_weights, fresh_weights, strict=True):
        np.testing.assert_array_equal(restarted, new)


def test_one_key_is_one_architecture():
    builds = iter([dropout_net, drsn_cw])
    nets = train.CompiledNets(lambda key: next(builds)(key), compile_adam)
    nets.start("dropout", seed=0)
    with pytest.raises(ValueError, match="one key, one architecture"):
        nets.start("dropout", seed=0)


RESTARTED_ACCELERATED = """
import json
import numpy as np
import keras
import lib
from lib import models, train
lib.setup(seed=0)
rng = np.random.default_rng(2)
x, y = rng.normal(size=(48, 64, 1)).astype("float32"), rng.integers(0, 4, 48)
build = lambda key: models.drsn((64, 1), 4, stage_filters=(4, 8), units_per_stage=1, thresholds="channel")
def compile_adam(model, key):
    rate = keras.optimizers.schedules.CosineDecay(3e-3, 12)
    model.compile(keras.optimizers.Adam(rate), "sparse_categorical_crossentropy")
def losses(model, seed):
    table = train.fit(model, x, y, epochs=2, batch_size=8, seed=seed, progress=False)
    return table["loss"].tolist(), table.attrs["xla"]
nets = train.CompiledNets(build, compile_adam)
losses(nets.start("drsn_cw", 0), 0)
restarted, xla = losses(nets.start("drsn_cw", 1), 1)
keras.utils.set_random_seed(1)
fresh = build("drsn_cw")
compile_adam(fresh, "drsn_cw")
print(json.dumps([type(fresh.optimizer).__name__, xla, restarted, losses(fresh, 1)[0]]))
"""


def test_a_restarted_net_trains_as_a_fresh_one_under_mixed_precision_and_xla():
    # The GPU path: Keras wraps the optimizer in a LossScaleOptimizer, whose loss scale is restored too.
    env = {**os.environ, "RESNET_BOOK_ACCELERATE": "on", "PYTHONPATH": str(BOOK)}
    out = subprocess.run([sys.executable, "-c", RESTARTED_ACCELERATED], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    optimizer, xla, restarted, fresh = json.loads(out.stdout.splitlines()[-1])
    assert optimizer == "LossScaleOptimizer" and xla
    assert restarted == fresh
