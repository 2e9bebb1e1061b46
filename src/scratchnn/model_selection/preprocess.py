"""The ``preprocess=`` step of cross-validation and the searches: fitted on each training fold only.

Scaling all the rows before cross-validation, ``StandardScaler().fit_transform(x)``, leaks: the
mean and spread it subtracts and divides by include the rows each fold's model is then scored
on, so the model has seen something of its test data and the score is optimistic (more so with
few rows, or with a scaler that looks at extremes, such as ``MinMaxScaler``). The leak-free way
repeats the preprocessing inside every fit::

    for train, test in folds:
        scaler = copy of preprocess, fitted on x[train] only       # mean_, scale_ of the training rows
        model.fit(scaler.transform(x[train]), y[train])
        score(model, scaler.transform(x[test]), y[test])         # test rows scaled with training statistics

which is what ``cross_validate(..., preprocess=StandardScaler())`` and
``GridSearch(..., preprocess=StandardScaler())`` do. ``preprocess`` is any object with ``fit(x)``
and ``transform(x)``: ``scratchnn.preprocessing.StandardScaler`` or ``MinMaxScaler``, a
scikit-learn transformer or ``Pipeline``. It is never fitted itself: each fit uses its own copy.
"""
import copy

__all__ = ["check_preprocess", "fit_preprocess"]


def check_preprocess(preprocess):
    """``preprocess`` must be None or have ``fit`` and ``transform`` methods (checked before any fit)."""
    if preprocess is None:
        return None
    missing = [m for m in ("fit", "transform") if not callable(getattr(preprocess, m, None))]
    if missing or isinstance(preprocess, type):
        if isinstance(preprocess, type):
            what = f"a class: pass an instance, {preprocess.__name__}()"
        else:
            what = f"{type(preprocess).__name__} (no {missing[0]} method)"
        raise TypeError(f"preprocess must be a transformer with fit(x) and transform(x) methods, such as "
                        f"scratchnn.preprocessing.StandardScaler(); got {what}")
    return preprocess


def fit_preprocess(preprocess, x_fit, *others):
    """A copy of ``preprocess`` fitted on ``x_fit`` only, and ``x_fit`` and each of ``others``
    transformed by it: ``(fitted, x_fit_t, *others_t)``. With ``preprocess=None``: ``(None, x_fit,
    *others)`` unchanged."""
    if preprocess is None:
        return (None, x_fit, *others)
    fitted = copy.deepcopy(preprocess)
    fitted.fit(x_fit)
    out = []
    for x in (x_fit, *others):
        xt = fitted.transform(x)
        if getattr(xt, "shape", (None,))[0] != len(x):
            raise ValueError(f"preprocess {type(preprocess).__name__}.transform returned "
                             f"{getattr(xt, 'shape', type(xt).__name__)} for {len(x)} rows: it must return "
                             "one row per input row")
        out.append(xt)
    return (fitted, *out)
