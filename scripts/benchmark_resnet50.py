"""Training throughput of lib's ResNet-50 against keras.applications.ResNet50, from a shell.

    python scripts/benchmark_resnet50.py --image-size 64 --batch-size 16 --steps 5     (CPU)
    python scripts/benchmark_resnet50.py --gpu-settings --rounds 2                       (GPU)

A thin command line over ``lib.benchmark.resnet50_versus_keras`` (chapter 3 shows its
code). The precision follows RESNET_BOOK_ACCELERATE, as in the chapters: ``auto`` (the
default) trains in mixed precision with XLA on a GPU and in float32 on a CPU; ``on`` and
``off`` force either. Prints the table with the device, the versions and the ratio lib / keras.
"""

import argparse
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "book"))
import lib  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=1, help="timed runs per model, alternating in order")
    parser.add_argument("--gpu-settings", action="store_true", help=f"use {lib.benchmark.GPU_SETTINGS}")
    args = parser.parse_args()
    settings = {"image_size": args.image_size, "batch_size": args.batch_size, "steps": args.steps}
    if args.gpu_settings:
        settings.update(lib.benchmark.GPU_SETTINGS)
    run = lib.setup()
    table = lib.benchmark.resnet50_versus_keras(**settings, rounds=args.rounds, compile_options=run.compile_options)
    print(lib.benchmark.report(table))


if __name__ == "__main__":
    main()
