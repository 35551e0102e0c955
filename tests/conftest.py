import os
import pathlib
import subprocess
import sys
import time

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
sys.path.insert(0, str(BOOK))
sys.path.insert(0, str(ROOT / "scripts"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from notebook_form import repository_url  # noqa: E402

# The chapters and the results page; the repository every bootstrap clones (_config.yml).
NOTEBOOKS = sorted(BOOK.glob("*.ipynb"))
REPOSITORY = repository_url()
# The offline copies of the datasets (IDX files; see its README): RESNET_BOOK_DATA, else ../shared/datasets.
SHARED_DATASETS = pathlib.Path(os.environ.get("RESNET_BOOK_DATA") or ROOT.parent / "shared" / "datasets")

# Where test_browser.py saves a full-page screenshot of each page. The summary counts the files written since
# this session began: under pytest-xdist the screenshots are taken in a worker, the summary is the controller's.
SCREENSHOTS = ROOT / "_build" / "screenshots"
SESSION_START = time.time()


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """The site built as `make book` builds it, warnings as errors; once per test session.

    Shared by test_site.py (the HTML files) and test_browser.py (the pages in Chromium).
    Returns the `_build/html` folder.
    """
    out = tmp_path_factory.mktemp("site")
    jupyter_book = [
        str(pathlib.Path(sys.executable).parent / "jupyter-book"),
        "build",
        str(ROOT),
        "--path-output",
        str(out),
        "--warningiserror",
        "--keep-going",
        "--quiet",
    ]
    result = subprocess.run(jupyter_book, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return out / "_build" / "html"


def code_cells(notebook):
    """The code cells of ``notebook``: an nbformat notebook, or the path of one."""
    import nbformat

    if isinstance(notebook, (str, pathlib.Path)):
        notebook = nbformat.read(notebook, as_version=4)
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


@pytest.fixture
def mixed_precision():
    """Keras' global policy ``mixed_float16`` for one test (what an accelerated lib.setup sets)."""
    import keras  # here, not at the top: lib imports TensorFlow quietly first

    keras.mixed_precision.set_global_policy("mixed_float16")
    yield
    keras.mixed_precision.set_global_policy("float32")


def fixed_input(shape, seed=0):
    """A fixed float32 input of ``shape``, standard normal, the same on every run."""
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


def trainable(model):
    """The learned parameters: ``count_params`` less BN's moving means and variances."""
    return sum(int(np.prod(weight.shape)) for weight in model.trainable_weights)


def count(model, kind):
    """How many of ``model``'s layers are instances of ``kind``."""
    return sum(isinstance(layer, kind) for layer in model.layers)


def randomise_batch_norms(model, seed=1):
    """Give every BN layer of ``model`` non-trivial statistics, so that comparisons with references test them."""
    import keras  # here, not at the top: lib imports TensorFlow quietly first

    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            c = layer.gamma.shape[0]
            layer.set_weights(
                [rng.uniform(0.5, 1.5, c), rng.normal(0, 0.1, c), rng.normal(0, 0.1, c), rng.uniform(0.5, 2.0, c)]
            )


def pytest_terminal_summary(terminalreporter):
    taken = [path for path in SCREENSHOTS.glob("*.png") if path.stat().st_mtime >= SESSION_START]
    if taken:
        terminalreporter.write_line(f"{len(taken)} screenshots of the site in Chromium: {SCREENSHOTS}/")
