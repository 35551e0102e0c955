"""Real recordings for chapter 5's nets: the CWRU bearing data, read through ``bearing-datasets``.

``lib.signals`` makes synthetic signals; this module reads real ones. The
Case Western Reserve University bearing data (CWRU) is downloaded, checked
against SHA-256 locks and stored in one table by the ``bearing-datasets``
package (``pip install bearing-datasets==0.3.0``); this module never
downloads anything itself. Its core takes that package's metadata table (a
pandas DataFrame, one row per signal) and a way to read each signal (a
mapping or a callable, ``signal_id`` -> 1-D array), so that it runs, and is
tested, without the package, pyarrow or a network.

What ``cwru_windows`` makes of CWRU, and why:

- **Which signals.** The drive-end accelerometer (channel ``DE``) only. The
  faults are CWRU's *12 kHz drive-end* set: faults seeded in the drive-end
  bearing (``fault_location`` ``motor_bearing_de``), sampled at 12 kHz, as
  in chapter 5 and in Smith and Randall's benchmark study. CWRU recorded its
  normal baseline at 48 kHz only, so a healthy signal is brought to 12 kHz
  by ``scipy.signal.decimate`` (factor 4, zero-phase FIR). That filter is
  not the 12 kHz recordings' own anti-aliasing filter: the top of the
  healthy spectrum (above about 5 kHz) differs from the faults' for a reason
  that has nothing to do with the bearing, a cue a net could use. ``healthy=False``
  leaves the class out (three fault classes, every signal as recorded).
- **Classes** (``CLASSES``): healthy, inner race, outer race, rolling element
  (CWRU's "ball"), by ``fault_type``; severities are pooled within a class.
- **Windows** of ``length`` points (chapter 5's 2,048: 0.17 s at 12 kHz, about
  five shaft turns), cut one after the other from the start of each signal
  (``stride`` points apart; by default ``length``, no overlap), the
  remainder dropped. **Each window is standardised on its own** to zero mean
  and unit standard deviation. The level of CWRU's signals spans two orders
  of magnitude across classes, sizes and loads (and the healthy signals passed
  through another sampling rate); a net fed raw levels could sort by level, which
  does not carry over to a bearing it has not seen. Per window, and not per
  recording, because a deployed net sees one window, and so that no
  statistic of one window's neighbours (or of the test set) enters it. The
  cost: the vibration level, a genuine sign of damage, is removed; the nets
  must read the waveform's shape, as the envelope spectrum does.
- **The split is by bearing** (Smith and Randall 2015). A damaged bearing
  was recorded at four motor loads (0-3 hp), so windows of one bearing are
  alike across its recordings, and windows of one recording alike across
  the recording: a split by window puts near-copies on both sides and
  measures memory, not diagnosis. Here every recording of one damaged
  bearing (the package's ``bearing_id``: one fault, one size, all loads;
  CWRU's outer race positions 3, 6 and 12 o'clock share one id) is on one
  side. Fold ``f`` of ``FOLDS`` holds out the bearings of one fault size,
  0.007, 0.014 or 0.021 inch (``fault_severity_level`` 1, 2, 3), one bearing
  of each fault class; the 0.028 inch bearings (inner race and ball only)
  are always trained on. So a fold tests on bearings, and a fault size, that
  training never saw.
- **The healthy class has one bearing**, recorded at the four loads: no split
  by bearing exists for it. Fold ``f`` tests on its recording at load
  ``f + 1`` hp and trains on the other three. No window of one recording is on
  both sides, but the same physical bearing is: for this class the split is
  by operating condition only, a weaker test than the faults'.

``open_cwru`` is the thin wrapper over the package: it returns the table and
the signal reader of a built CWRU, builds it when asked (the package
downloads 0.7 GB), and otherwise raises ``Unavailable``, whose one-line
message says what to do. Smith, W. A. and Randall, R. B. (2015), "Rolling
element bearing diagnostics using the Case Western Reserve University data:
a benchmark study", Mechanical Systems and Signal Processing 64-65, 100-131.
"""

import dataclasses
import os
import pathlib
import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import signal as scipy_signal

from lib.arguments import ArgumentError, whole_number

PACKAGE = "bearing-datasets==0.3.0"
PACKAGE_VERSION = "0.3.0"
NAME = "cwru"  # the package's name for the dataset, and its folder under the datasets root
ROOT_VARIABLE = "BEARING_DATASETS_ROOT"  # the package's own: where its built datasets live
DEFAULT_ROOT = pathlib.Path("~/bearing_datasets")  # when neither an argument nor the package names one
SAMPLING_RATE = 12_000  # Hz: chapter 5's, and CWRU's 12 kHz drive-end set
CHANNEL = "DE"  # the drive-end accelerometer
FAULT_LOCATION = "motor_bearing_de"  # faults seeded in the drive-end bearing
CLASSES = ("healthy", "inner race", "outer race", "rolling element")
FAULT_TYPES = {"normal": "healthy", "inner": "inner race", "outer": "outer race", "rolling_element": "rolling element"}
# Per fold: the fault_severity_level whose bearings are held out (1, 2, 3: 0.007, 0.014, 0.021 inch),
# and the load (hp) of the healthy recording held out.
FOLDS = ((1, 1.0), (2, 2.0), (3, 3.0))
# The columns of the package's table this module reads; CARRIED ones go with each window when present.
REQUIRED = (
    "signal_id",
    "recording_id",
    "channel",
    "fs",
    "fault_type",
    "fault_location",
    "fault_severity_level",
    "bearing_id",
    "load",
)
CARRIED = ("native_label", "speed_rpm", "bpfo", "bpfi", "bsf", "ftf")


class Unavailable(RuntimeError):
    """CWRU cannot be read here (the package is missing, or CWRU is not built).

    The message is one sentence that says why and what to do, e.g. ``bearing-datasets is not installed
    (pip install bearing-datasets==0.3.0; building CWRU with it then needs network).``
    """


@dataclasses.dataclass(frozen=True)
class Split:
    """Windows of one fold, split by bearing (``cwru_windows``).

    ``x_train``: float32 ``(n_train, length, 1)``, each window with zero mean
    and unit standard deviation; ``y_train``: int64 ``(n_train,)``, indices
    into ``classes``; ``x_test``, ``y_test`` likewise. ``train`` and ``test``:
    one row per window, in the arrays' order: ``signal_id``,
    ``recording_id``, ``bearing_id``, ``label``, ``class``,
    ``fault_severity_level``, ``load``, ``start`` (the window's first point,
    at 12 kHz) and the columns of ``CARRIED`` the table has (``speed_rpm``,
    the bearing's fault orders ``bpfo``, ``bpfi``, ``bsf``, ``ftf``, ...).
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    train: pd.DataFrame
    test: pd.DataFrame
    classes: tuple
    fold: int


def check_table(meta):
    """Refuse, in one line, anything but a metadata table of ``bearing-datasets`` with the columns used here."""
    if not isinstance(meta, pd.DataFrame):
        raise ArgumentError(
            f"meta must be the package's metadata table, a pandas DataFrame (ds.metadata()); got {type(meta).__name__}."
        )
    missing = [column for column in REQUIRED if column not in meta.columns]
    if missing:
        raise ArgumentError(
            f"the CWRU table lacks the column(s) {', '.join(missing)}: lib.recordings reads the metadata of "
            f"{PACKAGE} (ds.metadata()); rebuild CWRU with that version (bearing-datasets build cwru --force)."
        )


def select(meta, healthy=True):
    """The signals ``cwru_windows`` uses: one row per signal, a copy of ``meta``'s rows with ``label`` and ``class``.

    The drive-end channel of the 12 kHz drive-end faults, and, with
    ``healthy``, of the normal baseline (at any multiple of 12 kHz; CWRU's is
    48 kHz). Columns: ``REQUIRED``, the ``CARRIED`` ones ``meta`` has,
    ``label`` (int, index into the classes) and ``class``; sorted by label,
    bearing, load and recording. Raises ``ValueError`` when a class has no
    signal.
    """
    check_table(meta)
    classes = CLASSES if healthy else CLASSES[1:]
    drive_end = meta[meta["channel"].astype(str) == CHANNEL]
    kind = drive_end["fault_type"].astype(str)
    rate = drive_end["fs"].astype(float)
    faults = kind.isin([k for k, name in FAULT_TYPES.items() if name != "healthy"])
    faults &= (drive_end["fault_location"].astype(str) == FAULT_LOCATION) & (rate == SAMPLING_RATE)
    keep = faults
    if healthy:
        keep = keep | ((kind == "normal") & (rate % SAMPLING_RATE == 0))
    columns = [*REQUIRED, *[column for column in CARRIED if column in meta.columns]]
    chosen = drive_end.loc[keep, columns].copy()
    chosen["class"] = chosen["fault_type"].astype(str).map(FAULT_TYPES)
    chosen["label"] = chosen["class"].map({name: index for index, name in enumerate(classes)}).astype("int64")
    absent = [name for name in classes if name not in set(chosen["class"])]
    if absent:
        raise ValueError(
            f"the table holds no drive-end signal of the class(es) {', '.join(absent)} "
            f"(faults at {SAMPLING_RATE} Hz in {FAULT_LOCATION}, healthy at a multiple of it): is it CWRU's?"
        )
    order = ["label", "bearing_id", "load", "recording_id"]
    return chosen.sort_values(order, kind="stable").reset_index(drop=True)


def split(selected, fold):
    """``selected`` (``select``'s table) with a column ``side``, ``"train"`` or ``"test"``, for fold ``fold``.

    A fault is on the test side when its *bearing* (``bearing_id``) has a
    recording at the fold's held-out ``fault_severity_level``: then every
    recording of that bearing is, at every load. A healthy recording is on
    the test side when its load is the fold's held-out load. Raises
    ``ValueError`` when a class would be missing from either side.
    """
    fold = _fold(fold)
    level, load = FOLDS[fold]
    out = selected.copy()
    fault = out["class"] != "healthy"
    held_out = set(out.loc[fault & (out["fault_severity_level"] == level), "bearing_id"])
    test = (fault & out["bearing_id"].isin(held_out)) | (~fault & (out["load"].astype(float) == load))
    out["side"] = np.where(test, "test", "train")
    for side in ("train", "test"):
        absent = sorted(set(out["class"]) - set(out.loc[out["side"] == side, "class"]))
        if absent:
            raise ValueError(
                f"fold {fold} leaves no {side} recording of the class(es) {', '.join(absent)} "
                f"(it holds out fault_severity_level {level} and the healthy recording at load {load:g})."
            )
    return out


def windows(x, length=2048, stride=None):
    """Consecutive windows of the 1-D signal ``x``, each standardised: ``(windows, starts)``.

    ``windows``: float32 ``(n, length)``, each with zero mean and unit
    standard deviation (computed in float64); ``starts``: int64 ``(n,)``,
    each window's first point. Windows start every ``stride`` points
    (default ``length``) from the first; a remainder shorter than ``length``
    is dropped. Raises ``ValueError`` for a constant window (no standard
    deviation to divide by).
    """
    length = whole_number(length, "length", minimum=2, hint=" It is the number of points in a window.")
    stride = length if stride is None else whole_number(stride, "stride", hint=" It is the step between windows.")
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1:
        raise ArgumentError(f"a signal must be one-dimensional, (points,); got shape {x.shape}.")
    starts = np.arange(0, len(x) - length + 1, stride, dtype=np.int64)
    cut = x[starts[:, None] + np.arange(length)] if len(starts) else np.zeros((0, length))
    mean, std = cut.mean(axis=1, keepdims=True), cut.std(axis=1, keepdims=True)
    if np.any(std == 0):
        raise ValueError(f"the window at point {starts[np.argmax(std[:, 0] == 0)]} is constant: it cannot be scaled.")
    return ((cut - mean) / std).astype(np.float32), starts


def _fold(fold):
    if isinstance(fold, bool) or not isinstance(fold, (int, np.integer)) or not 0 <= fold < len(FOLDS):
        raise ArgumentError(
            f"fold must be 0, 1 or 2 (it holds out the 0.007, 0.014 or 0.021 inch bearings); got {fold!r}."
        )
    return int(fold)


def _reader(signal):
    if callable(signal):
        return signal
    if isinstance(signal, Mapping):
        return signal.__getitem__
    raise ArgumentError(
        f"signal must read one signal by its signal_id: a callable such as ds.signal, or a mapping; "
        f"got {type(signal).__name__}."
    )


def _at_12_khz(samples, rate, signal_id):
    """``samples`` at ``SAMPLING_RATE``: as they are at 12 kHz, decimated (zero-phase FIR) from a multiple of it."""
    x = np.asarray(samples, dtype=np.float64).squeeze()
    if x.ndim != 1:
        raise ValueError(f"signal {signal_id!r} is not one-dimensional: shape {np.shape(samples)}.")
    factor = int(round(rate / SAMPLING_RATE))
    return x if factor == 1 else scipy_signal.decimate(x, factor, ftype="fir", zero_phase=True)


def cwru_windows(meta, signal, fold=1, length=2048, stride=None, healthy=True):
    """CWRU's table and signals as chapter 5's inputs, split by bearing: a ``Split``.

    ``meta``: the package's metadata table (``ds.metadata()``, one row per
    signal); ``signal``: ``signal_id`` -> 1-D samples (``ds.signal``, or a
    mapping). ``fold`` (0, 1, 2; see ``FOLDS`` and ``split``) chooses the
    held-out bearings; ``length`` and ``stride`` the windows (``windows``);
    ``healthy=False`` keeps the three fault classes only. The recordings
    used are ``select``'s; no bearing with a fault and no recording has
    windows on both sides (checked here, whatever the table). Shapes: see
    ``Split``; with 2,048 points a 10 s recording at 12 kHz gives 59 windows.
    """
    length = whole_number(length, "length", minimum=2, hint=" It is the number of points in a window.")
    read = _reader(signal)
    table = split(select(meta, healthy), fold)
    parts = {"train": ([], []), "test": ([], [])}
    for row in table.to_dict("records"):
        x = _at_12_khz(read(row["signal_id"]), float(row["fs"]), row["signal_id"])
        if len(x) < length:
            raise ValueError(f"signal {row['signal_id']!r} has {len(x)} points at 12 kHz, fewer than one window.")
        cut, starts = windows(x, length, stride)
        columns = {k: v for k, v in row.items() if k not in ("side", "fault_type", "fault_location", "channel", "fs")}
        parts[row["side"]][0].append(cut)
        parts[row["side"]][1].append(pd.DataFrame({**columns, "start": starts}))
    index = {side: pd.concat(frames, ignore_index=True) for side, (_, frames) in parts.items()}
    _refuse_leaks(index["train"], index["test"])
    arrays = {side: np.concatenate(cuts)[..., None] for side, (cuts, _) in parts.items()}
    return Split(
        x_train=arrays["train"],
        y_train=index["train"]["label"].to_numpy(np.int64),
        x_test=arrays["test"],
        y_test=index["test"]["label"].to_numpy(np.int64),
        train=index["train"],
        test=index["test"],
        classes=CLASSES if healthy else CLASSES[1:],
        fold=_fold(fold),
    )


def _refuse_leaks(train, test):
    """Raise if a recording, or a faulty bearing, has windows on both sides."""
    shared = sorted(set(train["recording_id"]) & set(test["recording_id"]))
    faulty = train["class"] != "healthy", test["class"] != "healthy"
    bearings = sorted(set(train.loc[faulty[0], "bearing_id"]) & set(test.loc[faulty[1], "bearing_id"]))
    if shared or bearings:
        raise RuntimeError(f"the split leaks: on both sides are recordings {shared} and bearings {bearings}.")


def datasets_root(root=None):
    """The folder the package builds datasets in: ``root``, else ``$BEARING_DATASETS_ROOT``, else ``DEFAULT_ROOT``.

    (When the package is installed and a folder was saved with its
    ``bearing-datasets root FOLDER``, that one comes before ``DEFAULT_ROOT``.)
    """
    if root:
        return pathlib.Path(root).expanduser().absolute()
    if os.environ.get(ROOT_VARIABLE, "").strip():
        return pathlib.Path(os.environ[ROOT_VARIABLE].strip()).expanduser().absolute()
    try:
        import bearing_datasets

        saved, _ = bearing_datasets.get_root()
    except ImportError:
        saved = None
    return pathlib.Path(saved or DEFAULT_ROOT).expanduser().absolute()


def open_cwru(root=None, build=False):
    """CWRU as the package built it: ``(meta, signal)``, the metadata table and ``ds.signal``.

    ``root``: the package's datasets folder (``datasets_root``). When CWRU is
    not built there: with ``build``, the package downloads it from CWRU's
    site and builds it (0.7 GB download, 0.16 GB kept; needs network), and a
    failure raises ``RuntimeError`` with the package's reason; without,
    ``Unavailable``. ``Unavailable`` too when the package is not installed.
    """
    try:
        import bearing_datasets
    except ImportError as error:
        missing = "bearing-datasets is not installed" if error.name == "bearing_datasets" else str(error)
        raise Unavailable(f"{missing} (pip install {PACKAGE}; building CWRU with it then needs network).") from None
    if bearing_datasets.__version__ != PACKAGE_VERSION:
        warnings.warn(
            f"lib.recordings was written for bearing-datasets {PACKAGE_VERSION}, this is "
            f"{bearing_datasets.__version__}: check that bearing_id still names one physical bearing.",
            stacklevel=2,
        )
    folder = datasets_root(root)
    if not (folder / NAME / "manifest.json").is_file():
        if not build:
            home = pathlib.Path.home()
            shown = f"~/{folder.relative_to(home)}" if folder.is_relative_to(home) else str(folder)
            raise Unavailable(
                f"CWRU is not built in {shown} (build it once where there is network, a 0.7 GB download: "
                f"bearing-datasets --root {shown} build cwru, or open_cwru(build=True))."
            )
        try:
            bearing_datasets.build(NAME, root=folder)
        except Exception as error:  # the package's own errors (network, checksums): one line, not its stack
            raise RuntimeError(f"bearing-datasets could not build CWRU in {folder}: {error}") from None
    dataset = bearing_datasets.open(NAME, root=folder)
    meta = dataset.metadata()
    check_table(meta)
    return meta, dataset.signal
