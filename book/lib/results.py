"""Results the chapters measure, saved for the book's results page.

A chapter calls ``record(...)`` once per comparison with a published
figure; the results page reads every record back and tabulates them. Runs
of the full profile write to ``book/results/`` (committed with the chapter's
outputs); quick runs write to ``book/results/quick/`` (ignored by git), so a
test run never overwrites the book's figures. ``RESNET_BOOK_RESULTS``, when
set, names the folder ``record`` writes to instead (a GPU CI run sends its
records to a scratch folder); ``load_all``, what the results page reads,
always reads the committed records.
"""

import datetime
import json
import os
import pathlib
import re

import numpy as np

from lib import runtime

FOLDER = pathlib.Path(__file__).resolve().parent.parent / "results"
RESULTS_VARIABLE = "RESNET_BOOK_RESULTS"
STATUSES = ("reproduced", "not reproduced", "not comparable", "new")


def folder(profile=None):
    """Where records of ``profile`` (default: the current one) live."""
    profile = profile or runtime.read_profile()
    return FOLDER if profile == "full" else FOLDER / profile


def record(key, experiment, quantity, measured, *, reported=None, status, note="", chapter):
    """Save one measured figure beside the published one; return the record (a dict).

    ``measured``: the per-seed values (a list of floats; one value for a
    single run), summarised as mean, sample standard deviation and count.
    ``reported``: the published figure, or None where the source gave none.
    ``status``: one of ``STATUSES``, decided by the chapter's code. ``key``
    names the file, ``{folder}/{key}.json``; ``chapter`` is the notebook's name.
    """
    if not isinstance(key, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", key):
        raise ValueError(f"key {key!r} must be a plain file name: letters, digits, '_', '-' and '.', no path.")
    if status not in STATUSES:
        raise ValueError(f"status {status!r} is not one of {', '.join(STATUSES)}.")
    values = np.atleast_1d(np.asarray(measured, dtype=float))
    if values.size == 0 or not np.isfinite(values).all():
        raise ValueError(f"measured must hold at least one finite value; got {measured!r}.")
    entry = {
        "key": key,
        "experiment": experiment,
        "quantity": quantity,
        "reported": reported,
        "measured": [round(float(v), 6) for v in values],
        "mean": round(float(values.mean()), 6),
        "std": round(float(values.std(ddof=1)), 6) if len(values) > 1 else None,
        "runs": int(len(values)),
        "status": status,
        "note": note,
        "chapter": chapter,
        "profile": runtime.read_profile(),
        "hardware": runtime.device_name(),
        "date": datetime.date.today().isoformat(),
    }
    target = pathlib.Path(os.environ[RESULTS_VARIABLE]) if os.environ.get(RESULTS_VARIABLE) else folder()
    target.mkdir(parents=True, exist_ok=True)
    (target / f"{key}.json").write_text(json.dumps(entry, indent=1, sort_keys=True) + "\n")
    return entry


def load_all(profile="full"):
    """Every record of ``profile``, sorted by key, as a list of dicts."""
    return [json.loads(path.read_text()) for path in sorted(folder(profile).glob("*.json"))]
