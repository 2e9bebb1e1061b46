"""``scratchnn/preprocessing/validation.py``: NotFittedError."""
import pytest

from scratchnn import preprocessing as P


def test_not_fitted_error_is_a_runtime_error():
    assert issubclass(P.NotFittedError, RuntimeError)
    for transformer in (P.OneHotEncoder(), P.StandardScaler(), P.MinMaxScaler()):
        with pytest.raises(RuntimeError, match=f"{type(transformer).__name__} is not fitted.*call fit"):
            transformer.transform([[1.0]])
        with pytest.raises(P.NotFittedError):
            transformer.inverse_transform([[1.0]])
