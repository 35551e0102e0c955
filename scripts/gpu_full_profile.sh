#!/usr/bin/env bash
# Every notebook in the full profile under strict nbval, each run exactly once, with the TensorFlow
# and Keras already installed: Colab's runtime image on the `gpu` workflow's runner, or any GPU
# machine with TensorFlow (nothing here needs GitHub). One nbval run per notebook, timed; a small
# pytest plugin (nbval_record, below) writes down the outputs nbval received while it compared
# them, so the executed notebooks come from that same run, not from a second execution.
# Installs only the test tools it lacks.
#
#   bash scripts/gpu_full_profile.sh [ARTIFACTS [NOTEBOOK ...]]
#
# ARTIFACTS (default $RESNET_BOOK_ARTIFACTS, else _build/gpu-run) receives:
#   environment.txt         Python, TensorFlow, Keras, the GPUs, pip freeze
#   times.tsv               per notebook: wall seconds of its nbval run and the verdict
#   nbval/NAME.log, .xml    each notebook's nbval output (every cell's time) and JUnit report
#   executed/NAME.ipynb     each notebook with the outputs nbval received, in canonical form
#                           (cells nbval did not reach are left empty)
#   results/                the results records the notebooks write (RESNET_BOOK_RESULTS), so that
#                           book/results/*.json, which the results page reads, stay as committed
# NOTEBOOK defaults to every notebook in book/. Every notebook runs even when one fails; the exit
# status is non-zero when any failed. It stops at once when TensorFlow sees no GPU (a full-profile
# run on a CPU takes hours), unless RESNET_BOOK_REQUIRE_GPU=0.
#
# RESNET_BOOK_COLAB_PINS=requirements-colab.txt (the gpu workflow sets it) says this is Colab's
# runtime image: the script first checks that its Python and the book's packages are the versions
# that file pins (else it stops, naming each difference), and takes the test tools' versions from
# it. Unset (a GPU machine of your own), the test tools follow requirements.txt and nothing is
# compared.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
ARTIFACTS="${1:-${RESNET_BOOK_ARTIFACTS:-_build/gpu-run}}"
shift || true
if [ "$#" -gt 0 ]; then NOTEBOOKS=("$@"); else NOTEBOOKS=(book/*.ipynb); fi

mkdir -p "$ARTIFACTS"
ARTIFACTS="$(cd "$ARTIFACTS" && pwd -P)"
if [ "$ARTIFACTS" = "$(cd book && pwd -P)" ]; then
    echo "gpu_full_profile.sh: ARTIFACTS/results would be book/results; choose another folder" >&2
    exit 2
fi
rm -rf "$ARTIFACTS/nbval" "$ARTIFACTS/executed" "$ARTIFACTS/results" "$ARTIFACTS/times.tsv"
mkdir -p "$ARTIFACTS/nbval" "$ARTIFACTS/executed" "$ARTIFACTS/results"

export RESNET_BOOK_PROFILE=full
export RESNET_BOOK_ACCELERATE="${RESNET_BOOK_ACCELERATE:-auto}"  # mixed precision + XLA on a GPU
export RESNET_BOOK_RESULTS="$ARTIFACTS/results"  # never book/results, which the results page reads
if ! grep -q RESNET_BOOK_RESULTS book/lib/results.py; then
    echo "gpu_full_profile.sh: this lib ignores RESNET_BOOK_RESULTS and would rewrite book/results" >&2
    exit 2
fi
# Offline machines: the datasets from a local folder if there is one (see README, Data);
# elsewhere keras.datasets downloads them.
if [ -z "${RESNET_BOOK_DATA:-}" ]; then
    for folder in ../shared/datasets shared/datasets; do
        if [ -d "$folder" ]; then
            RESNET_BOOK_DATA="$(cd "$folder" && pwd)"
            export RESNET_BOOK_DATA
            break
        fi
    done
fi

# Colab's image: the runtime requirements-colab.txt pins, or stop before hours of GPU time test
# another one. Python's major.minor from its `# python:` line; the book's packages from their pins
# (tensorflow-cpu there stands for Colab's tensorflow, the same release).
PINS=requirements.txt
CONSTRAINTS=()
if [ -n "${RESNET_BOOK_COLAB_PINS:-}" ]; then
    PINS="$RESNET_BOOK_COLAB_PINS"
    CONSTRAINTS=(-c "$PINS")  # whatever the test tools pull in, at Colab's versions too
    "$PYTHON" - "$PINS" <<'PY'
import importlib.metadata
import platform
import re
import sys

path = sys.argv[1]
text = open(path).read()
python = re.search(r"^# python: (\d+\.\d+)\s*$", text, re.M)
pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", text, re.M))
pins["tensorflow"] = pins.pop("tensorflow-cpu")
wrong = []
if python is None:
    print(f"gpu_full_profile.sh: {path} has no '# python: X.Y' line", file=sys.stderr)
    sys.exit(2)
if not platform.python_version().startswith(python.group(1) + "."):
    wrong.append(f"Python {platform.python_version()} (pinned {python.group(1)})")
for name in ("tensorflow", "keras", "tensorboard", "numpy", "pandas", "matplotlib", "ipykernel", "ipython"):
    found = "missing"
    for distribution in (name, "tensorflow-cpu") if name == "tensorflow" else (name,):
        try:
            found = importlib.metadata.version(distribution)
            break
        except importlib.metadata.PackageNotFoundError:
            pass
    if found != pins[name]:
        wrong.append(f"{name} {found} (pinned {pins[name]})")
if wrong:
    print(
        f"gpu_full_profile.sh: this image is not the Colab runtime {path} pins: {', '.join(wrong)}. "
        f"Name that runtime's image in {path} and .github/workflows/gpu.yml, or its versions in {path}.",
        file=sys.stderr,
    )
    sys.exit(2)
print(f"Colab's runtime as {path} pins it: Python {platform.python_version()}, " + ", ".join(
    f"{name} {pins[name]}" for name in ("tensorflow", "keras", "numpy", "pandas", "matplotlib")))
PY
fi

# The test tools at their pinned versions; what the notebooks import only where it is missing,
# so that the installed TensorFlow, Keras, NumPy and pandas are the ones tested.
pinned() { grep -E "^$1==" "$PINS" | awk '{print $1}'; }
installed() { "$PYTHON" -c "import importlib.metadata as m; print('$1==' + m.version('$1'))" 2>/dev/null || true; }
missing=()
for tool in nbval pytest; do
    [ "$(installed "$tool")" = "$(pinned "$tool")" ] || missing+=("$(pinned "$tool")")
done
for package in pandas matplotlib ipykernel nbformat; do
    [ -n "$(installed "$package")" ] || missing+=("$(pinned "$package")")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "Installing ${missing[*]}"
    "$PYTHON" -m pip install --quiet --disable-pip-version-check ${CONSTRAINTS[@]+"${CONSTRAINTS[@]}"} "${missing[@]}"
fi

"$PYTHON" - <<'PY' | tee "$ARTIFACTS/environment.txt"
import os
import platform

import keras
import tensorflow as tf

gpus = tf.config.list_physical_devices("GPU")
names = [tf.config.experimental.get_device_details(gpu).get("device_name", gpu.name) for gpu in gpus]
print(f"Python {platform.python_version()} | TensorFlow {tf.__version__} | Keras {keras.__version__}")
print(f"GPUs: {', '.join(names) or 'none'}")
print(f"RESNET_BOOK_ACCELERATE={os.environ['RESNET_BOOK_ACCELERATE']}")
PY
"$PYTHON" -m pip freeze >>"$ARTIFACTS/environment.txt" 2>/dev/null || true
if [ "${RESNET_BOOK_REQUIRE_GPU:-1}" != 0 ] && grep -q '^GPUs: none$' "$ARTIFACTS/environment.txt"; then
    echo "gpu_full_profile.sh: TensorFlow sees no GPU (RESNET_BOOK_REQUIRE_GPU=0 runs on the CPU anyway)" >&2
    exit 2
fi

# nbval_record: a pytest plugin, kept here so that the script stays one file. nbval keeps each
# cell's outputs from the kernel on its test item (test_outputs) to compare them; at the end of
# the session this writes them into a copy of the notebook. Runs nothing itself.
plugin="$(mktemp -d)"
trap 'rm -rf "$plugin"' EXIT
cat >"$plugin/nbval_record.py" <<'PY'
import copy
import os
import pathlib
import sys

import nbformat

sys.path.insert(0, os.path.join(os.getcwd(), "scripts"))  # pytest runs from the repository root
from notebook_form import canonical  # noqa: E402


def pytest_addoption(parser):
    parser.addoption("--nbval-record", metavar="DIR", help="write each notebook as nbval ran it into DIR")


def pytest_sessionfinish(session):
    folder = session.config.getoption("nbval_record")
    notebooks = {}
    for item in getattr(session, "items", []):
        if folder and hasattr(item, "test_outputs") and hasattr(item.parent, "nb"):
            notebooks.setdefault(item.parent, []).append(item)
    for file, items in notebooks.items():
        notebook = copy.deepcopy(file.nb)
        code = [cell for cell in notebook.cells if cell.cell_type == "code"]
        for cell in code:
            cell.outputs = []  # a cell nbval did not reach shows nothing, not its stored outputs
        for item in items:
            if item.test_outputs is not None:
                code[item.cell_num].outputs = [nbformat.from_dict(dict(output)) for output in item.test_outputs]
        target = pathlib.Path(folder) / pathlib.Path(str(file.path)).name
        target.write_text(canonical(notebook))
PY

status=0
printf 'notebook\tseconds\tnbval\n' >"$ARTIFACTS/times.tsv"
for notebook in "${NOTEBOOKS[@]}"; do
    name="$(basename "$notebook" .ipynb)"
    echo "== $name: nbval (full profile)"
    start=$SECONDS
    if PYTHONPATH="$plugin${PYTHONPATH:+:$PYTHONPATH}" "$PYTHON" -m pytest --nbval --nbval-current-env \
        -p no:cacheprovider -p nbval_record --nbval-record="$ARTIFACTS/executed" --durations=0 \
        --junitxml="$ARTIFACTS/nbval/$name.xml" "$notebook" 2>&1 | tee "$ARTIFACTS/nbval/$name.log"; then
        nbval=passed
    else
        nbval=failed
        status=1
    fi
    printf '%s\t%s\t%s\n' "$name" "$((SECONDS - start))" "$nbval" >>"$ARTIFACTS/times.tsv"
done

echo "== Wall seconds per notebook ($ARTIFACTS/times.tsv)"
column -t -s $'\t' "$ARTIFACTS/times.tsv" 2>/dev/null || cat "$ARTIFACTS/times.tsv"
exit "$status"
