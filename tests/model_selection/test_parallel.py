"""n_jobs > 1 from a script: worker processes import the script again (spawn), so a search started
by unguarded top-level code must be refused with a clear message instead of hanging."""
import subprocess
import sys
import textwrap

import pytest

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
