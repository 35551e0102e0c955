#!/usr/bin/env bash
# Every chapter in the full profile under strict nbval, with the TensorFlow and Keras already
# installed (Colab's runtime image on a GPU runner, or any GPU machine with TensorFlow), one
# nbval run per notebook, each timed; then each chapter executed once more so that its outputs
# can be read. Installs only the test tools it lacks, at the versions requirements.txt pins.
#
#   bash scripts/gpu_full_profile.sh [ARTIFACTS [NOTEBOOK ...]]
#
# ARTIFACTS (default $RESNET_BOOK_ARTIFACTS, else _build/gpu-run) receives:
#   environment.txt         Python, TensorFlow, Keras, the GPUs, pip freeze
#   times.tsv               per notebook: nbval seconds and result, execution seconds and result
#   nbval/NAME.log, .xml    each notebook's nbval output and JUnit report
#   executed/NAME.ipynb     each notebook as executed here (scripts/execute_notebooks.py --output-dir)
#   results/                the results records these runs write (RESNET_BOOK_RESULTS), so that
#                           book/results/*.json, which the results page reads, stay as committed
# NOTEBOOK defaults to every notebook in book/. Every notebook runs even when one fails; the exit
# status is non-zero when any failed. It stops at once when TensorFlow sees no GPU (a full-profile
# run on a CPU takes hours), unless RESNET_BOOK_REQUIRE_GPU=0.
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

# The test tools at their pinned versions; what the chapters import only where it is missing,
# so that the image's own TensorFlow, Keras, NumPy and pandas are the ones tested.
pinned() { grep -E "^$1==" requirements.txt | awk '{print $1}'; }
installed() { "$PYTHON" -c "import importlib.metadata as m; print('$1==' + m.version('$1'))" 2>/dev/null || true; }
missing=()
for tool in nbval pytest; do
    [ "$(installed "$tool")" = "$(pinned "$tool")" ] || missing+=("$(pinned "$tool")")
done
for package in pandas matplotlib ipykernel nbformat nbclient; do
    [ -n "$(installed "$package")" ] || missing+=("$(pinned "$package")")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "Installing ${missing[*]}"
    "$PYTHON" -m pip install --quiet --disable-pip-version-check "${missing[@]}"
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

status=0
printf 'notebook\tnbval_s\tnbval\texecute_s\texecute\n' >"$ARTIFACTS/times.tsv"
for notebook in "${NOTEBOOKS[@]}"; do
    name="$(basename "$notebook" .ipynb)"
    echo "== $name: nbval (full profile)"
    start=$SECONDS
    if "$PYTHON" -m pytest --nbval --nbval-current-env -p no:cacheprovider --durations=5 \
        --junitxml="$ARTIFACTS/nbval/$name.xml" "$notebook" 2>&1 | tee "$ARTIFACTS/nbval/$name.log"; then
        nbval=passed
    else
        nbval=failed
        status=1
    fi
    nbval_seconds=$((SECONDS - start))
    echo "== $name: executed copy"
    start=$SECONDS
    if "$PYTHON" scripts/execute_notebooks.py "$notebook" --profile full --output-dir "$ARTIFACTS/executed"; then
        execute=passed
    else
        execute=failed
        status=1
    fi
    printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$nbval_seconds" "$nbval" "$((SECONDS - start))" "$execute" \
        >>"$ARTIFACTS/times.tsv"
done

echo "== Wall seconds per notebook ($ARTIFACTS/times.tsv)"
column -t -s $'\t' "$ARTIFACTS/times.tsv" 2>/dev/null || cat "$ARTIFACTS/times.tsv"
exit "$status"
