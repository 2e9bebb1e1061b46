"""Keras 3 <-> scratchnn through Keras 3's weights file (``.weights.h5``), both ways.

Run with a Python that has TensorFlow/Keras 3 and h5py (scratchnn is imported from ./src):

    /work/tfvenv/bin/python bench/keras_h5_interop.py
    /work/tfvenv/bin/python bench/keras_h5_interop.py --fixture tests/saving/data

For each architecture (an MLP, a CNN with BatchNormalization, an Embedding + LSTM + GRU model,
a Conv1D + LayerNormalization + Bidirectional(LSTM) + TimeDistributed(Dense) + SimpleRNN model,
a functional model with two inputs, Normalization and a nested Sequential, a subclassed model, a
MultiHeadAttention block)
the same model is built in both libraries. scratchnn writes its (random, BatchNormalization's
moving statistics included) weights, Keras loads them and both predict the same inputs; then
Keras writes, scratchnn loads, and both predict again. It prints the largest |difference| of
the predictions each way. ``--fixture DIR`` also writes a small Keras-written MLP file (after one step of
Adam, so it holds Keras's ``optimizer/vars`` too) and its inputs/predictions that
tests/saving/test_keras_h5.py checks without TensorFlow.
"""
import argparse
import os
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))

import keras  # noqa: E402
import numpy as np  # noqa: E402

from scratchnn import keras as snk  # noqa: E402


def build(lib, kind):
    """The same architecture in Keras (lib=keras) or scratchnn (lib=snk)."""
    L = lib.layers
    if kind == "mlp":
        return lib.Sequential([lib.Input((6,)), L.Dense(16, activation="relu"), L.Dense(8, activation="tanh"),
                               L.Dense(3, activation="softmax")])
    if kind == "cnn":
        return lib.Sequential([lib.Input((10, 10, 3)), L.Conv2D(4, 3, activation="relu"),
                               L.BatchNormalization(), L.MaxPooling2D(2), L.Conv2D(6, 3, padding="same"),
                               L.Flatten(), L.Dense(5)])
    if kind == "functional":                 # two inputs, a nested Sequential
        a, b = lib.Input((3,)), lib.Input((5,))
        inner = lib.Sequential([L.Dense(4, activation="relu"), L.Dense(2)])
        x = L.Concatenate()([L.Dense(2)(a), inner(L.Normalization()(b))])
        return lib.Model([a, b], L.Dense(1)(x))
    if kind == "attention":
        x = lib.Input((5, 6))
        y = L.LayerNormalization()(L.Add()([x, L.MultiHeadAttention(2, 4)(x, x)]))
        return lib.Model(x, L.Dense(3)(L.GlobalAveragePooling1D()(y)))
    if kind == "subclassed":
        model = subclassed(lib)()
        model(np.zeros((2, 5), np.float32))
        return model
    if kind == "rnn":
        return lib.Sequential([lib.Input((7,), dtype="int32"), L.Embedding(20, 4),
                               L.LSTM(5, return_sequences=True), L.GRU(3), L.Dense(2)])
    return lib.Sequential([lib.Input((7, 3)), L.Conv1D(4, 3, padding="same"), L.LayerNormalization(),
                           L.Bidirectional(L.LSTM(3, return_sequences=True)), L.TimeDistributed(L.Dense(4)),
                           L.SimpleRNN(2)])


def subclassed(lib):
    class Net(lib.Model):
        def __init__(self):
            super().__init__()
            self.alpha = lib.layers.Dense(4, activation="tanh")
            self.zeta = lib.layers.Dense(2)
            self.blocks = [lib.layers.Dense(3), lib.layers.BatchNormalization()]

        def call(self, x, training=False):
            return self.zeta(self.alpha(self.blocks[1](self.blocks[0](x), training=training)))
    return Net


def inputs(kind, rng):
    if kind == "functional":
        return [rng.normal(size=(8, 3)).astype(np.float32), rng.normal(size=(8, 5)).astype(np.float32)]
    if kind == "subclassed":
        return rng.normal(size=(8, 5)).astype(np.float32)
    if kind == "attention":
        return rng.normal(size=(8, 5, 6)).astype(np.float32)
    if kind == "mlp":
        return rng.normal(size=(16, 6)).astype(np.float32)
    if kind == "cnn":
        return rng.normal(size=(8, 10, 10, 3)).astype(np.float32)
    if kind == "misc":
        return rng.normal(size=(8, 7, 3)).astype(np.float32)
    return rng.integers(0, 20, size=(8, 7)).astype(np.int32)


def randomize(model, rng):
    """Weights away from their initial values (variances positive), so every one matters."""
    values = []
    for v, w in zip(model.weights, model.get_weights()):
        if not np.issubdtype(np.asarray(w).dtype, np.floating):       # Normalization's count
            values.append(w)
            continue
        w = rng.normal(scale=0.5, size=np.shape(w)).astype(np.float32)
        variance = "variance" in getattr(v, "name", "") or "variance" in getattr(v, "path", "")
        values.append(np.abs(w) + 0.5 if variance else w)
    model.set_weights(values)
    if isinstance(model, keras.Model):      # Keras's Normalization uses new mean/variance once told
        for layer in model._flatten_layers():
            if hasattr(layer, "finalize_state") and isinstance(layer, keras.layers.Normalization):
                layer.finalize_state()


def predict(model, lib, x):
    return np.asarray(model.predict(x, verbose=0) if lib is keras else model.predict(x, verbose=0))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fixture", help="folder to write the Keras-written MLP fixture to")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    tmp = tempfile.mkdtemp()
    print(f"keras {keras.__version__}, backend {keras.backend.backend()}")
    for kind in ("mlp", "cnn", "rnn", "misc", "functional", "subclassed", "attention"):
        x = inputs(kind, rng)
        ours, theirs = build(snk, kind), build(keras, kind)
        randomize(ours, rng)
        path = os.path.join(tmp, f"{kind}-scratchnn.weights.h5")
        ours.save_weights(path)
        theirs.load_weights(path)
        reference = predict(theirs, keras, x)
        a = np.max(np.abs(predict(ours, snk, x) - reference))
        ours2, theirs2 = build(snk, kind), build(keras, kind)
        randomize(theirs2, rng)
        path = os.path.join(tmp, f"{kind}-keras.weights.h5")
        theirs2.save_weights(path)
        ours2.load_weights(path)
        b = np.max(np.abs(predict(ours2, snk, x) - predict(theirs2, keras, x)))
        print(f"{kind}: scratchnn writes, Keras reads: max |diff| {a:.3g}; Keras writes, scratchnn reads: "
              f"max |diff| {b:.3g} (outputs up to {np.max(np.abs(reference)):.3g})")
    if args.fixture:
        os.makedirs(args.fixture, exist_ok=True)
        model = build(keras, "mlp")
        randomize(model, rng)
        x = inputs("mlp", rng)[:4]
        model.compile(optimizer="adam", loss="mse")      # so the file holds an optimizer/ part too
        model.fit(x, np.zeros((4, 3), np.float32), epochs=1, verbose=0)
        model.save_weights(os.path.join(args.fixture, "keras315_mlp.weights.h5"))
        np.savez(os.path.join(args.fixture, "keras315_mlp_io.npz"), x=x, y=predict(model, keras, x),
                 weights=np.array(len(model.weights)))
        print(f"fixture written to {args.fixture}")


if __name__ == "__main__":
    main()
