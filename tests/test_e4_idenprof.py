"""book/e4_resnet50.ipynb with IdenProf present: its nets train and are judged on IdenProf, and say so.

The notebook's own cells run here, in order, on the fixture tests/fixtures/idenprof (IdenProf's
layout, fifteen one-colour 8x8 PNGs; made by its make_fixture.py), with IDENPROF_DIR pointing at
it as a reader would, in the quick profile. ``lib.train.fit`` is replaced by a stand-in that
keeps what it was given and trains nothing, and the two nets by one-layer stand-ins, so the
test takes seconds. The same cells give the
write-up's learning rate, checked here against Keras 2's rule written out once more.
"""

import ast
import json

import numpy as np
import pandas as pd
import pytest
from conftest import BOOK, ROOT, code_cells

NOTEBOOK = BOOK / "e4_resnet50.ipynb"
FIXTURE = ROOT / "tests" / "fixtures" / "idenprof"

# The cells run, each found by a line only it holds, in the notebook's order.
SCHEDULE = ("run = lib.setup(", "def applied_rate(")
IDENPROF_BRANCH = (
    *SCHEDULE,
    "IDENPROF = pathlib.Path(",
    "budget = {",
    "NETS = {",
    "histories = []",
    "per_run = histories.groupby(",
    "e4_record = lib.results.record(",
    '"E4 (IdenProf, 224x224',
)


def cells_holding(markers):
    """The code cells of the notebook, one per marker, in the notebook's order; each marker in exactly one cell."""
    cells = code_cells(NOTEBOOK)
    found = []
    for marker in markers:
        holding = [index for index, cell in enumerate(cells) if marker in cell.source]
        assert len(holding) == 1, f"{marker!r} is in code cells {holding} of {NOTEBOOK.name}, not in exactly one"
        found.append(holding[0])
    assert found == sorted(found), "the markers are not in the notebook's order"
    return [cells[index].source for index in found]


def run_cells(sources, namespace):
    """Run each source as a notebook would; return the value of the last cell's last expression."""
    value = None
    for source in sources:
        tree = ast.parse(source)
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        exec(compile(tree, "<cell>", "exec"), namespace)
        value = eval(compile(ast.Expression(last.value), "<cell>", "eval"), namespace) if last else None
    return value


def fixture_images(split):
    """``{(r, g, b): label}`` of the fixture's images of ``split``; labels by sorted profession, as Keras gives them."""
    from PIL import Image

    professions = sorted(folder.name for folder in (FIXTURE / split).iterdir() if folder.is_dir())
    return {
        tuple(np.asarray(Image.open(path))[0, 0].tolist()): label
        for label, profession in enumerate(professions)
        for path in sorted((FIXTURE / split / profession).glob("*.png"))
    }


def as_colours(images):
    """Each image of ``images`` (n, h, w, 3) in [0, 1], uniform, as its (r, g, b) in 0-255."""
    flat = np.round(np.asarray(images) * 255).reshape(len(images), -1, 3)
    assert (flat == flat[:, :1]).all(), "an image is not one colour: not the fixture's"
    return [tuple(int(v) for v in image[0]) for image in flat]


@pytest.fixture
def notebook_environment(monkeypatch, tmp_path):
    monkeypatch.chdir(BOOK)  # where the notebook runs
    monkeypatch.setenv("RESNET_BOOK_PROFILE", "quick")
    monkeypatch.setenv("RESNET_BOOK_RESULTS", str(tmp_path))  # the record goes here, not into book/results
    monkeypatch.delenv("RESNET_BOOK_BOOTSTRAP", raising=False)
    return tmp_path


def test_with_idenprof_the_nets_train_and_are_judged_on_it(notebook_environment, monkeypatch):
    import keras

    import lib

    monkeypatch.setenv("IDENPROF_DIR", str(FIXTURE))
    calls = []

    def stand_in_fit(model, x, y=None, *, epochs, validation_data=None, seed=None, **options):
        # What the training cell gave fit, and a history of fit's form: one row an epoch, made-up accuracies.
        calls.append({"x": x, "y": y, "validation": validation_data, "epochs": epochs, "seed": seed})
        accuracy = np.linspace(0.4, 0.6, epochs) + 0.01 * len(calls)
        return pd.DataFrame(
            {
                "epoch": np.arange(1, epochs + 1),
                "loss": np.linspace(1.0, 0.9, epochs),
                "accuracy": accuracy,
                "val_loss": np.linspace(1.1, 1.0, epochs),
                "val_accuracy": accuracy - 0.05,
                "seconds": 1.0,
                "images_per_second": 100.0 * len(calls),
            }
        )

    def tiny(pool):
        # A stand-in net, built in milliseconds: the nets are not what this test is about.
        def build(input_shape, classes, **options):
            inputs = keras.Input(input_shape)
            return keras.Model(inputs, keras.layers.Dense(classes)(pool()(inputs)), name=pool.__name__)

        return build

    monkeypatch.setattr(lib.train, "fit", stand_in_fit)
    monkeypatch.setattr(lib.models, "resnet50", tiny(keras.layers.Flatten))
    monkeypatch.setattr(
        lib.models, "cifar_resnet", lambda depth, **options: tiny(keras.layers.GlobalAveragePooling2D)(**options)
    )
    namespace = {}
    table = run_cells(cells_holding(IDENPROF_BRANCH), namespace)

    assert namespace["IDENPROF_FOUND"] and namespace["data_name"] == "IdenProf"
    assert namespace["class_names"] == ["chef", "doctor", "judge"]
    train, test = fixture_images("train"), fixture_images("test")
    # Every image trained on is one of the fixture's training images, each once, with its own label.
    x_small, y_small = namespace["x_small"], namespace["y_small"]
    assert x_small.shape == (len(train), 32, 32, 3) and x_small.dtype == np.float32
    assert sorted(zip(as_colours(x_small), y_small.tolist())) == sorted(train.items())
    x_eval, y_eval = namespace["x_eval"], namespace["y_eval"]
    assert sorted(zip(as_colours(x_eval), y_eval.tolist())) == sorted(test.items())
    # ... and those arrays, no others, are what every net was trained and judged on.
    assert len(calls) == len(namespace["NETS"]) * len(namespace["budget"]["seeds"])
    for call in calls:
        assert call["x"] is x_small and call["y"] is y_small
        assert call["validation"][0] is x_eval and call["validation"][1] is y_eval
    # The table and the record name IdenProf, and do not judge a 32x32 run against E4's 224x224 figure.
    assert "here (IdenProf, 32x32, " in " ".join(table.columns)
    record = json.loads((notebook_environment / "e4_resnet50.json").read_text())
    assert record["note"].startswith("IdenProf at 32x32 (") and "Fashion-MNIST" not in record["note"]
    assert record["status"] == "not comparable" and table["status"].iloc[0] == "not comparable"


def keras2_rate(step):
    """Keras 2: Adam(decay=1e-4) under the write-up's LearningRateScheduler, 281 steps an epoch (epochs from 0)."""
    epoch = step // 281
    rate = 1e-3
    if epoch > 180:
        rate *= 1e-4
    elif epoch > 160:
        rate *= 1e-3
    elif epoch > 120:
        rate *= 1e-2
    elif epoch > 80:
        rate *= 1e-1
    return rate / (1 + 1e-4 * step)


def test_the_schedule_is_the_rate_keras_2_applied(notebook_environment):
    namespace = {}
    run_cells(cells_holding(SCHEDULE), namespace)
    steps = np.array([0, 1, 280, 281, 16_860, 17_140, 22_760, 22_761, 33_999, 45_241, 50_900, 56_199])
    expected = np.array([keras2_rate(int(step)) for step in steps])
    np.testing.assert_allclose(namespace["applied"][steps], expected, rtol=1e-5)
    assert 3.6e-4 < namespace["applied"][16_860:17_141].mean() < 3.8e-4, "epoch 61: about 3.7e-4"
    assert 1.5e-8 < namespace["applied"][-281:].mean() < 1.55e-8, "epoch 200: about 1.5e-8"
