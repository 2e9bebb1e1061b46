"""Train a 784-50-10 MLP on MNIST with scratchnn's autograd engine, and report.

Everything is visible: the weights are Tensors, the forward pass is three
lines, ``loss.backward()`` fills every ``.grad``, and Adam updates the weights
in place.  (``examples/mnist_mlp.py`` does the same with Keras's ``model.fit``.)

    python examples/mnist_from_scratch.py [--epochs 5] [--batch-size 32] [--lr 0.001]

MNIST comes from ``scratchnn.datasets.load_mnist`` (cached, checksummed).
"""
import argparse
import time

import numpy as np

import scratchnn.functional as F
from scratchnn import Tensor, no_grad
from scratchnn.datasets import load_mnist


def glorot_uniform(rng, fan_in, fan_out):
    """Keras's default kernel initializer: U(-l, l), l = sqrt(6 / (fan_in + fan_out))."""
    limit = np.sqrt(6 / (fan_in + fan_out))
    return Tensor(rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32), requires_grad=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    (x_train, y_train), (x_test, y_test) = load_mnist(normalize=True, flatten=True)

    rng = np.random.default_rng(args.seed)
    w1, b1 = glorot_uniform(rng, 784, 50), Tensor(np.zeros(50, np.float32), requires_grad=True)
    w2, b2 = glorot_uniform(rng, 50, 10), Tensor(np.zeros(10, np.float32), requires_grad=True)
    params = [w1, b1, w2, b2]

    def forward(x):
        return F.softmax(F.relu(x @ w1 + b1) @ w2 + b2)

    # Adam (Kingma & Ba), as Keras computes it: m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
    # w -= lr_t m / (sqrt(v) + eps), lr_t = lr sqrt(1 - b2^t) / (1 - b1^t)
    beta1, beta2, eps = 0.9, 0.999, 1e-7
    m = [np.zeros_like(p.data) for p in params]
    v = [np.zeros_like(p.data) for p in params]
    step = 0

    print(f"MNIST: {len(x_train)} training / {len(x_test)} test images; "
          f"MLP 784-50-10 (relu, softmax), Adam lr={args.lr}, batch {args.batch_size}")
    for epoch in range(1, args.epochs + 1):
        start, losses = time.perf_counter(), []
        order = rng.permutation(len(x_train))
        for i in range(0, len(order), args.batch_size):
            idx = order[i:i + args.batch_size]
            loss = F.sparse_categorical_crossentropy(y_train[idx], forward(Tensor(x_train[idx])))
            loss.backward()
            step += 1
            lr_t = args.lr * np.sqrt(1 - beta2 ** step) / (1 - beta1 ** step)
            for p, mi, vi in zip(params, m, v):
                g = p.grad
                mi += (1 - beta1) * (g - mi)
                vi += (1 - beta2) * (g * g - vi)
                p.data -= lr_t * mi / (np.sqrt(vi) + eps)
                p.grad = None
            losses.append(loss.item())
        with no_grad():
            probs = forward(Tensor(x_test))
            test_loss = F.sparse_categorical_crossentropy(y_test, probs).item()
        acc = float((probs.data.argmax(axis=1) == y_test).mean())
        print(f"epoch {epoch}/{args.epochs}  loss {np.mean(losses):.4f}  test_loss {test_loss:.4f}  "
              f"test_accuracy {acc:.4f}  ({time.perf_counter() - start:.1f} s)")
    print(f"test accuracy: {acc:.4f}")


if __name__ == "__main__":
    main()
