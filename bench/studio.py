"""What the studio costs a training run, and how fast its events reach a page.

The seed MLP of ``scratchnn train`` (MNIST: Rescaling, Flatten, Dense(50, relu), Dense(10, softmax),
Adam(1e-3), batch 32, validation split 0.1, sparse categorical cross-entropy and accuracy) is trained
for five epochs (as ``scratchnn train`` does), with the studio off (no callback) and on
(``scratchnn.studio.Live`` with its defaults: at most 10 batch events per second of training,
per-layer statistics every 10 batches and at most every 0.5 s of training, ``Diagnostics`` hints,
and one Server-Sent Events client reading ``/api/events`` the whole time in another process, as an
open page does). Same seed for every run; the modes alternate (off, on, then on, off, ...) for
``--rounds`` rounds, so a drift of the machine's speed hits both.

* overhead: median seconds of ``fit`` on / off - 1 (and each round's ratio), in wall-clock time and
  in CPU time of the process (``time.process_time``: every thread, the server's included), which
  a busy shared machine disturbs less than the wall clock;
* latency: for every event the client received, the time from ``publish`` on the training thread
  (the event's ``time``) to its arrival at the client (same machine, same clock): median, 95th
  percentile and max, per kind of event.

    OPENBLAS_NUM_THREADS=1 python bench/studio.py [--rounds 3] [--n-train 60000] [--epochs 5]
                                                  [--json out.json]

MNIST comes from ``scratchnn.datasets`` (cache, then ``$SCRATCHNN_DATASET_MIRRORS``, then the web).
Run on a quiet machine: a busy core slows everything, and the ratio with it.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))

from scratchnn import layers, models  # noqa: E402
from scratchnn.datasets import mnist  # noqa: E402
from scratchnn.studio import Live, Studio  # noqa: E402
from scratchnn.utils import set_random_seed  # noqa: E402


def seed_mlp():
    model = models.Sequential([layers.Input((28, 28)), layers.Rescaling(1 / 255), layers.Flatten(),
                               layers.Dense(50, activation="relu"), layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


CLIENT = r"""
import json, sys, time, urllib.request
out = open(sys.argv[2], "w", buffering=1)
for line in urllib.request.urlopen(sys.argv[1], timeout=600):
    if line.startswith(b"data: "):
        arrived = time.time()
        event = json.loads(line[6:])
        out.write(f"{event['kind']} {event['time']!r} {arrived!r}\n")
"""


class Client:
    """An SSE client in its own process, as a browser is: each event's kind, publication time and
    arrival time (``time.time()``, the same clock on the same machine) go to a file."""

    def __init__(self, studio, folder):
        self.path = os.path.join(folder, f"events-{time.monotonic_ns()}.txt")
        url = studio.url + f"api/events?since={studio.bus.last_id}"
        self._process = subprocess.Popen([sys.executable, "-c", CLIENT, url, self.path])
        end = time.monotonic() + 30
        while not os.path.exists(self.path) and time.monotonic() < end:     # connected
            time.sleep(0.01)
        time.sleep(0.2)

    def close(self):
        """Stop the client; ``[(kind, published, arrived), ...]``."""
        self._process.terminate()
        self._process.wait(30)
        with open(self.path) as f:
            return [(kind, float(published), float(arrived))
                    for kind, published, arrived in (line.split() for line in f)]


def one_fit(x, y, epochs, seed, studio=None):
    set_random_seed(seed)
    model = seed_mlp()
    callbacks = [Live(studio, print_fn=None, notebook=None)] if studio is not None else []
    start, cpu = time.perf_counter(), time.process_time()
    history = model.fit(x, y, epochs=epochs, batch_size=32, validation_split=0.1, verbose=0,
                        callbacks=callbacks)
    return time.perf_counter() - start, time.process_time() - cpu, history.history["loss"][-1]


def percentile(values, q):
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--n-train", type=int, default=60000)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    args = p.parse_args(argv)

    (x, y), _ = mnist.load_data(verbose=False)
    x, y = x[:args.n_train], y[:args.n_train]
    studio = Studio()
    studio.start()
    folder = tempfile.mkdtemp(prefix="bench-studio-")
    times = {"off": [], "on": []}
    cpu_times = {"off": [], "on": []}
    losses = {"off": [], "on": []}
    latencies = {}
    counts = {}
    print(f"seed MLP on {len(x)} MNIST images, {args.epochs} epoch(s), batch 32; "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}; {args.rounds} rounds", flush=True)
    for r in range(args.rounds):
        order = ("off", "on") if r % 2 == 0 else ("on", "off")
        for mode in order:
            client = Client(studio, folder) if mode == "on" else None
            seconds, cpu, loss = one_fit(x, y, args.epochs, args.seed, studio if mode == "on" else None)
            if client is not None:
                time.sleep(0.5)                          # the last events reach the client
                for kind, published, arrived in client.close():
                    latencies.setdefault(kind, []).append(arrived - published)
                    counts[kind] = counts.get(kind, 0) + 1
            times[mode].append(seconds)
            cpu_times[mode].append(cpu)
            losses[mode].append(loss)
            print(f"  round {r + 1} {mode:>3}: {seconds:7.2f} s wall, {cpu:7.2f} s CPU  (loss {loss:.4f})",
                  flush=True)
    studio.stop()

    off, on = statistics.median(times["off"]), statistics.median(times["on"])
    ratios = [a / b - 1 for a, b in zip(times["on"], times["off"])]
    cpu_off, cpu_on = statistics.median(cpu_times["off"]), statistics.median(cpu_times["on"])
    cpu_ratios = [a / b - 1 for a, b in zip(cpu_times["on"], cpu_times["off"])]
    every = [v for values in latencies.values() for v in values]
    result = {"seconds": times, "median_off": off, "median_on": on, "overhead": on / off - 1,
              "overhead_per_round": ratios, "cpu_seconds": cpu_times, "cpu_overhead": cpu_on / cpu_off - 1,
              "cpu_overhead_per_round": cpu_ratios, "same_loss": losses["on"] == losses["off"],
              "events_per_fit": {k: v / args.rounds for k, v in counts.items()},
              "latency_ms": {kind: {"median": 1e3 * statistics.median(v), "p95": 1e3 * percentile(v, 95),
                                    "max": 1e3 * max(v), "n": len(v)}
                             for kind, v in sorted(latencies.items()) + [("all", every)] if v}}
    print(f"fit: off {off:.2f} s, on {on:.2f} s (medians): overhead {100 * result['overhead']:+.1f}% "
          f"(per round: {', '.join(f'{100 * q:+.1f}%' for q in ratios)}); "
          f"same losses on and off: {result['same_loss']}")
    print(f"CPU: off {cpu_off:.2f} s, on {cpu_on:.2f} s (medians): "
          f"overhead {100 * result['cpu_overhead']:+.1f}% "
          f"(per round: {', '.join(f'{100 * q:+.1f}%' for q in cpu_ratios)})")
    print("events per fit: " + ", ".join(f"{k} {v:g}" for k, v in sorted(result["events_per_fit"].items())))
    for kind, s in result["latency_ms"].items():
        print(f"latency {kind:>11}: median {s['median']:.2f} ms, p95 {s['p95']:.2f} ms, "
              f"max {s['max']:.2f} ms ({s['n']} events)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    return result


if __name__ == "__main__":
    main()
