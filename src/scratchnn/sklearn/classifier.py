"""``NeuralNetClassifier``: a scratchnn network as a scikit-learn classifier (labels of any kind
encoded as 0 .. K-1, a softmax or a single sigmoid output, ``predict_proba``, ``class_weight``)."""
import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets

from .. import layers as _layers
from .. import losses as _losses
from ..preprocessing import LabelEncoder
from ..utils import to_categorical
from .estimator import NeuralNetBase
from .validation import describe, unchanged_on_error


def _softmax(z):
    """softmax(z)_k = exp(z_k - max z) / sum_j exp(z_j - max z), row by row (stable for large z)."""
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _sigmoid(z):
    """sigmoid(z) = 1 / (1 + exp(-z)) = exp(-log(1 + exp(-z))), computed without overflow."""
    return np.exp(-np.logaddexp(0.0, -z)).astype(z.dtype, copy=False)



class NeuralNetClassifier(ClassifierMixin, NeuralNetBase):
    """A neural-network classifier with scikit-learn's interface, trained by scratchnn.

    Parameters (scikit-learn and Keras names; every one can be searched over):

    * ``model``: None (an MLP: ``hidden_layer_sizes`` x ``Dense(h, activation)`` then the output
      layer below), a function that builds a scratchnn ``Model``, or a list of layers (the whole
      network); see the module docstring;
    * ``hidden_layer_sizes=(100,)``, ``activation='relu'``: the built-in MLP's hidden layers (changed
      along with another ``model``, an error: they would be ignored);
    * ``optimizer='adam'``, ``learning_rate=0.001``, ``loss=None``, ``metrics=None``: how an uncompiled
      network is compiled (extra optimizer arguments: ``optimizer__<name>=value``);
    * ``epochs=10``, ``batch_size=32``, ``validation_split=0.0``, ``shuffle=True``, ``callbacks=None``,
      ``verbose=0``: passed to ``Model.fit`` (more with ``fit__<name>=value``);
    * ``class_weight=None``: ``{label: weight}`` or ``'balanced'`` (weight_k = n / (n_classes * n_k)),
      multiplying each sample's loss by its class's weight;
    * ``random_state=None``: an int makes ``fit`` repeatable;
    * ``model__<name>=value``: passed to the model-building function.

    Output and loss. With K = ``n_classes_`` classes the built-in MLP ends with
    ``Dense(K, activation='softmax')``, p_k = exp(z_k) / sum_j exp(z_j), trained with sparse categorical
    cross-entropy, loss = -log p_y; for K = 2 it ends, as ``MLPClassifier`` does, with one
    ``Dense(1, activation='sigmoid')`` unit, p = 1 / (1 + exp(-z)) = P(class 1), trained with binary
    cross-entropy, loss = -[y log p + (1 - y) log(1 - p)]. For a network you build, ``loss=None`` picks
    the same from its output: 1 unit -> binary cross-entropy, K units -> sparse categorical
    cross-entropy, with ``from_logits=True`` when the last layer applies no sigmoid/softmax (the outputs
    are then logits). A given ``loss`` is used as is; with ``'categorical_crossentropy'`` the targets
    are one-hot encoded for it. The output must have K units (or 1 unit for K = 2).

    Targets: a 1-D array of labels of any kind (ints, strings, ...). They are encoded as
    0 .. K-1 in sorted order (``classes_``; ``scratchnn.preprocessing.LabelEncoder``), and ``predict``
    returns the original labels: ``classes_[argmax_k predict_proba(X)[:, k]]``.

    Attributes after ``fit``: ``model_``, ``history_``, ``n_iter_``, ``classes_``, ``n_classes_``,
    ``n_features_in_`` (and ``feature_names_in_`` for a DataFrame), ``n_outputs_`` (1: one target).

    Example::

        clf = NeuralNetClassifier(hidden_layer_sizes=(32,), epochs=20, random_state=0)
        clf.fit(x_train, y_train).score(x_test, y_test)      # accuracy
        clf.predict_proba(x_test[:3])                        # rows sum to 1
    """

    def __init__(self, model=None, *, hidden_layer_sizes=(100,), activation="relu", optimizer="adam",
                 learning_rate=0.001, loss=None, metrics=None, epochs=10, batch_size=32,
                 validation_split=0.0, shuffle=True, class_weight=None, callbacks=None, verbose=0,
                 random_state=None, **kwargs):
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
        self.class_weight = class_weight
        self.callbacks = callbacks
        self.verbose = verbose
        self.random_state = random_state
        self._store(kwargs)

    # ------------------------------------------------------------------ hooks
    def _y_validation(self):
        return {}                                       # y must be 1-D (a column is raveled, with a warning)

    def _encode_targets(self, y, first, classes=None):
        """Labels -> codes 0..K-1 (learning ``classes_`` when ``first``), plus class weights per sample."""
        check_classification_targets(y)
        if first:
            encoder = LabelEncoder().fit(y if classes is None else np.asarray(classes))
            if len(encoder.classes_) < 2:
                raise ValueError(f"y has only one class ({encoder.classes_[0]!r}): a classifier needs "
                                 "at least 2 classes")
            self.classes_, self.n_classes_, self.n_outputs_ = encoder.classes_, len(encoder.classes_), 1
            self._encoder = encoder
        codes = self._encoder.transform(y)          # labels unseen in classes raise a clear ValueError
        weights = self._class_weights(codes)
        return codes, weights, {"n_classes": self.n_classes_, "n_outputs": 1}

    def _class_weights(self, codes):
        """Per-sample weights from ``class_weight`` ('balanced': n / (K * n_k), a dict by label)."""
        cw = self.class_weight
        if cw is None:
            return None
        K = self.n_classes_
        if isinstance(cw, str) and cw == "balanced":
            present = np.unique(codes)
            table = np.ones(K, dtype=np.float32)
            table[present] = compute_class_weight("balanced", classes=present, y=codes)
        elif isinstance(cw, dict):
            table = np.ones(K, dtype=np.float32)
            for label, weight in cw.items():
                found = np.flatnonzero(self.classes_ == label)
                if not len(found):
                    raise ValueError(f"class_weight has a weight for label {label!r}, which is not a "
                                     f"class of y (classes: {list(self.classes_)})")
                table[found[0]] = weight
        else:
            raise ValueError(f"class_weight must be None, 'balanced' or a dict {{label: weight}}, "
                             f"got {describe(cw)}")
        return table[codes]

    def _output_layer(self, meta):
        K = meta["n_classes"]
        loss = None if self.loss is None else _losses.get(self.loss)
        binary = K == 2 and (loss is None or isinstance(loss, _losses.BinaryCrossentropy))
        return _layers.Dense(1, activation="sigmoid") if binary else _layers.Dense(K, activation="softmax")

    @staticmethod
    def _default_loss(units, act):
        if units == 1:
            return _losses.BinaryCrossentropy(from_logits=act != "sigmoid")
        return _losses.SparseCategoricalCrossentropy(from_logits=act != "softmax")

    def _check_output(self, net, units, meta):
        K = meta["n_classes"]
        if units != K and not (units == 1 and K == 2):
            raise ValueError(f"the network outputs {units} value(s) per sample but y has {K} classes: its "
                             f"last layer needs {K} units (softmax)"
                             + (" or 1 unit (sigmoid)" if K == 2 else ""))

    def _validation_targets(self, net, y):
        if y.ndim != 1:
            raise ValueError(f"validation_data: y_val must be 1-D labels, got shape {y.shape}")
        return self._targets_for(net, self._encoder.transform(y))

    def _targets_for(self, net, codes):
        """Codes in the form the network's loss takes: one-hot rows for categorical cross-entropy, a
        0/1 float per sample for a single output unit, else the integer codes."""
        if isinstance(net.loss, _losses.CategoricalCrossentropy):
            return to_categorical(codes, self.n_classes_)
        if net.output_shape[-1] == 1:
            return codes.astype(np.float32)
        return codes

    # ------------------------------------------------------------------ public API
    def fit(self, X, y, sample_weight=None, **fit_params):
        """Build a new network with fresh weights and train it for ``epochs`` epochs on (X, y).

        ``X``: (n_samples, n_features); ``y``: (n_samples,) labels; ``sample_weight``: (n_samples,)
        weights of each sample's loss; other keyword arguments go to ``Model.fit``. Returns ``self``;
        on any error the estimator is left as it was."""
        return super().fit(X, y, sample_weight=sample_weight, **fit_params)

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train for one epoch on (X, y), continuing from the current weights.

        The first call builds the network; give it ``classes`` (every label there will ever be), as
        scikit-learn asks, unless this first ``y`` already holds them all. Later calls check that X has
        ``n_features_in_`` columns and y only known labels. ``history_`` grows by one epoch per call."""
        with unchanged_on_error(self):
            first = not hasattr(self, "model_")
            if not first and classes is not None and not np.array_equal(np.sort(np.asarray(classes)),
                                                                          self.classes_):
                raise ValueError(f"classes={list(classes)} differs from the classes of the first "
                                 f"partial_fit call: {list(self.classes_)}")
            return super()._train(X, y, sample_weight, {}, first=first, epochs=1, classes=classes)

    def predict_proba(self, X):
        """Class probabilities, shape (n_samples, n_classes_), rows summing to 1, columns in the
        order of ``classes_``: the softmax outputs; for one sigmoid unit p the columns [1 - p, p]; a
        network whose last layer applies neither is taken to output logits z and gets softmax(z)
        (or sigmoid(z))."""
        out = self._predict_raw(X)
        act = self.model_.output_activation()
        if out.shape[1] == 1:
            p = out[:, 0] if act == "sigmoid" else _sigmoid(out[:, 0])
            return np.column_stack([1 - p, p])
        return out if act == "softmax" else _softmax(out)

    def predict(self, X):
        """The predicted label of each row of X: ``classes_[argmax_k predict_proba(X)[:, k]]``
        (with one sigmoid unit: class 1 when p > 0.5)."""
        proba = self.predict_proba(X)            # first: it says "not fitted" before classes_ is needed
        return self.classes_[np.argmax(proba, axis=1)]
