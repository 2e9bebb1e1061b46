"""Per-op overhead of scratchnn over raw NumPy, side by side with PyTorch.

For each op, one forward and one backward pass on small arrays (where the
arithmetic is negligible and the framework's bookkeeping dominates) is timed:

* numpy     - the same forward and backward formulas written by hand on arrays
* scratchnn - Tensor op + .backward(grad)
* torch     - the same with PyTorch (when installed)

overhead = framework time - numpy time.  The target is scratchnn's overhead at
most PyTorch's.  Timings are medians of several repeats; run on a quiet machine
(a busy second core slows everything).

    python bench/ops.py [--size 16] [--repeat 7] [--number 2000]
"""
import argparse
import platform
import statistics
import timeit

import numpy as np

import scratchnn
import scratchnn.functional as F
from scratchnn import Tensor

try:
    import torch
    import torch.nn.functional as TF
except ImportError:  # the benchmark still runs, without the PyTorch column
    torch = None


def numpy_cases(n, rng):
    a = rng.standard_normal((n, n)).astype(np.float32)
    b = rng.standard_normal((n, n)).astype(np.float32)
    g = np.ones((n, n), np.float32)
    labels = rng.integers(0, n, size=n)

    def add():
        out = a + b
        return out, g.copy(), g.copy()

    def matmul():
        out = a @ b
        return out, g @ b.T, a.T @ g

    def relu():
        out = np.maximum(a, 0)
        return out, np.where(a > 0, g, 0)

    def softmax_ce():
        m = a.max(axis=1, keepdims=True)
        e = np.exp(a - m)
        s = e.sum(axis=1, keepdims=True)
        loss = ((np.log(s) + m)[:, 0] - a[np.arange(n), labels]).mean()
        d = e / s
        d[np.arange(n), labels] -= 1
        return loss, d / n

    return {"add": add, "matmul": matmul, "relu": relu, "softmax_ce": softmax_ce}


def scratchnn_cases(n, rng):
    a = Tensor(rng.standard_normal((n, n)).astype(np.float32), requires_grad=True)
    b = Tensor(rng.standard_normal((n, n)).astype(np.float32), requires_grad=True)
    g = np.ones((n, n), np.float32)
    labels = rng.integers(0, n, size=n)

    def step(out, grad=None):
        out.backward(grad)
        a.grad = b.grad = None

    return {
        "add": lambda: step(a + b, g),
        "matmul": lambda: step(a @ b, g),
        "relu": lambda: step(F.relu(a), g),
        "softmax_ce": lambda: step(F.sparse_categorical_crossentropy(labels, a, from_logits=True)),
    }


def torch_cases(n, rng):
    a = torch.tensor(rng.standard_normal((n, n)).astype(np.float32), requires_grad=True)
    b = torch.tensor(rng.standard_normal((n, n)).astype(np.float32), requires_grad=True)
    g = torch.ones((n, n))
    labels = torch.tensor(rng.integers(0, n, size=n))

    def step(out, grad=None):
        out.backward(grad)
        a.grad = b.grad = None

    return {
        "add": lambda: step(a + b, g),
        "matmul": lambda: step(a @ b, g),
        "relu": lambda: step(torch.relu(a), g),
        "softmax_ce": lambda: step(TF.cross_entropy(a, labels)),
    }


def median_us(fn, repeat, number):
    fn()  # warm up
    times = timeit.repeat(fn, repeat=repeat, number=number)
    return statistics.median(times) / number * 1e6


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=16, help="arrays are size x size (default 16)")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--number", type=int, default=2000)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    frameworks = {"numpy": numpy_cases(args.size, rng), "scratchnn": scratchnn_cases(args.size, rng)}
    if torch is not None:
        torch.set_num_threads(1)
        frameworks["torch"] = torch_cases(args.size, rng)

    print(f"scratchnn {scratchnn.__version__}, numpy {np.__version__}, "
          f"torch {torch.__version__ if torch else 'not installed'}, python {platform.python_version()}")
    print(f"forward+backward of one op on {args.size}x{args.size} float32, "
          f"median of {args.repeat} x {args.number} runs, microseconds per op\n")
    header = (f"{'op':<12}{'numpy':>9}{'scratchnn':>11}{'torch':>9}"
              f"{'overhead snn':>14}{'overhead torch':>16}{'ratio':>8}")
    print(header)
    print("-" * len(header))
    for op in frameworks["numpy"]:
        t = {name: median_us(cases[op], args.repeat, args.number) for name, cases in frameworks.items()}
        over_snn = t["scratchnn"] - t["numpy"]
        line = f"{op:<12}{t['numpy']:>9.1f}{t['scratchnn']:>11.1f}"
        if "torch" in t:
            over_torch = t["torch"] - t["numpy"]
            line += f"{t['torch']:>9.1f}{over_snn:>14.1f}{over_torch:>16.1f}{over_snn / over_torch:>8.2f}"
        else:
            line += f"{'-':>9}{over_snn:>14.1f}{'-':>16}{'-':>8}"
        print(line)
    print("\nratio = scratchnn overhead / torch overhead (target: <= 1)")


if __name__ == "__main__":
    main()
