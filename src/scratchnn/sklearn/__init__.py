"""scikit-learn estimators over scratchnn networks: ``NeuralNetClassifier`` and ``NeuralNetRegressor``.

A scratchnn model becomes a scikit-learn estimator, so everything scikit-learn builds around
estimators works with it: ``Pipeline`` (after a ``StandardScaler``), ``cross_val_score``,
``GridSearchCV``, ``RandomizedSearchCV``, ``clone``::

    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from scratchnn.sklearn import NeuralNetClassifier

    net = make_pipeline(StandardScaler(), NeuralNetClassifier(hidden_layer_sizes=(32,), epochs=20))
    search = GridSearchCV(net, {"neuralnetclassifier__learning_rate": [1e-3, 1e-2],
                                "neuralnetclassifier__hidden_layer_sizes": [(16,), (64,)]}, cv=3)
    search.fit(x_train, y_train)
    search.best_params_, search.score(x_test, y_test)

The network is given in one of three ways (the ``model`` argument):

* ``None`` (the default): a multi-layer perceptron like scikit-learn's ``MLPClassifier``: one
  ``Dense(h, activation=activation)`` per entry ``h`` of ``hidden_layer_sizes``, then an output layer
  that fits the targets (see each class);
* a function returning a scratchnn ``Model`` (compiled or not). Arguments given to the estimator as
  ``model__<name>=value`` are passed to it as ``<name>=value``, so a search can tune them::

      def build(units=32, dropout=0.0):
          return Sequential([layers.Dense(units, activation="relu"), layers.Dropout(dropout),
                             layers.Dense(10, activation="softmax")])

      GridSearchCV(NeuralNetClassifier(build, model__units=32), {"model__units": [16, 64]})

  The function may also take any of ``n_features_in``, ``n_outputs`` and (classifier) ``n_classes``
  by those names: they are filled in from the training data;
* a list of layers (instances, or ``scratchnn.layers.serialize`` dicts): the complete network, as
  ``Sequential(layers)`` takes it, output layer included.

Every ``fit`` builds a new network with fresh weights (layer instances of a list are rebuilt from their
config, never reused), so ``clone`` and re-fitting behave as in scikit-learn. An uncompiled network is
compiled with ``optimizer`` (a name, an ``Optimizer`` class or instance) at ``learning_rate``, the extra
arguments ``optimizer__<name>=value``, ``loss`` and ``metrics``; a network the function returns already
compiled keeps its own settings. Arguments ``fit__<name>=value`` go to ``Model.fit`` (e.g.
``fit__shuffle=False``).

Conventions (scikit-learn's): the constructor only stores its arguments; everything learned ends in
``_``: ``model_`` (the trained scratchnn model), ``history_`` (``{'loss': [...], ...}`` per epoch),
``n_iter_`` (epochs run), ``n_features_in_``, ``n_outputs_``, and ``classes_`` / ``n_classes_`` for the
classifier. ``X`` is a 2-D array of shape (n_samples, n_features), given to the network as float32
(start a network with ``layers.Reshape((28, 28, 1))`` to feed flattened images to a CNN).

Randomness: with ``random_state`` (an int) a fit draws the initial weights, the shuffling and the
dropout masks from its own generator, ``numpy.random.default_rng(random_state)``, so it is repeatable
and leaves the global one (``scratchnn.random``) as it was; with ``random_state=None`` it draws from the
global generator. Fits running at the same time in threads of one process share that global slot: run
parallel searches with processes (scikit-learn's default ``n_jobs`` backend) for repeatable results.

scikit-learn is an optional dependency: ``pip install 'scratchnn[sklearn]'``.
"""
import contextlib
import inspect
import numbers
import warnings

import numpy as np

try:
    import sklearn  # noqa: F401  (the real scikit-learn: this module's own name is scratchnn.sklearn)
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
    from sklearn.utils.class_weight import compute_class_weight
    from sklearn.utils.multiclass import check_classification_targets
    from sklearn.utils.validation import _check_sample_weight, check_array, check_is_fitted
except ImportError as _err:  # pragma: no cover - exercised by a test that hides scikit-learn
    raise ImportError("scratchnn.sklearn needs scikit-learn: pip install 'scratchnn[sklearn]' "
                      "(or pip install scikit-learn)") from _err

try:  # scikit-learn >= 1.6
    from sklearn.utils.validation import validate_data as _sk_validate_data
except ImportError:  # pragma: no cover - older scikit-learn
    _sk_validate_data = None

from scratchnn import layers as _layers
from scratchnn import losses as _losses
from scratchnn import optimizers as _optimizers
from scratchnn import random as _random
from scratchnn.layers.base import Layer
from scratchnn.model_selection import first_return
from scratchnn.models import Model, Sequential
from scratchnn.preprocessing import LabelEncoder
from scratchnn.utils import to_categorical

#: prefixes of the routed arguments ``model__units=32`` etc., and where each one goes
ROUTED_PREFIXES = ("model__", "optimizer__", "fit__")

# Model.fit arguments that the estimator sets itself (fit__<name> may not override them)
_MANAGED_FIT_ARGS = ("x", "y", "epochs", "batch_size", "verbose", "callbacks", "validation_split",
                     "shuffle", "sample_weight", "class_weight")

# predictions are computed in batches of at least this many rows (the result does not depend on it)
_PREDICT_BATCH = 1024


def _validate(estimator, X, y="no_validation", reset=True, **kwargs):
    """scikit-learn's ``validate_data`` (>= 1.6) or the older ``BaseEstimator._validate_data``:
    checks X (and y unless it is "no_validation"; ``y=None`` is an error), converts X to float32 and
    records (``reset=True``) or checks ``n_features_in_``."""
    if _sk_validate_data is not None:
        return _sk_validate_data(estimator, X, y, reset=reset, dtype=np.float32, **kwargs)
    return estimator._validate_data(X, y, reset=reset, dtype=np.float32, **kwargs)  # pragma: no cover


@contextlib.contextmanager
def _unchanged_on_error(estimator):
    """Undo every attribute change of ``estimator`` if the block raises: a failed ``fit`` leaves the
    estimator exactly as it was (fitted or not)."""
    saved = dict(estimator.__dict__)
    try:
        yield
    except BaseException:
        estimator.__dict__.clear()
        estimator.__dict__.update(saved)
        raise


@contextlib.contextmanager
def _drawing_from(generator):
    """Make ``generator`` scratchnn's global random generator for the block (initializers, dropout
    and shuffling draw from it), then put the previous one back. ``None``: leave it as it is."""
    if generator is None:
        yield
        return
    saved = _random._generator
    _random._generator = generator
    try:
        yield
    finally:
        _random._generator = saved


def _generator_for(random_state):
    """A new ``numpy.random.Generator`` for a fit: None -> None (use the global one); an int -> seeded
    with it; a ``RandomState`` or ``Generator`` -> seeded with a number drawn from it (so successive
    fits differ, as scikit-learn's estimators do with a RandomState)."""
    if random_state is None:
        return None
    if isinstance(random_state, (numbers.Integral, np.integer)) and not isinstance(random_state, bool):
        if random_state < 0:
            raise ValueError(f"random_state must be None, a non-negative integer, a "
                             f"numpy.random.RandomState or a Generator, got {random_state!r}")
        return np.random.default_rng(int(random_state))
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(int(random_state.randint(np.iinfo(np.int32).max)))
    if isinstance(random_state, np.random.Generator):
        return np.random.default_rng(int(random_state.integers(np.iinfo(np.int64).max)))
    raise ValueError(f"random_state must be None, a non-negative integer, a numpy.random.RandomState "
                     f"or a Generator, got {type(random_state).__name__}: {random_state!r}")


def _softmax(z):
    """softmax(z)_k = exp(z_k - max z) / sum_j exp(z_j - max z), row by row (stable for large z)."""
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _sigmoid(z):
    """sigmoid(z) = 1 / (1 + exp(-z)) = exp(-log(1 + exp(-z))), computed without overflow."""
    return np.exp(-np.logaddexp(0.0, -z)).astype(z.dtype, copy=False)


def _describe(value):
    text = repr(value)
    return f"{type(value).__name__}: {text if len(text) <= 80 else text[:77] + '...'}"


class _NeuralNetBase(BaseEstimator):
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

    # ------------------------------------------------------------------ network
    def _hidden_layers(self):
        """``Dense(h, activation)`` for each ``h`` of ``hidden_layer_sizes`` (an int or a sequence)."""
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, (numbers.Integral, np.integer)) and not isinstance(sizes, bool):
            sizes = (sizes,)
        try:
            sizes = list(sizes)
        except TypeError:
            sizes = None
        if sizes is None or not all(isinstance(h, (numbers.Integral, np.integer)) and not isinstance(h, bool)
                                    and h > 0 for h in sizes):
            raise ValueError(f"hidden_layer_sizes must be a positive integer or a sequence of positive "
                             f"integers (e.g. (100,) or (64, 32)), got {_describe(self.hidden_layer_sizes)}")
        return [_layers.Dense(int(h), activation=self.activation) for h in sizes]

    def _new_network(self, meta):
        """A new, built, uncompiled-or-compiled network from the ``model`` argument."""
        spec = self.model
        routed = self._routed("model__")
        if routed and not callable(spec):
            raise ValueError(f"model__{next(iter(routed))} is passed to a model-building function, but "
                             f"model is {'None' if spec is None else 'a list of layers'}; for the built-in "
                             f"network use hidden_layer_sizes and activation")
        if spec is None:
            net = Sequential([_layers.Input((meta["n_features_in"],))] + self._hidden_layers()
                             + [self._output_layer(meta)])
        elif isinstance(spec, Model):
            raise TypeError("model must be None, a function that builds a scratchnn Model, or a list of "
                            f"layers, got a {type(spec).__name__} instance; pass a function that builds it "
                            "(e.g. model=lambda: Sequential([...])) or the list of its layers, so that "
                            "every fit starts from fresh weights")
        elif isinstance(spec, (list, tuple)):
            if not spec:
                raise ValueError("model is an empty list: give the network's layers, output layer included")
            self._check_mlp_arguments_unset("a list of layers")
            net = Sequential([self._fresh_layer(item, i) for i, item in enumerate(spec)])
        elif callable(spec):
            self._check_mlp_arguments_unset("a model-building function")
            net = self._call_build_function(spec, routed, meta)
        else:
            raise TypeError("model must be None, a function that builds a scratchnn Model, or a list of "
                            f"layers, got {_describe(spec)}")
        net._ensure_built((meta["n_features_in"],))    # as Model.fit builds it: all or nothing
        return net

    def _check_mlp_arguments_unset(self, given):
        """``hidden_layer_sizes`` and ``activation`` shape only the built-in network: set for another one,
        they would be ignored (and a search over them would train the same network again and again)."""
        unused = [f"{name}={value!r}" for name, value, default in (
            ("hidden_layer_sizes", self.hidden_layer_sizes, (100,)), ("activation", self.activation, "relu"))
            if not (value is default or value == default)]
        if unused:
            raise ValueError(f"{' and '.join(unused)} shape only the built-in network (model=None), but "
                             f"model is {given}, which they would not change: set the layers there (a "
                             "model-building function takes model__<name> arguments)")

    @staticmethod
    def _fresh_layer(item, index):
        """A new layer equal to ``item`` (a Layer, rebuilt from its config, or a serialized dict)."""
        if isinstance(item, Layer):
            try:
                return _layers.deserialize(_layers.serialize(item))
            except Exception as err:
                raise ValueError(f"model[{index}]: cannot rebuild layer '{item.name}' "
                                 f"({type(item).__name__}) from its config ({err}); a custom layer needs "
                                 f"get_config() and scratchnn.layers.register") from err
        if isinstance(item, dict):
            return _layers.deserialize(item)
        raise TypeError(f"model[{index}] must be a scratchnn Layer or a layer config dict "
                        f"({{'class_name': ..., 'config': ...}}), got {_describe(item)}")

    @staticmethod
    def _call_build_function(fn, routed, meta):
        """``fn(**routed, **meta it asks for)``; it must return a scratchnn Model."""
        name = getattr(fn, "__name__", type(fn).__name__)
        kwargs = dict(routed)
        try:
            params = inspect.signature(fn).parameters
        except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
            params = None
        if params is not None:
            takes_any = any(p.kind is p.VAR_KEYWORD for p in params.values())
            named = {k for k, p in params.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
            unknown = sorted(set(routed) - named)
            if unknown and not takes_any:
                raise ValueError(f"model__{unknown[0]} was given, but the model-building function "
                                 f"{name}() has no argument {unknown[0]!r} (its arguments: "
                                 f"{', '.join(params) or 'none'})")
            kwargs.update({k: v for k, v in meta.items() if k in named and k not in routed})
        net = fn(**kwargs)
        if not isinstance(net, Model):
            raise TypeError(f"the model-building function {name}() must return a scratchnn Model "
                            f"(e.g. a Sequential), got {_describe(net)}")
        if not first_return(net):          # a network made once, outside the function
            raise ValueError(f"the model-building function {name}() returned a network it had returned "
                             "before, whose weights an earlier fit may have trained: create the network "
                             "inside the function, so that every fit starts from fresh weights")
        return net

    def _new_optimizer(self):
        """``optimizer`` at ``learning_rate`` with the ``optimizer__*`` arguments, always a new object
        (a given instance is copied through its config: its state never carries over between fits)."""
        spec = self.optimizer
        args = {"learning_rate": self.learning_rate, **self._routed("optimizer__")}
        if isinstance(spec, str):
            return _optimizers.deserialize({"class_name": spec, "config": args})
        if isinstance(spec, type) and issubclass(spec, _optimizers.Optimizer):
            return spec(**args)
        if isinstance(spec, _optimizers.Optimizer):
            config = spec.get_config()
            if config.get("learning_rate") != self.learning_rate:
                warnings.warn(f"optimizer={type(spec).__name__}(learning_rate={config.get('learning_rate')}) "
                              f"is trained at the estimator's learning_rate={self.learning_rate}: set "
                              "learning_rate on the estimator (which a search can tune)", UserWarning,
                              stacklevel=4)
            return type(spec).from_config({**config, **args})
        if isinstance(spec, dict) and "class_name" in spec:
            return _optimizers.deserialize({"class_name": spec["class_name"],
                                            "config": {**spec.get("config", {}), **args}})
        raise TypeError(f"optimizer must be a name ('adam', 'sgd', ...), an Optimizer class or instance, "
                        f"or a config dict, got {_describe(spec)}")

    def _compiled_network(self, meta):
        """Build the network, compile it when it is not compiled yet, and check its output."""
        net = self._new_network(meta)
        if len(net.output_shape) != 2:
            raise ValueError(f"the network's output has shape {net.output_shape}; it must be "
                             "(batch, outputs): end it with a Dense layer (Flatten first, for images)")
        units, act = net.output_shape[-1], net._output_activation()
        if net.compiled:
            ignored = [name for name, value, default in (("optimizer", self.optimizer, "adam"),
                                                         ("learning_rate", self.learning_rate, 0.001),
                                                         ("loss", self.loss, None),
                                                         ("metrics", self.metrics, None))
                       if not (value is default or value == default)]
            ignored += ["optimizer__" + k for k in self._routed("optimizer__")]
            if ignored:
                warnings.warn(f"the model-building function returned a compiled model, so "
                              f"{', '.join(ignored)} of the estimator are not used: return an uncompiled "
                              "model to train with them", UserWarning, stacklevel=3)
            # its optimizer, as a new copy: the function may compile every network with one instance
            # it keeps, whose step count and moments would otherwise carry over from fit to fit
            net.optimizer = type(net.optimizer).from_config(net.optimizer.get_config())
        else:
            loss = self._default_loss(units, act) if self.loss is None else _losses.get(self.loss)
            net.compile(optimizer=self._new_optimizer(), loss=loss, metrics=self.metrics)
        self._check_output(net, units, meta)
        return net

    # ------------------------------------------------------------------ training
    def _train(self, X, y, sample_weight, fit_kwargs, first, epochs, **target_args):
        """The shared body of ``fit`` (``first=True``) and later ``partial_fit`` calls."""
        X, y = _validate(self, X, y, reset=first, **self._y_validation())
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
            generator = _generator_for(self.random_state)
            meta["n_features_in"] = X.shape[1]
            with _drawing_from(generator):
                net = self._compiled_network(meta)
        else:
            generator, net = self._generator, self.model_
        targets = self._targets_for(net, targets)
        if kwargs.get("validation_data") is not None:
            kwargs["validation_data"] = self._validation_arrays(net, kwargs["validation_data"], X.shape[1])
        with _drawing_from(generator):
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
                             f"sample_weight_val), got {_describe(data)}")
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
        with _unchanged_on_error(self):
            for attr in ("model_", "history_", "n_iter_", "_generator"):
                self.__dict__.pop(attr, None)
            return self._train(X, y, sample_weight, fit_params, first=True, epochs=self.epochs)

    def _predict_raw(self, X):
        """The network's outputs for X (checked: fitted, same number of features as in fit)."""
        check_is_fitted(self)
        X = _validate(self, X, reset=False)
        return self.model_.predict(X, batch_size=max(_PREDICT_BATCH, self.batch_size or 0), verbose=0)


class NeuralNetClassifier(ClassifierMixin, _NeuralNetBase):
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
                             f"got {_describe(cw)}")
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
        with _unchanged_on_error(self):
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
        act = self.model_._output_activation()
        if out.shape[1] == 1:
            p = out[:, 0] if act == "sigmoid" else _sigmoid(out[:, 0])
            return np.column_stack([1 - p, p])
        return out if act == "softmax" else _softmax(out)

    def predict(self, X):
        """The predicted label of each row of X: ``classes_[argmax_k predict_proba(X)[:, k]]``
        (with one sigmoid unit: class 1 when p > 0.5)."""
        proba = self.predict_proba(X)            # first: it says "not fitted" before classes_ is needed
        return self.classes_[np.argmax(proba, axis=1)]


class NeuralNetRegressor(RegressorMixin, _NeuralNetBase):
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
        with _unchanged_on_error(self):
            first = not hasattr(self, "model_")
            return self._train(X, y, sample_weight, {}, first=first, epochs=1)

    def predict(self, X):
        """The network's outputs y_hat for X: shape (n_samples,) if ``fit`` got a 1-D y, else
        (n_samples, n_outputs_)."""
        out = self._predict_raw(X)
        return out[:, 0] if self.y_ndim_ == 1 else out


__all__ = ["NeuralNetClassifier", "NeuralNetRegressor"]
