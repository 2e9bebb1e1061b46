"""Helper process for ``test_atomic.py``'s SIGKILL test (not a test module itself).

    python _saving_worker.py DIRECTORY

Builds two different models A and B (seeded, so always the same), saves them once to
``DIRECTORY/A.scratchnn`` and ``DIRECTORY/B.scratchnn`` as references, prints ``refs``, then
serves requests read from stdin, one per line:

* ``go PATH``: fork a child that saves A, B, A, B, ... to ``PATH`` in a loop, for at most
  ``CHILD_SECONDS``; the child prints ``ready PID`` once its first save has completed. The
  test then kills that child with SIGKILL at a random moment. Forking from this already
  imported process takes milliseconds, where starting a fresh interpreter takes ~0.4 s, so
  the test can afford many kills.
* end of input: exit.

Children are reaped automatically (SIGCHLD ignored), so once killed a child's pid vanishes
at once; a child whose parent went away stops by itself.
"""
import os
import signal
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # single-threaded, so that fork() is safe
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import scratchnn as snn  # noqa: E402
from scratchnn.layers import Dense, Flatten  # noqa: E402

CHILD_SECONDS = 10.0


def build(seed, hidden):
    snn.utils.set_random_seed(seed)
    model = snn.Sequential([Flatten(input_shape=(8, 8)), Dense(hidden, activation="relu"),
                            Dense(10, activation="softmax")])
    model.compile(optimizer=snn.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    x = np.random.default_rng(seed).normal(size=(32, 8, 8)).astype(np.float32)
    model.fit(x, np.arange(32) % 10, epochs=1, batch_size=16, verbose=0)
    return model


def child_loop(models, path, parent):
    deadline = time.monotonic() + CHILD_SECONDS
    models[0].save(path)
    sys.stdout.write(f"ready {os.getpid()}\n")
    sys.stdout.flush()
    i = 1
    while time.monotonic() < deadline and os.getppid() == parent:
        models[i % 2].save(path)
        i += 1
    os._exit(0)


def main():
    directory = sys.argv[1]
    models = [build(1, 300), build(2, 200)]          # different sizes: A and B differ in every byte
    models[0].save(os.path.join(directory, "A.scratchnn"))
    models[1].save(os.path.join(directory, "B.scratchnn"))
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)     # killed children are reaped by the kernel
    sys.stdout.write("refs\n")
    sys.stdout.flush()
    for line in sys.stdin:
        command, _, path = line.strip().partition(" ")
        if command != "go":
            continue
        pid = os.fork()
        if pid == 0:
            try:
                child_loop(models, path, os.getppid())
            finally:
                os._exit(1)


if __name__ == "__main__":
    main()
