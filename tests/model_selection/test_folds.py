"""Folds (``scratchnn/model_selection/folds.py``): too many stratified folds for the smallest
class fail before training.
"""
import numpy as np
import pytest

from scratchnn import model_selection as ms
from scratchnn.preprocessing import StratifiedKFold

from tests.model_selection.helpers import CALLS, X_IRIS, Y_IRIS, build_iris


def test_cv_larger_than_the_smallest_class_fails_before_training():
    keep = np.r_[np.flatnonzero(Y_IRIS == 0), np.flatnonzero(Y_IRIS == 1), np.flatnonzero(Y_IRIS == 2)[:3]]
    with pytest.raises(ValueError, match=r"cv=5 stratified folds need at least 5 samples of every class, "
                                         r"but class 2 has only 3: use cv <= 3"):
        ms.GridSearch(build_iris, {"units": [2, 3]}, cv=5, verbose=0).fit(X_IRIS[keep], Y_IRIS[keep])
    with pytest.raises(ValueError, match="class 2 has only 3"):
        ms.cross_validate(build_iris, X_IRIS[keep], Y_IRIS[keep], cv=StratifiedKFold(4))
    assert CALLS == []
