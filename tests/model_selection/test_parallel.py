"""``n_jobs > 1`` (``scratchnn/model_selection/parallel.py``): the same results as one job; and
from a script, where worker processes import the script again (spawn), a search started by
unguarded top-level code is refused with a clear message instead of hanging.
"""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from scratchnn import model_selection as ms

from scratchnn.preprocessing import MinMaxScaler

from tests.model_selection.helpers import X_BC, Y_BC, build_binary


def test_n_jobs_2_gives_the_same_results_as_n_jobs_1():
    grid = {"units": [2, 5], "learning_rate": [0.01]}
    kw = dict(cv=2, random_state=11, scoring=["accuracy", "roc_auc"], refit="accuracy", verbose=0,
              preprocess=MinMaxScaler())          # sent to the workers with the rest
    one = ms.GridSearch(build_binary, grid, n_jobs=1, **kw).fit(X_BC, Y_BC, epochs=2)
    env = {k: os.environ.get(k) for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    two = ms.GridSearch(build_binary, grid, n_jobs=2, **kw).fit(X_BC, Y_BC, epochs=2)
    assert {k: os.environ.get(k) for k in env} == env                 # the parent's settings are back
    for a, b in zip(one.results_, two.results_):
        assert a["params"] == b["params"]
        assert a["test_accuracy"] == b["test_accuracy"] and a["test_roc_auc"] == b["test_roc_auc"]
    assert one.histories_ == two.histories_
    assert one.best_params_ == two.best_params_
    for wa, wb in zip(one.best_model_.get_weights(), two.best_model_.get_weights()):
        np.testing.assert_array_equal(wa, wb)


SCRIPT = textwrap.dedent('''
    import numpy as np
    from scratchnn import Sequential, layers, model_selection

    rng = np.random.default_rng(0)
    x = rng.standard_normal((60, 3)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")

    def build(units=4):
        model = Sequential([layers.Input((3,)), layers.Dense(units, activation="relu"),
                            layers.Dense(2, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        return model

    def main():
        search = model_selection.GridSearch(build, {"units": [2, 4]}, cv=2, n_jobs=2, verbose=0,
                                            random_state=0)
        search.fit(x, y, epochs=1)
        print("best", search.best_params_)
    ''')


@pytest.mark.parametrize("guarded", [False, True])
def test_parallel_search_from_a_script(tmp_path, guarded):
    tail = 'if __name__ == "__main__":\n    main()\n' if guarded else "main()\n"
    path = tmp_path / "search_script.py"
    path.write_text(SCRIPT + tail)
    proc = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path)
    if guarded:
        assert proc.returncode == 0, proc.stderr
        assert "best {'units':" in proc.stdout
    else:
        assert proc.returncode != 0
        assert "search_script.py again" in proc.stderr and 'if __name__ == "__main__":' in proc.stderr
        line = (SCRIPT + tail).splitlines().index("main()") + 1
        assert f"(line {line})" in proc.stderr           # where the unguarded call is
