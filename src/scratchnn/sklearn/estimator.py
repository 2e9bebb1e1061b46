"""``NeuralNetBase``: what ``NeuralNetClassifier`` and ``NeuralNetRegressor`` share: the routed
parameters (``model__*``, ``optimizer__*``, ``fit__*``), ``fit`` / ``partial_fit``'s training body,
``validation_data`` and prediction in batches.

Conventions (scikit-learn's): the constructor only stores its arguments; everything learned ends in
``_`` (``model_``, ``history_``, ``n_iter_``, ``n_features_in_``, ...).  Every ``fit`` builds a new
network (``network.py``) and, with ``random_state``, draws from its own generator (``randomness.py``).
"""
import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import _check_sample_weight, check_array, check_is_fitted

from .network import NetworkBuilder
from .randomness import drawing_from, generator_for
from .validation import describe, unchanged_on_error, validate

#: prefixes of the routed arguments ``model__units=32`` etc., and where each one goes
ROUTED_PREFIXES = ("model__", "optimizer__", "fit__")

# Model.fit arguments that the estimator sets itself (fit__<name> may not override them)
_MANAGED_FIT_ARGS = ("x", "y", "epochs", "batch_size", "verbose", "callbacks", "validation_split",
                     "shuffle", "sample_weight", "class_weight")

# predictions are computed in batches of at least this many rows (the result does not depend on it)
_PREDICT_BATCH = 1024


class NeuralNetBase(NetworkBuilder, BaseEstimator):
    """What the classifier and the regressor share: routed parameters, building and compiling the
    network, seeding, ``fit`` / ``partial_fit`` and the input checks. Subclasses say how targets are
    encoded (``_encode_targets``), which output layer the built-in MLP ends with (``_output_layer``),
    what loss fits an output (``_default_loss``) and how an output is checked (``_check_output``)."""

    # ------------------------------------------------------------------ parameters
    def _store(self, kwargs):
        """Keep the routed ``model__*`` / ``optimizer__*`` / ``fit__*`` arguments as attributes."""
        for key, value in kwargs.items():
            if not key.startswith(ROUTED_PREFIXES) or key in ROUTED_PREFIXES:
                raise TypeError(f"{type(self).__name__}() got an unexpected keyword argument {key!r}: "
                                f"extra arguments must start with one of {', '.join(ROUTED_PREFIXES)} "
                                f"followed by a name (e.g. model__units=32)")
            setattr(self, key, value)

    def _routed(self, prefix):
        """``{name: value}`` of the stored arguments ``<prefix><name>``."""
        return {key[len(prefix):]: value for key, value in self.__dict__.items()
                if key.startswith(prefix) and len(key) > len(prefix)}

    def get_params(self, deep=True):
        """The constructor's arguments, including the routed ``model__*``, ``optimizer__*`` and
        ``fit__*`` ones, as ``{name: value}`` (what ``clone`` and the searches use)."""
        params = super().get_params(deep=deep)
        for prefix in ROUTED_PREFIXES:
            params.update({prefix + name: value for name, value in self._routed(prefix).items()})
        return params

    def set_params(self, **params):
        """Set constructor arguments (``learning_rate=0.01``) and routed ones (``model__units=64``,
        which may be new). Returns ``self``. Unknown names raise ``ValueError`` and change nothing."""
        routed = {k: v for k, v in params.items() if k.startswith(ROUTED_PREFIXES)}
        for key in routed:
            if key in ROUTED_PREFIXES:
                raise ValueError(f"invalid parameter {key!r} for {type(self).__name__}: a routed "
                                 f"parameter needs a name after the prefix (e.g. model__units)")
        plain = {k: v for k, v in params.items() if k not in routed}
        if plain:
            super().set_params(**plain)
        for key, value in routed.items():
            setattr(self, key, value)
        return self

    def __sklearn_is_fitted__(self):
        return hasattr(self, "model_")

    # ------------------------------------------------------------------ training
    def _train(self, X, y, sample_weight, fit_kwargs, first, epochs, **target_args):
        """The shared body of ``fit`` (``first=True``) and later ``partial_fit`` calls."""
        X, y = validate(self, X, y, reset=first, **self._y_validation())
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float32)
        targets, weights, meta = self._encode_targets(y, first=first, **target_args)
        if weights is not None:
            sample_weight = weights if sample_weight is None else weights * sample_weight
        kwargs = {**self._routed("fit__"), **fit_kwargs}
        for key in kwargs:
            if key in _MANAGED_FIT_ARGS:
                where = ("fit()'s own argument" if key in ("x", "y", "sample_weight")
                         else f"the estimator's parameter {key}=")
                raise ValueError(f"fit__{key} / fit({key}=...) cannot be used: {key} is set by the "
                                 f"estimator; use {where}")
        if first:
            generator = generator_for(self.random_state)
            meta["n_features_in"] = X.shape[1]
            with drawing_from(generator):
                net = self._compiled_network(meta)
        else:
            generator, net = self._generator, self.model_
        targets = self._targets_for(net, targets)
        if kwargs.get("validation_data") is not None:
            kwargs["validation_data"] = self._validation_arrays(net, kwargs["validation_data"], X.shape[1])
        with drawing_from(generator):
            history = net.fit(X, targets, batch_size=self.batch_size, epochs=epochs, verbose=self.verbose,
                              callbacks=self.callbacks, validation_split=self.validation_split,
                              shuffle=self.shuffle, sample_weight=sample_weight, **kwargs)
        logs = {k: list(v) for k, v in history.history.items()}
        if first:
            self.model_, self._generator, self.history_ = net, generator, logs
        else:
            for key, values in logs.items():
                self.history_.setdefault(key, []).extend(values)
        self.n_iter_ = len(self.history_.get("loss", []))
        return self

    def _validation_arrays(self, net, data, n_features):
        """``validation_data=(X_val, y_val[, sample_weight_val])`` as the network takes it: X_val as
        float32 with the training data's columns, y_val encoded as the training targets are."""
        if not (isinstance(data, (tuple, list)) and len(data) in (2, 3)):
            raise ValueError(f"validation_data must be a tuple (X_val, y_val) or (X_val, y_val, "
                             f"sample_weight_val), got {describe(data)}")
        vx = check_array(data[0], dtype=np.float32, input_name="X_val")
        if vx.shape[1] != n_features:
            raise ValueError(f"validation_data: X_val has {vx.shape[1]} features, but the training data "
                             f"has {n_features}")
        vy = self._validation_targets(net, np.asarray(data[1]))
        if len(vy) != len(vx):
            raise ValueError(f"validation_data: X_val has {len(vx)} samples but y_val has {len(vy)}")
        return (vx, vy) + tuple(data[2:])

    def fit(self, X, y, sample_weight=None, **fit_params):
        """Build a new network with fresh weights and train it for ``epochs`` epochs on (X, y).

        ``sample_weight`` (n_samples,) weighs each sample's loss; other keyword arguments go to
        ``Model.fit`` (as ``fit__<name>`` would). Returns ``self``. On any error (bad data, a bad
        parameter, a network that does not fit the targets) the estimator is left as it was."""
        with unchanged_on_error(self):
            for attr in ("model_", "history_", "n_iter_", "_generator"):
                self.__dict__.pop(attr, None)
            return self._train(X, y, sample_weight, fit_params, first=True, epochs=self.epochs)

    def _predict_raw(self, X):
        """The network's outputs for X (checked: fitted, same number of features as in fit)."""
        check_is_fitted(self)
        X = validate(self, X, reset=False)
        return self.model_.predict(X, batch_size=max(_PREDICT_BATCH, self.batch_size or 0), verbose=0)
