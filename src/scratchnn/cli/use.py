"""``scratchnn evaluate`` and ``scratchnn predict``: use a trained run (or a model file).

``evaluate`` prints the test loss and metrics and, for classification, the per-class report;
``evaluate --report`` adds the confusion matrix as text, the ROC AUC (and average precision), and
for a binary task writes ``roc_curve.png`` and ``precision_recall_curve.png`` beside the model
(in the run folder, or the folder of the ``.scratchnn`` file); for regression it adds R^2, MAE
and RMSE.
"""
import json
import os
import warnings

import numpy as np

from .. import datasets
from ..metrics import classification_report, confusion_matrix, scores
from ..saving import ModelFormatError, load_model
from ..utils import format_percent
from . import data as _data
from .errors import CLIError, check_regular_file, did_you_mean
from .text import confusion_lines
from .train import predict_labels


_MODEL_HINT = "give a run folder of `scratchnn train` or a .scratchnn file written by model.save()"
_RUN_JSON_LIMIT = 1 << 20          # bytes: a run.json is a few hundred


def load_run(path):
    """``(model, record, model_path, run_json)`` of a run folder or a ``.scratchnn`` file, checked
    as far as any run is (the model file, run.json's JSON), whatever the model: ``open_run`` then
    checks a classifier's or regressor's data set, ``scratchnn generate`` a language model's."""
    if os.path.isdir(path):
        model_path, run_json = os.path.join(path, "model.scratchnn"), os.path.join(path, "run.json")
    else:
        model_path, run_json = path, os.path.join(os.path.dirname(path) or ".", "run.json")
    if not os.path.lexists(model_path):
        raise CLIError(f"no model at {model_path}: {_MODEL_HINT}", usage=True)
    check_regular_file(model_path, "model", _MODEL_HINT)
    try:
        model = load_model(model_path)
    except ModelFormatError as e:
        raise CLIError(f"cannot load {model_path}: {e.part}: {e.reason}; {_MODEL_HINT}", usage=True) from None
    record = _read_record(run_json) if os.path.lexists(run_json) else {}
    return model, record, model_path, run_json


def open_run(path, dataset=None):
    """``(model, record)`` from a run folder or a ``.scratchnn`` file (``record`` from run.json
    when there is one beside the model; ``dataset`` overrides the one it names).

    Every mistake is a usage ``CLIError`` naming the file and what to do: a missing model, one
    that is not a regular file (checked before opening: a named pipe would block), one that is
    not a model, a run.json that is not JSON or names an unknown data set, class names that do
    not match the model's outputs. ``record`` always has ``dataset``, ``kind``, ``task`` and
    ``class_names`` (possibly empty for a table, whose names come with its data).
    """
    model, record, model_path, run_json = load_run(path)
    if dataset is not None:
        spec = _task(dataset)
        if record.get("dataset") != spec.name:
            record = {k: v for k, v in record.items() if k not in ("class_names", "dataset")}
        record["dataset"] = spec.name
    if "dataset" not in record:
        raise CLIError(f"{model_path} has no run.json beside it: say which data it was trained on "
                       f"with --dataset ({', '.join(_data.TASKS)})", usage=True)
    spec = _task(record["dataset"], run_json)
    record.update(dataset=spec.name, kind=spec.kind, task=spec.task)
    record["class_names"] = _class_names(record, spec, model, model_path, run_json)
    return model, record


def _task(name, run_json=None):
    """The ``Task`` called ``name``: from ``--dataset``, or (``run_json``) from that record."""
    try:
        return _data.task(name)
    except KeyError:
        known = ", ".join(_data.TASKS)
        if run_json is None:
            hint = did_you_mean(name, _data.TASKS)
            raise CLIError(f"unknown dataset {name!r}{hint}; choose one of: {known}", usage=True) from None
        raise CLIError(f"{run_json} names the dataset {name!r}, which is not one of scratchnn's ({known}): "
                       "fix its \"dataset\" or pass --dataset", usage=True) from None


def _read_record(run_json):
    """run.json as a dict; a usage ``CLIError`` when it is not a readable JSON object."""
    fix = "repair it, or delete it and pass --dataset"
    check_regular_file(run_json, "run record", fix)
    try:
        with open(run_json, "rb") as f:
            raw = f.read(_RUN_JSON_LIMIT + 1)
        if len(raw) > _RUN_JSON_LIMIT:
            raise CLIError(f"{run_json} is larger than {_RUN_JSON_LIMIT} bytes, not a run record: {fix}",
                           usage=True)
        record = json.loads(raw.decode("utf-8"))
    except json.JSONDecodeError as e:
        raise CLIError(f"{run_json} is not valid JSON ({e.msg} at line {e.lineno}, column {e.colno}): {fix}",
                       usage=True) from None
    except (UnicodeDecodeError, RecursionError):
        raise CLIError(f"{run_json} is not a JSON text: {fix}", usage=True) from None
    if not isinstance(record, dict):
        raise CLIError(f"{run_json} holds a JSON {type(record).__name__}, not an object with the run's "
                       f"\"dataset\", \"seed\" and \"class_names\": {fix}", usage=True)
    if "seed" in record and (not isinstance(record["seed"], int) or isinstance(record["seed"], bool)
                             or record["seed"] < 0):
        raise CLIError(f"{run_json}: \"seed\" is {record['seed']!r}, not an integer >= 0: {fix}", usage=True)
    return record


def _class_names(record, spec, model, model_path, run_json):
    """The record's class names, checked against the number of classes the model outputs."""
    names = record.get("class_names") or list(spec.class_names)
    if not isinstance(names, list) or not all(isinstance(n, (str, int)) for n in names):
        raise CLIError(f"{run_json}: \"class_names\" must be a list of names, got {names!r:.60}", usage=True)
    if spec.task != "classification" or not names:
        return [str(n) for n in names]
    units = model.output_shape[-1] if len(model.output_shape) >= 2 else None
    classes = 2 if units == 1 else units
    if classes is not None and len(names) != classes:
        where = f"{run_json} lists" if record.get("class_names") else f"{spec.name} has"
        raise CLIError(f"{where} {len(names)} class names, but the model in {model_path} tells {classes} "
                       f"classes apart: give one name per class in \"class_names\" (or the --dataset it "
                       "was trained on)", usage=True)
    return [str(n) for n in names]


def _check_fits(model, model_path, spec, x):
    """A usage ``CLIError`` when the samples of ``spec`` do not have the shape the model takes."""
    expected, got = tuple(model.input_shape[1:]), tuple(x.shape[1:])
    if len(got) != len(expected) or any(e is not None and e != g for e, g in zip(expected, got)):
        raise CLIError(f"the model in {model_path} takes samples of shape {expected}, but {spec.name} has "
                       f"samples of shape {got}: --dataset (or \"dataset\" in run.json) must "
                       "name the data it was trained on", usage=True)


def evaluate(args):
    model, record = open_run(args.run, args.dataset)
    spec = _data.task(record["dataset"])
    if not model.compiled:
        raise CLIError(f"the model in {args.run} was saved without compile(): evaluate needs its loss and "
                       "metrics; compile it and save it again (predict works without)", usage=True)
    if spec.kind == "table" and "seed" not in record:
        # Without the run's seed the 80/20 split of training is unknown: test on every row, and say so.
        table = datasets.tabular.load(spec.name)
        x_test, y_test = table.x, (table.y.reshape(-1, 1) if spec.task == "regression" else table.y)
        class_names = list(table.target_names)
        print(f"note: no run.json with the training split beside the model: evaluating on all {len(x_test)} "
              f"rows of {spec.name}, including the ones it was trained on")
    else:
        _, (x_test, y_test), class_names = _data.load(spec, record.get("seed", 0), verbose=False)
    class_names = record["class_names"] or class_names
    _check_fits(model, args.run, spec, x_test)
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
    print("\nconfusion matrix (rows: true class, columns: predicted class):")
    print("\n".join(confusion_lines(counts, names)))
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
    hint = "give a PNG or JPEG picture"
    check_regular_file(path, "image", hint)
    try:
        with warnings.catch_warnings():
            # A picture that declares more pixels than Pillow's limit could be a decompression bomb
            # (a small file that inflates to gigabytes): refused before it is decoded.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                gray = np.asarray(img.convert("L"), dtype=np.float32)
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise CLIError(f"cannot read image {path}: it declares more than {Image.MAX_IMAGE_PIXELS} pixels, "
                       f"which could be a decompression bomb; {hint} of at most a few megapixels",
                       usage=True) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as e:
        raise CLIError(f"cannot read image {path}: {_first_line(e)}; {hint}", usage=True) from None
    if gray.size == 0:
        raise CLIError(f"cannot read image {path}: it has no pixels; {hint}", usage=True)
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


def _first_line(error):
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def predict(args):
    model, record = open_run(args.run, args.dataset)
    if record["kind"] != "image":
        raise CLIError(f"predict reads pictures; this model was trained on {record['dataset']}, "
                       "which is not an image dataset", usage=True)
    class_names = record["class_names"]
    images = np.stack([load_image(p, digits=record["dataset"] == "mnist") for p in args.images])
    _check_fits(model, args.run, _data.task(record["dataset"]), images)
    probs = model.predict(images, verbose=0)
    if not np.isfinite(probs).all():            # a model to retrain, not a mistake of the user
        bad = not all(np.isfinite(w).all() for w in model.get_weights())
        why = ("its weights are not all finite numbers (NaN or inf): retrain it, e.g. with a lower --lr"
               if bad else "its output for these pictures is not a number (NaN or inf)")
        raise CLIError(f"the model in {args.run} cannot classify: {why}")
    k = min(args.top, probs.shape[1])
    for path, p in zip(args.images, probs):
        best = np.argsort(-p)[:k]
        guesses = ", ".join(f"{class_names[i]} ({format_percent(p[i], 1)})" for i in best)
        print(f"{path}: {guesses}")
    return 0
