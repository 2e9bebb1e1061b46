"""``scratchnn/preprocessing/validation.py``: NotFittedError, the checks of X."""
import numpy as np
import pytest

from scratchnn import preprocessing as P


def test_not_fitted_error_is_a_runtime_error():
    assert issubclass(P.NotFittedError, RuntimeError)
    for transformer in (P.OneHotEncoder(), P.StandardScaler(), P.MinMaxScaler()):
        with pytest.raises(RuntimeError, match=f"{type(transformer).__name__} is not fitted.*call fit"):
            transformer.transform([[1.0]])
        with pytest.raises(P.NotFittedError):
            transformer.inverse_transform([[1.0]])


def test_the_finite_check_counts_in_chunks_without_a_copy_of_the_input():
    import tracemalloc
    from scratchnn.preprocessing.validation import check_2d
    x = np.zeros((2048, 4096), dtype=np.float32)        # 32 MiB
    x[5, 7] = x[2000, 1] = np.nan
    x[1000, 3] = np.inf
    tracemalloc.start()
    with pytest.raises(ValueError, match="3 NaN or infinite"):
        check_2d(x, "StandardScaler.fit", numeric=True)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < x.nbytes / 8, peak                   # a whole-array isfinite adds x.nbytes / 4
