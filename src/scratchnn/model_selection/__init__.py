"""Model selection: cross-validation, grid search and random search over scratchnn models.

Which hyper-parameters (width, depth, learning rate, batch size, ...) give the best network? The
honest way to answer is to train a *fresh* model for every setting on part of the data and score
it on the rest, several times over (k-fold cross-validation), and compare the mean scores::

    from scratchnn import layers, model_selection, Sequential
    from scratchnn.preprocessing import StandardScaler

    def build_mlp(units=32, activation="relu"):          # returns a compiled model
        model = Sequential([layers.Input((30,)), layers.Dense(units, activation=activation),
                            layers.Dense(1, activation="sigmoid")])
        model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
        return model

    scaler = StandardScaler()                            # fitted inside every fit, on its training rows
    cv = model_selection.cross_validate(build_mlp, x, y, cv=5, preprocess=scaler, epochs=20)
    print(cv.summary())              # accuracy (test): 0.9670 +/- 0.0121 (5 folds; 0.41 s per fit)

    search = model_selection.GridSearch(build_mlp, {"units": [16, 64], "learning_rate": [1e-3, 1e-2],
                                                    "batch_size": [16, 64]}, cv=5, preprocess=scaler)
    search.fit(x, y, epochs=20)
    print(search.results_table())                         # ranked: best first
    search.best_params_, search.best_score_, search.predict(x_new)

Give the raw ``x`` and let ``preprocess=`` scale it: scaling all of ``x`` first would let each
fold's model see the statistics of the rows it is scored on (a leak; see ``preprocess``).
Keyword arguments such as ``epochs=20`` go to every ``model.fit``, as in Keras.

The names follow scikit-learn's ``cross_validate``, ``GridSearchCV`` and ``RandomizedSearchCV``
(``best_params_``, ``mean_test_score``, ``rank_test_score``, scorer names and their sign
convention: greater is better, so errors are negated: ``'neg_mean_squared_error'``).

Where a hyper-parameter goes (``model__x``, ``fit__x``, ``optimizer__x``, a name of
``build_fn``'s signature, a ``Model.fit`` argument, ``optimizer`` and ``learning_rate``): the
rules are in ``routing``. Reproducibility (every fit seeded from ``random_state`` and the fold
number, the same results for every ``n_jobs`` and ``executor``): ``seeds``.

On a Dask cluster (``pip install 'scratchnn[dask]'``), the same search, unchanged::

    from dask.distributed import Client
    with Client("tcp://scheduler:8786") as client:
        search = model_selection.GridSearch(build_mlp, grid, cv=5, executor=client.get_executor())
        search.fit(x, y, epochs=20)                  # the same results as on one machine

The modules, from the top (what you call) down (what it is made of):

* ``halving``: ``HalvingGridSearch``, ``HalvingRandomSearch``: successive halving, with epochs as
  the resource (many candidates for a few epochs, the best for more), and ``halving_schedule``;
* ``search``: ``GridSearch``, ``RandomSearch`` (ranking, refit, ``results_table``,
  ``results_to_csv``) and ``format_value`` (a hyper-parameter value as tables and plots show it);
* ``cross_validation``: ``cross_validate``, ``cross_val_score``, ``CrossValidationResult``;
* ``parallel``: running the fits, here, in spawned worker processes (``n_jobs``, BLAS
  threads, the picklability and ``if __name__ == "__main__":`` checks) or on an ``executor=``
  (a ``concurrent.futures.Executor``: a process pool, a Dask cluster's ``get_executor()``);
* ``fitting``: one fit: build a fresh model for a candidate, train it on a fold, score it
  (``error_score`` for a fit that fails);
* ``preprocess``: the ``preprocess=`` step (a scaler), fitted on each fit's training rows only;
* ``building``: ``build_fn`` called and checked, a fresh optimizer per fit, and ``first_return``
  (the models already handed over for a fit, which must not be trained again);
* ``routing``: where each hyper-parameter goes (``build_fn``, ``fit`` or the optimizer),
  ``FIT_ARGUMENTS``, and the fit arguments given as keywords;
* ``candidates``: the settings a search tries: ``ParameterGrid``, ``ParameterSampler``,
  ``loguniform``;
* ``scoring``: ``Scorer``, ``get_scorer``, ``get_scorer_names``, ``make_scorer``;
* ``folds``: ``check_cv`` and the checked ``(train, test)`` folds;
* ``seeds``: the seed of every fit, and your global generators restored afterwards;
* ``targets``: ``x`` and ``y`` checked, class labels told from regression targets.
"""
from ..preprocessing import KFold, StratifiedKFold      # the splitters cv= takes, importable here too
from .building import first_return                     # used by scratchnn.sklearn
from .candidates import ParameterGrid, ParameterSampler, loguniform
from .cross_validation import CrossValidationResult, cross_val_score, cross_validate
from .folds import check_cv, splits
from .halving import HalvingGridSearch, HalvingRandomSearch, halving_schedule
from .routing import FIT_ARGUMENTS
from .scoring import Scorer, check_scorers_for_targets, get_scorer, get_scorer_names, make_scorer
from .search import BaseSearch, GridSearch, RandomSearch, format_value

__all__ = ["cross_validate", "cross_val_score", "CrossValidationResult", "GridSearch", "RandomSearch",
           "HalvingGridSearch", "HalvingRandomSearch", "halving_schedule", "BaseSearch",
           "ParameterGrid", "ParameterSampler", "loguniform", "get_scorer", "get_scorer_names",
           "make_scorer", "Scorer", "check_cv", "format_value", "splits", "check_scorers_for_targets"]
