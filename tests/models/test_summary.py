"""``model.summary()`` (``scratchnn/models/summary.py``): the lecture model's table and
non-trainable weights.
"""
import re

import scratchnn as snn
from scratchnn.layers import Dense, Flatten
from scratchnn.utils import set_random_seed


# ============================================================================ summary
def test_summary_of_the_lecture_model():
    set_random_seed(0)
    model = snn.Sequential([Flatten(input_shape=(28, 28), name="flat"),
                            Dense(50, activation="relu", name="hid"),
                            Dense(10, activation="softmax", name="out")], name="lecture")
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert 'Model: "lecture"' in text
    for name, kind, shape, params in (("flat", "Flatten", "(None, 784)", "0"),
                                      ("hid", "Dense", "(None, 50)", "39,250"),
                                      ("out", "Dense", "(None, 10)", "510")):
        row = next(line for line in lines if f"{name} ({kind})" in line)
        assert shape in row and re.search(rf"\b{params}\b", row), row
    assert "Total params: 39,760" in text
    assert "Trainable params: 39,760" in text
    assert "Non-trainable params: 0" in text
    assert model.count_params() == 39760


def test_summary_counts_frozen_weights_as_non_trainable():
    set_random_seed(0)
    model = snn.Sequential([Dense(50, input_shape=(784,), trainable=False), Dense(10)])
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "Total params: 39,760" in text
    assert "Trainable params: 510" in text
    assert "Non-trainable params: 39,250" in text
