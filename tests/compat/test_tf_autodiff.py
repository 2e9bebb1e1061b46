"""``tf.GradientTape`` and ``tf.function`` (``compat/tf_autodiff.py``): gradients in the sources'
structure, None where unconnected, no ``.grad`` left behind, TensorFlow's rules for persistent
tapes and watched constants, and a custom training loop that equals ``fit`` step for step."""
import numpy as np
import pytest

import scratchnn.compat.tensorflow as tf
from scratchnn import Tensor

keras = tf.keras


def test_gradient_of_a_watched_constant():
    x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(x * x)
    dy = tape.gradient(y, x)
    assert isinstance(dy, Tensor)
    np.testing.assert_allclose(dy.numpy(), 2 * x.numpy())
    assert not x.requires_grad                                  # a constant again after the block


def test_an_unwatched_constant_gets_none_and_zero_on_request():
    x, w = tf.constant([1.0, 2.0]), tf.Variable([3.0, 4.0])
    with tf.GradientTape(persistent=True) as tape:
        y = tf.reduce_sum(x * w)
    gx, gw = tape.gradient(y, [x, w])
    assert gx is None
    np.testing.assert_allclose(gw.numpy(), x.numpy())
    zx = tape.gradient(y, x, unconnected_gradients="zero")
    np.testing.assert_array_equal(zx.numpy(), [0.0, 0.0])


def test_gradients_come_back_in_the_structure_of_the_sources():
    a, b, c = tf.Variable(1.0), tf.Variable(2.0), tf.Variable(5.0)
    with tf.GradientTape() as tape:
        y = a * b * b
    grads = tape.gradient(y, {"a": a, "pair": (b, [c])})
    assert set(grads) == {"a", "pair"} and isinstance(grads["pair"], tuple)
    assert float(grads["a"]) == 4.0 and float(grads["pair"][0]) == 4.0
    assert grads["pair"][1] == [None]


def test_a_non_persistent_tape_answers_once_and_a_persistent_one_again():
    w = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        y = w * w
    assert float(tape.gradient(y, w)) == 6.0
    with pytest.raises(RuntimeError, match="non-persistent GradientTape can only be used to compute one set"):
        tape.gradient(y, w)
    with tf.GradientTape(persistent=True) as tape:
        y = w * w
        z = y * w
    assert float(tape.gradient(y, w)) == 6.0
    assert float(tape.gradient(z, w)) == 27.0
    assert float(tape.gradient(z, y)) == 3.0                    # an intermediate result as source


def test_output_gradients_and_several_targets():
    w = tf.Variable([1.0, 2.0])
    with tf.GradientTape(persistent=True) as tape:
        y = w * 3.0
    np.testing.assert_allclose(tape.gradient(y, w, output_gradients=tf.constant([1.0, 10.0])).numpy(),
                               [3.0, 30.0])
    np.testing.assert_allclose(tape.gradient([y, tf.reduce_sum(w)], w).numpy(), [4.0, 4.0])


def test_watch_accessed_variables_false_differentiates_only_the_watched():
    a, b = tf.Variable(2.0), tf.Variable(3.0)
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(a)
        y = a * b
    ga, gb = tape.gradient(y, [a, b])
    assert float(ga) == 3.0 and gb is None


def test_stop_recording_and_stop_gradient_cut_the_graph():
    w = tf.Variable(2.0)
    with tf.GradientTape(persistent=True) as tape:
        with tape.stop_recording():
            hidden = w * w
        y = w * tf.stop_gradient(w * w) + hidden
    assert float(tape.gradient(y, w)) == 4.0


def test_no_grad_is_left_on_any_tensor_and_hooks_do_not_run():
    w = tf.Variable([1.0, 2.0])
    seen = []
    w.register_hook(seen.append)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(w * w)
    tape.gradient(y, [w])
    assert w.grad is None and seen == []


def test_a_tape_inside_another_gives_the_second_derivative():
    """y = x^3 at 3: the inner tape's 3x^2 = 27 is recorded by the outer tape, which gives 6x = 18
    (before second derivatives, this raised NotImplementedError)."""
    x = tf.Variable(3.0)
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            y = x * x * x
        dy = inner.gradient(y, x)
    assert float(dy) == 27.0
    assert float(outer.gradient(dy, x)) == 18.0


def test_watch_refuses_what_is_not_a_tensor_and_skips_integers():
    with tf.GradientTape() as tape:
        with pytest.raises(TypeError, match="expected a Tensor"):
            tape.watch(np.ones(2))
        with pytest.warns(UserWarning, match="dtype int32 cannot have a gradient"):
            tape.watch(tf.constant([1, 2]))
    assert tape.watched_variables() == []


def test_the_tape_gradients_feed_apply_gradients():
    w = tf.Variable([1.0, -1.0])
    opt = keras.optimizers.SGD(learning_rate=0.1)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.square(w))
    opt.apply_gradients(zip(tape.gradient(loss, [w]), [w]))
    np.testing.assert_allclose(w.numpy(), [0.8, -0.8])


def _mlp(regularized):
    tf.random.set_seed(11)
    if not regularized:
        return keras.Sequential([keras.layers.Dense(16, activation=tf.nn.relu, input_shape=(8,)),
                                 keras.layers.Dense(3)])
    return keras.Sequential([keras.layers.Dense(16, activation="relu", input_shape=(8,),
                                                kernel_regularizer=keras.regularizers.l2(1e-2)),
                             keras.layers.Dropout(0.3), keras.layers.Dense(3)])


def _optimizer(regularized):
    return keras.optimizers.SGD(0.1, momentum=0.9) if regularized else keras.optimizers.Adam(1e-2)


@pytest.mark.parametrize("regularized", [False, True], ids=["mlp-adam", "l2-dropout-sgd-momentum"])
def test_custom_training_loop_equals_fit_step_for_step(regularized, restore_global_rng):
    """The loop of TensorFlow's "writing a training loop from scratch" guide (``sum(model.losses)``
    added, as there), on an MLP: the weights after two epochs equal those of fit(shuffle=False)
    with the same seeds (dropout's masks included); a fit after the custom loop then trains
    normally (no gradient was left behind)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((96, 8)).astype("float32")
    y = rng.integers(0, 3, 96)

    fitted = _mlp(regularized)
    fitted.compile(optimizer=_optimizer(regularized),
                   loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    tf.random.set_seed(99)
    fitted.fit(x, y, batch_size=32, epochs=2, shuffle=False, verbose=0)

    model = _mlp(regularized)
    optimizer = _optimizer(regularized)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    @tf.function
    def train_step(xb, yb):
        with tf.GradientTape() as tape:
            logits = model(xb, training=True)
            loss_value = loss_fn(yb, logits)
            loss_value += sum(model.losses)
        grads = tape.gradient(loss_value, model.trainable_weights)
        optimizer.apply_gradients(zip(grads, model.trainable_weights))
        return loss_value

    tf.random.set_seed(99)
    losses = [float(train_step(x[i:i + 32], y[i:i + 32])) for _ in range(2) for i in range(0, 96, 32)]
    for mine, theirs in zip(model.get_weights(), fitted.get_weights()):
        np.testing.assert_allclose(mine, theirs, rtol=1e-6, atol=1e-7)
    assert losses[-1] < losses[0]
    assert all(w.grad is None for w in model.trainable_weights)

    model.compile(optimizer=_optimizer(regularized),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(x, y, batch_size=32, epochs=3, shuffle=False, verbose=0).history
    assert history["loss"][-1] < losses[-1]


def test_tf_function_with_and_without_arguments_runs_the_function():
    calls = []

    @tf.function
    def f(x):
        calls.append(x)
        return x * 2

    @tf.function(input_signature=[tf.TensorSpec(shape=(None,), dtype=tf.float32)], jit_compile=True,
                 reduce_retracing=True)
    def g(x):
        return x + 1

    assert float(f(tf.constant(3.0))) == 6.0 and float(f(tf.constant(4.0))) == 8.0 and len(calls) == 2
    assert float(g(tf.constant(1.0))) == 2.0
    assert f.__name__ == "f" and g.input_signature[0].shape == (None,)
    with pytest.raises(TypeError, match="unexpected arguments \\['jit'\\]"):
        tf.function(jit=True)


def test_tf_function_on_a_method():
    class Counter:
        def __init__(self):
            self.n = 0

        @tf.function
        def add(self, k):
            self.n += k
            return self.n

    c = Counter()
    assert c.add(2) == 2 and c.add(3) == 5
