"""Cutting the samples into folds: ``check_cv`` (scikit-learn's rule for ``cv=``) and ``splits``.

In k-fold cross-validation every sample lands in exactly one test fold: a model trains on the
other ``k - 1`` folds and is scored on this one. Class labels get ``StratifiedKFold`` (each
class keeps its share in every fold), other targets ``KFold``; both come from
``scratchnn.preprocessing``.
"""
import warnings
from numbers import Integral

import numpy as np

from ..preprocessing import KFold, StratifiedKFold
from .targets import is_class_labels, true_labels


def check_cv(cv=5, y=None, classifier=False):
    """The cross-validator for ``cv``, scikit-learn's rule: an int gives ``StratifiedKFold(cv)`` for
    class labels (``classifier=True``), ``KFold(cv)`` otherwise (no shuffling, as scikit-learn);
    an object with ``split`` (and ``get_n_splits``) is returned as is; an iterable of
    ``(train_indices, test_indices)`` pairs is kept as a list."""
    if isinstance(cv, Integral) and not isinstance(cv, bool):
        if cv < 2:
            raise ValueError(f"cv must be at least 2 (folds), got {cv}")
        return StratifiedKFold(int(cv)) if classifier else KFold(int(cv))
    if hasattr(cv, "split"):
        return cv
    if cv is not None and not isinstance(cv, (str, bytes)) and hasattr(cv, "__iter__"):
        pairs = list(cv)
        if not pairs or any(len(p) != 2 for p in pairs):
            raise ValueError("cv given as a list must hold (train_indices, test_indices) pairs")
        return pairs
    raise ValueError("cv must be a number of folds (>= 2), a splitter such as KFold(5) or "
                     f"StratifiedKFold(5), or a list of (train_indices, test_indices) pairs; got {cv!r}")


def splits(cv, x, y):
    """The list of ``(train, test)`` index arrays, checked before anything trains."""
    classifier = is_class_labels(y)
    splitter = check_cv(cv, y, classifier)
    labels = true_labels(y) if classifier or isinstance(splitter, StratifiedKFold) else None
    if isinstance(splitter, StratifiedKFold):
        classes, counts = np.unique(labels, return_counts=True)
        if counts.min() < splitter.n_splits:
            small, k = classes[counts.argmin()].item(), splitter.n_splits
            raise ValueError(f"cv={k} stratified folds need at least {k} samples of every class, but class "
                             f"{small!r} has only {counts.min()}: use cv <= {counts.min()}")
    if isinstance(splitter, list):
        pairs = splitter
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            pairs = list(splitter.split(x, labels if labels is not None else y))
    n = len(x)
    out = []
    for k, (train, test) in enumerate(pairs):
        train, test = np.asarray(train), np.asarray(test)
        for name, idx in (("train", train), ("test", test)):
            if idx.dtype.kind not in "iu" or idx.ndim != 1 or idx.size == 0 or idx.min() < 0 \
                    or idx.max() >= n:
                raise ValueError(f"fold {k}: the {name} indices must be a non-empty list of sample numbers "
                                 f"in 0..{n - 1}")
        out.append((train, test))
    return out
