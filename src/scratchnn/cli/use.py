"""``scratchnn evaluate`` and ``scratchnn predict``: use a trained run (or a model file).

``evaluate`` prints the test loss and metrics and, for classification, the per-class report;
``evaluate --report`` adds the confusion matrix as text, the ROC AUC (and average precision), and
for a binary task writes ``roc_curve.png`` and ``precision_recall_curve.png`` beside the model
(in the run folder, or the folder of the ``.scratchnn`` file); for regression it adds R^2, MAE
and RMSE.
"""
import json
import os

import numpy as np

from .. import datasets
from ..metrics import classification_report, confusion_matrix, scores
from ..saving import ModelFormatError, load_model
from . import data as _data
from .errors import CLIError
from .train import predict_labels


def open_run(path, dataset=None):
    """``(model, record)`` from a run folder or a ``.scratchnn`` file (``record`` from run.json
    when there is one beside the model; ``dataset`` overrides the one it names)."""
    if os.path.isdir(path):
        model_path, run_json = os.path.join(path, "model.scratchnn"), os.path.join(path, "run.json")
    else:
        model_path, run_json = path, os.path.join(os.path.dirname(path) or ".", "run.json")
    if not os.path.exists(model_path):
        raise CLIError(f"no model at {model_path}: expected a run folder of `scratchnn train` "
                       "or a .scratchnn file")
    try:
        model = load_model(model_path)
    except ModelFormatError as e:
        raise CLIError(f"cannot load {model_path}: {e.part}: {e.reason}") from None
    record = {}
    if os.path.exists(run_json):
        with open(run_json) as f:
            record = json.load(f)
    if dataset is not None:
        try:
            spec = _data.task(dataset)
        except KeyError as e:
            raise CLIError(e.args[0], usage=True) from None
        record = {**record, "dataset": spec.name, "kind": spec.kind, "task": spec.task}
        record.setdefault("class_names", spec.class_names)
    if "dataset" not in record:
        raise CLIError(f"{model_path} has no run.json beside it: say which data it was trained on "
                       f"with --dataset ({', '.join(_data.TASKS)})", usage=True)
    return model, record


def evaluate(args):
    model, record = open_run(args.run, args.dataset)
    spec = _data.task(record["dataset"])
    if spec.kind == "table" and "seed" not in record:
        # Without the run's seed the 80/20 split of training is unknown: test on every row, and say so.
        table = datasets.tabular.load(spec.name)
        x_test, y_test = table.x, (table.y.reshape(-1, 1) if spec.task == "regression" else table.y)
        class_names = list(table.target_names)
        print(f"note: no run.json with the training split beside the model: evaluating on all {len(x_test)} "
              f"rows of {spec.name}, including the ones it was trained on")
    else:
        _, (x_test, y_test), class_names = _data.load(spec, record.get("seed", 0), verbose=False)
    class_names = record.get("class_names") or class_names
    results = model.evaluate(x_test, y_test, batch_size=256, verbose=0, return_dict=True)
    results = {"loss": results["loss"], **{k: v for k, v in results.items() if k != "loss"}}
    print(f"{spec.name} test set ({len(x_test)} samples): "
          + ", ".join(f"{k} {float(v):.4f}" for k, v in results.items()))
    if spec.task == "classification":
        y_pred, outputs = predict_labels(model, x_test, spec)
        print()
        print(classification_report(y_test, y_pred, labels=list(range(len(class_names))),
                                    target_names=class_names, digits=4), end="")
        if getattr(args, "report", False):
            _full_report(args.run, y_test, y_pred, outputs, class_names)
    elif getattr(args, "report", False):
        y_hat = model.predict(x_test, batch_size=256, verbose=0)
        print(f"R^2 {scores.r2_score(y_test, y_hat):.4f}, mean absolute error "
              f"{scores.mean_absolute_error(y_test, y_hat):.4f}, root mean squared error "
              f"{scores.root_mean_squared_error(y_test, y_hat):.4f}")
    return 0


def _figure_folder(run):
    """Where ``evaluate --report`` writes its figures: the run folder, or the model file's folder."""
    return run if os.path.isdir(run) else (os.path.dirname(run) or ".")


def _full_report(run, y_test, y_pred, outputs, class_names):
    """``evaluate --report``: the confusion matrix as text, the ranking metrics (ROC AUC, average
    precision) and, for two classes, the ROC and precision-recall curves as PNG files."""
    from .. import plot                  # lazily: matplotlib loads only when the figures are drawn
    k = len(class_names)
    counts = confusion_matrix(y_test, y_pred, labels=list(range(k)))
    names = [str(n) for n in class_names]
    width = max(7, *(len(n) for n in names), len(str(int(counts.max(initial=0)))))
    print("\nconfusion matrix (rows: true class, columns: predicted class):")
    print(" " * width + "  " + "  ".join(n.rjust(width) for n in names))
    for name, row in zip(names, counts):
        print(name.rjust(width) + "  " + "  ".join(str(int(c)).rjust(width) for c in row))
    probs = np.asarray(outputs, dtype=np.float64)
    if np.unique(y_test).size < 2:
        print("\nROC AUC: undefined (the test set holds one class only)")
        return
    if k == 2:
        score = probs[:, -1] if probs.ndim == 2 else probs
        auc = scores.roc_auc_score(y_test, score)
        ap = scores.average_precision_score(y_test, score)
        print(f"\nROC AUC {auc:.4f}; average precision {ap:.4f} (positive class: {names[1]})")
        folder = _figure_folder(run)
        written = []
        figures = ((plot.roc_curve, "roc_curve.png", "ROC curve"),
                   (plot.precision_recall_curve, "precision_recall_curve.png", "Precision-recall"))
        for fn, file, what in figures:
            path = os.path.join(folder, file)
            try:
                fn(y_test, score, path=path, title=f"{what}: {names[1]} vs {names[0]} (test set)")
            except OSError as e:
                raise CLIError(f"cannot write {path}: {e.strerror or e}") from None
            written.append(path)
        print("wrote " + " and ".join(written))
    elif probs.ndim == 2 and probs.shape[1] == k:
        absent = [names[c] for c in range(k) if not np.any(np.asarray(y_test) == c)]
        if absent:                         # that class's one-vs-rest area, so the macro average, is undefined
            print(f"\nROC AUC (one vs rest): undefined (no test sample of {', '.join(absent)})")
            return
        try:
            auc = scores.roc_auc_score(y_test, probs, multi_class="ovr", labels=list(range(k)))
        except ValueError as e:            # outputs that are not probabilities
            print(f"\nROC AUC (one vs rest): undefined ({e})")
        else:
            print(f"\nROC AUC, one vs rest, macro average: {auc:.4f}")


def load_image(path, size=28, digits=True):
    """A picture file as a (size, size) uint8 array shaped like an MNIST sample.

    MNIST and Fashion-MNIST draw a light object on a black background, so a dark-on-light
    picture (a scan, a drawing on white) is inverted (judged from the border pixels). For
    digits, the ink's bounding box is scaled to fit 20x20 and centred by its centre of mass
    in the 28x28 frame, as MNIST was made; other pictures are scaled to fit the frame.
    """
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError:      # pragma: no cover - Pillow comes with matplotlib
        raise CLIError("reading images needs Pillow: pip install pillow") from None
    try:
        with Image.open(path) as img:
            gray = np.asarray(img.convert("L"), dtype=np.float32)
    except FileNotFoundError:
        raise CLIError(f"cannot read image {path}: no such file") from None
    except (UnidentifiedImageError, OSError, ValueError) as e:
        raise CLIError(f"cannot read image {path}: {e}") from None
    if gray.size == 0:
        raise CLIError(f"cannot read image {path}: it has no pixels")
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    if border.mean() > 127:
        gray = 255 - gray
    ink = gray > 0.2 * gray.max() if gray.max() > 0 else np.zeros_like(gray, bool)
    if ink.any():
        rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
        gray = gray[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    box = 20 if digits else size
    h, w = gray.shape
    scale = box / max(h, w)
    new = (max(1, round(w * scale)), max(1, round(h * scale)))
    from PIL import Image
    small = np.asarray(Image.fromarray(gray.astype(np.uint8)).resize(new, Image.LANCZOS), dtype=np.float32)
    frame = np.zeros((size, size), np.float32)
    top, left = (size - small.shape[0]) // 2, (size - small.shape[1]) // 2
    if digits and small.sum() > 0:        # shift so the centre of mass sits at the frame's centre
        ys, xs = np.indices(small.shape)
        cy, cx = (ys * small).sum() / small.sum(), (xs * small).sum() / small.sum()
        top = int(np.clip(round(size / 2 - cy), 0, size - small.shape[0]))
        left = int(np.clip(round(size / 2 - cx), 0, size - small.shape[1]))
    frame[top:top + small.shape[0], left:left + small.shape[1]] = small
    return np.clip(frame, 0, 255).astype(np.uint8)


def predict(args):
    model, record = open_run(args.run, args.dataset)
    if record.get("kind") != "image":
        raise CLIError(f"predict reads pictures; this model was trained on {record['dataset']}, "
                       "which is not an image dataset", usage=True)
    class_names = record.get("class_names") or [str(i) for i in range(10)]
    images = np.stack([load_image(p, digits=record["dataset"] == "mnist") for p in args.images])
    probs = model.predict(images, verbose=0)
    k = min(args.top, probs.shape[1])
    for path, p in zip(args.images, probs):
        best = np.argsort(-p)[:k]
        guesses = ", ".join(f"{class_names[i]} ({100 * p[i]:.1f}%)" for i in best)
        print(f"{path}: {guesses}")
    return 0
