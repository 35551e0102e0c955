"""The shared module of the residual-networks course book.

Every chapter starts with ``import lib`` and ``run = lib.setup()``. The
submodules, one per responsibility:

- ``lib.runtime``: seeding, determinism, profiles, the device, mixed precision (``setup``)
- ``lib.data``: the datasets, synthetic vibration signals, noise, folders of files
- ``lib.blocks``: residual blocks and shortcuts
- ``lib.models``: whole networks
- ``lib.train``: a thin layer over ``model.fit`` (XLA when the run is accelerated)
- ``lib.plots``: the book's figures
- ``lib.show``: lib's own source, displayed in a chapter
- ``lib.checks``: ``expect(condition, claim)``
- ``lib.results``: measured figures saved for the results page
"""

from lib import quiet

quiet.import_tensorflow()

from lib import blocks, checks, data, models, plots, results, show, train  # noqa: E402
from lib.checks import expect  # noqa: E402
from lib.runtime import setup  # noqa: E402

__version__ = "0.1.0"

__all__ = ["blocks", "checks", "data", "expect", "models", "plots", "results", "setup", "show", "train"]
