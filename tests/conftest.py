import os
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
sys.path.insert(0, str(BOOK))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
