"""The ``tf`` tensor functions (``compat/tf_tensors.py``): values against NumPy with TensorFlow's
argument names and defaults (int32 for Python ints, float32 for floats, ``tf.argmax``'s axis 0,
``tf.split`` by sizes, ``tf.cumsum``'s axis 0, ...), ``tf.Variable``, and gradients through them."""
import numpy as np
import pytest

import scratchnn.compat.tensorflow as tf
from scratchnn import Tensor

A = np.array([[1.0, -2.0, 3.0], [4.0, 5.0, -6.0]], dtype=np.float32)


def test_constant_follows_tensorflow_dtypes():
    assert tf.constant([1, 2]).dtype == tf.int32
    assert tf.constant([1.5]).dtype == tf.float32
    assert tf.constant(np.arange(3)).dtype == np.arange(3).dtype       # an array keeps its dtype
    assert tf.constant([1, 2], dtype=tf.float64).dtype == np.float64
    np.testing.assert_array_equal(tf.constant(7, shape=(2, 2)).numpy(), np.full((2, 2), 7))
    np.testing.assert_array_equal(tf.constant([1, 2, 3, 4], shape=[2, 2]).numpy(), [[1, 2], [3, 4]])
    assert isinstance(tf.constant(1.0), tf.Tensor) and tf.is_tensor(tf.constant(1.0))
    assert tf.convert_to_tensor(A).dtype == tf.float32
    t = tf.constant(A)
    assert tf.convert_to_tensor(t) is t


def test_dtypes_newaxis_and_version():
    assert tf.float32 == np.float32 and tf.int64 == np.int64 and tf.bool == np.bool_
    assert tf.dtypes.float16 == np.float16 and tf.as_dtype("int8") == np.int8
    assert tf.constant(A)[tf.newaxis].shape == (1, 2, 3)
    assert tf.__version__.startswith("2.16") and "scratchnn" in tf.__version__
    assert tf.as_dtype("string") is tf.string                # string tensors: test_tf_strings.py
    with pytest.raises(AttributeError, match="tf.strings is not part of scratchnn's TensorFlow surface"):
        _ = tf.strings


def test_creation_functions():
    assert tf.ones((2, 3)).dtype == tf.float32 and tf.zeros([4], dtype=tf.int32).dtype == tf.int32
    np.testing.assert_array_equal(tf.range(5).numpy(), np.arange(5))
    assert tf.range(5).dtype == tf.int32 and tf.range(0.0, 1.0, 0.5).dtype == tf.float32
    np.testing.assert_array_equal(tf.range(2, 8, 3).numpy(), [2, 5])
    np.testing.assert_allclose(tf.linspace(0.0, 1.0, 5).numpy(), np.linspace(0, 1, 5))
    np.testing.assert_array_equal(tf.fill([2, 2], 9).numpy(), np.full((2, 2), 9))
    np.testing.assert_array_equal(tf.eye(2, 3).numpy(), np.eye(2, 3))
    assert tf.eye(2, batch_shape=[4]).shape == (4, 2, 2)
    np.testing.assert_array_equal(tf.ones_like(A).numpy(), np.ones_like(A))
    np.testing.assert_array_equal(tf.zeros_like(tf.constant([1, 2])).numpy(), [0, 0])


def test_shape_functions():
    x = tf.constant(A)
    np.testing.assert_array_equal(tf.shape(x).numpy(), [2, 3])
    assert int(tf.rank(x)) == 2 and int(tf.size(x)) == 6
    assert tf.reshape(x, [tf.shape(x)[0], -1, 1]).shape == (2, 3, 1)        # a Tensor in a shape
    assert tf.expand_dims(x, -1).shape == (2, 3, 1) and tf.squeeze(tf.ones((1, 3, 1))).shape == (3,)
    np.testing.assert_array_equal(tf.transpose(x).numpy(), A.T)
    np.testing.assert_array_equal(tf.transpose(tf.ones((2, 3, 4)), perm=[2, 0, 1]).shape, (4, 2, 3))
    np.testing.assert_array_equal(tf.concat([x, x], axis=0).numpy(), np.concatenate([A, A]))
    np.testing.assert_array_equal(tf.stack([x, x], axis=1).numpy(), np.stack([A, A], 1))
    assert [t.shape for t in tf.unstack(x, axis=1)] == [(2,), (2,), (2,)]
    parts = tf.split(tf.range(6), [2, 4])                                    # sizes, as TensorFlow
    assert [p.numpy().tolist() for p in parts] == [[0, 1], [2, 3, 4, 5]]
    assert [p.shape for p in tf.split(x, 3, axis=1)] == [(2, 1)] * 3
    np.testing.assert_array_equal(tf.tile(x, [1, 2]).numpy(), np.tile(A, (1, 2)))
    np.testing.assert_array_equal(tf.gather(x, [1, 1, 0]).numpy(), A[[1, 1, 0]])
    np.testing.assert_array_equal(tf.gather(x, [2], axis=1).numpy(), A[:, [2]])
    np.testing.assert_array_equal(tf.boolean_mask(x, A > 0).numpy(), A[A > 0])
    np.testing.assert_array_equal(tf.where(A > 0).numpy(), np.argwhere(A > 0))
    np.testing.assert_array_equal(tf.where(A > 0, x, 0.0).numpy(), np.where(A > 0, A, 0))
    np.testing.assert_array_equal(tf.pad(x, [[1, 0], [0, 1]]).numpy(), np.pad(A, ((1, 0), (0, 1))))
    assert tf.broadcast_to(tf.constant([1.0, 2.0]), [3, 2]).shape == (3, 2)


def test_reductions_and_tensorflow_defaults():
    x = tf.constant(A)
    assert float(tf.reduce_sum(x)) == A.sum()
    np.testing.assert_allclose(tf.reduce_mean(x, axis=1).numpy(), A.mean(1))
    np.testing.assert_allclose(tf.reduce_max(x, axis=0, keepdims=True).numpy(), A.max(0, keepdims=True))
    np.testing.assert_allclose(tf.reduce_min(x).numpy(), A.min())
    np.testing.assert_allclose(tf.reduce_prod(x, 1).numpy(), A.prod(1))
    np.testing.assert_allclose(tf.reduce_std(x).numpy(), A.std(), rtol=1e-6)
    np.testing.assert_allclose(tf.reduce_logsumexp(x, 1).numpy(), np.log(np.exp(A).sum(1)), rtol=1e-6)
    assert bool(tf.reduce_any(x > 4)) and not bool(tf.reduce_all(x > 0))
    np.testing.assert_array_equal(tf.argmax(x).numpy(), A.argmax(0))         # axis 0 by default
    assert tf.argmax(x).dtype == tf.int64
    np.testing.assert_array_equal(tf.argmin(x, axis=1).numpy(), A.argmin(1))
    np.testing.assert_array_equal(tf.cumsum(x).numpy(), np.cumsum(A, 0))     # axis 0 by default
    np.testing.assert_array_equal(tf.cumsum(x, axis=1, exclusive=True).numpy(),
                                  np.cumsum(A, 1) - A)
    np.testing.assert_array_equal(tf.cumsum(x, axis=1, reverse=True).numpy(),
                                  np.cumsum(A[:, ::-1], 1)[:, ::-1])
    np.testing.assert_array_equal(tf.sort(x, direction="DESCENDING").numpy(), -np.sort(-A, -1))
    np.testing.assert_array_equal(tf.argsort(x).numpy(), np.argsort(A, -1))
    np.testing.assert_allclose(tf.norm(x).numpy(), np.linalg.norm(A), rtol=1e-6)
    np.testing.assert_allclose(tf.norm(x, ord=1).numpy(), np.abs(A).sum(), rtol=1e-6)
    np.testing.assert_allclose(tf.norm(x, axis=1).numpy(), np.linalg.norm(A, axis=1), rtol=1e-6)


def test_one_hot_with_on_and_off_values():
    np.testing.assert_array_equal(tf.one_hot([0, 2, -1], 3).numpy(), [[1, 0, 0], [0, 0, 1], [0, 0, 0]])
    assert tf.one_hot([0], 3).dtype == tf.float32
    out = tf.one_hot([1], 3, on_value=5, off_value=-1)
    np.testing.assert_array_equal(out.numpy(), [[-1, 5, -1]])
    assert out.dtype == tf.int32
    assert tf.one_hot([0, 1], 3, axis=0).shape == (3, 2)


def test_arithmetic_functions():
    x = tf.constant(A)
    np.testing.assert_allclose(tf.matmul(x, x, transpose_b=True).numpy(), A @ A.T)
    np.testing.assert_allclose(tf.matmul(x, x, transpose_a=True).numpy(), A.T @ A)
    np.testing.assert_allclose(tf.einsum("ij,kj->ik", x, x).numpy(), A @ A.T)
    np.testing.assert_allclose(tf.linalg.einsum("ij->j", x).numpy(), A.sum(0))
    np.testing.assert_allclose(tf.square(x).numpy(), A ** 2)
    np.testing.assert_allclose(tf.sqrt(tf.abs(x)).numpy(), np.sqrt(np.abs(A)))
    np.testing.assert_allclose(tf.exp(x).numpy(), np.exp(A), rtol=1e-6)
    np.testing.assert_allclose(tf.clip_by_value(x, -1.0, 2.0).numpy(), np.clip(A, -1, 2))
    np.testing.assert_allclose(tf.add_n([x, x, x]).numpy(), 3 * A)
    np.testing.assert_allclose(tf.pow(x, 2).numpy(), A ** 2)
    np.testing.assert_array_equal(tf.sign(x).numpy(), np.sign(A))
    np.testing.assert_array_equal(tf.cast(tf.constant([1.7, -1.2]), tf.int32).numpy(), [1, -1])
    np.testing.assert_array_equal(tf.equal(x, 1.0).numpy(), A == 1)
    np.testing.assert_array_equal(tf.logical_and(x > 0, x < 4).numpy(), (A > 0) & (A < 4))


def test_gradients_flow_through_the_tensor_functions():
    w = tf.Variable(A)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.square(tf.reshape(tf.transpose(w), [-1])) * tf.range(6, dtype=tf.float32))
    g = tape.gradient(y, w)
    np.testing.assert_allclose(g.numpy(), 2 * A * np.arange(6).reshape(3, 2).T)


def test_variable():
    v = tf.Variable(1.0)
    assert v.dtype == tf.float32 and v.trainable and v.requires_grad
    assert v.assign(3.0) is v and float(v) == 3.0
    v.assign_add(2.0)
    v.assign_sub(0.5)
    assert float(v) == 4.5 and float(v.numpy()) == 4.5
    snapshot = v.value()
    v.assign(0.0)
    assert float(snapshot) == 4.5                              # a copy of the values
    counter = tf.Variable(0, trainable=True)
    assert counter.dtype == tf.int32 and not counter.requires_grad    # an integer variable: values only
    counter.assign_add(1)
    assert int(counter) == 1
    frozen = tf.Variable([1.0, 2.0], trainable=False, name="frozen")
    assert not frozen.trainable and frozen.name == "frozen"
    assert "tf.Variable 'frozen'" in repr(frozen)
    with pytest.raises(ValueError, match="cannot assign a value of shape \\(3,\\)"):
        frozen.assign([1.0, 2.0, 3.0])
    assert isinstance(tf.Variable(lambda: np.zeros(2)), Tensor)


def test_the_weights_of_a_layer_take_assign_sub():
    layer = tf.keras.layers.Dense(2)
    layer(np.ones((1, 3), dtype=np.float32))
    before = layer.kernel.numpy().copy()
    layer.kernel.assign_sub(np.ones_like(before))
    np.testing.assert_allclose(layer.kernel.numpy(), before - 1)


def test_tf_gather_refuses_batch_dims_and_pad_other_modes():
    with pytest.raises(ValueError, match="batch_dims is not supported"):
        tf.gather(tf.constant(A), [0], batch_dims=1)
    with pytest.raises(ValueError, match="mode 'REFLECT' is not available"):
        tf.pad(tf.constant(A), [[1, 1], [1, 1]], mode="REFLECT")


def test_clip_by_norm_and_by_global_norm():
    t = tf.constant([3.0, 4.0])                                             # norm 5
    np.testing.assert_allclose(tf.clip_by_norm(t, 1.0).numpy(), [0.6, 0.8], rtol=1e-6)
    np.testing.assert_allclose(tf.clip_by_norm(t, 10.0).numpy(), [3.0, 4.0])   # short enough already
    grads = [tf.constant([3.0]), None, tf.constant([[4.0]])]
    clipped, norm = tf.clip_by_global_norm(grads, 2.5)
    assert float(norm) == 5.0 and clipped[1] is None
    np.testing.assert_allclose(clipped[0].numpy(), [1.5])
    np.testing.assert_allclose(clipped[2].numpy(), [[2.0]])
    w = tf.Variable([3.0, 4.0])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.clip_by_norm(w, 1.0))
    np.testing.assert_allclose(tape.gradient(y, w).numpy(), [0.032, -0.024], rtol=1e-5)


def test_python_numbers_and_lists_take_tensorflow_types():
    assert tf.reduce_max([1, 2, 3]).dtype == tf.int32                        # not NumPy's int64
    assert tf.reduce_sum([1.0, 2.0]).dtype == tf.float32
    assert tf.multiply(tf.constant([1, 2, 3]), 2).dtype == tf.int32          # the tensor's dtype
    assert tf.add(2.5, tf.constant([1.0], dtype=tf.float64)).dtype == tf.float64
    assert tf.add(1, 2).dtype == tf.int32 and int(tf.add(1, 2)) == 3
    assert tf.square([1.5]).dtype == tf.float32
    np.testing.assert_array_equal(tf.multiply(tf.constant([1, 2]), [3, 4]).numpy(), [3, 8])


def test_a_slice_of_a_variable_can_be_assigned_and_still_differentiates():
    """Deep Learning with Python, ch. 3: ``v[0, 0].assign(3.)`` writes into the variable."""
    v = tf.Variable(tf.ones((3, 1)))
    returned = v[0, 0].assign(3.)
    assert returned is v
    np.testing.assert_array_equal(v.numpy().ravel(), [3.0, 1.0, 1.0])
    with tf.GradientTape() as tape:
        y = v[1, 0] * 2.0
    np.testing.assert_array_equal(tape.gradient(y, v).numpy().ravel(), [0.0, 2.0, 0.0])


def test_a_one_element_tensor_takes_a_format_spec():
    """The TensorFlow guides print ``f"loss={loss:2.5f}"`` with a tensor."""
    assert f"{tf.reduce_mean(tf.constant([1.0, 2.0])):.3f}" == "1.500"
    assert f"{tf.constant([[2.5]]):.1f}" == "2.5"
    with pytest.raises(TypeError):
        f"{tf.constant([1.0, 2.0]):.1f}"
