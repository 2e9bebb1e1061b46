"""The ``scratchnn.keras`` namespace (``scratchnn/keras/``): Keras's names are scratchnn's
objects, and Keras's string identifiers resolve.
"""
import numpy as np
import pytest

import scratchnn as snn
import scratchnn.functional as F
from scratchnn import constraints as C
from scratchnn import initializers as I
from scratchnn import layers as L
from scratchnn import regularizers as R
from scratchnn.utils import set_random_seed, to_categorical


# ======================================================= keras / tf namespaces
def test_keras_namespace_objects():
    from scratchnn import keras
    assert keras.layers.Dense is L.Dense
    assert keras.layers.Flatten is L.Flatten and keras.layers.Input is L.Input
    assert keras.models.Sequential is snn.Sequential and keras.Sequential is snn.Sequential
    assert keras.optimizers.Adam is snn.optimizers.Adam
    assert keras.optimizers.schedules.ExponentialDecay is snn.optimizers.schedules.ExponentialDecay
    assert keras.losses.SparseCategoricalCrossentropy is snn.losses.SparseCategoricalCrossentropy
    assert keras.callbacks.EarlyStopping is snn.callbacks.EarlyStopping
    assert keras.utils.to_categorical is to_categorical
    assert keras.utils.set_random_seed is set_random_seed
    assert callable(keras.datasets.mnist.load_data)
    assert keras.regularizers.L2 is R.L2 and keras.constraints.MaxNorm is C.MaxNorm
    assert keras.initializers.GlorotUniform is I.GlorotUniform
    assert keras.KerasTensor is L.KerasTensor and isinstance(keras.Input((3,)), keras.KerasTensor)
    assert keras.layers.Concatenate is L.Concatenate and keras.layers.add is L.add


def test_keras_string_identifiers_resolve():
    from scratchnn import keras
    assert keras.activations.get("relu") is F.relu
    assert keras.activations.get(None) is F.linear
    assert isinstance(keras.initializers.get("glorot_uniform"), I.GlorotUniform)
    loss = keras.losses.get("sparse_categorical_crossentropy")
    assert isinstance(loss, snn.losses.SparseCategoricalCrossentropy)
    p = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1]])
    assert loss(np.array([0, 1]), p).item() == pytest.approx(-np.mean(np.log([0.7, 0.8])), rel=1e-5)
    metric = keras.metrics.get("accuracy")
    assert isinstance(metric, snn.metrics.Accuracy)
    assert isinstance(keras.optimizers.get("adam"), snn.optimizers.Adam)
    assert keras.optimizers.get("adam").learning_rate == pytest.approx(0.001)


def test_keras_version_is_keras_3_with_scratchnn_as_its_local_label():
    from scratchnn import keras
    assert keras.__version__.split(".")[0] == "3"
    assert keras.__version__.endswith("+scratchnn." + snn.__version__)
