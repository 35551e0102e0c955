"""The shared module of the residual-networks course book.

Every chapter starts with ``import lib`` and ``run = lib.setup()``. The
submodules, one per responsibility:

- ``lib.runtime``: seeding, determinism, profiles, the device, mixed precision (``setup``)
- ``lib.data``: the datasets and folders of files
- ``lib.signals``: the synthetic vibration-signal generator and the noise helpers
- ``lib.recordings``: real bearing recordings (CWRU) for chapter 5's nets
- ``lib.denoise``: classical soft-thresholding rules and the exact oracle, in NumPy (chapter 4 imports it)
- ``lib.envelope``: the classical envelope-spectrum baseline (spectral-kurtosis band, features, logistic fit)
- ``lib.blocks``: residual blocks and shortcuts
- ``lib.models``: the book's architectures (He et al.'s CIFAR nets, ResNet-18 to -152, the DRSN)
- ``lib.writeups``: the seed write-ups' networks as they ran, one Part III notebook each (E0 to E3)
- ``lib.train``: a thin layer over ``model.fit`` (XLA when the run is accelerated), the distribution strategy
- ``lib.benchmark``: images per second of a training step (ResNet-50 against ``keras.applications``)
- ``lib.plots``: the book's figures and their style (a colour-blind-safe palette)
- ``lib.diagrams``: the block and whole-network diagrams
- ``lib.show``: lib's own source, displayed in a chapter
- ``lib.checks``: ``expect(condition, claim)``, ``compare`` (two settings over paired seeds), exercise checkers
- ``lib.results``: measured figures saved for the results page
- ``lib.arguments``: the checks of a reader's arguments (``whole_number``), one error type and form
- ``lib.quiet``: TensorFlow imported without its start-up noise
"""

from lib import quiet

quiet.import_tensorflow()

from lib import (  # noqa: E402
    arguments,
    benchmark,
    blocks,
    checks,
    data,
    diagrams,
    models,
    plots,
    recordings,
    results,
    show,
    signals,
    train,
    writeups,
)
from lib.checks import expect  # noqa: E402
from lib.runtime import setup  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "arguments",
    "benchmark",
    "blocks",
    "checks",
    "data",
    "diagrams",
    "expect",
    "models",
    "plots",
    "recordings",
    "results",
    "setup",
    "show",
    "signals",
    "train",
    "writeups",
]
