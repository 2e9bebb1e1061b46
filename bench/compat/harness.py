"""Run ONE corpus program under one framework and print one ``COMPAT {json}`` line.

    python bench/compat/harness.py --framework scratchnn|tensorflow PROGRAM.py

The program is run as published (``runpy.run_path``, as ``__main__``, in a fresh temporary
working directory that is removed afterwards). With ``--framework scratchnn`` the names
``tensorflow`` and ``keras`` (and every submodule under them, e.g. ``tensorflow.keras.layers``) are
made to mean scratchnn's modules: that is exactly "changing only the import", without editing the
file. With ``--framework tensorflow`` nothing is redirected.

What is recorded, the same way for both frameworks:

* the time spent inside ``Model.fit`` (summed over every call), measured by wrapping the
  class's ``fit``;
* the logs of the last ``fit`` epoch and of the last ``evaluate`` (a callback appended to the
  call's ``callbacks``: logs carry the metrics' names, whatever the call returns);
* where the program's header has a line ``# compat-metric: NAME = EXPRESSION``, the value of
  EXPRESSION evaluated in the program's globals after it ran (for custom training loops that
  never call ``fit``), recorded under NAME.

With ``--seed S`` the framework's ``keras.utils.set_random_seed(S)`` (Python's, NumPy's global
and the framework's own generators) is called before the program starts: ``run.py`` uses it for
the seeded reruns of a program whose result depends on random draws (``# compat-reruns: N``).

The line is ``COMPAT {"status": "ok"|"error", "metrics": {...}, "fit_seconds": s, "error": ...}``.
"""
import argparse
import importlib
import importlib.abc
import importlib.util
import json
import os
import random
import re
import runpy
import shutil
import sys
import tempfile
import time
import traceback

import numpy as np

ALIASES = {"tensorflow": "scratchnn.compat.tensorflow", "keras": "scratchnn.keras",
           "tensorflow.keras": "scratchnn.keras", "tf_keras": "scratchnn.keras"}


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports ``tensorflow.keras.layers`` as ``scratchnn.keras.layers`` and so on."""

    @staticmethod
    def target(fullname):
        for prefix in sorted(ALIASES, key=len, reverse=True):
            if fullname == prefix or fullname.startswith(prefix + "."):
                return ALIASES[prefix] + fullname[len(prefix):]
        return None

    def find_spec(self, fullname, path=None, target=None):
        name = self.target(fullname)
        if name is None:
            return None
        return importlib.util.spec_from_loader(fullname, self, is_package=True)

    def create_module(self, spec):
        return importlib.import_module(self.target(spec.name))

    def exec_module(self, module):
        pass


def _read_idx(path):
    """An IDX array (the MNIST file format) from a gzip file, with NumPy only."""
    import gzip

    import numpy as np
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def _offline_keras_datasets(keras):
    """TensorFlow's ``keras.datasets.mnist``/``fashion_mnist`` read the local mirror's files
    (the same IDX files scratchnn reads) instead of downloading: this machine has no internet.
    The arrays are the same as Keras's own: uint8 images, uint8 labels."""
    mirrors = [m for m in os.environ.get("SCRATCHNN_DATASET_MIRRORS", "").split(os.pathsep) if m]
    mirrors.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
                                "shared", "datasets"))
    for module_name, folder in (("mnist", "mnist"), ("fashion_mnist", "fashion-mnist")):
        roots = [os.path.join(m, folder) for m in mirrors]
        root = next((r for r in roots if os.path.isdir(r)), None)
        if root is None:
            continue

        def load_data(root=root, **_ignored):
            def part(kind):
                return (_read_idx(os.path.join(root, f"{kind}-images-idx3-ubyte.gz")),
                        _read_idx(os.path.join(root, f"{kind}-labels-idx1-ubyte.gz")))
            return part("train"), part("t10k")

        getattr(keras.datasets, module_name).load_data = load_data


def _metric_expressions(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    return re.findall(r"^#\s*compat-metric:\s*(\w+)\s*=\s*(.+?)\s*$", text, flags=re.M)


def _plain(value):
    """A number from a float, a one-element array or tensor; None for anything else."""
    try:
        if hasattr(value, "numpy"):
            value = value.numpy()
        value = np.asarray(value)
        return float(value.reshape(-1)[0]) if value.size == 1 else None
    except (TypeError, ValueError):
        return None


class Recorder:
    """Wraps ``Model.fit``/``Model.evaluate`` of one framework's Model class."""

    def __init__(self, model_class, callback_class):
        self.fit_seconds = 0.0
        self.fit_logs = None
        self.evaluate_logs = None
        recorder = self

        class _Logs(callback_class):
            def __init__(self, slot):
                super().__init__()
                self.slot = slot

            def on_epoch_end(self, epoch, logs=None):
                if self.slot == "fit":
                    recorder.fit_logs = {k: _plain(v) for k, v in (logs or {}).items()}

            def on_test_end(self, logs=None):
                if self.slot == "evaluate":
                    recorder.evaluate_logs = {k: _plain(v) for k, v in (logs or {}).items()}

        fit, evaluate = model_class.fit, model_class.evaluate
        self.depth = 0  # > 0 inside fit: its own validation calls evaluate, which is not recorded

        def with_callback(kwargs, slot):
            callbacks = kwargs.get("callbacks")
            if callbacks is not None and not isinstance(callbacks, (list, tuple)):
                return kwargs  # a framework's internal call, with its own callback container
            kwargs["callbacks"] = list(callbacks or []) + [_Logs(slot)]
            return kwargs

        def timed_fit(model, *args, **kwargs):
            start = time.perf_counter()
            recorder.depth += 1
            try:
                return fit(model, *args, **with_callback(kwargs, "fit"))
            finally:
                recorder.depth -= 1
                recorder.fit_seconds += time.perf_counter() - start

        def recorded_evaluate(model, *args, **kwargs):
            if recorder.depth:
                return evaluate(model, *args, **kwargs)
            return evaluate(model, *args, **with_callback(kwargs, "evaluate"))

        model_class.fit = timed_fit
        model_class.evaluate = recorded_evaluate


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--framework", choices=["scratchnn", "tensorflow"], required=True)
    parser.add_argument("--seed", type=int, default=None,
                        help="seed Python's, NumPy's and the framework's generators first")
    parser.add_argument("program")
    args = parser.parse_args(argv)
    program = os.path.abspath(args.program)

    if args.framework == "scratchnn":
        sys.meta_path.insert(0, _Alias())
        import scratchnn.keras as keras
    else:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        import keras
        _offline_keras_datasets(keras)
    recorder = Recorder(keras.Model, keras.callbacks.Callback)
    if args.seed is not None:
        random.seed(args.seed)
        keras.utils.set_random_seed(args.seed)

    result = {"status": "ok", "framework": args.framework, "program": os.path.basename(program)}
    if args.seed is not None:
        result["seed"] = args.seed
    workdir = tempfile.mkdtemp(prefix="compat-")  # files the program writes go here
    os.chdir(workdir)
    sys.argv = [program]
    try:
        namespace = runpy.run_path(program, run_name="__main__")
        extra = {name: _plain(eval(expr, namespace)) for name, expr in _metric_expressions(program)}
    except BaseException as exc:  # noqa: BLE001 - the program's failure is the measurement
        if isinstance(exc, KeyboardInterrupt):
            raise
        frames = traceback.extract_tb(exc.__traceback__)
        where = next((f"{os.path.basename(f.filename)}:{f.lineno}" for f in reversed(frames)
                      if f.filename == program), "")
        message = str(exc).strip().splitlines()
        result.update(status="error", error=f"{type(exc).__name__}: {message[0] if message else ''}"[:300],
                      where=where)
        extra = {}
    result["metrics"] = {"fit": recorder.fit_logs, "evaluate": recorder.evaluate_logs, "program": extra}
    result["fit_seconds"] = round(recorder.fit_seconds, 3)
    os.chdir(os.path.dirname(program))
    shutil.rmtree(workdir, ignore_errors=True)
    sys.stdout.flush()
    print("\nCOMPAT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
