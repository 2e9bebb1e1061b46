"""Model files: size next to the raw weight bytes, and save / load times.

    python bench/saving.py [--repeat 20]

For each model (the lecture MLP 784-50-10, a wide MLP 784-512-256-10, and the reference CNN
once ``Conv2D`` exists) it trains one step (so that the optimizer has state), then prints the
raw bytes of the weights, the ``.scratchnn`` file's size (weights + Adam's two moments +
JSON), the weights-only ``.safetensors`` size, and the median time of ``model.save``,
``load_model``, ``save_weights`` and ``load_weights`` over ``--repeat`` runs (each save is an
atomic write with fsync; the page cache is warm).
"""
import argparse
import os
import statistics
import sys
import tempfile
import time

import numpy as np


def models():
    import scratchnn as snn
    from scratchnn import layers as L
    yield "MLP 784-50-10", snn.Sequential([L.Input((28, 28)), L.Flatten(), L.Dense(50, activation="relu"),
                                           L.Dense(10, activation="softmax")])
    yield "MLP 784-512-256-10", snn.Sequential([L.Input((28, 28)), L.Flatten(),
                                                L.Dense(512, activation="relu"),
                                                L.Dense(256, activation="relu"),
                                                L.Dense(10, activation="softmax")])
    if hasattr(L, "Conv2D"):
        yield "CNN (issue 5 reference)", snn.Sequential([
            L.Input((28, 28, 1)), L.Conv2D(32, 3, activation="relu"), L.MaxPooling2D(2),
            L.Conv2D(64, 3, activation="relu"), L.MaxPooling2D(2), L.Flatten(),
            L.Dense(128, activation="relu"), L.Dropout(0.5), L.Dense(10, activation="softmax")])


def timed(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


def measure(name, model, tmp, repeat):
    import scratchnn as snn
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    shape = (8,) + tuple(model.input_shape[1:])
    model.train_on_batch(np.random.rand(*shape).astype(np.float32), np.arange(8) % 10)
    path, wpath = os.path.join(tmp, "m.scratchnn"), os.path.join(tmp, "w.safetensors")
    raw = sum(w.nbytes for w in model.get_weights())
    save = timed(lambda: model.save(path), repeat)
    load = timed(lambda: snn.models.load_model(path), repeat)
    save_w = timed(lambda: model.save_weights(wpath), repeat)
    load_w = timed(lambda: model.load_weights(wpath), repeat)
    return (f"{name:<26}{model.count_params():>10,}{raw / 1e6:>9.3f}{os.path.getsize(path) / 1e6:>9.3f}"
            f"{os.path.getsize(wpath) / 1e6:>11.3f}{save:>9.1f}{load:>9.1f}{save_w:>10.1f}{load_w:>10.1f}")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=20)
    args = p.parse_args(argv)
    print(f"{'model':<26}{'params':>10}{'raw MB':>9}{'file MB':>9}{'weights MB':>11}"
          f"{'save ms':>9}{'load ms':>9}{'save_w ms':>10}{'load_w ms':>10}")
    with tempfile.TemporaryDirectory() as tmp:
        for name, model in models():
            print(measure(name, model, tmp, args.repeat))
    return 0


if __name__ == "__main__":
    sys.exit(main())
