"""Helpers of the tests that compare ``scratchnn.metrics.scores`` with scikit-learn."""
import warnings

import numpy as np


def same(ours, theirs, what=""):
    """Equal numbers (NaN equal to NaN), and a float where scikit-learn gives one."""
    if theirs is None:
        assert ours is None, what
        return
    if np.ndim(theirs) == 0:
        assert isinstance(ours, float), f"{what}: {type(ours)} is not a float"
    np.testing.assert_allclose(np.asarray(ours, float), np.asarray(theirs, float), rtol=1e-12, atol=1e-15,
                               err_msg=what)


def quiet(fn, *args, **kwargs):
    """``fn(...)`` with its warnings silenced (both libraries warn about zero divisions)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def class_case(rng, n=None, c=None):
    """Random labels with holes: a class never predicted, a class never true, optional weights."""
    n = int(rng.integers(1, 60)) if n is None else n
    c = int(rng.integers(2, 7)) if c is None else c
    y_true, y_pred = rng.integers(0, c, n), rng.integers(0, c, n)
    y_pred[y_pred == 1] = 0                         # class 1 absent from the predictions
    y_true[y_true == c - 1] = 0                     # the last class absent from y_true
    w = rng.uniform(0, 3, n) if rng.random() < 0.5 else None
    return y_true, y_pred, w, c
