"""The data a model-selection run works on: ``x`` and ``y`` checked, and ``y`` read as class labels.

``check_xy`` turns x and y into arrays with one row per sample; ``is_class_labels`` tells class
labels (integers, one-hot rows) from regression targets, which decides stratified folds and the
scorers that fit; ``true_labels`` reads the labels (the argmax of one-hot rows).
"""
import numpy as np


def check_xy(x, y):
    """``(x, y)`` as arrays (a Tensor's ``.data``) holding the same number of rows, or ``ValueError``."""
    x = x if isinstance(x, np.ndarray) else np.asarray(getattr(x, "data", x))
    y = y if isinstance(y, np.ndarray) else np.asarray(getattr(y, "data", y))
    if x.ndim == 0 or y.ndim == 0:
        raise ValueError(f"x and y must be arrays with one row per sample, got shapes {x.shape} and "
                         f"{y.shape}")
    if len(x) != len(y):
        raise ValueError(f"x and y must hold the same number of samples: x has {len(x)}, y has {len(y)}")
    return x, y


def is_class_labels(y):
    """Whether ``y`` holds class labels: integers (or booleans), ``(N, 1)`` integers, or one-hot rows.
    Float targets are taken as regression targets (give class labels as integers, as Keras's sparse
    losses want them)."""
    if y.dtype.kind in "biu":
        return y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1)
    if y.ndim == 2 and y.shape[1] > 1 and y.dtype.kind == "f":
        return bool(np.all((y == 0) | (y == 1)) and np.all(y.sum(axis=1) == 1))
    return False


def flatten_column(a):
    """A single column ``(N, 1)`` as ``(N,)``; any other array as it is."""
    a = np.asarray(a)
    return a.reshape(-1) if a.ndim == 2 and a.shape[1] == 1 else a


def true_labels(y):
    """Class labels of ``y``: integer labels as they are, one-hot (or probability) rows by argmax."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        return y.argmax(axis=1)
    return flatten_column(y)
