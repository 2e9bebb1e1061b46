"""``scratchnn/model_selection/seeds.py``: the caller's random state is restored."""
import numpy as np

import scratchnn as snn
from scratchnn import model_selection as ms
from scratchnn import random as snn_random

from tests.model_selection.helpers import X_BC, Y_BC, build_binary


def test_the_callers_random_state_is_restored():
    snn.utils.set_random_seed(123)
    before = snn_random.generator().bit_generator.state
    legacy = np.random.get_state()[1].copy()
    ms.cross_validate(build_binary, X_BC, Y_BC, cv=2, fit_kwargs={"epochs": 1}, random_state=0, verbose=0)
    assert snn_random.generator().bit_generator.state == before
    np.testing.assert_array_equal(np.random.get_state()[1], legacy)
