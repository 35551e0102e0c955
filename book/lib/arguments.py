"""Checks of the arguments a reader passes to ``lib``, with errors that say what to pass instead."""

import numbers


class ArgumentError(ValueError):
    """An argument to a ``lib`` function has the wrong type or value; the message says what it should be."""


def whole_number(value, name, *, minimum=1, hint=""):
    """``value`` as an ``int`` if it is a whole number (not a bool) of at least ``minimum``.

    Otherwise raise ``ArgumentError``, one message form everywhere:
    ``"{name} must be a whole number >= {minimum}; got {value!r}.{hint}"``.
    ``hint`` (one sentence, starting with a space) says what the argument is.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ArgumentError(f"{name} must be a whole number >= {minimum}; got {value!r}.{hint}")
    return int(value)
