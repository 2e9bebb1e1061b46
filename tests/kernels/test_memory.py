"""``scratchnn/kernels/memory.py``: the allocator is tuned by the first fit, not by importing
scratchnn, and can be turned off.
"""


def test_allocator_is_tuned_by_the_first_fit_not_by_import_and_can_be_turned_off():
    import os
    import subprocess
    import sys
    code = ("import numpy as np, scratchnn as snn; from scratchnn.kernels import memory as m; "
            "a = m.allocator_tuned; model = snn.Sequential([snn.layers.Dense(1, input_shape=(2,))]); "
            "model.compile(loss='mse'); model.fit(np.zeros((4, 2)), np.zeros((4, 1)), verbose=0); "
            "print(a, m.allocator_tuned)")

    def run(**env):
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                              env={**os.environ, **env}).stdout.split()
    if sys.platform.startswith("linux"):
        assert run() == ["False", "True"]
    assert run(SCRATCHNN_TUNE_MALLOC="0") == ["False", "False"]
    assert run(SCRATCHNN_FAST_KERNELS="0") == ["False", "False"]
