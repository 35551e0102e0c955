"""Results the chapters measure, saved for the book's results page.

A chapter calls ``record(...)`` once per comparison with a published
figure; the results page reads every record back and tabulates them. Runs
of the full profile write to ``book/results/`` (committed with the chapter's
outputs); quick runs write to ``book/results/quick/`` (ignored by git), so a
test run never overwrites the book's figures.

``RESNET_BOOK_RESULTS``, when set, names the folder ``record`` writes to
instead, whatever the profile (an absolute path is best; a relative one is
taken from the working directory, which is ``book/`` for a chapter). A GPU
CI run sets it so that its records go to a scratch folder and never over the
committed ones. ``load_all``, what the results page reads, ignores it: it
always reads the records of its profile, ``book/results/`` for ``full``.
"""

import datetime
import json
import numbers
import os
import pathlib
import re

import numpy as np

from lib import runtime

FOLDER = pathlib.Path(__file__).resolve().parent.parent / "results"
RESULTS_VARIABLE = "RESNET_BOOK_RESULTS"
STATUSES = ("reproduced", "not reproduced", "not comparable", "new")
KEY_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.-]*"


def folder(profile=None):
    """Where records of ``profile`` (default: the current one) live."""
    profile = profile or runtime.read_profile()
    if profile not in runtime.PROFILES:
        raise ValueError(f"profile {profile!r} is not one of {', '.join(runtime.PROFILES)}.")
    return FOLDER if profile == "full" else FOLDER / profile


def target_folder():
    """Where ``record`` writes now: ``RESNET_BOOK_RESULTS`` when set, else ``folder()``."""
    scratch = os.environ.get(RESULTS_VARIABLE, "").strip()
    if not scratch:
        return folder()
    path = pathlib.Path(scratch).expanduser().absolute()
    if path.exists() and not path.is_dir():
        raise NotADirectoryError(
            f"{RESULTS_VARIABLE}={scratch} names a file ({path}), not a folder. Point it at a folder "
            f"for the records (it is made if missing), or unset it to write to {folder()}."
        )
    return path


def _text(value, name, *, empty=False):
    if not isinstance(value, str) or not (empty or value.strip()):
        kind = "a string" if empty else "a non-empty string"
        raise TypeError(f"{name} must be {kind}; got {value!r}.")
    return value


def _figure(reported):
    """``reported`` as JSON keeps it: None, an int or a float; a clear error for anything else."""
    if reported is None:
        return None
    if isinstance(reported, bool) or not isinstance(reported, numbers.Real) or not np.isfinite(float(reported)):
        raise ValueError(f"reported must be the published figure (a finite number) or None; got {reported!r}.")
    return int(reported) if isinstance(reported, numbers.Integral) else float(reported)


def record(key, experiment, quantity, measured, *, reported=None, status, note="", chapter, training=None):
    """Save one measured figure beside the published one; return the record (a dict).

    ``measured``: the per-seed values (a list of floats; one value for a
    single run), summarised as mean, sample standard deviation and count.
    ``reported``: the published figure, or None where the source gave none.
    ``status``: one of ``STATUSES``, decided by the chapter's code. ``key``
    names the file, ``{folder}/{key}.json``: letters, digits, ``_``, ``-``
    and ``.``, no path. ``chapter`` is the notebook's name. The folder is
    ``folder()``, or ``RESNET_BOOK_RESULTS`` when set (see the module).
    ``training``: for a trained net, each run's final training accuracy (a
    fraction, one per run, in ``measured``'s order), so that a reader sees
    whether the nets had learned; None where no training produced the figure.
    """
    if not isinstance(key, str) or not re.fullmatch(KEY_PATTERN, key):
        raise ValueError(
            f"key {key!r} must be a plain file name: letters, digits, '_', '-' and '.', "
            f"starting with a letter or digit, no path (e.g. 'e2_test_accuracy')."
        )
    if status not in STATUSES:
        raise ValueError(f"status {status!r} is not one of {', '.join(STATUSES)}.")
    try:
        if measured is None:
            raise TypeError("None is no measurement")
        values = np.atleast_1d(np.asarray(measured, dtype=float))
    except (TypeError, ValueError) as error:
        raise TypeError(f"measured must be a number or a list of numbers (one per run); got {measured!r}.") from error
    if values.ndim != 1 or values.size == 0 or not np.isfinite(values).all():
        raise ValueError(f"measured must hold at least one finite value, one per run (a flat list); got {measured!r}.")
    if training is not None:
        final = np.atleast_1d(np.asarray(training, dtype=float))
        if final.shape != values.shape or not ((final >= 0) & (final <= 1)).all():
            raise ValueError(
                f"training must hold each run's final training accuracy, a fraction in [0, 1], one per value of "
                f"measured ({values.size}); got {training!r}."
            )
        training = [round(float(v), 6) for v in final]
    entry = {
        "key": key,
        "experiment": _text(experiment, "experiment"),
        "quantity": _text(quantity, "quantity"),
        "reported": _figure(reported),
        "measured": [round(float(v), 6) for v in values],
        "mean": round(float(values.mean()), 6),
        "std": round(float(values.std(ddof=1)), 6) if len(values) > 1 else None,
        "runs": int(len(values)),
        "status": status,
        "training": training,
        "note": _text(note, "note", empty=True),
        "chapter": _text(chapter, "chapter"),
        "profile": runtime.read_profile(),
        "hardware": runtime.device_name(),
        "date": datetime.date.today().isoformat(),
    }
    text = json.dumps(entry, indent=1, sort_keys=True) + "\n"
    target = target_folder()
    target.mkdir(parents=True, exist_ok=True)
    partial = target / f".{key}.json.{os.getpid()}.partial"  # one per process: two runs may record one key at once
    partial.write_text(text)
    partial.replace(target / f"{key}.json")  # whole or not at all, even if the run is killed while writing
    return entry


def load_all(profile="full"):
    """Every record of ``profile``, sorted by key, as a list of dicts (``RESNET_BOOK_RESULTS`` plays no part)."""
    records = []
    for path in sorted(folder(profile).glob("*.json")):
        try:
            records.append(json.loads(path.read_text()))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ValueError(
                f"cannot read the record {path} ({error}); restore it with git or rerun the chapter that writes it."
            ) from error
    return records
