"""String tensors (``compat/tf_strings.py``): ``tf.constant("Tennis", tf.string)`` as MIT 6.S191's
first lab writes it. They have a shape and a rank, hold bytes as TensorFlow's do, compare with
``==``, and refuse arithmetic, casts to numbers, variables and gradients with one clear line."""
import numpy as np
import pytest

import scratchnn.compat.tensorflow as tf


def test_a_string_scalar_and_a_string_vector_have_tensorflows_rank_shape_and_bytes():
    sport = tf.constant("Tennis", tf.string)
    assert isinstance(sport, tf.Tensor) and sport.dtype == tf.string and sport.dtype == "string"
    assert int(tf.rank(sport).numpy()) == 0 and tf.shape(sport).numpy().tolist() == []
    assert sport.numpy() == b"Tennis"
    assert repr(sport) == "tf.Tensor(b'Tennis', shape=(), dtype=string)"

    sports = tf.constant(["Tennis", "Basketball"], tf.string)
    assert int(tf.rank(sports).numpy()) == 1 and tf.shape(sports).numpy().tolist() == [2]
    assert int(tf.size(sports).numpy()) == 2 and len(sports) == 2
    assert sports.numpy().tolist() == [b"Tennis", b"Basketball"]
    assert sports[1].numpy() == b"Basketball" and [s.numpy() for s in sports] == [b"Tennis", b"Basketball"]
    assert tf.constant("Tennis").dtype == tf.string                 # text alone makes a string tensor
    assert tf.constant("é").numpy() == "é".encode("utf-8")          # UTF-8, as TensorFlow
    assert tf.constant("ab", shape=(2, 2)).numpy().tolist() == [[b"ab", b"ab"], [b"ab", b"ab"]]


def test_string_tensors_compare_element_by_element():
    sports = tf.constant(["Tennis", "Basketball"])
    np.testing.assert_array_equal((sports == "Tennis").numpy(), [True, False])
    np.testing.assert_array_equal(tf.not_equal("Tennis", sports).numpy(), [False, True])
    np.testing.assert_array_equal(tf.equal(sports, tf.constant(["Tennis", "Golf"])).numpy(), [True, False])
    np.testing.assert_array_equal(tf.equal(tf.constant([1, 2]), 2).numpy(), [False, True])  # numbers too


def test_the_dtype_is_tf_string_everywhere_tensorflow_names_it():
    assert tf.as_dtype("string") is tf.string and tf.dtypes.string is tf.string
    assert repr(tf.string) == "tf.string" and tf.string != tf.float32
    assert tf.string.as_numpy_dtype is object


@pytest.mark.parametrize("use, says", [
    (lambda s: s + 1, r"holds text, not numbers: \+ is not defined"),
    (lambda s: 2.0 * s, r"holds text, not numbers: \* is not defined"),
    (lambda s: float(s[0]), r"float\(\) is not defined"),
    (lambda s: s.sum(), r"sum is not defined"),
    (lambda s: tf.reduce_sum(s), r"tf.reduce_sum: a tf.string tensor holds text.*shape \(2,\)"),
    (lambda s: tf.add(s, s), r"tf.add: a tf.string tensor holds text"),
    (lambda s: tf.cast(s, tf.float32), r"tf.cast: a tf.string tensor holds text"),
    (lambda s: tf.stack([s, s]), r"tf.stack: a tf.string tensor holds text"),
    (lambda s: tf.Variable(s), r"tf.Variable: a variable of text \(tf.string\) is not part of scratchnn"),
    (lambda s: tf.Variable("Tennis"), r"tf.Variable: a variable of text"),
    (lambda s: s.requires_grad_(True), r"holds text: it has no gradient"),
    (lambda s: s.backward(), r"backward \(a gradient\) is not defined"),
    (lambda s: tf.constant([1.0, 2.0], tf.string), r"every element must be text.*got float 1.0"),
])
def test_text_refuses_arithmetic_and_gradients_in_one_clear_line(use, says):
    sports = tf.constant(["Tennis", "Basketball"])
    with pytest.raises(TypeError, match=says):
        use(sports)
    assert sports.numpy().tolist() == [b"Tennis", b"Basketball"]      # unchanged


def test_numbers_still_take_the_tensor_functions_and_tensorflows_top_level_math_names():
    x = tf.constant([0.0, 1.0])
    np.testing.assert_allclose(tf.sigmoid(x).numpy(), 1 / (1 + np.exp(-np.array([0.0, 1.0]))), rtol=1e-6)
    np.testing.assert_allclose(tf.tanh(x).numpy(), np.tanh([0.0, 1.0]), rtol=1e-6)
    assert float(tf.reduce_sum(x)) == 1.0 and tf.range(3).numpy().tolist() == [0, 1, 2]
    namespace = {}
    exec("from scratchnn.compat.tensorflow import *", namespace)       # noqa: S102
    assert "round" not in namespace and "sigmoid" in namespace and "string" in namespace
