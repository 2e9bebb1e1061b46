"""Second derivatives through ``tf.GradientTape`` (``compat/tf_autodiff.py``): nested tapes, a
persistent tape asked inside its block, ``jacobian`` / ``batch_jacobian``, and a WGAN-GP
training step (the norm of d critic / d input inside the loss) compared with PyTorch."""
import numpy as np
import pytest

import scratchnn.compat.tensorflow as tf
from scratchnn import Tensor

from tests.helpers import requires_torch, torch

keras = tf.keras


def test_nested_tapes_give_the_acceleration_of_a_falling_body():
    """Deep Learning with Python, chapter 3: position = 4.9 t^2, speed 9.8 t, acceleration 9.8."""
    time = tf.Variable(0.)
    with tf.GradientTape() as outer_tape:
        with tf.GradientTape() as inner_tape:
            position = 4.9 * time ** 2
        speed = inner_tape.gradient(position, time)
    acceleration = outer_tape.gradient(speed, time)
    assert float(speed) == 0.0
    assert isinstance(acceleration, Tensor)
    np.testing.assert_allclose(float(acceleration), 9.8, rtol=1e-6)


def test_a_persistent_tape_differentiates_its_own_gradient():
    x = tf.Variable([1.0, 2.0, 3.0])
    with tf.GradientTape(persistent=True) as tape:
        y = tf.reduce_sum(tf.exp(x) + x ** 3)
        dy = tape.gradient(y, x)
    d2y = tape.gradient(dy, x)
    np.testing.assert_allclose(dy.numpy(), np.exp([1, 2, 3]) + 3 * np.array([1, 4, 9]), rtol=1e-6)
    np.testing.assert_allclose(d2y.numpy(), np.exp([1, 2, 3]) + 6 * np.array([1, 2, 3]), rtol=1e-6)


def test_a_gradient_taken_alone_or_under_stop_recording_has_no_graph():
    """No tape records (or the outer one is told to stop): the gradient is a constant, as the plain
    first-order path makes it, and the outer tape finds no path (None, as TensorFlow)."""
    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = x ** 3
    dy = tape.gradient(y, x)
    assert dy._ctx is None and float(dy) == 12.0
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            y = x ** 3
        with outer.stop_recording():
            dy = inner.gradient(y, x)
    assert dy._ctx is None and outer.gradient(dy, x) is None


def test_an_op_without_second_derivative_gives_first_derivatives_and_names_itself():
    """tf.reduce_prod's gradient under an outer tape is right; differentiating it again raises
    an error that names the op (not a silent zero)."""
    x = tf.Variable([1.0, 2.0, 3.0])
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            y = tf.reduce_prod(x)
        dx = inner.gradient(y, x)
    np.testing.assert_allclose(dx.numpy(), [6.0, 3.0, 2.0])
    with pytest.raises(NotImplementedError, match="second derivatives are not available for Prod"):
        outer.gradient(dx, x)


def test_gradient_of_a_convolution_differentiated_again():
    """A convolutional critic's input gradient has a graph: d/dW of sum(dx^2) equals finite
    differences of it (float32, loose tolerance)."""
    rng = np.random.default_rng(0)
    conv = keras.layers.Conv2D(2, 3, padding="same", activation="tanh")
    x = tf.constant(rng.standard_normal((1, 5, 5, 1)).astype("float32"))
    conv(x)

    def penalty():
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = tf.reduce_sum(conv(x) ** 2)
        return tf.reduce_sum(inner.gradient(y, x) ** 2)
    with tf.GradientTape() as outer:
        p = penalty()
    dk = outer.gradient(p, conv.kernel).numpy()
    k = conv.kernel.numpy().copy()
    i, eps = (1, 2, 0, 1), 1e-2
    values = []
    for sign in (1, -1):
        shifted = k.copy()
        shifted[i] += sign * eps
        conv.kernel.assign(shifted)
        values.append(float(penalty()))
    conv.kernel.assign(k)
    np.testing.assert_allclose(dk[i], (values[0] - values[1]) / (2 * eps), rtol=2e-2)


def test_jacobian_of_an_elementwise_and_a_matrix_function():
    x = tf.Variable([1.0, 2.0, 3.0])
    a = np.arange(6, dtype="float32").reshape(2, 3)
    with tf.GradientTape(persistent=True) as tape:
        y = x ** 2
        z = tf.matmul(tf.constant(a), tf.reshape(x, (3, 1)))
    np.testing.assert_allclose(tape.jacobian(y, x).numpy(), np.diag([2.0, 4.0, 6.0]))
    jz = tape.jacobian(z, x)
    assert jz.shape == (2, 1, 3)
    np.testing.assert_allclose(jz.numpy()[:, 0, :], a)
    other = tf.Variable(1.0)
    assert tape.jacobian(y, other) is None
    np.testing.assert_array_equal(tape.jacobian(y, other, unconnected_gradients="zero").numpy(), np.zeros(3))


def test_batch_jacobian_of_a_dense_layer_is_its_kernel_transposed():
    """y = x W + b for each example: dy[b, i] / dx[b, j] = W[j, i], the same for every example."""
    layer = keras.layers.Dense(2)
    x = tf.constant(np.random.default_rng(1).standard_normal((4, 3)).astype("float32"))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = layer(x)
    jac = tape.batch_jacobian(y, x)
    assert jac.shape == (4, 2, 3)
    np.testing.assert_allclose(jac.numpy(), np.broadcast_to(layer.kernel.numpy().T, (4, 2, 3)), rtol=1e-6)
    with pytest.raises(RuntimeError, match="only be used to compute one set"):
        tape.batch_jacobian(y, x)


def test_hessian_through_nested_jacobian():
    """The Hessian of sum(x^3) is diag(6x): a jacobian of the inner gradient."""
    x = tf.Variable([1.0, -2.0])
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            y = tf.reduce_sum(x ** 3)
        g = inner.gradient(y, x)
    np.testing.assert_allclose(outer.jacobian(g, x).numpy(), np.diag([6.0, -12.0]))


def _gp_step(critic, optimizer, real, fake, eps, weight=10.0):
    """One WGAN-GP critic step, written as Keras's tutorial writes it."""
    with tf.GradientTape() as tape:
        interpolated = eps * real + (1.0 - eps) * fake
        with tf.GradientTape() as gp_tape:
            gp_tape.watch(interpolated)
            pred = critic(interpolated, training=True)
        grads = gp_tape.gradient(pred, [interpolated])[0]
        norm = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=[1]))
        gp = tf.reduce_mean((norm - 1.0) ** 2)
        loss = tf.reduce_mean(critic(fake, training=True)) - tf.reduce_mean(critic(real, training=True))
        loss = loss + weight * gp
    g = tape.gradient(loss, critic.trainable_weights)
    optimizer.apply_gradients(zip(g, critic.trainable_weights))
    return float(loss), [t.numpy().copy() for t in g]


def _torch_gp_step(params, real, fake, eps, lr, weight=10.0):
    k1, b1, k2, b2 = params

    def critic(x):
        return torch.tanh(x @ k1 + b1) @ k2 + b2
    interpolated = (eps * real + (1.0 - eps) * fake).requires_grad_(True)
    grads, = torch.autograd.grad(critic(interpolated).sum(), interpolated, create_graph=True)
    gp = ((grads.square().sum(dim=1).sqrt() - 1.0) ** 2).mean()
    loss = critic(fake).mean() - critic(real).mean() + weight * gp
    g = torch.autograd.grad(loss, params)
    with torch.no_grad():
        for p, gi in zip(params, g):
            p -= lr * gi
    return float(loss.detach()), [gi.numpy() for gi in g]


@requires_torch
def test_gradient_penalty_training_steps_equal_pytorch():
    rng = np.random.default_rng(3)
    critic = keras.Sequential([keras.layers.Dense(8, activation="tanh"), keras.layers.Dense(1)])
    real = rng.standard_normal((6, 4)).astype("float32")
    fake = rng.standard_normal((6, 4)).astype("float32")
    critic(tf.constant(real))
    params = [torch.tensor(w.numpy().astype(np.float64), requires_grad=True)
              for w in critic.trainable_weights]
    optimizer = keras.optimizers.SGD(learning_rate=0.05)
    for step in range(3):
        eps = rng.uniform(size=(6, 1)).astype("float32")
        loss, grads = _gp_step(critic, optimizer, tf.constant(real), tf.constant(fake), tf.constant(eps))
        as_torch = [torch.tensor(a.astype(np.float64)) for a in (real, fake, eps)]
        t_loss, t_grads = _torch_gp_step(params, *as_torch, lr=0.05)
        np.testing.assert_allclose(loss, t_loss, rtol=1e-5, err_msg=f"step {step}")
        for ours, theirs in zip(grads, t_grads):
            np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-6, err_msg=f"step {step}")
        for w, p in zip(critic.trainable_weights, params):
            np.testing.assert_allclose(w.numpy(), p.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert any(np.abs(g).max() > 1e-3 for g in grads)          # the penalty moved the weights
