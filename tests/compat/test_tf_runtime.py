"""``tf.config``, ``tf.random``, the TF-style initializers, ``tf.print`` and ``tf.test``
(``compat/tf_runtime.py``)."""
import io

import numpy as np
import pytest

import scratchnn.compat.tensorflow as tf
from scratchnn import initializers


def test_devices_one_cpu_no_gpu():
    assert tf.config.list_physical_devices("GPU") == []
    (cpu,) = tf.config.list_physical_devices("CPU")
    assert cpu.device_type == "CPU" and cpu.name == "/physical_device:CPU:0"
    assert tf.config.list_physical_devices() == [cpu]
    assert tf.config.experimental.list_physical_devices("GPU") == []
    for gpu in tf.config.list_physical_devices("GPU"):                       # the usual idiom
        tf.config.experimental.set_memory_growth(gpu, True)                  # pragma: no cover
    assert tf.config.experimental.set_memory_growth(cpu, True) is None
    assert tf.test.is_gpu_available() is False and tf.test.gpu_device_name() == ""
    tf.config.run_functions_eagerly(True)


def test_random_functions_are_seeded_by_set_seed(restore_global_rng):
    tf.random.set_seed(5)
    a = tf.random.normal((3, 4), mean=1.0, stddev=2.0)
    b = tf.random.uniform([2], minval=-1, maxval=1)
    tf.random.set_seed(5)
    np.testing.assert_array_equal(tf.random.normal((3, 4), mean=1.0, stddev=2.0).numpy(), a.numpy())
    np.testing.assert_array_equal(tf.random.uniform([2], minval=-1, maxval=1).numpy(), b.numpy())
    assert a.dtype == tf.float32 and a.shape == (3, 4)
    assert np.all((b.numpy() >= -1) & (b.numpy() < 1))
    ints = tf.random.uniform((100,), maxval=5, dtype=tf.int32)
    assert ints.dtype == tf.int32 and set(np.unique(ints.numpy())) <= set(range(5))
    with pytest.raises(ValueError, match="integer dtype needs maxval"):
        tf.random.uniform((2,), dtype=tf.int64)
    same = tf.random.normal((5,), seed=3).numpy()
    np.testing.assert_array_equal(tf.random.normal((5,), seed=3).numpy(), same)     # an op seed
    t = tf.random.truncated_normal((1000,), stddev=1.0, seed=0).numpy()
    assert np.abs(t).max() <= 2.0
    shuffled = tf.random.shuffle(tf.range(10), seed=1).numpy()
    assert sorted(shuffled.tolist()) == list(range(10)) and shuffled.tolist() != list(range(10))


def test_random_shapes_take_numpy_integers_and_tensors():
    """WGAN-GP's ``tf.random.uniform([batch_size, 1, 1, 1])`` with ``batch_size`` a NumPy integer
    or ``tf.shape(x)[0]`` (a NumPy scalar's ``.data`` is its bytes, which int() refused)."""
    x = tf.zeros((4, 3))
    assert tf.random.uniform([np.int32(4), 1, 1, 1]).shape == (4, 1, 1, 1)
    assert tf.random.normal([tf.shape(x)[0], np.int64(2)]).shape == (4, 2)
    assert tf.random.normal(tf.shape(x)).shape == (4, 3)
    assert tf.random.uniform(np.int64(5)).shape == (5,)


def test_tf_initializers_are_keras_initializers():
    assert isinstance(tf.random_normal_initializer(stddev=0.1), initializers.RandomNormal)
    w = tf.random_normal_initializer(mean=0.0, stddev=0.1, seed=2)(shape=(50, 40), dtype="float32")
    assert w.dtype == np.float32 and abs(w.std() - 0.1) < 0.01
    u = tf.random_uniform_initializer(-0.5, 0.5, seed=1)(shape=(100,))
    assert u.min() >= -0.5 and u.max() < 0.5
    np.testing.assert_array_equal(tf.constant_initializer(3.0)(shape=(2,)), [3.0, 3.0])
    np.testing.assert_array_equal(tf.zeros_initializer()(shape=(2,), dtype="float32"), [0.0, 0.0])
    np.testing.assert_array_equal(tf.ones_initializer()(shape=(2,)), [1.0, 1.0])
    v = tf.Variable(initial_value=tf.random_normal_initializer()(shape=(3, 2), dtype="float32"),
                    trainable=True)                                        # the "new layers" guide idiom
    assert v.shape == (3, 2) and v.trainable
    layer = tf.keras.layers.Dense(2, kernel_initializer=tf.keras.initializers.Ones())
    assert np.all(layer(np.ones((1, 3), dtype=np.float32)).numpy() == 3.0)


def _printed(*args, **kwargs):
    out = io.StringIO()
    tf.print(*args, output_stream=out, **kwargs)
    return out.getvalue()


def test_print_writes_tensors_as_their_values(capsys):
    assert _printed(tf.constant([1, 2, 3])) == "[1 2 3]\n"
    assert _printed("loss:", tf.constant(0.25), tf.constant([1.5, 2.0])) == "loss: 0.25 [1.5 2]\n"
    assert _printed(tf.range(10)) == "[0 1 2 ... 7 8 9]\n"                    # summarized like TF
    assert _printed(tf.range(10), summarize=-1) == "[0 1 2 3 4 5 6 7 8 9]\n"
    assert _printed(tf.constant([[1, 2], [3, 4]])) == "[[1 2]\n [3 4]]\n"
    assert _printed(tf.constant([True, False])) == "[true false]\n"
    assert _printed(1, 2, sep=",", end="!") == "1,2!"
    tf.print("to stderr")
    assert capsys.readouterr().err == "to stderr\n"                          # TF's default stream


def test_out_of_scope_names_raise_one_clear_line():
    with pytest.raises(AttributeError) as err:
        tf.estimator                                                         # noqa: B018
    message = str(err.value)
    assert message.startswith("tf.estimator is not part of scratchnn's TensorFlow surface")
    assert "not TensorFlow" in message and "\n" not in message
    with pytest.raises(AttributeError, match="tf.config.experimental.enable_tensor_float_32_execution"):
        tf.config.experimental.enable_tensor_float_32_execution              # noqa: B018


def test_random_categorical_follows_the_softmax(restore_global_rng):
    logits = tf.math.log(tf.constant([[0.7, 0.2, 0.1], [0.0, 0.0, 1.0]]) + 1e-12)
    tf.random.set_seed(0)
    draws = tf.random.categorical(logits, 4000).numpy()
    assert draws.shape == (2, 4000) and draws.dtype == np.int64
    np.testing.assert_allclose(np.bincount(draws[0], minlength=3) / 4000, [0.7, 0.2, 0.1], atol=0.03)
    assert set(draws[1].tolist()) == {2}
    with pytest.raises(ValueError, match="logits must have shape \\(batch, classes\\)"):
        tf.random.categorical(tf.constant([1.0, 2.0]), 3)
