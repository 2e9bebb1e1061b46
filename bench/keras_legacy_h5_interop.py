"""Keras 3 <-> scratchnn through Keras's legacy whole-model HDF5 file (``model.save('m.h5')``,
``load_model('m.h5')``), both ways.

Run with a Python that has TensorFlow/Keras 3 and h5py (scratchnn is imported from ./src):

    /work/tfvenv/bin/python bench/keras_legacy_h5_interop.py
    /work/tfvenv/bin/python bench/keras_legacy_h5_interop.py --fixture tests/saving/data

For each architecture (the "save and load" tutorial's MLP with Dropout, a CNN with
BatchNormalization), the same model is built and compiled in both libraries. scratchnn writes
its (random, BatchNormalization's moving statistics included) model, Keras loads it (architecture,
weights, compile settings) and both predict the same inputs; then Keras writes, scratchnn loads,
and both predict again. It prints the largest |difference| of the predictions each way and what
each loader compiled. ``--fixture DIR`` also writes a small Keras-written MLP file (after one
step of Adam, so it holds Keras's ``optimizer_weights`` too) and its inputs/predictions that
tests/saving/test_keras_legacy_h5.py checks without TensorFlow. ``--load PATH`` (used by the
tests where TensorFlow is installed) loads a file with Keras and prints its predictions of the
inputs in PATH.npz as JSON.
"""
import argparse
import json
import os
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))

import keras  # noqa: E402
import numpy as np  # noqa: E402

from scratchnn import keras as snk  # noqa: E402


def build(lib, kind):
    """The same compiled architecture in Keras (lib=keras) or scratchnn (lib=snk)."""
    L = lib.layers
    if kind == "mlp":
        model = lib.Sequential([lib.Input((12,)), L.Dense(16, activation="relu"), L.Dropout(0.2), L.Dense(3)])
    else:
        model = lib.Sequential([lib.Input((8, 8, 2)), L.Conv2D(4, 3, activation="relu"),
                                L.BatchNormalization(),
                                L.MaxPooling2D(), L.Flatten(), L.Dense(5, activation="softmax")])
    model.compile(optimizer=lib.optimizers.Adam(learning_rate=0.002),
                  loss=lib.losses.SparseCategoricalCrossentropy(from_logits=kind == "mlp"),
                  metrics=[lib.metrics.SparseCategoricalAccuracy()])
    return model


def inputs(kind, rng, n=5):
    return rng.normal(size=(n, 12) if kind == "mlp" else (n, 8, 8, 2)).astype(np.float32)


def randomize(model, rng):
    """Random weights (a BatchNormalization's moving variance positive)."""
    values = []
    for v in model.weights:
        w = rng.normal(scale=0.5, size=tuple(v.shape)).astype(np.float32)
        variance = "variance" in (getattr(v, "path", None) or v.name)
        values.append(np.abs(w) + 0.5 if variance else w)
    model.set_weights(values)


def compiled(model):
    return (f"{type(model.optimizer).__name__}(lr={float(np.asarray(model.optimizer.learning_rate)):.4g}), "
            f"{type(model.loss).__name__}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fixture", help="folder to write the Keras-written MLP fixture to")
    parser.add_argument("--load", help="load this file with Keras and print its predictions of PATH.npz's x")
    args = parser.parse_args()
    if args.load:
        model = keras.models.load_model(args.load)
        x = np.load(args.load + ".npz")["x"]
        print(json.dumps({"y": model.predict(x, verbose=0).tolist(),
                          "optimizer": type(model.optimizer).__name__,
                          "learning_rate": float(np.asarray(model.optimizer.learning_rate)),
                          "loss": type(model.loss).__name__, "from_logits": bool(model.loss.get_config().get(
                              "from_logits")), "layers": [type(layer).__name__ for layer in model.layers]}))
        return
    rng = np.random.default_rng(0)
    tmp = tempfile.mkdtemp()
    print(f"keras {keras.__version__}, backend {keras.backend.backend()}")
    for kind in ("mlp", "cnn"):
        x = inputs(kind, rng)
        ours = build(snk, kind)
        randomize(ours, rng)
        path = os.path.join(tmp, f"{kind}-scratchnn.h5")
        ours.save(path)
        theirs = keras.models.load_model(path)
        a = np.max(np.abs(ours.predict(x, verbose=0) - theirs.predict(x, verbose=0)))
        keras_side = compiled(theirs)
        theirs2 = build(keras, kind)
        randomize(theirs2, rng)
        path = os.path.join(tmp, f"{kind}-keras.h5")
        theirs2.save(path)
        ours2 = snk.models.load_model(path)
        b = np.max(np.abs(ours2.predict(x, verbose=0) - theirs2.predict(x, verbose=0)))
        print(f"{kind}: scratchnn writes, Keras reads: max |diff| {a:.3g} (compiled: {keras_side}); "
              f"Keras writes, scratchnn reads: max |diff| {b:.3g} (compiled: {compiled(ours2)})")
    if args.fixture:
        os.makedirs(args.fixture, exist_ok=True)
        model = build(keras, "mlp")
        randomize(model, rng)
        x = inputs("mlp", rng, 4)
        model.fit(x, np.array([0, 1, 2, 1]), epochs=1, verbose=0)   # so the file holds optimizer_weights
        model.save(os.path.join(args.fixture, "keras315_mlp.h5"))
        np.savez(os.path.join(args.fixture, "keras315_mlp_h5_io.npz"), x=x, y=model.predict(x, verbose=0))
        print(f"fixture written to {args.fixture}")


if __name__ == "__main__":
    main()
