"""The shared module of the residual-networks course book.

Every chapter starts with ``import lib`` and ``run = lib.setup()``. The
submodules, one per responsibility:

- ``lib.runtime``: seeding, determinism, profiles, the device, mixed precision (``setup``)
- ``lib.data``: the datasets and folders of files
- ``lib.signals``: the synthetic vibration-signal generator and the noise helpers
- ``lib.blocks``: residual blocks and shortcuts
- ``lib.models``: whole networks
- ``lib.train``: a thin layer over ``model.fit`` (XLA when the run is accelerated), the distribution strategy
- ``lib.benchmark``: images per second of a training step (ResNet-50 against ``keras.applications``)
- ``lib.plots``: the book's figures and their style (a colour-blind-safe palette)
- ``lib.diagrams``: the block diagrams
- ``lib.show``: lib's own source, displayed in a chapter
- ``lib.checks``: ``expect(condition, claim)``, the seed-comparison rule (``compare_seeds``), exercise checkers
- ``lib.results``: measured figures saved for the results page
"""

from lib import quiet

quiet.import_tensorflow()

from lib import benchmark, blocks, checks, data, diagrams, models, plots, results, show, signals, train  # noqa: E402
from lib.checks import expect  # noqa: E402
from lib.runtime import setup  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "benchmark",
    "blocks",
    "checks",
    "data",
    "diagrams",
    "expect",
    "models",
    "plots",
    "results",
    "setup",
    "show",
    "signals",
    "train",
]
