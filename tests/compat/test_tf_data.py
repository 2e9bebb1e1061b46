"""``tf.data`` (``scratchnn/compat/tf_data.py``): a course's input pipeline, written against
TensorFlow's names, trains a model through ``fit``.
"""
import numpy as np
import pytest

import scratchnn.compat.tensorflow as tf
from scratchnn.compat.tf_data import data
from scratchnn.preprocessing import Dataset


def test_tf_data_is_the_dataset_of_scratchnn_with_tensorflows_names():
    assert tf.data is data and tf.data.Dataset is Dataset
    assert tf.data.AUTOTUNE == tf.data.experimental.AUTOTUNE == -1
    assert tf.data.INFINITE_CARDINALITY == -1 and tf.data.UNKNOWN_CARDINALITY == -2


def test_a_tutorial_pipeline_trains_through_fit():
    """The tutorials' pipeline: slices, normalise in map, cache, shuffle, batch, prefetch."""
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(120, 6, 6)).astype(np.uint8)
    y = (x.reshape(120, -1).mean(axis=1) > 127.5).astype(np.int64)
    tf.random.set_seed(0)
    ds = (tf.data.Dataset.from_tensor_slices((x, y))
          .map(lambda image, label: (image / 255.0, label), num_parallel_calls=tf.data.AUTOTUNE)
          .cache().shuffle(120, seed=0).batch(16).prefetch(tf.data.AUTOTUNE))
    assert len(ds) == 8
    for images, labels in ds.take(1):
        assert images.numpy().shape == (16, 6, 6) and images.numpy().max() <= 1.0
        assert labels.numpy().dtype == np.int64
    model = tf.keras.Sequential([tf.keras.layers.Flatten(input_shape=(6, 6)),
                                 tf.keras.layers.Dense(2, activation="softmax")])
    model.compile(tf.keras.optimizers.Adam(0.05), "sparse_categorical_crossentropy", ["accuracy"])
    history = model.fit(ds, epochs=6, verbose=0, validation_data=ds.take(2))
    assert model.optimizer.iterations == 6 * 8
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert len(history.history["val_loss"]) == 6
    assert model.predict(ds.map(lambda images, labels: images), verbose=0).shape == (120, 2)


def test_what_tf_data_does_not_provide_is_said_in_one_line():
    for get in (lambda: tf.data.TFRecordDataset, lambda: tf.data.experimental.make_csv_dataset):
        with pytest.raises(AttributeError, match=r"tf\.data.*is not available.*this is scratchnn, not "
                                                 r"TensorFlow"):
            get()
