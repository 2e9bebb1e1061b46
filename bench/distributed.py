"""Data-parallel training over MPI: throughput of 1 rank against R ranks, and what a step's
communication costs (``scratchnn.distributed``).

The same training at the same *global* batch: 1 rank with batch ``G``, then ``R`` ranks with batch
``G / R`` each (``distributed.shard`` + ``DistributedOptimizer``: the same updates, see
``tests/distributed``). Each rank gets one BLAS thread (``OPENBLAS_NUM_THREADS=1``), so that R
ranks use R cores; on a machine with 2 cores, 2 ranks is the most that makes sense.

Cases (MNIST, pixels / 255, Adam(1e-3), sparse categorical cross-entropy):

* ``wide`` - MLP 784-512-256-10 (535 818 weights, 2.1 MB of float32 gradients per step), global
  batch 128;
* ``ref``  - the lecture's MLP 784-50-10 (39 760 weights, 159 kB), global batch 64.

Columns:

* ``samples/s`` - training samples per second over the ranks together (median of the epochs after
  the first, each timed on rank 0; the median over ``--rounds`` rounds, 1 rank and R ranks taking
  turns within each round);
* ``speed-up`` - samples/s over the 1-rank run's;
* ``grad ms/step`` - time inside the gradient average per step (its one Allreduce, *including*
  the wait for the slower rank to arrive), rank 0; ``% of step``: its share of a step's time;
* ``allreduce ms`` - the Allreduce of a buffer of the gradients' size alone, after a barrier (no
  waiting for a slower rank: the transfer itself), median of 30; ``polled`` as training does it
  (``Iallreduce`` + ``Test()`` with a deadline), ``blocking`` MPICH's ``Allreduce``.

    python bench/distributed.py [--ranks 2] [--cases wide,ref] [--n-train 12000] [--epochs 3]
                                [--rounds 3] [--quick]

Each run is ``mpiexec -n R python bench/distributed.py --worker ...`` (mpiexec beside the
interpreter, as MPICH's wheel installs it, else on PATH). MNIST comes from
``scratchnn.datasets`` (cache, then ``$SCRATCHNN_DATASET_MIRRORS``). Say whether the machine was
shared: a busy core slows one rank, and the others wait for it in every Allreduce.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

CASES = {"wide": {"hidden": (512, 256), "batch": 128, "title": "MLP 784-512-256-10, global batch 128"},
         "ref": {"hidden": (50,), "batch": 64, "title": "MLP 784-50-10, global batch 64"}}
MARK = "@@RESULT@@ "


def mpiexec():
    beside = Path(sys.executable).with_name("mpiexec")
    found = str(beside) if beside.exists() else shutil.which("mpiexec")
    if found is None:
        sys.exit("bench/distributed.py needs mpiexec: pip install 'scratchnn[mpi]'")
    return found


# ------------------------------------------------------------------------ worker (on every rank)
def worker(case_name, n_train, epochs):
    from scratchnn import distributed
    from scratchnn import layers as L
    from scratchnn.callbacks import Callback
    from scratchnn.datasets import mnist
    from scratchnn.models import Sequential
    from scratchnn.optimizers import Adam
    from scratchnn.utils import set_random_seed

    case = CASES[case_name]
    c = distributed.Collectives()
    (x, y), _ = mnist.load_data(verbose=False)
    x = x[:n_train].reshape(n_train, -1).astype(np.float32) / np.float32(255)
    y = y[:n_train].astype(np.int64)
    set_random_seed(0)
    model = Sequential([L.Input((784,))] + [L.Dense(u, activation="relu") for u in case["hidden"]]
                       + [L.Dense(10, activation="softmax")])
    model.compile(optimizer=distributed.DistributedOptimizer(Adam(1e-3)),
                  loss="sparse_categorical_crossentropy")

    class Clock(Callback):
        def __init__(self):
            super().__init__()
            self.times, self.begin = [], None

        def on_epoch_begin(self, epoch, logs=None):
            self.begin = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.times.append(time.perf_counter() - self.begin)

    clock = Clock()
    cbs = distributed.callbacks([clock])
    x_part, y_part = distributed.shard(x, y)
    model.fit(x_part, y_part, batch_size=case["batch"] // c.size, epochs=epochs, verbose=0, callbacks=cbs)
    grad = model.optimizer.collectives
    steps = model.optimizer.iterations
    # the Allreduce alone, on a buffer of the gradients' size, after a barrier
    from mpi4py import MPI
    buffer = np.zeros(model.count_params(), dtype=np.float32)
    polled, blocking = [], []
    for _ in range(30):
        c.barrier("bench")
        t0 = time.perf_counter()
        c.allreduce_sum(buffer, "bench")
        polled.append(time.perf_counter() - t0)
        c.comm.Barrier()
        t0 = time.perf_counter()
        c.comm.Allreduce(MPI.IN_PLACE, buffer, op=MPI.SUM)
        blocking.append(time.perf_counter() - t0)
    if c.rank == 0:
        steady = clock.times[1:] or clock.times
        samples = len(x_part) * c.size           # per epoch, all ranks together
        print(MARK + json.dumps({
            "ranks": c.size, "case": case_name, "samples_per_s": samples / statistics.median(steady),
            "epoch_s": clock.times, "steps": steps, "params": int(buffer.size),
            "grad_ms": 1e3 * grad.seconds / max(grad.calls, 1),
            "step_ms": 1e3 * sum(clock.times) / max(steps, 1),
            "polled_ms": 1e3 * statistics.median(polled), "blocking_ms": 1e3 * statistics.median(blocking)}),
            flush=True)


# ------------------------------------------------------------------------ driver
def run(ranks, case, args):
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    command = [mpiexec(), "-n", str(ranks), sys.executable, __file__, "--worker", case,
               "--n-train", str(args.n_train), "--epochs", str(args.epochs)]
    result = subprocess.run(command, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL)
    lines = [line for line in result.stdout.splitlines() if line.startswith(MARK)]
    if result.returncode != 0 or not lines:
        sys.exit(f"{' '.join(command)} failed ({result.returncode}):\n"
                 f"{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return json.loads(lines[-1][len(MARK):])


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--ranks", type=int, default=2, help="ranks to compare with 1 (default: 2)")
    p.add_argument("--cases", default="wide,ref")
    p.add_argument("--n-train", type=int, default=12000)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--quick", action="store_true", help="2 epochs on 4096 samples, 1 round")
    p.add_argument("--worker", metavar="CASE", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        return worker(args.worker, args.n_train, args.epochs)
    if args.quick:
        args.n_train, args.epochs, args.rounds = 4096, 2, 1
    import platform
    print(f"# scratchnn.distributed: 1 vs {args.ranks} ranks, {args.n_train} MNIST samples, {args.epochs} "
          f"epochs, {args.rounds} round(s); python {platform.python_version()}, {os.cpu_count()} cores, "
          "one BLAS thread per rank")
    for case in args.cases.split(","):
        results = {1: [], args.ranks: []}
        for _ in range(args.rounds):
            for ranks in results:
                results[ranks].append(run(ranks, case, args))
        print(f"\n{CASES[case]['title']} ({results[1][0]['params']} weights)")
        print(f"{'ranks':>5} {'samples/s':>10} {'speed-up':>8} {'grad ms/step':>12} {'% of step':>9} "
              f"{'allreduce ms polled':>19} {'blocking':>8}")
        base = statistics.median(r["samples_per_s"] for r in results[1])
        for ranks, rows in results.items():
            med = {k: statistics.median(r[k] for r in rows)
                   for k in ("samples_per_s", "grad_ms", "step_ms", "polled_ms", "blocking_ms")}
            print(f"{ranks:>5} {med['samples_per_s']:>10.0f} {med['samples_per_s'] / base:>8.2f} "
                  f"{med['grad_ms']:>12.3f} {100 * med['grad_ms'] / med['step_ms']:>9.1f} "
                  f"{med['polled_ms']:>19.3f} "
                  f"{med['blocking_ms']:>8.3f}")
        print(json.dumps({"case": case, "rounds": results}))


if __name__ == "__main__":
    main()
