"""Checking what an estimator is given: scikit-learn's ``validate_data`` across versions (``validate``),
leaving the estimator as it was when ``fit`` fails (``unchanged_on_error``), and short descriptions of
bad values for error messages (``describe``)."""
import contextlib

import numpy as np

try:  # scikit-learn >= 1.6
    from sklearn.utils.validation import validate_data as _sk_validate_data
except ImportError:  # pragma: no cover - older scikit-learn
    _sk_validate_data = None


def validate(estimator, X, y="no_validation", reset=True, **kwargs):
    """scikit-learn's ``validate_data`` (>= 1.6) or the older ``BaseEstimator._validate_data``:
    checks X (and y unless it is "no_validation"; ``y=None`` is an error), converts X to float32 and
    records (``reset=True``) or checks ``n_features_in_``."""
    if _sk_validate_data is not None:
        return _sk_validate_data(estimator, X, y, reset=reset, dtype=np.float32, **kwargs)
    return estimator._validate_data(X, y, reset=reset, dtype=np.float32, **kwargs)  # pragma: no cover


@contextlib.contextmanager
def unchanged_on_error(estimator):
    """Undo every attribute change of ``estimator`` if the block raises: a failed ``fit`` leaves the
    estimator exactly as it was (fitted or not)."""
    saved = dict(estimator.__dict__)
    try:
        yield
    except BaseException:
        estimator.__dict__.clear()
        estimator.__dict__.update(saved)
        raise


def describe(value):
    """``value`` for an error message: its type and its repr, cut to 80 characters."""
    text = repr(value)
    return f"{type(value).__name__}: {text if len(text) <= 80 else text[:77] + '...'}"

