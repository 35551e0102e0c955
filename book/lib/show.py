"""Show ``lib``'s own code in a chapter, highlighted on the site and in Colab."""

import inspect
import os
import time

from IPython.display import Code

IMPORTED_AT = time.time()


def source(obj):
    """The source of a function or class of ``lib``, as a highlighted block.

    Python finds the source by line numbers recorded at import; if the file
    has changed since, those point at the wrong lines, so that is an error.
    """
    path = inspect.getsourcefile(obj)
    if os.path.getmtime(path) > IMPORTED_AT:
        raise RuntimeError(f"{path} changed after lib was imported; restart the kernel to show its current code.")
    return Code(inspect.getsource(obj), language="python")
