"""Memory soak: train a small model for many epochs and print the resident memory after each.

A framework that kept the graph of a step alive (a Tensor held by a callback, a metric, the
optimizer, a gradient that is never cleared) would grow by about a step's activations every
step; this prints RSS per epoch so the growth, if any, is plain to see, and a summary line:

    python bench/soak.py [--epochs 50] [--n 10000] [--batch-size 32]

Data: MNIST when ``scratchnn.datasets`` can load it (cache or ``$SCRATCHNN_DATASET_MIRRORS``),
else random inputs of the same shape. Model: 784-128-64-10 with Dropout and Adam, with a
validation split, the accuracy metric and an EarlyStopping/CSVLogger pair of callbacks, so
that every part of ``fit`` runs every epoch.
"""
import argparse
import os
import statistics
import sys
import tempfile
import time

import numpy as np


def rss_mib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=50)
    p.add_argument("--n", type=int, default=10000, help="training samples")
    p.add_argument("--batch-size", type=int, default=32)
    args = p.parse_args(argv)

    import scratchnn as snn
    from scratchnn import callbacks as C
    from scratchnn import layers as L
    try:
        (x, y), _ = snn.datasets.mnist.load_data(verbose=False)
        x, y, source = x[:args.n], y[:args.n], "MNIST"
    except OSError:
        rng = np.random.default_rng(0)
        x, y, source = rng.integers(0, 256, (args.n, 28, 28), dtype=np.uint8), rng.integers(0, 10, args.n), \
            "random data"
    snn.utils.set_random_seed(0)
    model = snn.Sequential([L.Input((28, 28)), L.Rescaling(1 / 255), L.Flatten(),
                            L.Dense(128, activation="relu"), L.Dropout(0.2), L.Dense(64, activation="relu"),
                            L.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    readings = []

    class Record(C.Callback):
        def on_epoch_end(self, epoch, logs=None):
            readings.append(rss_mib())
            print(f"epoch {epoch + 1:3d}  loss {logs['loss']:.4f}  val_loss {logs['val_loss']:.4f}  "
                  f"RSS {readings[-1]:7.1f} MiB", flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        start = rss_mib()
        t0 = time.perf_counter()
        model.fit(x, y, epochs=args.epochs, batch_size=args.batch_size, validation_split=0.1, verbose=0,
                  callbacks=[C.EarlyStopping(patience=10 ** 6), C.CSVLogger(os.path.join(tmp, "h.csv")),
                             Record()])
        seconds = time.perf_counter() - t0
    first = readings[0]
    late = readings[len(readings) // 2:]
    slope = np.polyfit(np.arange(len(late)), late, 1)[0] if len(late) > 1 else 0.0
    print(f"\n{source}, {len(x)} samples, {args.epochs} epochs in {seconds:.0f} s. RSS before fit "
          f"{start:.1f} MiB, after epoch 1 {first:.1f} MiB, last {readings[-1]:.1f} MiB, max "
          f"{max(readings):.1f} MiB; growth after epoch 1: {readings[-1] - first:+.1f} MiB; trend over the "
          f"second half {slope * 1024:+.1f} KiB/epoch (median {statistics.median(late):.1f} MiB).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
