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

The package: ``classifier.py`` and ``regressor.py`` (the two estimators), ``estimator.py`` (what they
share: routed parameters, training, prediction), ``network.py`` (building and compiling the network
from the parameters), ``randomness.py`` (``random_state``) and ``validation.py`` (input checks).
"""

try:
    import sklearn  # noqa: F401  (the real scikit-learn: this package's own name is scratchnn.sklearn)
except ImportError as _err:  # pragma: no cover - exercised by a test that hides scikit-learn
    raise ImportError("scratchnn.sklearn needs scikit-learn: pip install 'scratchnn[sklearn]' "
                      "(or pip install scikit-learn)") from _err

from .classifier import NeuralNetClassifier
from .estimator import ROUTED_PREFIXES  # noqa: F401  (scratchnn.sklearn.ROUTED_PREFIXES, as before the split)
from .regressor import NeuralNetRegressor

__all__ = ["NeuralNetClassifier", "NeuralNetRegressor"]
