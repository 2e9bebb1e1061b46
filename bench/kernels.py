"""What the fast kernels buy: the readable code against ``scratchnn.kernels``, side by side.

For each case the same work runs with ``scratchnn.backend.fast_kernels(False)`` (each op's
backward and each optimizer's ``update_step`` as written) and ``(True)`` (the kernels), in
alternation, ``--rounds`` times; the medians and their ratio are printed. Cases:

* ``adam``: one Adam update of the weights of the 784-256-128-10 MLP (float32);
* ``cnn_step``: one training step (forward, backward, Adam) of the reference CNN on a batch of
  128 MNIST-sized images (random data: the speed does not depend on the values);
* ``cnn_predict``: the CNN's forward pass on 1000 images, without a graph.

Run on a quiet machine (a busy second core slows NumPy far more than it slows BLAS):

    python bench/kernels.py [--rounds 7] [--cases adam,cnn_step,cnn_predict]
"""
import argparse
import statistics
import time

import numpy as np

import scratchnn as snn
from scratchnn import layers as L
from scratchnn.backend import fast_kernels


def _adam():
    rng = np.random.default_rng(0)
    shapes = [(784, 256), (256,), (256, 128), (128,), (128, 10), (10,)]
    weights = [snn.Tensor(rng.standard_normal(s).astype(np.float32), requires_grad=True) for s in shapes]
    grads = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    opt = snn.optimizers.Adam(1e-3)
    opt.apply(grads, weights)                      # the moments exist before timing

    def step():
        opt.apply(grads, weights)
    return step, 20


def _cnn():
    snn.utils.set_random_seed(0)
    model = snn.Sequential([L.Input((28, 28, 1)), L.Conv2D(32, 3, activation="relu"), L.MaxPooling2D(),
                            L.Conv2D(64, 3, activation="relu"), L.MaxPooling2D(), L.Flatten(),
                            L.Dense(128, activation="relu"), L.Dropout(0.5),
                            L.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def _cnn_step():
    model = _cnn()
    rng = np.random.default_rng(1)
    x, y = rng.random((128, 28, 28, 1), dtype=np.float32), rng.integers(0, 10, 128)
    model.train_on_batch(x, y)

    def step():
        model.train_on_batch(x, y)
    return step, 3


def _cnn_predict():
    model = _cnn()
    x = np.random.default_rng(2).random((1000, 28, 28, 1), dtype=np.float32)
    model.predict(x[:10], verbose=0)

    def step():
        model.predict(x, batch_size=1000, verbose=0)
    return step, 2


CASES = {"adam": _adam, "cnn_step": _cnn_step, "cnn_predict": _cnn_predict}


def _time(step, repeat, fast):
    with fast_kernels(fast):
        step()                                     # warm up (allocations, caches)
        t0 = time.perf_counter()
        for _ in range(repeat):
            step()
        return (time.perf_counter() - t0) / repeat


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--cases", default=",".join(CASES))
    args = parser.parse_args()
    print(f"{'case':<12} {'readable (ms)':>14} {'kernels (ms)':>13} {'readable / kernels':>19}")
    for name in args.cases.split(","):
        step, repeat = CASES[name]()
        readable, fast = [], []
        for _ in range(args.rounds):               # alternate, so that drifts hit both alike
            readable.append(_time(step, repeat, False))
            fast.append(_time(step, repeat, True))
        r, f = statistics.median(readable), statistics.median(fast)
        print(f"{name:<12} {r * 1e3:>14.2f} {f * 1e3:>13.2f} {r / f:>18.2f}x")


if __name__ == "__main__":
    main()
