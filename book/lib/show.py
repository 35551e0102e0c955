"""Show ``lib``'s own code in a chapter, highlighted on the site and in Colab."""

import inspect

from IPython.display import Code


def source(obj):
    """The source of a function or class of ``lib``, as a highlighted block."""
    return Code(inspect.getsource(obj), language="python")
