"""Failed fits (``scratchnn/model_selection/fitting.py``) get ``error_score`` or raise."""
import numpy as np
import pytest

from scratchnn import model_selection as ms

from tests.model_selection.helpers import X_BC, Y_BC, build_failing


def test_failed_fits_get_error_score_or_raise():
    with pytest.warns(UserWarning, match="unlucky"):
        search = ms.GridSearch(build_failing, {"units": [2, 3]}, cv=2, error_score=np.nan, verbose=0,
                               random_state=0).fit(X_BC, Y_BC, epochs=1)
    bad = search.results_[1]
    assert np.isnan(bad["mean_test_score"]) and bad["rank_test_score"] == 2 and search.best_index_ == 0
    with pytest.raises(RuntimeError, match="unlucky"):
        ms.GridSearch(build_failing, {"units": [3]}, cv=2, verbose=0).fit(X_BC, Y_BC, epochs=1)
