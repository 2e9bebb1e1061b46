"""Reading what the figures are given: arrays, class labels in their several forms, class names.

Internal to ``scratchnn.plot``: the confusion matrix, the image grid, the decision boundary and
the ROC/precision-recall curves accept labels as integers, one-hot rows, probability rows or a
sigmoid's probabilities of class 1; ``class_ids`` turns each into plain integer labels.
"""
import numpy as np

__all__ = ["to_array", "class_ids", "check_lengths", "class_names"]


def to_array(x, name):
    """``x`` as a NumPy array (accepts scratchnn Tensors and anything array-like)."""
    try:
        return np.asarray(x)
    except Exception as exc:     # ragged lists and other oddities
        raise ValueError(f"{name} must be array-like, got {type(x).__name__}: {exc}") from None


def class_ids(y, name):
    """``(labels, confidence, width)`` for ``y`` given as labels, one-hot or probability rows.

    * ``(N,)`` or ``(N, 1)`` integers (or integer-valued floats): the labels themselves;
    * ``(N,)`` or ``(N, 1)`` other floats in [0, 1]: probability of class 1 (a sigmoid output),
      label ``p > 0.5`` (Keras's binary threshold), confidence ``max(p, 1 - p)``, width 2;
    * ``(N, K)`` with K > 1: one-hot rows, probabilities or scores; label = argmax, width K;
      the confidence is the largest probability when the rows are probabilities (in [0, 1],
      summing to 1, not one-hot), else None.
    """
    a = to_array(y, name)
    if a.ndim == 2 and a.shape[1] == 1:
        a = a[:, 0]
    if a.ndim == 2:
        if a.dtype.kind not in "biuf":
            raise ValueError(f"{name}: expected numbers, got dtype {a.dtype}")
        if a.dtype.kind == "f" and not np.all(np.isfinite(a)):
            raise ValueError(f"{name} contains NaN or inf")
        labels = np.argmax(a, axis=1).astype(np.int64)
        confidence = None      # only for probabilities: one-hot rows or scores carry no confidence
        if a.size and a.min() >= 0 and a.max() <= 1 and np.allclose(a.sum(axis=1), 1, atol=1e-3) \
                and not np.all((a == 0) | (a == 1)):
            confidence = a.max(axis=1).astype(np.float64)
        return labels, confidence, a.shape[1]
    if a.ndim != 1:
        raise ValueError(f"{name} must be labels of shape (N,) or rows of shape (N, K) (one-hot or "
                         f"probabilities), got shape {a.shape}")
    if a.dtype.kind == "b":
        a = a.astype(np.int64)
    if a.dtype.kind in "iu":
        labels = a.astype(np.int64)
        confidence, width = None, None
    elif a.dtype.kind == "f":
        if not np.all(np.isfinite(a)):
            raise ValueError(f"{name} contains NaN or inf")
        if np.all(a == np.round(a)):
            labels, confidence, width = a.astype(np.int64), None, None
        elif a.min() >= 0 and a.max() <= 1:
            labels = (a > 0.5).astype(np.int64)
            confidence, width = np.where(labels == 1, a, 1 - a).astype(np.float64), 2
        else:
            raise ValueError(f"{name}: labels must be integers (or probabilities of class 1 in [0, 1]); "
                             f"got non-integer values such as {a[a != np.round(a)][0]!r}")
    else:
        raise ValueError(f"{name}: expected integer class labels, got dtype {a.dtype}")
    if labels.size and labels.min() < 0:
        raise ValueError(f"{name}: class labels must be >= 0, got {int(labels.min())}")
    return labels, confidence, width


def check_lengths(**arrays):
    sizes = {name: len(a) for name, a in arrays.items() if a is not None}
    if len(set(sizes.values())) > 1:
        described = ", ".join(f"{name} has {size}" for name, size in sizes.items())
        raise ValueError(f"the inputs must hold the same number of examples: {described}")


def class_names(labels, num_classes, who):
    """Display names of the classes: ``labels`` (one string per class) or "0", "1", ..."""
    if labels is None:
        return [str(k) for k in range(num_classes)]
    if isinstance(labels, str):
        raise ValueError(f"{who}: labels must be a list of class names, got the string {labels!r}")
    names = [str(name) for name in labels]
    if len(names) < num_classes:
        raise ValueError(f"{who}: {len(names)} class names given in labels, but the data has class "
                         f"{num_classes - 1}: give one name per class (index = class label)")
    return names
