"""``import scratchnn.compat.tensorflow as tf`` (``scratchnn/compat/tensorflow.py``): ``tf.keras``
and ``tf.random.set_seed``, a clear error for what is outside the surface, and no fake
``tensorflow`` or ``keras`` module. (The rest of the surface: ``test_tf_*.py`` beside this file.)
"""
import importlib.util
import os
import sys

import numpy as np
import pytest

import scratchnn as snn
from scratchnn import layers as L
from scratchnn.utils import set_random_seed


def test_tensorflow_compat_module():
    import scratchnn.compat.tensorflow as tf
    from scratchnn import keras
    assert tf.keras is keras
    assert tf.random.set_seed is set_random_seed
    assert tf.keras.ops is keras.ops
    with pytest.raises(AttributeError) as err:
        tf.distribute                           # noqa: B018
    msg = str(err.value)
    assert "tf.distribute" in msg and "not TensorFlow" in msg and "help(scratchnn.compat.tensorflow)" in msg
    tf.random.set_seed(3)
    a = L.Dense(4)(np.ones((1, 3)))
    tf.random.set_seed(3)
    b = L.Dense(4)(np.ones((1, 3)))
    np.testing.assert_array_equal(a.data, b.data)


@pytest.mark.parametrize("name", ["tensorflow", "keras"])
def test_no_fake_tensorflow_or_keras_module_becomes_importable(name):
    import scratchnn.compat.tensorflow  # noqa: F401
    spec = importlib.util.find_spec(name)
    pkg_dir = os.path.dirname(snn.__file__)
    if spec is not None and not (spec.origin or "").startswith(pkg_dir):
        pytest.skip(f"a real {name} is installed")
    assert spec is None
    assert name not in sys.modules


def test_star_import_keeps_pythons_builtins():
    namespace = {}
    exec("from scratchnn.compat.tensorflow import *", namespace)
    assert "constant" in namespace and "GradientTape" in namespace and "float32" in namespace
    for name in ("range", "abs", "pow", "print", "bool", "float"):
        assert name not in namespace, name


def test_tensorflow_2s_short_names_for_the_keras_modules():
    """DeepLearning.AI's course writes ``optimizer=tf.optimizers.Adam()``."""
    import scratchnn.compat.tensorflow as tf
    assert tf.optimizers.Adam is tf.keras.optimizers.Adam
    assert tf.losses.MeanSquaredError is tf.keras.losses.MeanSquaredError
    assert tf.metrics.Mean is tf.keras.metrics.Mean
    assert tf.initializers.GlorotUniform is tf.keras.initializers.GlorotUniform
