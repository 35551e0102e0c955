#!/usr/bin/env bash
# Every chapter in the full profile under strict nbval, with the TensorFlow and
# Keras already installed (Colab's runtime image, a GPU runner, a lent GPU
# machine). Installs only the test tools; prints the device first.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet "nbval==0.11.0" "pytest==9.2.0" "pandas>=2.2" matplotlib
python3 -c "import tensorflow as tf, keras; print('TF', tf.__version__, 'Keras', keras.__version__, tf.config.list_physical_devices('GPU'))"
RESNET_BOOK_PROFILE=full python3 -m pytest --nbval --nbval-current-env --durations=0 -p no:cacheprovider book "$@"
