"""``keras.layers`` (``scratchnn/keras/layers.py``): the layers, and the tf.keras 2.3-2.5 path
``layers.experimental.preprocessing``."""
from scratchnn import keras
from scratchnn import layers as L


def test_experimental_preprocessing_path_holds_the_same_classes():
    pre = keras.layers.experimental.preprocessing
    assert pre.RandomFlip is L.RandomFlip and pre.RandomZoom is L.RandomZoom and pre.Rescaling is L.Rescaling
    layer = pre.RandomRotation(0.1, seed=0)
    assert isinstance(layer, L.RandomRotation) and keras.layers.RandomCrop is L.RandomCrop
