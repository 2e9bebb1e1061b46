"""``NeuralNetRegressor``: a scratchnn network as a scikit-learn regressor (one or several outputs,
a linear output layer, mean squared error, ``score`` = R^2)."""
import numpy as np
from sklearn.base import RegressorMixin

from .. import layers as _layers
from .. import losses as _losses
from .estimator import NeuralNetBase
from .validation import unchanged_on_error


class NeuralNetRegressor(RegressorMixin, NeuralNetBase):
    """A neural-network regressor with scikit-learn's interface, trained by scratchnn.

    Parameters: as ``NeuralNetClassifier``'s (without ``class_weight``). The built-in MLP ends with a
    linear ``Dense(n_outputs_)`` layer, y_hat = W h + b, and ``loss=None`` means mean squared error,
    loss = mean((y_hat - y)^2) (see ``MLPRegressor``). ``score`` is R^2 = 1 - sum (y - y_hat)^2 /
    sum (y - mean(y))^2 (1 is perfect; predicting the mean scores 0).

    Targets: y of shape (n_samples,) or (n_samples, n_outputs), as float32; ``predict`` returns the
    same number of dimensions as the y given to ``fit``. Networks train best on targets of order 1:
    scale them, e.g. ``TransformedTargetRegressor(regressor, transformer=StandardScaler())``.

    Attributes after ``fit``: ``model_``, ``history_``, ``n_iter_``, ``n_features_in_``, ``n_outputs_``,
    ``y_ndim_`` (1 or 2).

    Example::

        reg = make_pipeline(StandardScaler(), NeuralNetRegressor(hidden_layer_sizes=(32,), epochs=50))
        reg.fit(x_train, y_train).score(x_test, y_test)      # R^2
    """

    def __init__(self, model=None, *, hidden_layer_sizes=(100,), activation="relu", optimizer="adam",
                 learning_rate=0.001, loss=None, metrics=None, epochs=10, batch_size=32,
                 validation_split=0.0, shuffle=True, callbacks=None, verbose=0, random_state=None, **kwargs):
        self.model = model
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.loss = loss
        self.metrics = metrics
        self.epochs = epochs
        self.batch_size = batch_size
        self.validation_split = validation_split
        self.shuffle = shuffle
        self.callbacks = callbacks
        self.verbose = verbose
        self.random_state = random_state
        self._store(kwargs)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def _more_tags(self):  # pragma: no cover - scikit-learn < 1.6
        return {"multioutput": True}

    # ------------------------------------------------------------------ hooks
    def _y_validation(self):
        return {"multi_output": True, "y_numeric": True}

    def _encode_targets(self, y, first):
        y = np.asarray(y, dtype=np.float32)
        if y.ndim > 2:
            raise ValueError(f"y must have shape (n_samples,) or (n_samples, n_outputs), got {y.shape}")
        targets = y.reshape(len(y), -1)
        if first:
            self.n_outputs_, self.y_ndim_ = targets.shape[1], y.ndim
        elif targets.shape[1] != self.n_outputs_:
            raise ValueError(f"y has {targets.shape[1]} output(s) per sample, but the network was first "
                             f"trained on {self.n_outputs_}")
        return targets, None, {"n_outputs": self.n_outputs_}

    def _output_layer(self, meta):
        return _layers.Dense(meta["n_outputs"])

    @staticmethod
    def _targets_for(net, targets):
        return targets

    def _validation_targets(self, net, y):
        targets = np.asarray(y, dtype=np.float32).reshape(len(y), -1)
        if targets.shape[1] != self.n_outputs_:
            raise ValueError(f"validation_data: y_val has {targets.shape[1]} output(s) per sample, "
                             f"y has {self.n_outputs_}")
        return targets

    @staticmethod
    def _default_loss(units, act):
        return _losses.MeanSquaredError()

    def _check_output(self, net, units, meta):
        if units != meta["n_outputs"]:
            raise ValueError(f"the network outputs {units} value(s) per sample but y has "
                             f"{meta['n_outputs']} output(s): its last layer needs {meta['n_outputs']} units")

    # ------------------------------------------------------------------ public API
    def partial_fit(self, X, y, sample_weight=None):
        """Train for one epoch on (X, y), continuing from the current weights (the first call builds
        the network). ``history_`` grows by one epoch per call."""
        with unchanged_on_error(self):
            first = not hasattr(self, "model_")
            return self._train(X, y, sample_weight, {}, first=first, epochs=1)

    def predict(self, X):
        """The network's outputs y_hat for X: shape (n_samples,) if ``fit`` got a 1-D y, else
        (n_samples, n_outputs_)."""
        out = self._predict_raw(X)
        return out[:, 0] if self.y_ndim_ == 1 else out
