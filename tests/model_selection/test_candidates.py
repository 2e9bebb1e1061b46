"""Candidates (``scratchnn/model_selection/candidates.py``): ParameterGrid matches scikit-learn's;
empty or malformed grids are refused.
"""
import pytest

from scratchnn import model_selection as ms

from tests.model_selection.helpers import CALLS, build_binary

sk_selection = pytest.importorskip("sklearn.model_selection")


def test_parameter_grid_matches_sklearn():
    for grid in ({"b": [1, 2], "a": ["x", "y", "z"]},
                 [{"kernel": ["linear"], "C": [1, 10]}, {"kernel": ["rbf"], "C": [1], "gamma": [0.1, 0.2]}]):
        ours = ms.ParameterGrid(grid)
        assert list(ours) == list(sk_selection.ParameterGrid(grid))
        assert len(ours) == len(sk_selection.ParameterGrid(grid))


# ------------------------------------------------------------------ bad input: before any model is built
@pytest.mark.parametrize("grid, message", [
    ({}, "param_grid is empty"),
    ([], "param_grid is empty"),
    ({"units": []}, r"param_grid\['units'\] is an empty list"),
    ({"units": 4}, r"must be a list of values to try, got 4; write \[4\]"),
])
def test_empty_or_malformed_grids_are_refused(grid, message):
    with pytest.raises(ValueError, match=message):
        ms.GridSearch(build_binary, grid)
    assert CALLS == []
