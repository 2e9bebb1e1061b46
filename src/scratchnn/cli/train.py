"""``scratchnn train``: train a network, evaluate it on the test set, and write a run folder.

    runs/<name>/
        model.scratchnn         the trained model (load with scratchnn.models.load_model)
        run.json                dataset, options, seed and test results (read by evaluate/predict)
        history.csv             loss and metrics per epoch
        summary.txt             the model summary, timings, test results and per-class report
        learning_curves.png     loss and metrics per epoch, training vs validation
        confusion_matrix.png    (classification) counts and row-normalised rates
        misclassified.png       (images) test images the model got wrong

``--distributed`` (under ``mpiexec -n R``): data-parallel training over MPI (scratchnn.distributed).
Every rank loads the data and builds the model; each trains on its shard with ``--batch-size``
samples per step (``R`` times as many per update in all), averaging its gradients with the
others; rank 0 alone prints, evaluates and writes the run folder.
"""
import datetime
import io
import json
import os
import platform
import time

import numpy as np

from .. import callbacks as _callbacks
from .. import distributed as _distributed
from .. import layers as _layers
from .. import optimizers as _optimizers
from ..metrics import classification_report
from ..datasets import DatasetUnavailableError
from ..models import Sequential
from ..utils import set_random_seed
from . import data as _data
from .errors import CLIError, check_out_folder
from .text import WIDTH, command_lines, sentence_lines

MODELS = ("mlp", "cnn")


def _cnn_layers(args):
    """The course's reference CNN: two 3x3 convolutions (32 and 64 filters) each followed by 2x2
    max-pooling, then Dense(128) with Dropout(0.5) (``--dropout`` overrides the rate)."""
    act = args.activation
    return [_layers.Reshape((28, 28, 1), name="add_channel_axis"),
            _layers.Conv2D(32, 3, activation=act, name="conv_1"), _layers.MaxPooling2D(2, name="pool_1"),
            _layers.Conv2D(64, 3, activation=act, name="conv_2"), _layers.MaxPooling2D(2, name="pool_2"),
            _layers.Flatten(name="flatten"), _layers.Dense(128, activation=act, name="hidden_1"),
            _layers.Dropout(0.5 if args.dropout is None else args.dropout, name="dropout_1")]


def build_model(spec, x_train, y_train, num_classes, args):
    """The network for ``spec``: input scaling, hidden Dense layers (+ Dropout), output layer."""
    hidden = args.hidden if args.hidden is not None else spec.hidden
    layers = [_layers.Input(shape=x_train.shape[1:])]
    if spec.kind == "image":
        layers.append(_layers.Rescaling(1 / 255, name="rescale_pixels"))
    else:
        layers.append(_layers.Normalization(name="standardize"))
    if args.model == "cnn":
        layers += _cnn_layers(args)
    else:
        if spec.kind == "image":
            layers.append(_layers.Flatten(name="flatten"))
        for i, units in enumerate(hidden, start=1):
            layers.append(_layers.Dense(units, activation=args.activation, name=f"hidden_{i}"))
            if args.dropout:
                layers.append(_layers.Dropout(args.dropout, name=f"dropout_{i}"))
    if spec.task == "regression":
        mean, var = float(y_train.mean()), float(y_train.var())
        layers += [_layers.Dense(1, name="output"),
                   _layers.Normalization(axis=None, mean=mean, variance=var, invert=True,
                                         name="to_target_units")]
        loss, metrics = "mse", ["mae"]
    elif num_classes == 2:
        layers.append(_layers.Dense(1, activation="sigmoid", name="output"))
        loss, metrics = "binary_crossentropy", ["accuracy"]
    else:
        layers.append(_layers.Dense(num_classes, activation="softmax", name="output"))
        loss, metrics = "sparse_categorical_crossentropy", ["accuracy"]
    model = Sequential(layers, name=f"{spec.name}_{args.model}")
    if spec.kind == "table":
        model.get_layer("standardize").adapt(x_train)
    optimizer = _optimizers.get(args.optimizer or "adam")
    if args.lr is not None:
        optimizer.learning_rate = args.lr
    model.compile(optimizer=optimizer, loss=loss, metrics=metrics)
    return model


def _run_path(args, spec):
    """The run folder's path, checked before the data are loaded (created later by ``run``)."""
    check_out_folder(args.out)
    name = args.name or f"{datetime.datetime.now():%Y%m%d-%H%M%S}-{spec.name}"
    path = os.path.join(args.out, name)
    if os.path.exists(path) and (not os.path.isdir(path) or os.listdir(path)):
        raise CLIError(f"the run folder {path} exists and is not empty; choose another --name", usage=True)
    return path


def predict_labels(model, x, spec):
    """Predicted class ids (and the raw outputs) for a classification model."""
    out = model.predict(x, batch_size=256, verbose=0)
    if out.shape[-1] == 1:
        return (out[:, 0] >= 0.5).astype(np.int64), out
    return out.argmax(axis=-1), out


def run(args, studio=None):
    """``scratchnn train`` (mlp, cnn); with ``--distributed``, this rank's part of an MPI job, in which
    an error on any rank ends every rank at once, with its message. ``studio``: the
    ``cli.studio.TrainingStudio`` of ``--studio`` (its ``Live`` callback joins the fit)."""
    if not getattr(args, "distributed", False):
        return _run(args, studio=studio)
    try:
        dist = _distributed.Collectives()
    except ImportError as e:
        raise CLIError(f"--distributed: {e}") from None
    with _distributed.abort_on_error(dist.comm, prefix="scratchnn train",
                                     one_line=(CLIError, DatasetUnavailableError, OSError),
                                     exit_code=lambda e: 2 if getattr(e, "usage", False) else 1):
        return _run(args, dist)


def _run(args, dist=None, studio=None):
    root = dist is None or dist.is_root       # the rank that prints and writes (the only one, alone)
    try:
        spec = _data.task(args.dataset)
    except KeyError as e:
        raise CLIError(e.args[0], usage=True) from None
    if args.model not in MODELS:
        raise CLIError(f"unknown model {args.model!r}; choose one of: {', '.join(MODELS)}", usage=True)
    if args.model == "cnn" and spec.kind != "image":
        raise CLIError(f"--model cnn needs an image dataset (mnist, fashion_mnist), not {spec.name}",
                       usage=True)
    if args.model == "cnn" and args.hidden is not None:
        raise CLIError("--hidden sets the layers of the mlp; the cnn's layers are fixed", usage=True)
    seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "little") % 2**31
    if dist is not None:                      # every rank splits the data with rank 0's seed
        seed = int(dist.bcast(np.array([seed], dtype=np.int64), "the broadcast of the seed")[0])
    set_random_seed(seed)
    epochs = args.epochs if args.epochs is not None else spec.epochs
    batch_size = args.batch_size if args.batch_size is not None else (
        128 if args.model == "cnn" else spec.batch_size)
    quiet = args.quiet or not root
    say = (lambda *a: None) if quiet else (lambda *a: print(*a, flush=True))

    out_dir = _run_path(args, spec) if root else None
    t0 = time.perf_counter()
    if dist is not None and not root:         # rank 0 fetches the data set into the cache first
        dist.barrier("the wait for rank 0 to load the data")
    (x_train, y_train), (x_test, y_test), class_names = _data.load(spec, seed, verbose=not quiet)
    if dist is not None and root:
        dist.barrier("the wait for the other ranks to load the data")
    t_data = time.perf_counter() - t0
    num_classes = len(class_names)
    model = build_model(spec, x_train, y_train, num_classes, args)
    if dist is not None:
        model.compile(**{**model.compile_arguments(), "optimizer": _distributed.DistributedOptimizer(
            model.optimizer, comm=dist.comm, timeout=dist.timeout)})
        if dist.rank:                         # other shuffles and dropout masks than rank 0's
            set_random_seed(seed + dist.rank)
    if root:
        os.makedirs(out_dir, exist_ok=True)
    say(f"scratchnn train: {spec.description}")
    say(f"  {len(x_train)} training / {len(x_test)} test samples; seed {seed}; run folder {out_dir}")
    if dist is not None:
        say(f"  distributed over {dist.size} ranks: each trains on 1/{dist.size} of the samples, "
            f"{batch_size} per step, {dist.size * batch_size} per update in all")
    summary = io.StringIO()
    model.summary(print_fn=lambda line: summary.write(line + "\n"))
    if not quiet:
        print(summary.getvalue(), end="")

    monitor = "val_loss" if args.validation_split else "loss"
    logger = _callbacks.CSVLogger(os.path.join(out_dir, "history.csv")) if root else None
    stopper = None
    if args.early_stopping is not None:
        stopper = _callbacks.EarlyStopping(monitor=monitor, patience=args.early_stopping,
                                           restore_best_weights=True, verbose=0 if quiet else 1)
    t0 = time.perf_counter()
    if dist is None:
        history = model.fit(x_train, y_train, epochs=epochs, batch_size=batch_size,
                            validation_split=args.validation_split,
                            callbacks=[logger] + ([stopper] if stopper else [])
                            + (studio.callbacks if studio else []),
                            verbose=0 if args.quiet else "auto")
    else:
        history = _distributed.fit(model, x_train, y_train, epochs=epochs, batch_size=batch_size,
                                   validation_split=args.validation_split, callbacks=stopper,
                                   rank0_callbacks=logger, verbose=0 if args.quiet else "auto",
                                   comm=dist.comm, timeout=dist.timeout)
        if not root:
            return 0
    t_train = time.perf_counter() - t0
    if stopper is not None and not stopper.stopped_epoch and stopper.best is not None:
        say(early_stopping_note(stopper, len(history.epoch)))
    t0 = time.perf_counter()
    results = model.evaluate(x_test, y_test, batch_size=256, verbose=0, return_dict=True)
    t_eval = time.perf_counter() - t0
    model.save(os.path.join(out_dir, "model.scratchnn"))

    from .. import plot                  # lazily: matplotlib loads only when the figures are drawn
    test = {"loss": float(results["loss"]), **{k: float(v) for k, v in results.items() if k != "loss"}}
    report = ""
    plot.learning_curves(history, path=os.path.join(out_dir, "learning_curves.png"),
                         title=f"{spec.name}: {model.name}", monitor=monitor)
    if spec.task == "classification":
        y_pred, outputs = predict_labels(model, x_test, spec)
        labels = list(range(num_classes))
        report = classification_report(y_test, y_pred, labels=labels, target_names=class_names, digits=4)
        plot.confusion_matrix(y_test, y_pred, labels=class_names,
                              path=os.path.join(out_dir, "confusion_matrix.png"),
                              title=f"{spec.name} test set")
        if spec.kind == "image":
            plot.image_grid(x_test, y_test, outputs, labels=class_names, only_errors=True, n=25,
                            path=os.path.join(out_dir, "misclassified.png"),
                            title=f"{spec.name}: misclassified test images")
    record = {"dataset": spec.name, "kind": spec.kind, "task": spec.task, "class_names": class_names,
              "seed": seed, "epochs_run": len(history.epoch), "batch_size": batch_size,
              "ranks": 1 if dist is None else dist.size,
              "command": " ".join(["scratchnn"] + list(getattr(args, "argv", []))),
              "options": {k: v for k, v in vars(args).items() if k != "argv"},
              "test": test, "seconds": {"data": t_data, "train": t_train, "evaluate": t_eval}}
    with open(os.path.join(out_dir, "run.json"), "w") as f:
        json.dump(record, f, indent=2, default=list)
    text = _summary_text(spec, model, {**record, "argv": list(getattr(args, "argv", []))}, summary.getvalue(),
                         report)
    with open(os.path.join(out_dir, "summary.txt"), "w") as f:
        f.write(text)
    say("")
    say(_results_line(test))
    say(f"time: data {t_data:.1f} s, training {t_train:.1f} s, test {t_eval:.1f} s")
    say(f"wrote {out_dir}/:")
    for line in sentence_lines(", ".join(sorted(os.listdir(out_dir))), width=WIDTH - 2, indent=""):
        say("  " + line)
    if studio is not None:
        studio.finish(out_dir)
    return 0


def early_stopping_note(stopper, epochs_run):
    """What ``--early-stopping`` did when it did not stop the training: all epochs ran.
    (``EarlyStopping`` itself says "Restoring model weights ..." when an earlier epoch was the
    best, and nothing when the last one was: the model holds its weights already.)"""
    monitor, patience = stopper.monitor, stopper.patience
    never = (f"{monitor} improved at every epoch" if patience == 0 else
             f"{monitor} never went {patience} epoch{'s' if patience != 1 else ''} without improving")
    return f"early stopping: {never}, so all {epochs_run} epochs ran"


def _results_line(test):
    return "test " + ", ".join(f"{k} {v:.4f}" for k, v in test.items())


def _summary_text(spec, model, record, summary, report):
    lines = [f"scratchnn run on {spec.name} ({spec.description})",
             *command_lines(["scratchnn"] + record["argv"], prefix="command:"),
             f"date: {datetime.datetime.now().isoformat(timespec='seconds')}; "
             f"python {platform.python_version()}; "
             f"numpy {np.__version__}",
             *sentence_lines(f"seed: {record['seed']}; epochs run: {record['epochs_run']}; "
                             f"batch size: {record['batch_size']}; "
                             f"optimizer: {type(model.optimizer).__name__}"
                             f"(learning_rate={model.optimizer.learning_rate:g})"),
             "", summary.rstrip(), "",
             *sentence_lines(_results_line(record["test"])),
             "time: " + ", ".join(f"{k} {v:.1f} s" for k, v in record["seconds"].items())]
    if report:
        lines += ["", "per-class results on the test set:", report.rstrip()]
    return "\n".join(lines) + "\n"
