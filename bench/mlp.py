"""Training an MLP on MNIST end to end: scratchnn against PyTorch, tf.keras and plain NumPy.

Two cases:

* ``ref``  - the reference lecture program: Flatten(28x28) -> Dense(50, relu) ->
  Dense(10, softmax), Adam(1e-3), sparse categorical cross-entropy, batch 32,
  shuffled every epoch (``examples/mnist_mlp.py``);
* ``wide`` - MLP 784-512-256-10 (relu), Adam(1e-3), batch 128.

Frameworks, each doing the same training:

* ``scratchnn`` - the Keras API: ``Sequential`` + ``compile`` + ``model.fit(..., verbose=0)``
  (``import scratchnn.compat.tensorflow as tf``), ``metrics=['accuracy']`` as in the lecture;
* ``torch``     - an idiomatic PyTorch loop: ``nn.Sequential``, ``CrossEntropyLoss`` on logits,
  ``torch.optim.Adam(lr=1e-3, eps=1e-7)``, manual batching (no DataLoader) from one float32
  tensor, ``torch.randperm`` every epoch, ``torch.set_num_threads(<cores>)``;
* ``tfkeras``   - the very same Keras program with real TensorFlow (when importable by
  ``--tf-python``; skipped with a note otherwise);
* ``numpy``     - a hand-written float32 loop, no framework: forward, backward, Adam (Keras's
  formulas).  It is the floor: a framework's overhead is its time minus this one.

Every input is the same float32 array, pixels / 255, shape (N, 28, 28).  Each (framework, case)
runs in a fresh subprocess (``python bench/mlp.py --worker FRAMEWORK CASE ...``) so that its
memory figures are its own: the framework is imported, then MNIST is loaded and converted
("data" RSS, VmRSS from /proc/self/status), then the model is built and trained and tested;
"peak" is ``ru_maxrss`` over the whole worker and "train +" is the high-water mark during
training minus the "data" RSS (the kernel's high-water mark is reset after loading where
/proc/self/clear_refs allows it, so a transient while decoding the data set is not counted).

Columns: ``1st ep`` - seconds of the first epoch (includes warm-up: fit's checks, graph
tracing for TensorFlow, first-touch allocations); ``s/epoch`` - median seconds of epochs
2..N (steady state); ``test acc`` - accuracy on the 10000 test images after the last epoch;
``/torch`` and ``/numpy`` - s/epoch divided by PyTorch's and by the NumPy loop's (the first
epoch is used, marked ``*``, when there is only one).

Run on a quiet machine: a busy core slows everything, and the ratios with it.  Where the
machine's speed drifts (a shared host), ``--rounds R`` runs the frameworks R times in turn and
prints each round's ratio to PyTorch (two runs minutes apart) and the median of those ratios.

    python bench/mlp.py [--epochs 5] [--cases ref,wide] [--frameworks scratchnn,torch,numpy,tfkeras]
                        [--quick] [--tf-python PATH] [--n-train N] [--seed 0] [--rounds R] [--busy]

``--busy``: every run is made twice, alone and with one CPU-bound process beside it (a Python
busy loop, pinned nowhere, as another program on a laptop); a second table gives each framework's
s/epoch idle and busy and its slowdown, and that slowdown over PyTorch's.

``--quick``: 1 epoch on 10000 training samples, to check that everything runs.  TensorFlow
need not be in this venv: ``--tf-python /path/to/venv/bin/python`` (or ``$BENCH_TF_PYTHON``)
names an interpreter that has ``tensorflow`` and ``scratchnn`` (for the data loader).  MNIST
comes from ``scratchnn.datasets`` (cache, then ``$SCRATCHNN_DATASET_MIRRORS``, then the web).
"""
import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

CASES = {
    "ref": {"hidden": (50,), "batch_size": 32,
            "title": "reference lecture program: 784-50-10 (relu, softmax), batch 32, Adam(1e-3)"},
    "wide": {"hidden": (512, 256), "batch_size": 128,
             "title": "MLP 784-512-256-10 (relu, softmax), batch 128, Adam(1e-3)"},
    # the convolutional cases of bench/cnn.py (no hand-written NumPy loop for them)
    "cnn": {"cnn": True, "batch_norm": False, "batch_size": 128,
            "title": "CNN Conv(32,3)-Pool-Conv(64,3)-Pool-Dense(128)-Dropout(.5)-Dense(10), batch 128, Adam"},
    "cnn_bn": {"cnn": True, "batch_norm": True, "batch_size": 128,
               "title": "the same CNN with BatchNormalization after each convolution"},
}
FRAMEWORKS = ("scratchnn", "torch", "tfkeras", "numpy")
LR, EPS = 1e-3, 1e-7
MARK = "@@RESULT@@ "
MiB = 1024 * 1024


def cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


# ------------------------------------------------------------------------ memory
def proc_status_kib(field):
    """A field of /proc/self/status in KiB (VmRSS, VmHWM), or None where there is none."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def maxrss_bytes():
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024   # Linux reports KiB


def reset_peak_rss():
    """Reset the kernel's RSS high-water mark (Linux >= 4.0); True if it worked."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


# ------------------------------------------------------------------------ data
def load_data(n_train):
    """MNIST as float32 in [0, 1], shape (N, 28, 28), labels int64, through scratchnn's loader."""
    from scratchnn.datasets import mnist
    (x_train, y_train), (x_test, y_test) = mnist.load_data(verbose=False)
    x_train, y_train = x_train[:n_train], y_train[:n_train]

    def scale(x):
        out = x.astype(np.float32)
        out /= np.float32(255.0)
        return out

    return (scale(x_train), y_train.astype(np.int64)), (scale(x_test), y_test.astype(np.int64))


# ------------------------------------------------------------------------ workers
INFER_REPEATS = 3      # inference passes timed after one warm-up pass; the median is reported


def time_inference(predict, y_test, clock):
    """Run ``predict()`` (the test set in batches of 1000, inference mode) once to warm up, then
    ``INFER_REPEATS`` times; ``clock.infer`` = test images per second of the median pass. Returns
    the test accuracy of the warm-up pass's outputs."""
    outputs = predict()
    times = []
    for _ in range(INFER_REPEATS):
        start = time.perf_counter()
        predict()
        times.append(time.perf_counter() - start)
    clock.infer = len(y_test) / statistics.median(times)
    return float((np.asarray(outputs).argmax(axis=1) == y_test).mean())


class EpochClock:
    """Epoch times from fit callbacks: the first epoch counts from the call to fit()."""

    def __init__(self):
        self.fit_start = None
        self.begin = None
        self.times = []
        self.infer = None         # test images per second (batches of 1000, inference mode)

    def epoch_begin(self):
        self.begin = time.perf_counter()

    def epoch_end(self):
        start = self.fit_start if not self.times else self.begin
        self.times.append(time.perf_counter() - start)


def build_keras_model(keras, case):
    """The lecture program's model (or the CNN), written once for scratchnn's keras and tf.keras."""
    L = keras.layers
    if case.get("cnn"):
        layers = [L.Reshape((28, 28, 1), input_shape=(28, 28))]
        for filters in (32, 64):
            layers.append(L.Conv2D(filters, 3, activation=None if case["batch_norm"] else "relu"))
            if case["batch_norm"]:
                layers += [L.BatchNormalization(), L.Activation("relu")]
            layers.append(L.MaxPooling2D(2))
        layers += [L.Flatten(), L.Dense(128, activation="relu"), L.Dropout(0.5)]
    else:
        layers = [L.Flatten(input_shape=(28, 28))]
        layers += [L.Dense(units, activation="relu") for units in case["hidden"]]
    layers.append(L.Dense(10, activation="softmax"))
    model = keras.models.Sequential(layers)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=LR, epsilon=EPS),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def keras_train(keras, data, case, epochs, clock):
    (x_train, y_train), (x_test, y_test) = data

    class Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            clock.epoch_begin()

        def on_epoch_end(self, epoch, logs=None):
            clock.epoch_end()

    model = build_keras_model(keras, case)
    clock.fit_start = time.perf_counter()
    model.fit(x_train, y_train, batch_size=case["batch_size"], epochs=epochs, shuffle=True,
              verbose=0, callbacks=[Timer()])
    def predict():
        return model.predict(x_test, batch_size=1000, verbose=0)

    return time_inference(predict, y_test, clock)


def setup_scratchnn(seed):
    import scratchnn
    import scratchnn.compat.tensorflow as tf
    tf.random.set_seed(seed)
    return {"scratchnn": scratchnn.__version__}, lambda data, case, epochs, clock: \
        keras_train(tf.keras, data, case, epochs, clock)


def setup_tfkeras(seed):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import warnings
    warnings.filterwarnings("ignore")            # Keras 3 prefers Input() to input_shape=
    import tensorflow as tf
    tf.keras.utils.set_random_seed(seed)
    info = {"tensorflow": tf.__version__, "keras": tf.keras.__version__,
            "tf_intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads()}
    return info, lambda data, case, epochs, clock: keras_train(tf.keras, data, case, epochs, clock)


def setup_torch(seed):
    import torch
    from torch import nn
    torch.manual_seed(seed)
    torch.set_num_threads(cores())
    info = {"torch": torch.__version__, "torch_threads": torch.get_num_threads()}

    def train(data, case, epochs, clock):
        (x_train, y_train), (x_test, y_test) = data
        x, y = torch.from_numpy(x_train), torch.from_numpy(y_train)   # pre-made, no copy
        if case.get("cnn"):
            layers, channels = [nn.Unflatten(1, (1, 28))], 1       # (N, 28, 28) -> (N, 1, 28, 28)
            for filters in (32, 64):
                layers.append(nn.Conv2d(channels, filters, 3))
                if case["batch_norm"]:
                    layers.append(nn.BatchNorm2d(filters, eps=1e-3, momentum=0.01))
                layers += [nn.ReLU(), nn.MaxPool2d(2)]
                channels = filters
            layers += [nn.Flatten(), nn.Linear(64 * 5 * 5, 128), nn.ReLU(), nn.Dropout(0.5),
                       nn.Linear(128, 10)]
        else:
            sizes = (784,) + case["hidden"] + (10,)
            layers = [nn.Flatten()]
            for fan_in, fan_out in zip(sizes[:-2], sizes[1:-1]):
                layers += [nn.Linear(fan_in, fan_out), nn.ReLU()]
            layers.append(nn.Linear(sizes[-2], sizes[-1]))
        model = nn.Sequential(*layers)
        loss_fn = nn.CrossEntropyLoss()
        optimizer = torch.optim.Adam(model.parameters(), lr=LR, eps=EPS)
        n, batch_size = len(x), case["batch_size"]
        model.train()
        for _ in range(epochs):
            start = time.perf_counter()
            perm = torch.randperm(n)
            running = 0.0
            for i in range(0, n, batch_size):
                idx = perm[i:i + batch_size]
                xb, yb = x[idx], y[idx]
                optimizer.zero_grad()
                loss = loss_fn(model(xb), yb)
                loss.backward()
                optimizer.step()
                running += loss.item()
            clock.times.append(time.perf_counter() - start)
        model.eval()
        xt = torch.from_numpy(x_test)

        def predict():                       # probabilities, as Keras's predict returns them
            with torch.inference_mode():
                return torch.cat([model(xb).softmax(dim=1) for xb in xt.split(1000)]).numpy()

        return time_inference(predict, y_test, clock)

    return info, train


def setup_numpy(seed):
    def train(data, case, epochs, clock):
        (x_train, y_train), (x_test, y_test) = data
        rng = np.random.default_rng(seed)
        f32 = np.float32
        sizes = (784,) + case["hidden"] + (10,)
        weights, biases = [], []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):          # Glorot uniform, zero bias
            limit = np.sqrt(6.0 / (fan_in + fan_out))
            weights.append(rng.uniform(-limit, limit, (fan_in, fan_out)).astype(f32))
            biases.append(np.zeros(fan_out, f32))
        params = weights + biases
        m = [np.zeros_like(p) for p in params]
        v = [np.zeros_like(p) for p in params]
        beta1, beta2, step = 0.9, 0.999, 0
        last = len(weights) - 1

        def forward(xb):
            acts = [xb]                                             # inputs of each layer
            h = xb
            for k, (w, b) in enumerate(zip(weights, biases)):
                h = h @ w
                h += b
                if k < last:
                    np.maximum(h, 0, out=h)
                    acts.append(h)
            return acts, h                                          # h: logits

        x_flat = x_train.reshape(len(x_train), -1)
        n, batch_size = len(x_flat), case["batch_size"]
        for _ in range(epochs):
            start = time.perf_counter()
            order = rng.permutation(n)
            running = 0.0
            for i in range(0, n, batch_size):
                idx = order[i:i + batch_size]
                xb, yb = x_flat[idx], y_train[idx]
                rows = np.arange(len(idx))
                acts, logits = forward(xb)
                # softmax cross-entropy and its gradient (p - onehot) / B
                logits -= logits.max(axis=1, keepdims=True)
                e = np.exp(logits)
                s = e.sum(axis=1, keepdims=True)
                running += float(np.log(s[:, 0]).mean() - logits[rows, yb].mean())
                d = e / s
                d[rows, yb] -= 1
                d /= f32(len(idx))
                grads_w, grads_b = [None] * len(weights), [None] * len(weights)
                for k in range(last, -1, -1):
                    grads_w[k] = acts[k].T @ d
                    grads_b[k] = d.sum(axis=0)
                    if k:
                        d = d @ weights[k].T
                        d *= acts[k] > 0                            # relu'
                # Adam, Keras form: w -= lr_t m / (sqrt(v) + eps)
                step += 1
                lr_t = f32(LR * np.sqrt(1 - beta2 ** step) / (1 - beta1 ** step))
                for p, g, mi, vi in zip(params, grads_w + grads_b, m, v):
                    mi += f32(1 - beta1) * (g - mi)
                    vi += f32(1 - beta2) * (g * g - vi)
                    p -= lr_t * mi / (np.sqrt(vi) + f32(EPS))
            clock.times.append(time.perf_counter() - start)
        x_test_flat = x_test.reshape(len(x_test), -1)
        return time_inference(lambda: forward(x_test_flat)[1], y_test, clock)

    return {}, train


SETUPS = {"scratchnn": setup_scratchnn, "torch": setup_torch, "tfkeras": setup_tfkeras,
          "numpy": setup_numpy}


def worker(framework, case_name, epochs, n_train, seed):
    rss_start = proc_status_kib("VmRSS")
    info, train = SETUPS[framework](seed)                           # import the framework
    rss_import = proc_status_kib("VmRSS")
    data = load_data(n_train)
    rss_data = proc_status_kib("VmRSS")
    load_peak = maxrss_bytes()
    reset = reset_peak_rss()
    clock = EpochClock()
    accuracy = train(data, CASES[case_name], epochs, clock)
    train_hwm = proc_status_kib("VmHWM") if reset else None
    peak = maxrss_bytes()
    result = {"framework": framework, "case": case_name, "epoch_times": clock.times, "infer": clock.infer,
              "test_accuracy": accuracy, "info": info, "n_train": len(data[0][0]),
              "rss_start": rss_start and rss_start * 1024, "rss_import": rss_import and rss_import * 1024,
              "rss_data": rss_data and rss_data * 1024, "peak": max(peak, load_peak),
              "train_peak": train_hwm * 1024 if train_hwm is not None else peak,
              "hwm_reset": reset}
    print(MARK + json.dumps(result), flush=True)


# ------------------------------------------------------------------------ driver
def run_worker(python, framework, case, args):
    cmd = [python, os.path.abspath(__file__), "--worker", framework, case, "--epochs", str(args.epochs),
           "--n-train", str(args.n_train), "--seed", str(args.seed)]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONWARNINGS="ignore")
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    for line in proc.stdout.splitlines():
        if line.startswith(MARK):
            return json.loads(line[len(MARK):]), None
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-8:]
    return None, f"worker exited {proc.returncode}:\n      " + "\n      ".join(tail)


BUSY_LOOP = "while True:\n    pass\n"     # one CPU-bound process: a Python loop, one core, no threads


class BusyCore:
    """``with BusyCore():`` runs one CPU-bound process (``BUSY_LOOP``) beside the block, as
    another program on a student's laptop would (no pinning: the OS puts it where it likes)."""

    def __enter__(self):
        self.proc = subprocess.Popen([sys.executable, "-c", BUSY_LOOP])
        time.sleep(0.5)                              # it is running before the worker starts
        return self

    def __exit__(self, *exc):
        self.proc.kill()
        self.proc.wait()


def probe_tensorflow(python):
    """Versions of TensorFlow and scratchnn importable by ``python``, or the reason why not."""
    code = ("import os; os.environ['TF_CPP_MIN_LOG_LEVEL']='2'\n"
            "import json, tensorflow as tf, scratchnn\n"
            "print(json.dumps([tf.__version__, tf.keras.__version__]))")
    try:
        proc = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, str(e)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["?"])[-1]
        return None, last
    return json.loads(proc.stdout.strip().splitlines()[-1]), None


def blas_info():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        threadpool_info = None
    if threadpool_info is not None:
        pools = threadpool_info()
        if pools:
            return "; ".join(f"{p.get('internal_api')} {p.get('version') or ''} "
                             f"({p.get('user_api')}, {p.get('num_threads')} threads"
                             f"{', ' + p['threading_layer'] if p.get('threading_layer') else ''})"
                             for p in pools)
    try:
        config = np.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
        return f"{blas.get('name')} {blas.get('version', '')} (threads not visible: no threadpoolctl)"
    except Exception:
        return "unknown"


def fmt_time(t):
    return f"{t:.2f}" if t == t else "-"


def fmt_mib(b):
    return f"{b / MiB:.0f}" if b is not None else "-"


def print_machine(args, frameworks, tf_versions):
    print(f"machine: {platform.processor() or platform.machine()}, {cores()} cores usable "
          f"({os.cpu_count()} online), {platform.system()} {platform.release()}")
    print(f"python {platform.python_version()}, numpy {np.__version__}", end="")
    try:
        import scratchnn
        print(f", scratchnn {scratchnn.__version__}", end="")
    except ImportError:
        pass
    if "torch" in frameworks:
        try:
            import torch
            print(f", torch {torch.__version__} (set_num_threads({cores()}))", end="")
        except ImportError:
            print(", torch not installed", end="")
    if tf_versions:
        print(f", tensorflow {tf_versions[0]} / keras {tf_versions[1]} (via {args.tf_python})", end="")
    print()
    print(f"numpy BLAS: {blas_info()}")
    print(f"data: MNIST, {args.n_train} training samples, 10000 test samples, float32; "
          f"{args.epochs} epoch(s), seed {args.seed}")


def pace(r):
    """(seconds per epoch, whether it is the first epoch's): the median of epochs 2..N."""
    times = r["epoch_times"]
    if len(times) > 1:
        return statistics.median(times[1:]), False
    return (times[0], True) if times else (float("nan"), True)


def merge_rounds(results):
    """One row from a framework's rounds: the first round's figures, with every round's pace
    (the table shows their median)."""
    row = dict(results[0])
    row["paces"] = [pace(r)[0] for r in results]
    row["from_first"] = pace(results[0])[1]
    return row


def print_round_ratios(per_round):
    """Each framework's time over PyTorch's in the same round (run one right after the other),
    and the median of those ratios: on a machine whose speed drifts, this is steadier than the
    ratio of the two medians."""
    if "torch" not in per_round or len(per_round["torch"]) < 2:
        return
    for fw, results in per_round.items():
        if fw == "torch":
            continue
        ratios = [pace(r)[0] / pace(t)[0] for r, t in zip(results, per_round["torch"])]
        print(f"  {fw}/torch per round: {' '.join(f'{q:.2f}' for q in ratios)}; "
              f"median {statistics.median(ratios):.2f}, range {min(ratios):.2f}-{max(ratios):.2f}")


def print_busy(case_name, idle_rounds, busy_rounds):
    """Each framework's s/epoch idle and with one busy core (``--busy``), and its slowdown
    (busy / idle, the median over rounds of each round's pair); ``/torch``: that slowdown over
    PyTorch's."""
    print(f"  with one CPU-bound process beside it (--busy): [{case_name}]")
    print(f"  {'framework':<10}{'idle s/ep':>10}{'busy s/ep':>10}{'slowdown':>9}{'/torch':>8}")
    slowdowns = {}
    for fw in FRAMEWORKS:
        if fw not in idle_rounds or fw not in busy_rounds:
            continue
        pairs = list(zip(idle_rounds[fw], busy_rounds[fw]))
        slowdowns[fw] = statistics.median(pace(b)[0] / pace(i)[0] for i, b in pairs)
        idle = statistics.median(pace(i)[0] for i, _ in pairs)
        busy = statistics.median(pace(b)[0] for _, b in pairs)
        versus = f"{slowdowns[fw] / slowdowns['torch']:>8.2f}" if "torch" in slowdowns else f"{'-':>8}"
        print(f"  {fw:<10}{fmt_time(idle):>10}{fmt_time(busy):>10}{slowdowns[fw]:>8.2f}x{versus}")


def print_case(case_name, rows, notes):
    case = CASES[case_name]
    print(f"\n[{case_name}] {case['title']}")
    header = (f"  {'framework':<10}{'1st ep s':>9}{'s/epoch':>9}{'test acc':>9}"
              f"{'data MiB':>9}{'peak MiB':>9}{'train +MiB':>11}{'/torch':>8}{'/numpy':>8}{'infer/s':>9}")
    print(header)
    print("  " + "-" * (len(header) - 2))

    paces = {fw: (statistics.median(r["paces"]), r["from_first"]) if "paces" in r else pace(r)
             for fw, r in rows.items()}
    for fw in FRAMEWORKS:
        if fw in notes:
            print(f"  {fw:<10}{notes[fw]}")
        if fw not in rows:
            continue
        r = rows[fw]
        t, from_first = paces[fw]
        steady = float("nan") if from_first else t
        first = r["epoch_times"][0] if r["epoch_times"] else float("nan")
        ratios = ""
        for base in ("torch", "numpy"):
            if base in paces and paces[base][0] > 0:
                star = "*" if from_first or paces[base][1] else ""
                ratios += f"{t / paces[base][0]:>7.2f}{star or ' '}"
            else:
                ratios += f"{'-':>7} "
        train_plus = r["train_peak"] - r["rss_data"] if r["rss_data"] is not None else None
        print(f"  {fw:<10}{fmt_time(first):>9}{fmt_time(steady):>9}{r['test_accuracy']:>9.4f}"
              f"{fmt_mib(r['rss_data']):>9}{fmt_mib(r['peak']):>9}{fmt_mib(train_plus):>11}{ratios}"
              f"{r['infer'] or float('nan'):>9.0f}")


def main(description=__doc__, default_cases="ref,wide"):
    parser = argparse.ArgumentParser(description=description,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=None, help="epochs per run (default 5; 1 with --quick)")
    parser.add_argument("--cases", default=default_cases, help=f"comma-separated: {', '.join(CASES)}")
    parser.add_argument("--frameworks", default="scratchnn,torch,numpy,tfkeras",
                        help="comma-separated: scratchnn, torch, numpy, tfkeras")
    parser.add_argument("--quick", action="store_true", help="1 epoch on 10000 samples: a smoke test")
    parser.add_argument("--n-train", type=int, default=None, help="training samples (default all 60000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=1,
                        help="run every framework this many times, in turn (default 1); the table "
                             "shows the median pace, and each round's ratio to PyTorch is printed")
    parser.add_argument("--tf-python", default=os.environ.get("BENCH_TF_PYTHON", sys.executable),
                        help="python interpreter with tensorflow (default $BENCH_TF_PYTHON or this one)")
    parser.add_argument("--busy", action="store_true",
                        help="also run every framework with one CPU-bound process beside it and report "
                             "each one's slowdown (idle and busy runs alternate in each round)")
    parser.add_argument("--worker", nargs=2, metavar=("FRAMEWORK", "CASE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.epochs is None:
        args.epochs = 1 if args.quick else 5
    if args.n_train is None:
        args.n_train = 10000 if args.quick else 60000

    if args.worker:
        worker(args.worker[0], args.worker[1], args.epochs, args.n_train, args.seed)
        return

    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    frameworks = [f.strip() for f in args.frameworks.split(",") if f.strip()]
    for c in cases:
        if c not in CASES:
            parser.error(f"unknown case {c!r} (choose from {', '.join(CASES)})")
    for f in frameworks:
        if f not in FRAMEWORKS:
            parser.error(f"unknown framework {f!r} (choose from {', '.join(FRAMEWORKS)})")

    from scratchnn.datasets import download
    download("mnist", verbose=False)         # fetched and verified once, before any timing

    skipped = {}
    tf_versions = None
    if "tfkeras" in frameworks:
        tf_versions, why = probe_tensorflow(args.tf_python)
        if tf_versions is None:
            skipped["tfkeras"] = (f"not installed for {args.tf_python} ({why}); "
                                  "use --tf-python PATH")
    if "torch" in frameworks:
        try:
            import torch  # noqa: F401
        except ImportError:
            skipped["torch"] = "not installed"

    print_machine(args, frameworks, tf_versions)
    all_rows = []
    for case in cases:
        per_round, busy_rounds, notes = {}, {}, dict(skipped)
        for _ in range(max(1, args.rounds)):
            for fw in FRAMEWORKS:
                if fw not in frameworks or fw in notes:
                    continue
                if fw == "numpy" and CASES[case].get("cnn"):
                    notes[fw] = "no hand-written NumPy CNN loop (MLP cases only)"
                    continue
                python = args.tf_python if fw == "tfkeras" else sys.executable
                result, error = run_worker(python, fw, case, args)
                if result is not None and args.busy:
                    with BusyCore():
                        busy, error = run_worker(python, fw, case, args)
                    if busy is not None:
                        busy_rounds.setdefault(fw, []).append(busy)
                    else:
                        result = None
                if result is None:
                    notes[fw] = f"failed: {error}"
                    per_round.pop(fw, None)
                else:
                    per_round.setdefault(fw, []).append(result)
        rows = {fw: merge_rounds(results) for fw, results in per_round.items()}
        print_case(case, rows, {fw: n for fw, n in notes.items() if fw in frameworks})
        print_round_ratios(per_round)
        if args.busy:
            print_busy(case, per_round, busy_rounds)
        all_rows += rows.values()
    hwm = all(r.get("hwm_reset") for r in all_rows)
    threads = {}
    for r in all_rows:
        for key in ("torch_threads", "tf_intra_op_threads"):
            if key in r["info"]:
                threads[key] = r["info"][key]
    print("\n1st ep s: first epoch incl. warm-up | s/epoch: median of epochs 2..N | "
          "test acc: after the last epoch")
    print("data MiB: RSS after import + data load | peak MiB: ru_maxrss of the worker | "
          "train +MiB: training peak - data RSS" + ("" if hwm else " (peak not reset after loading)"))
    print("/torch, /numpy: s/epoch over that of torch / the NumPy loop (* = from 1st epochs) | "
          "infer/s: test images per second of predict (batches of 1000; torch under inference_mode; "
          f"the NumPy loop in one batch), the median of {INFER_REPEATS} passes after a warm-up")
    if threads:
        seen = []
        if "torch_threads" in threads:
            seen.append(f"torch.get_num_threads() = {threads['torch_threads']}")
        if "tf_intra_op_threads" in threads:
            seen.append(f"TensorFlow intra-op threads = {threads['tf_intra_op_threads']} (0: its default, "
                        "all cores)")
        print("threads in the workers: " + "; ".join(seen))


if __name__ == "__main__":
    main()
